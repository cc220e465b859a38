/**
 * The continuity test of the change feed: while writers insert events concurrently (some
 * with old `occurred_at`, some re-posted), readers follow cursors to the end of the stream
 * again and again. After the writers stop and the window settles, the union of everything
 * each reader read equals exactly the stored set: nothing lost, nothing twice, and no reader
 * ever saw a sequence smaller than one it had already read.
 *
 * Half the writers go through the API; the other half are "slow containers": the same
 * store, whose transactions wait up to 0.8 s between stamping their sequences and reaching
 * DynamoDB, the way a slow commit or a lagging index looks to a reader. With the window
 * set to 0 this test fails (events are lost); the window is what makes it pass.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDocumentClient } from "#shared/store/dynamo/client.ts";
import { DynamoEventStore } from "#shared/store/dynamo/events.ts";
import { defaultIngestDeps, ingest } from "#shared/usecases/ingest.ts";
import { aMessage, anEvent, uniqueId } from "../support/factories.ts";
import { type Api, startApi } from "../support/http.ts";

// Above the slowest single write round seen on DynamoDB Local with this load on 2 cores.
const SETTLE_MS = 3000;
process.env.EXPORT_SETTLE_MS = String(SETTLE_MS);

const WRITERS = 4;
const ROUNDS = 12;
/** Slow writers hold each transaction this long (at most) between stamping and sending it. */
const SLOW_COMMIT_MS = 800;

let api: Api;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api.stack.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Read {
  id: string;
  sequence: string;
}

/** A reader following the feed; `pass()` reads from its cursor to the end of the stream. */
function reader(start: string, format: "json" | "ndjson", pageSize: () => number) {
  const seen: Read[] = [];
  let cursor: string | undefined;
  let last = "";
  let passes = 0;
  async function page(): Promise<boolean> {
    const query = cursor ? `cursor=${encodeURIComponent(cursor)}` : `start_time=${encodeURIComponent(start)}`;
    const res = await api.call("GET", `/v1/export/events?${query}&page[size]=${pageSize()}`, {
      key: api.keys.aExport,
      headers: { accept: format === "json" ? "application/json" : "application/x-ndjson" },
    });
    expect(res.status, res.text).toBe(200);
    const events: Read[] =
      format === "json"
        ? (res.json.events as Read[])
        : res.text
            .split("\n")
            .filter((l) => l.length > 0)
            .map((l) => JSON.parse(l) as Read);
    for (const e of events) {
      // The feed never hands out a sequence below one this reader already has.
      expect(e.sequence > last, `${e.sequence} after ${last}`).toBe(true);
      last = e.sequence;
      seen.push({ id: e.id, sequence: e.sequence });
    }
    cursor = res.headers.get("x-after-cursor") ?? undefined;
    return res.headers.get("x-end-of-stream") === "true";
  }
  return {
    seen,
    get passes() {
      return passes;
    },
    async pass() {
      while (!(await page())) {}
      passes += 1;
    },
  };
}

describe("change feed continuity", () => {
  it("under concurrent writes, late arrivals and duplicates, readers get every stored event exactly once", async () => {
    const start = new Date().toISOString();
    const acknowledged = new Set<string>();
    const posted: Record<string, unknown>[] = [];
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };

    async function writer(w: number): Promise<void> {
      for (let round = 0; round < ROUNDS; round++) {
        const batch: Record<string, unknown>[] = [];
        const size = 1 + Math.floor(random() * 10);
        for (let i = 0; i < size; i++) {
          const r = random();
          if (r < 0.2 && posted.length > 0) {
            // A duplicate: the same event again, as a retrying client would send it.
            batch.push(posted[Math.floor(random() * posted.length)] as Record<string, unknown>);
            continue;
          }
          const late = r < 0.5;
          const occurredAt = late
            ? new Date(
                Date.UTC(2019 + Math.floor(random() * 5), Math.floor(random() * 12), 1 + i),
              ).toISOString()
            : new Date().toISOString();
          const conversation = `c-${w}-${Math.floor(random() * 5)}`;
          const event =
            r < 0.8
              ? aMessage({ id: uniqueId("e"), conversation_id: conversation, occurred_at: occurredAt })
              : anEvent(
                  "ConversationTagged",
                  { tags: ["x"] },
                  { conversation_id: conversation, occurred_at: occurredAt },
                );
          posted.push(event);
          batch.push(event);
        }
        // Within one request, one id at most: dedupe what this batch drew twice.
        const unique = [...new Map(batch.map((e) => [e.id as string, e])).values()];
        let statuses: string[];
        if (w % 2 === 0) {
          const res = await api.call("POST", "/v1/events", { key: api.keys.a, body: { events: unique } });
          expect(res.status, res.text).toBe(200);
          statuses = (res.json.results as { status: string }[]).map((r) => r.status);
        } else {
          const out = await ingest(slowDeps, api.tenantA, { events: unique });
          statuses = out.kind === "batch" ? out.results.map((r) => r.status) : [];
        }
        expect(statuses).toHaveLength(unique.length);
        for (const [i, status] of statuses.entries()) {
          expect(["created", "duplicate"]).toContain(status);
          acknowledged.add((unique[i] as { id: string }).id);
        }
        await sleep(random() * 60);
      }
    }

    const slowClient = createDocumentClient();
    slowClient.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === "TransactWriteItemsCommand") await sleep(random() * SLOW_COMMIT_MS);
        return next(args);
      },
      { step: "initialize", name: "slowCommit" },
    );
    const slowDeps = defaultIngestDeps(new DynamoEventStore(slowClient, api.stack.tableName));

    const readers = [
      reader(start, "json", () => 1 + Math.floor(random() * 25)),
      reader(start, "ndjson", () => 7),
    ];
    let writing = true;
    const writers = Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w))).finally(() => {
      writing = false;
    });
    const following = readers.map(async (r) => {
      while (writing) {
        await r.pass();
        await sleep(40);
      }
    });
    await writers;
    await Promise.all(following);
    // The writers have stopped; once the window settles, one more pass reads the rest.
    await sleep(SETTLE_MS + 200);
    for (const r of readers) await r.pass();

    // The stored set, read through another index (the time range over every conversation).
    const stored = new Set<string>();
    let query = "start_time=1970-01-01T00:00:00Z&page[size]=1000";
    for (;;) {
      const res = await api.call("GET", `/v1/events?${query}`, { key: api.keys.a });
      expect(res.status, res.text).toBe(200);
      for (const e of res.json.events as { id: string; received_at: string }[]) {
        if (e.received_at >= start) stored.add(e.id);
      }
      const after = (res.json.meta as { after_cursor: string | null }).after_cursor;
      if (!(res.json.meta as { has_more: boolean }).has_more || !after) break;
      query = `start_time=1970-01-01T00:00:00Z&page[size]=1000&page[after]=${encodeURIComponent(after)}`;
    }

    expect(stored.size).toBeGreaterThan(WRITERS * ROUNDS);
    expect(stored).toEqual(acknowledged);
    for (const r of readers) {
      const ids = r.seen.map((e) => e.id);
      expect(ids.length, "no event read twice").toBe(new Set(ids).size);
      expect(new Set(ids)).toEqual(stored);
      // The readers really did follow the feed while it was being written.
      expect(r.passes).toBeGreaterThan(3);
    }
  });
});
