/**
 * DynamoDB adapter of the {@link EventStore} port.
 *
 * Writes: each event is one `TransactWriteItems` pair (id guard + event item, both
 * `attribute_not_exists`), up to 50 events per call, so `(tenant, id)` is unique even when
 * two posts carry different `occurred_at`, and a crash can never leave one without the other.
 * Each write round stamps its events' `sequence` and `received_at` just before it is sent,
 * so a committed event's sequence is never older than the write that made it visible: the
 * change feed's settle window rests on that (docs/data-model.md, "Change feed").
 * Reads: the timeline is one strongly consistent `Query` per page; the time-range feed is a
 * lazy k-way merge of the `byTime` shards of each month bucket; the change feed is the same
 * merge over the `bySequence` shards.
 */
import { TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
} from "@aws-sdk/lib-dynamodb";
import { decodeTime, monotonicFactory } from "ulid";
import { StoreUnavailableError } from "../../errors.ts";
import type { StoredEvent } from "../../events/schema.ts";
import { logger } from "../../logger.ts";
import { exponentialBackoff, retry, retryWith, succeed } from "../../retry.ts";
import {
  type EventFilters,
  type EventStore,
  type ExportStore,
  type Page,
  type PreparedEvent,
  parsePosition,
  positionOf,
  type RangeQuery,
  type WriteOutcome,
} from "../events.ts";
import { directoryEntryItem, eventItem, fromAttributeValues, guardItem, type Item } from "./items.ts";
import { mergePage, mergeStreams, QueryStream, ReadBudget } from "./merge.ts";
import { queryAll } from "./query-pages.ts";
import { TABLE } from "./table.ts";
import {
  bucketDirectoryPk,
  conversationPk,
  EVENT_SK_PREFIX,
  eventKey,
  guardKey,
  SEQUENCE_SHARDS,
  sequenceBucket,
  sequenceDirectoryPk,
  sequenceIndexPk,
  type TableKey,
  TIME_SHARDS,
  timeBucket,
  timeIndexPk,
} from "./table-keys.ts";

/** DynamoDB allows 100 actions per transaction; each event takes two. */
const EVENTS_PER_TRANSACTION = 50;
const MAX_WRITE_ROUNDS = 8;
const LOWEST = "0";
const HIGHEST = "~";
/** A write slower than this, from stamp to commit, is logged: the export settle window assumes fast commits. */
const SLOW_COMMIT_MS = 1000;

/** Before write round n ≥ 2: a random wait up to 10·2^(n-1) ms (full jitter). */
const WRITE_ROUND_BACKOFF = exponentialBackoff({ baseMs: 20, jitter: "full" });

export interface EventStoreOptions {
  /** Clock of the write stamps (milliseconds since the epoch). */
  now?: () => number;
}

export class DynamoEventStore implements EventStore, ExportStore {
  /** Directory entries written or being written (`{directory pk}|{month}`): one write per month and container. */
  readonly #knownBuckets = new Map<string, Promise<void>>();
  readonly #now: () => number;
  readonly #ulid = monotonicFactory();

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    options: EventStoreOptions = {},
  ) {
    this.#now = options.now ?? Date.now;
  }

  async putEvents(tenant: string, events: PreparedEvent[]): Promise<WriteOutcome[]> {
    await this.#registerBuckets(
      bucketDirectoryPk(tenant),
      events.map(({ event }) => timeBucket(event.occurred_at)),
    );
    const outcomes: (WriteOutcome | undefined)[] = new Array(events.length);
    const chunks: number[][] = [];
    for (let i = 0; i < events.length; i += EVENTS_PER_TRANSACTION) {
      chunks.push(events.slice(i, i + EVENTS_PER_TRANSACTION).map((_, j) => i + j));
    }
    await Promise.all(chunks.map((indexes) => this.#writeChunk(tenant, events, indexes, outcomes)));
    return outcomes.map((o, i) => {
      if (!o) throw new Error(`event ${i} has no write outcome`);
      return o;
    });
  }

  /**
   * Writes one transaction group, retrying the events whose fate is undecided (transaction
   * conflicts, or rolled back because another event of the group failed its condition).
   */
  async #writeChunk(
    tenant: string,
    events: PreparedEvent[],
    indexes: number[],
    outcomes: (WriteOutcome | undefined)[],
  ): Promise<void> {
    let pending = indexes;
    const result = await retry(
      async () => {
        pending = await this.#writeRound(tenant, events, pending, outcomes);
        return pending.length === 0 ? succeed(undefined) : retryWith(pending);
      },
      { attempts: MAX_WRITE_ROUNDS, delayMs: WRITE_ROUND_BACKOFF },
    );
    if (!result.ok) {
      throw new StoreUnavailableError("the store is too contended to accept these events now; retry shortly");
    }
  }

  /** One transaction over the pending events: records the outcomes it decides, returns the undecided. */
  async #writeRound(
    tenant: string,
    events: PreparedEvent[],
    pending: number[],
    outcomes: (WriteOutcome | undefined)[],
  ): Promise<number[]> {
    const stampedAt = await this.#stamp(
      tenant,
      pending.map((i) => events[i] as PreparedEvent),
    );
    const actions = pending.flatMap((i) => this.#writeActions(tenant, events[i] as PreparedEvent));
    try {
      await this.db.send(new TransactWriteCommand({ TransactItems: actions }));
      for (const i of pending) outcomes[i] = { status: "created" };
      const took = this.#now() - stampedAt;
      if (took > SLOW_COMMIT_MS) {
        logger.warn("slow event commit: the export settle window must exceed this", { took_ms: took });
      }
      return [];
    } catch (error) {
      if (!(error instanceof TransactionCanceledException) || !error.CancellationReasons) throw error;
      const reasons = error.CancellationReasons;
      const undecided: number[] = [];
      for (const [n, i] of pending.entries()) {
        const guardReason = reasons[2 * n];
        const eventReason = reasons[2 * n + 1];
        const prepared = events[i] as PreparedEvent;
        if (guardReason?.Code === "ConditionalCheckFailed" && guardReason.Item) {
          // The cancellation carries the old guard in the low-level attribute-value form.
          const old = guardItem.decode(fromAttributeValues(guardReason.Item));
          outcomes[i] = this.#existing(prepared, old.hash, old.conversationId, old.position);
        } else if (eventReason?.Code === "ConditionalCheckFailed") {
          // The event item exists without a guard: only possible for items written before
          // guards existed. Compare with the stored item rather than overwrite it.
          const { event } = prepared;
          const stored = await this.#getItem(
            eventKey(tenant, event.conversation_id, event.occurred_at, event.id),
          );
          outcomes[i] = this.#existing(
            prepared,
            stored ? eventItem.hashOf(stored) : "",
            event.conversation_id,
            positionOf(event.occurred_at, event.id),
          );
        } else {
          undecided.push(i);
        }
      }
      return undecided;
    }
  }

  #existing(
    prepared: PreparedEvent,
    storedHash: string,
    conversationId: string,
    position: string,
  ): WriteOutcome {
    const status = storedHash === prepared.hash ? "duplicate" : "conflict";
    return { status, storedHash, conversationId, position };
  }

  /**
   * Stamps `sequence` and `received_at` on the events of one write round, right before it is
   * sent, and makes sure their sequence month is in the directory. Returns the stamp time.
   */
  async #stamp(tenant: string, round: PreparedEvent[]): Promise<number> {
    const now = this.#now();
    for (const { event } of round) {
      event.sequence = this.#ulid(now);
      // The monotonic factory never goes back in time, so take the time from the sequence.
      event.received_at = new Date(decodeTime(event.sequence)).toISOString();
    }
    await this.#registerBuckets(
      sequenceDirectoryPk(tenant),
      round.map(({ event }) => sequenceBucket(event.sequence)),
    );
    return now;
  }

  #writeActions(tenant: string, prepared: PreparedEvent) {
    return [
      {
        Put: {
          TableName: this.tableName,
          Item: guardItem.encode(tenant, prepared),
          ConditionExpression: "attribute_not_exists(pk)",
          ReturnValuesOnConditionCheckFailure: "ALL_OLD" as const,
        },
      },
      {
        Put: {
          TableName: this.tableName,
          Item: eventItem.encode(tenant, prepared),
          ConditionExpression: "attribute_not_exists(pk)",
        },
      },
    ];
  }

  /**
   * Records months in a directory (`occurred_at` months for range queries, sequence months
   * for the change feed), before the events that fall into them are written, so a reader
   * visits only months with data and never misses one.
   */
  async #registerBuckets(directoryPk: string, buckets: string[]): Promise<void> {
    await Promise.all(
      [...new Set(buckets)].map((bucket) => {
        const entry = `${directoryPk}|${bucket}`;
        let registered = this.#knownBuckets.get(entry);
        if (!registered) {
          registered = this.db
            .send(
              new PutCommand({
                TableName: this.tableName,
                Item: directoryEntryItem.encode(directoryPk, bucket),
              }),
            )
            .then(() => undefined);
          // Concurrent writers of one container share the write; a failed one is tried again.
          registered.catch(() => this.#knownBuckets.delete(entry));
          this.#knownBuckets.set(entry, registered);
        }
        return registered;
      }),
    );
  }

  async #getItem(tableKey: TableKey): Promise<Item | undefined> {
    const out = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: tableKey, ConsistentRead: true }),
    );
    return out.Item;
  }

  async getEventAt(
    tenant: string,
    conversationId: string,
    position: string,
  ): Promise<StoredEvent | undefined> {
    const { occurredAt, id } = parsePosition(position);
    const item = await this.#getItem(eventKey(tenant, conversationId, occurredAt, id));
    return item ? eventItem.decode(item) : undefined;
  }

  async getEventById(tenant: string, id: string): Promise<StoredEvent | undefined> {
    const item = await this.#getItem(guardKey(tenant, id));
    if (!item) return undefined;
    const guard = guardItem.decode(item);
    return this.getEventAt(tenant, guard.conversationId, guard.position);
  }

  async conversationExists(tenant: string, conversationId: string): Promise<boolean> {
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: "pk = :pk AND begins_with(sk, :e)",
        ExpressionAttributeValues: { ":pk": conversationPk(tenant, conversationId), ":e": EVENT_SK_PREFIX },
        ProjectionExpression: "pk",
        Limit: 1,
      }),
    );
    return (out.Items?.length ?? 0) > 0;
  }

  async queryTimeline(tenant: string, conversationId: string, query: RangeQuery): Promise<Page> {
    const budget = query.maxRead === undefined ? undefined : new ReadBudget(query.maxRead);
    const stream = new QueryStream(
      this.db,
      {
        TableName: this.tableName,
        ConsistentRead: true,
        ...rangeCondition("pk", "sk", conversationPk(tenant, conversationId), EVENT_SK_PREFIX, query),
      },
      positionOfItem,
      query.after,
      budget,
      // A base-table key holds the sort key only: `E#{position}`.
      (key) => String(key.sk).slice(EVENT_SK_PREFIX.length),
    );
    return collect([stream], query);
  }

  async queryByTime(tenant: string, query: RangeQuery): Promise<Page> {
    const buckets = await this.#bucketsInRange(tenant, query);
    const budget = query.maxRead === undefined ? undefined : new ReadBudget(query.maxRead);
    const items: StoredEvent[] = [];
    for (const bucket of buckets) {
      const streams = Array.from(
        { length: TIME_SHARDS },
        (_, shard) =>
          new QueryStream(
            this.db,
            {
              TableName: this.tableName,
              IndexName: TABLE.indexes.byTime.name,
              ...rangeCondition("tpk", "tsk", timeIndexPk(tenant, bucket, shard), "", query),
            },
            positionOfItem,
            query.after,
            budget,
          ),
      );
      const page = await collect(streams, { ...query, limit: query.limit - items.length });
      items.push(...page.items);
      if (page.hasMore)
        return { items, hasMore: true, ...(page.resumeAt ? { resumeAt: page.resumeAt } : {}) };
    }
    return { items, hasMore: false };
  }

  sequencesAfter(tenant: string, after: string, upTo: string, want: () => number): AsyncIterable<string> {
    return mapAsync(this.#bySequence(tenant, after, upTo, want, true), (item) => String(item.ssk));
  }

  eventsAfter(tenant: string, after: string, upTo: string, want: () => number): AsyncIterable<StoredEvent> {
    return mapAsync(this.#bySequence(tenant, after, upTo, want, false), eventItem.decode);
  }

  /**
   * Event items with `after < sequence <= upTo`, in sequence order: month by month (from the
   * sequence directory), each month a lazy merge of its shards. The `bySequence` index is
   * eventually consistent; the export reads only below its settle horizon.
   */
  async *#bySequence(
    tenant: string,
    after: string,
    upTo: string,
    want: () => number,
    keysOnly: boolean,
  ): AsyncGenerator<Item> {
    const months = await queryAll(this.db, {
      TableName: this.tableName,
      KeyConditionExpression: "pk = :pk AND sk BETWEEN :lo AND :hi",
      ExpressionAttributeValues: {
        ":pk": sequenceDirectoryPk(tenant),
        ":lo": after ? sequenceBucket(after) : LOWEST,
        ":hi": sequenceBucket(upTo),
      },
      ConsistentRead: true,
    });
    for (const month of months.map(directoryEntryItem.decode)) {
      const streams = Array.from(
        { length: SEQUENCE_SHARDS },
        (_, shard) =>
          new QueryStream(
            this.db,
            {
              TableName: this.tableName,
              IndexName: TABLE.indexes.bySequence.name,
              KeyConditionExpression: "spk = :pk AND ssk BETWEEN :lo AND :hi",
              ExpressionAttributeValues: {
                ":pk": sequenceIndexPk(tenant, month, shard),
                ":lo": after || LOWEST,
                ":hi": upTo,
              },
              ...(keysOnly ? { ProjectionExpression: "ssk" } : {}),
            },
            (item) => String(item.ssk),
            after || undefined,
          ),
      );
      yield* mergeStreams(streams, "asc", want);
    }
  }

  /** Buckets that hold data and overlap the query, in the direction of travel. */
  async #bucketsInRange(tenant: string, query: RangeQuery): Promise<string[]> {
    const { lo, hi } = bounds(query);
    const items = await queryAll(this.db, {
      TableName: this.tableName,
      KeyConditionExpression: "pk = :pk AND sk BETWEEN :lo AND :hi",
      ExpressionAttributeValues: {
        ":pk": bucketDirectoryPk(tenant),
        ":lo": lo === LOWEST ? LOWEST : timeBucket(lo),
        ":hi": hi === HIGHEST ? HIGHEST : timeBucket(hi),
      },
      ScanIndexForward: query.direction === "asc",
      ConsistentRead: true,
    });
    return items.map(directoryEntryItem.decode);
  }
}

/** Inclusive key bounds for a query: the cursor item itself is skipped while reading. */
function bounds(query: RangeQuery): { lo: string; hi: string } {
  let lo = query.from ?? LOWEST;
  let hi = query.to ?? HIGHEST;
  if (query.after) {
    if (query.direction === "asc" && query.after > lo) lo = query.after;
    if (query.direction === "desc" && query.after < hi) hi = query.after;
  }
  return { lo, hi };
}

function rangeCondition(
  pkName: string,
  skName: string,
  pk: string,
  prefix: string,
  query: RangeQuery,
): Pick<
  QueryCommandInput,
  | "KeyConditionExpression"
  | "ExpressionAttributeValues"
  | "ExpressionAttributeNames"
  | "ScanIndexForward"
  | "FilterExpression"
> {
  const { lo, hi } = bounds(query);
  const values: Record<string, unknown> = { ":pk": pk, ":lo": `${prefix}${lo}`, ":hi": `${prefix}${hi}` };
  const names: Record<string, string> = { "#pk": pkName, "#sk": skName };
  const filter = filterExpression(query.filters, names, values);
  return {
    KeyConditionExpression: "#pk = :pk AND #sk BETWEEN :lo AND :hi",
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
    ScanIndexForward: query.direction === "asc",
    ...(filter ? { FilterExpression: filter } : {}),
  };
}

const FILTER_ATTRIBUTES: Record<keyof EventFilters, string> = {
  type: "type",
  channel: "ch",
  author_type: "aut",
};

function filterExpression(
  filters: EventFilters,
  names: Record<string, string>,
  values: Record<string, unknown>,
): string | undefined {
  const clauses: string[] = [];
  for (const [field, attribute] of Object.entries(FILTER_ATTRIBUTES) as [keyof EventFilters, string][]) {
    const wanted = filters[field];
    if (!wanted || wanted.length === 0) continue;
    names[`#f_${field}`] = attribute;
    const placeholders = wanted.map((value, i) => {
      values[`:f_${field}_${i}`] = value;
      return `:f_${field}_${i}`;
    });
    clauses.push(`#f_${field} IN (${placeholders.join(", ")})`);
  }
  return clauses.length > 0 ? clauses.join(" AND ") : undefined;
}

async function* mapAsync<A, B>(source: AsyncIterable<A>, fn: (a: A) => B): AsyncGenerator<B> {
  for await (const a of source) yield fn(a);
}

/** Event items carry their position in `tsk` (the `byTime` sort key). */
function positionOfItem(item: Item): string {
  return String(item.tsk);
}

/** Merges ordered event streams into one page of `limit` events, plus whether more exist. */
async function collect(streams: QueryStream[], query: RangeQuery): Promise<Page> {
  const page = await mergePage(streams, query, eventItem.decode);
  return {
    items: page.items,
    hasMore: page.hasMore,
    ...(page.stoppedAt ? { resumeAt: page.stoppedAt } : {}),
  };
}
