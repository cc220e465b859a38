/**
 * The outbox publisher: DynamoDB stream records in, EventBridge `PutEvents` out.
 *
 * - Only inserted event items are published; guards, keys and other items are acknowledged
 *   and skipped (the deployed event source mapping also filters them out).
 * - Entries go out in chunks of ≤ 10 entries and ≤ 256 KB. Failed entries are retried with
 *   backoff; a record whose entry still fails is reported in `batchItemFailures`, so Lambda
 *   retries from it and nothing is acknowledged unpublished.
 */
import type { DynamoDBRecord } from "aws-lambda";
import type { StoredEvent } from "../events/schema.ts";
import { exponentialBackoff, retry, retryWith, succeed } from "../retry.ts";
import { tenantOfPk } from "../store/dynamo/table-keys.ts";
import { type BusEntry, entrySize, toBusEntry } from "./contract.ts";

export const MAX_ENTRIES_PER_PUT = 10;
export const MAX_PUT_BYTES = 256 * 1024;
/** Before attempt n ≥ 2: 50·2^(n-2) ms, plus up to 25 ms of jitter. */
const PUBLISH_BACKOFF = exponentialBackoff({ baseMs: 50, jitter: { extraMs: 25 } });

/** Port: puts entries on the bus and says which ones failed (indexes into the input). */
export interface EventPublisher {
  put(entries: BusEntry[]): Promise<{ failed: number[] }>;
}

export interface PublishDeps {
  publisher: EventPublisher;
  busName: string;
  /** Attempts per entry (at least 1; default 4) before its record is reported as failed. */
  attempts?: number;
  /** Waits between attempts; tests inject one that does not wait. */
  sleep?: (ms: number) => Promise<void>;
}

export interface BatchItemFailure {
  itemIdentifier: string;
}

/** Splits entries into `PutEvents` calls within the count and size limits. */
export function chunkEntries<T extends BusEntry>(entries: T[]): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = entrySize(entry);
    if (current.length > 0 && (current.length === MAX_ENTRIES_PER_PUT || bytes + size > MAX_PUT_BYTES)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

interface Pending {
  entry: BusEntry;
  record: string;
}

/** The event carried by a stream record, or undefined for records that are not event inserts. */
export function eventOfRecord(record: DynamoDBRecord): { tenant: string; event: StoredEvent } | undefined {
  if (record.eventName !== "INSERT") return undefined;
  const image = record.dynamodb?.NewImage;
  if (image?.entity?.S !== "event" || !image.doc?.S || !image.pk?.S) return undefined;
  return { tenant: tenantOfPk(image.pk.S), event: JSON.parse(image.doc.S) as StoredEvent };
}

export async function publishRecords(
  deps: PublishDeps,
  records: DynamoDBRecord[],
): Promise<{ batchItemFailures: BatchItemFailure[] }> {
  const entries: Pending[] = [];
  for (const record of records) {
    const found = eventOfRecord(record);
    if (!found) continue;
    entries.push({
      entry: toBusEntry(deps.busName, found.tenant, found.event),
      record: record.dynamodb?.SequenceNumber ?? record.eventID ?? "",
    });
  }
  if (entries.length === 0) return { batchItemFailures: [] };
  // Each attempt puts only the entries that are still unpublished.
  let pending = entries;
  const result = await retry(
    async () => {
      pending = await putOnce(deps.publisher, pending);
      return pending.length === 0 ? succeed(undefined) : retryWith(pending);
    },
    { attempts: deps.attempts ?? 4, delayMs: PUBLISH_BACKOFF, ...(deps.sleep ? { sleep: deps.sleep } : {}) },
  );
  const unpublished = result.ok ? [] : result.failure;
  const failed = new Set(unpublished.map((p) => p.record));
  return { batchItemFailures: [...failed].map((itemIdentifier) => ({ itemIdentifier })) };
}

/** One round of `PutEvents` calls over the pending entries; returns those that failed. */
async function putOnce(publisher: EventPublisher, pending: Pending[]): Promise<Pending[]> {
  const failed: Pending[] = [];
  const chunks = chunkEntries(pending.map((p, i) => ({ ...p.entry, index: i })));
  await Promise.all(
    chunks.map(async (chunk) => {
      try {
        const result = await publisher.put(chunk.map(({ index: _i, ...entry }) => entry));
        for (const i of result.failed) failed.push(pending[(chunk[i] as { index: number }).index] as Pending);
      } catch {
        // A whole call failed (throttled, network): every entry of it is retried.
        for (const c of chunk) failed.push(pending[c.index] as Pending);
      }
    }),
  );
  return failed;
}
