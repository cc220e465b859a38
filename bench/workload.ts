/**
 * The two sides of the benchmark: the project through its local gateway, and the raw SDK
 * writing the same items straight into the same table.
 */
import { TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import {
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  TransactWriteCommand,
} from "@aws-sdk/lib-dynamodb";
import { monotonicFactory } from "ulid";
import { timeShard } from "#shared/store/dynamo/table-keys.ts";
import { contentHash } from "#shared/usecases/ingest.ts";

export type Json = Record<string, unknown>;
type Item = Record<string, unknown>;

const BASE_TIME = Date.parse("2025-05-23T10:00:00.000Z");
const TEXT =
  "Hi, my order #4711 arrived yesterday but the box was damaged and one item is missing. Could you help me?";
const CHANNELS = ["web", "whatsapp", "email", "ios"] as const;
const AUTHORS = ["customer", "agent", "bot"] as const;

/** A valid `MessageReceived`-style event as a client posts it (about 300 bytes of JSON). */
export function benchEvent(id: string, conversationId: string, occurredAtMs: number, n: number): Json {
  const author = AUTHORS[n % AUTHORS.length] as string;
  return {
    id,
    type: author === "customer" ? "MessageReceived" : "MessageSent",
    conversation_id: conversationId,
    occurred_at: new Date(BASE_TIME + occurredAtMs).toISOString(),
    channel: { type: CHANNELS[n % CHANNELS.length] },
    author: { type: author, id: `${author}-${n % 97}` },
    message: { content: { type: "text", text: TEXT } },
  };
}

/** Events `from .. from+count-1` of a run, spread over `conversations` conversations. */
export function eventRange(prefix: string, from: number, count: number, conversations: number): Json[] {
  return Array.from({ length: count }, (_, k) => {
    const n = from + k;
    return benchEvent(`${prefix}-${n}`, `${prefix}-c${n % conversations}`, n, n);
  });
}

const sequence = monotonicFactory();

/**
 * The event item exactly as the store lays it out (see `shared/store/dynamo/events.ts`), under a
 * partition prefix of its own (`RAW#…`) so it never mixes with the project's data.
 */
export function rawEventItem(prefix: string, input: Json): Item {
  const id = String(input.id);
  const conversationId = String(input.conversation_id);
  const occurredAt = String(input.occurred_at);
  const { id: _id, type, conversation_id, occurred_at, ...rest } = input;
  const stored = {
    id,
    type,
    conversation_id,
    occurred_at,
    received_at: new Date().toISOString(),
    sequence: sequence(),
    ...rest,
  };
  const channel = input.channel as { type: string };
  const author = input.author as { type: string };
  return {
    pk: `${prefix}#C#${conversationId}`,
    sk: `E#${occurredAt}#${id}`,
    tpk: `${prefix}#M#${occurredAt.slice(0, 7)}#${timeShard(id)}`,
    tsk: `${occurredAt}#${id}`,
    entity: "event",
    id,
    cid: conversationId,
    type: String(type),
    ch: channel.type,
    aut: author.type,
    seq: stored.sequence,
    h: contentHash(input as Parameters<typeof contentHash>[0]),
    doc: JSON.stringify(stored),
  };
}

/** The id-guard item the store writes next to each event. */
export function rawGuardItem(prefix: string, event: Item): Item {
  return {
    pk: `${prefix}#I#${String(event.id)}`,
    sk: "I",
    entity: "guard",
    h: event.h,
    cid: event.cid,
    pos: event.tsk,
  };
}

export class GatewayClient {
  constructor(
    private readonly url: string,
    private readonly key: string,
  ) {}

  async #post(body: string): Promise<{ status: number; json: unknown }> {
    const res = await fetch(`${this.url}/v1/events`, {
      method: "POST",
      headers: { authorization: `Bearer ${this.key}`, "content-type": "application/json" },
      body,
    });
    const text = await res.text();
    return { status: res.status, json: text.length > 0 ? (JSON.parse(text) as unknown) : null };
  }

  /** Posts one serialized event; it must be created (201). */
  async postOne(body: string): Promise<void> {
    const { status, json } = await this.#post(body);
    if (status !== 201) throw new Error(`POST /v1/events answered ${status}: ${JSON.stringify(json)}`);
  }

  /** Posts a serialized batch of `count` events; every event must be created. */
  async postBatch(body: string, count: number): Promise<void> {
    const { status, json } = await this.#post(body);
    const results = (json as { results?: { status: string }[] } | null)?.results;
    if (status !== 200 || !results || results.length !== count) {
      throw new Error(`batch POST /v1/events answered ${status}: ${JSON.stringify(json).slice(0, 500)}`);
    }
    const bad = results.filter((r) => r.status !== "created");
    if (bad.length > 0) throw new Error(`batch: ${bad.length} events not created: ${JSON.stringify(bad[0])}`);
  }

  /** One GET, timed by the caller; returns the parsed page and its size in bytes. */
  async get(pathOrUrl: string): Promise<{ body: unknown; bytes: number }> {
    const url = pathOrUrl.startsWith("http") ? pathOrUrl : `${this.url}${pathOrUrl}`;
    const res = await fetch(url, { headers: { authorization: `Bearer ${this.key}` } });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}: ${text.slice(0, 500)}`);
    return { body: JSON.parse(text) as unknown, bytes: Buffer.byteLength(text) };
  }
}

/** DynamoDB's limit of items per `BatchWriteItem`. */
const BATCH_WRITE_LIMIT = 25;
/** Events per `TransactWriteItems` in the store (100 actions, two per event). */
const EVENTS_PER_TRANSACTION = 50;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export class RawWriter {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** One plain `PutItem`. */
  async putOne(item: Item): Promise<void> {
    await this.db.send(new PutCommand({ TableName: this.tableName, Item: item }));
  }

  /** `BatchWriteItem` calls of 25 in parallel, retrying unprocessed items. */
  async putBatch(items: Item[]): Promise<void> {
    await Promise.all(
      chunks(items, BATCH_WRITE_LIMIT).map(async (chunk) => {
        let requests: NonNullable<ConstructorParameters<typeof BatchWriteCommand>[0]["RequestItems"]> = {
          [this.tableName]: chunk.map((Item) => ({ PutRequest: { Item } })),
        };
        for (let round = 0; ; round++) {
          const out = await this.db.send(new BatchWriteCommand({ RequestItems: requests }));
          const left = out.UnprocessedItems?.[this.tableName] ?? [];
          if (left.length === 0) return;
          if (round >= 10) throw new Error(`BatchWriteItem left ${left.length} items unprocessed`);
          requests = { [this.tableName]: left };
          await sleep(Math.random() * 10 * 2 ** round);
        }
      }),
    );
  }

  /**
   * What the store sends, straight from the SDK: guard + event per event, both conditional,
   * up to 50 events per `TransactWriteItems`, the calls of one request in parallel.
   */
  async transact(pairs: { guard: Item; event: Item }[]): Promise<void> {
    await Promise.all(
      chunks(pairs, EVENTS_PER_TRANSACTION).map(async (chunk) => {
        const command = new TransactWriteCommand({
          TransactItems: chunk.flatMap(({ guard, event }) => [
            {
              Put: {
                TableName: this.tableName,
                Item: guard,
                ConditionExpression: "attribute_not_exists(pk)",
                ReturnValuesOnConditionCheckFailure: "ALL_OLD" as const,
              },
            },
            {
              Put: {
                TableName: this.tableName,
                Item: event,
                ConditionExpression: "attribute_not_exists(pk)",
              },
            },
          ]),
        });
        for (let round = 0; ; round++) {
          try {
            await this.db.send(command);
            return;
          } catch (error) {
            // Like the store: retry a transaction cancelled by a conflict, never a failed condition.
            const conflict =
              error instanceof TransactionCanceledException &&
              !(error.CancellationReasons ?? []).some((r) => r.Code === "ConditionalCheckFailed");
            if (!conflict || round >= 8) throw error;
            await sleep(Math.random() * 10 * 2 ** round);
          }
        }
      }),
    );
  }
}

/** DynamoDB's item size: attribute names plus string values, in UTF-8 bytes. */
export function itemBytes(item: Item): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(item)) {
    bytes +=
      Buffer.byteLength(name) + Buffer.byteLength(typeof value === "string" ? value : JSON.stringify(value));
  }
  return bytes;
}
