/**
 * The change feed's use case on DynamoDB Local, with controlled clocks: the settle horizon
 * to the millisecond, page boundaries, month buckets and shards merged in sequence order.
 */
import { TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import { decodeTime } from "ulid";
import { describe, expect, it } from "vitest";
import { CursorCodec } from "#shared/cursor.ts";
import type { StoredEvent } from "#shared/events/schema.ts";
import { createDocumentClient } from "#shared/store/dynamo/client.ts";
import { DynamoEventStore } from "#shared/store/dynamo/events.ts";
import { sequenceBucket } from "#shared/store/dynamo/table-keys.ts";
import type { ExportDeps } from "#shared/usecases/export.ts";
import { defaultIngestDeps, ingest } from "#shared/usecases/ingest.ts";
import { aMessage, uniqueTenant } from "../support/factories.ts";
import { planExportPage } from "../support/routes.ts";

const SETTLE = 5000;
const cursors = new CursorCodec(process.env.CURSOR_SECRET as string);
const db = createDocumentClient();
const tableName = process.env.TABLE_NAME as string;

/** A store whose write stamps come from `clock.now`, and a feed reading at `clock.read`. */
function setup() {
  const clock = { now: Date.parse("2026-01-31T23:59:58.000Z"), read: 0 };
  const store = new DynamoEventStore(db, tableName, { now: () => clock.now });
  const feed: ExportDeps = { store, cursors, now: () => clock.read, settleMs: SETTLE };
  const write = async (tenant: string, n: number) => {
    const events = Array.from({ length: n }, () => aMessage());
    const out = await ingest(defaultIngestDeps(store), tenant, { events });
    expect(out.kind === "batch" && out.results.every((r) => r.status === "created")).toBe(true);
    return events.map((e) => e.id as string);
  };
  return { clock, store, feed, write };
}

async function readAll(feed: ExportDeps, tenant: string, first: Record<string, string>, size: number) {
  const events: StoredEvent[] = [];
  let params: Record<string, string> = { ...first, "page[size]": String(size) };
  let pages = 0;
  for (;;) {
    const page = await planExportPage(feed, tenant, params);
    pages += 1;
    const got: StoredEvent[] = [];
    for await (const e of page.events()) got.push(e);
    expect(got).toHaveLength(page.count);
    expect(page.lastSequence).toBe(got.at(-1)?.sequence ?? null);
    events.push(...got);
    params = { cursor: page.afterCursor, "page[size]": String(size) };
    if (page.endOfStream) return { events, pages, cursor: page.afterCursor };
  }
}

describe("change feed on DynamoDB Local", () => {
  it("serves an event only once its sequence is older than the settle window, to the millisecond", async () => {
    const tenant = uniqueTenant();
    const { clock, feed, write } = setup();
    const [id] = await write(tenant, 1);
    clock.read = clock.now + SETTLE; // exactly the window: not yet
    const early = await readAll(feed, tenant, {}, 10);
    expect(early.events).toEqual([]);
    clock.read = clock.now + SETTLE + 1;
    const late = await readAll(feed, tenant, { cursor: early.cursor }, 10);
    expect(late.events.map((e) => e.id)).toEqual([id]);
    expect(late.events[0]?.received_at).toBe(new Date(clock.now).toISOString());
  });

  it("picks up an event committed after a read when it was stamped at or after that read's horizon", async () => {
    const tenant = uniqueTenant();
    const { clock, feed, write } = setup();
    const first = await write(tenant, 3);
    clock.read = clock.now + SETTLE + 1;
    const read1 = await readAll(feed, tenant, {}, 10);
    expect(read1.events.map((e) => e.id).sort()).toEqual([...first].sort());
    // A slow writer: stamped exactly at the first read's horizon, committed after that read.
    clock.now = clock.read - SETTLE;
    const slow = await write(tenant, 1);
    clock.read = clock.now + SETTLE + 1;
    const read2 = await readAll(feed, tenant, { cursor: read1.cursor }, 10);
    expect(read2.events.map((e) => e.id)).toEqual(slow);
  });

  it("merges shards and month buckets in sequence order, pages exactly, and ends at the horizon", async () => {
    const tenant = uniqueTenant();
    const { clock, feed, write } = setup();
    const ids: string[] = [];
    // 2026-01-31T23:59:58, then across the month boundary into February and March.
    for (const step of [0, 1500, 1000, 30 * 86_400_000]) {
      clock.now += step;
      ids.push(...(await write(tenant, 9)));
    }
    clock.read = clock.now + SETTLE + 1;
    const all = await readAll(feed, tenant, {}, 9);
    expect(all.events).toHaveLength(36);
    const sequences = all.events.map((e) => e.sequence);
    expect(sequences).toEqual([...sequences].sort());
    expect(new Set(all.events.map((e) => e.id))).toEqual(new Set(ids));
    expect(new Set(sequences.map(sequenceBucket))).toEqual(new Set(["2026-01", "2026-02", "2026-03"]));
    // 36 events in pages of 9: four full pages, the last of which already reaches the horizon.
    expect(all.pages).toBe(4);

    // start_time on received_at: from the March write on.
    const march = await readAll(feed, tenant, { start_time: new Date(clock.now).toISOString() }, 100);
    expect(march.events.map((e) => e.id)).toEqual(ids.slice(27));
  });

  it("a replay keeps the stamp of the write that stored it", async () => {
    const tenant = uniqueTenant();
    const { clock, store } = setup();
    const before = clock.now;
    const event = aMessage();
    await ingest(defaultIngestDeps(store), tenant, event);
    clock.now += 60_000;
    const again = await ingest(defaultIngestDeps(store), tenant, event);
    expect(again.kind === "single" && again.created).toBe(false);
    expect(again.kind === "single" && again.event.received_at).toBe(new Date(before).toISOString());
  });

  it("stamps a retried write round anew, so a commit is never older than its own attempt", async () => {
    const tenant = uniqueTenant();
    const clock = { now: Date.parse("2026-03-01T00:00:00.000Z") };
    const faulty = createDocumentClient();
    let failed = false;
    // One injected transaction conflict on the real client; DynamoDB Local does the rest.
    faulty.middlewareStack.add(
      (next, context) => async (args) => {
        if (!failed && context.commandName === "TransactWriteItemsCommand") {
          failed = true;
          clock.now += 10_000;
          throw new TransactionCanceledException({
            message: "Transaction cancelled",
            $metadata: {},
            CancellationReasons: [{ Code: "TransactionConflict" }, { Code: "None" }],
          });
        }
        return next(args);
      },
      { step: "initialize", name: "injectConflict" },
    );
    const store = new DynamoEventStore(faulty, tableName, { now: () => clock.now });
    const out = await ingest(defaultIngestDeps(store), tenant, aMessage());
    expect(failed).toBe(true);
    expect(out.kind === "single" && out.created).toBe(true);
    const stored = out.kind === "single" ? out.event : undefined;
    expect(stored?.received_at).toBe("2026-03-01T00:00:10.000Z");
    expect(stored && decodeTime(stored.sequence)).toBe(clock.now);
  });
});
