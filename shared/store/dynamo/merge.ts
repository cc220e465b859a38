/**
 * Lazy k-way merge of ordered DynamoDB Queries: the paging engine shared by every read that
 * spreads one logical order over several partitions (the `byTime` shards of a month bucket,
 * the `byUpdated` shards of a tenant) or reads one partition page by page (a timeline).
 * Each stream is asked only for what the page still needs, and more only when the merge
 * drains it.
 */
import { type DynamoDBDocumentClient, QueryCommand, type QueryCommandInput } from "@aws-sdk/lib-dynamodb";
import type { Item } from "./items.ts";

/**
 * How many items one request may read (evaluate) across all its Queries, filtered out or
 * not: a filter that matches little must not turn one request into a table scan. Shared by
 * the streams of a request.
 */
export class ReadBudget {
  constructor(public remaining: number) {}
}

/**
 * Lazily pages through one Query, skipping the item at `after` (the cursor's own item, which
 * inclusive key bounds return). Without filters, the first request asks for exactly what
 * the page needs, so a single-stream page is one Query.
 *
 * With a {@link ReadBudget}, a stream that needs to read more once the budget is spent is
 * **stalled**: everything up to its `frontier` (the position of the last item it read, as
 * DynamoDB's `LastEvaluatedKey` gives it) was examined; nothing beyond it was.
 */
export class QueryStream {
  readonly #buffer: Item[] = [];
  #next: Item | undefined;
  #done = false;
  #stalled = false;
  #read = false;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly input: QueryCommandInput,
    /** The item's position in the merged order (a sort-key value). */
    readonly position: (item: Item) => string,
    private readonly after?: string,
    private readonly budget?: ReadBudget,
    /** The position a `LastEvaluatedKey` stands for (default: {@link position} of it). */
    private readonly keyPosition: (key: Item) => string = position,
  ) {}

  /** The next item, fetching up to `want` more (plus the cursor item) when the buffer is empty. */
  async peek(want: number): Promise<Item | undefined> {
    while (this.#buffer.length === 0 && !this.#done) {
      // +1 for the cursor item, which the inclusive key bounds return.
      let limit = want + 1;
      // The first read is always made, so a stalled stream has a frontier to resume from.
      if (this.budget && this.#read) {
        if (this.budget.remaining <= 0) {
          this.#stalled = true;
          return undefined;
        }
        limit = Math.min(limit, this.budget.remaining);
      }
      this.#read = true;
      const out = await this.db.send(
        new QueryCommand({ ...this.input, Limit: limit, ExclusiveStartKey: this.#next }),
      );
      if (this.budget) this.budget.remaining -= out.ScannedCount ?? out.Items?.length ?? 0;
      for (const item of out.Items ?? []) {
        if (this.after === undefined || this.position(item) !== this.after) this.#buffer.push(item);
      }
      this.#next = out.LastEvaluatedKey;
      this.#done = !this.#next;
    }
    return this.#buffer[0];
  }

  /** Whether the stream stopped for the budget, with more to read. */
  get stalled(): boolean {
    return this.#stalled && !this.#done && this.#buffer.length === 0;
  }

  /** Where a stalled stream stopped: every item up to here was read. */
  get frontier(): string | undefined {
    return this.#next ? this.keyPosition(this.#next) : undefined;
  }

  shift(): void {
    this.#buffer.shift();
  }
}

/**
 * Lazily merges ordered streams, yielding items in the merged order. `want` tells how many
 * more items the reader expects, so each Query asks for about its share of them.
 */
export async function* mergeStreams(
  streams: QueryStream[],
  direction: "asc" | "desc",
  want: () => number,
): AsyncGenerator<Item, { stoppedAt?: string }> {
  const asc = direction === "asc";
  const before = (a: string, b: string) => (asc ? a < b : a > b);
  for (;;) {
    const share = Math.max(1, Math.ceil(want() / streams.length));
    const heads = await Promise.all(streams.map((s) => s.peek(share)));
    // A stalled stream's unread part begins after its frontier: nothing beyond the nearest
    // frontier may be emitted, or an unread item could be skipped.
    let stop: string | undefined;
    for (const s of streams) {
      const f = s.stalled ? s.frontier : undefined;
      if (f !== undefined && (stop === undefined || before(f, stop))) stop = f;
    }
    let best = -1;
    let bestPos = "";
    for (const [i, head] of heads.entries()) {
      if (!head) continue;
      const pos = (streams[i] as QueryStream).position(head);
      if (best < 0 || before(pos, bestPos)) {
        best = i;
        bestPos = pos;
      }
    }
    if (stop !== undefined && (best < 0 || before(stop, bestPos))) return { stoppedAt: stop };
    if (best < 0) return {};
    (streams[best] as QueryStream).shift();
    yield heads[best] as Item;
  }
}

/**
 * Merges ordered streams into one page of `limit` items, plus whether more exist. Positions
 * are unique across streams, so the merged order is total and stable across pages.
 */
export async function mergePage<T>(
  streams: QueryStream[],
  read: { direction: "asc" | "desc"; limit: number },
  convert: (item: Item) => T,
): Promise<{ items: T[]; hasMore: boolean; stoppedAt?: string }> {
  const items: T[] = [];
  // +1: one item beyond the page tells whether more exist.
  const merged = mergeStreams(streams, read.direction, () => read.limit - items.length + 1);
  for (;;) {
    const next = await merged.next();
    if (next.done) {
      // The read budget ran out: more may follow what was read.
      if (next.value.stoppedAt !== undefined)
        return { items, hasMore: true, stoppedAt: next.value.stoppedAt };
      return { items, hasMore: false };
    }
    if (items.length === read.limit) return { items, hasMore: true };
    items.push(convert(next.value));
  }
}
