/**
 * The DynamoDB adapter and the ingest/query use cases against the real DynamoDB Local.
 */
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { beforeEach, describe, expect, it } from "vitest";
import { CursorCodec } from "#shared/cursor.ts";
import type { StoredEvent } from "#shared/events/schema.ts";
import { guardKey, tenantPrefix } from "#shared/store/dynamo/table-keys.ts";
import { defaultIngestDeps, ingest } from "#shared/usecases/ingest.ts";
import { aMessage, anEvent, uniqueTenant } from "../support/factories.ts";
import { getTimeline, listEvents } from "../support/routes.ts";
import { countingStore } from "../support/store.ts";

const h = countingStore();
const deps = defaultIngestDeps(h.store);
const cursors = new CursorCodec(process.env.CURSOR_SECRET as string);
const queryDeps = { store: h.store, cursors };

/** Every item in the table whose pk belongs to the tenant (a test-only Scan, never used by the product). */
async function tenantItems(tenant: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await h.db.send(
      new ScanCommand({
        TableName: h.tableName,
        FilterExpression: "begins_with(pk, :p)",
        ExpressionAttributeValues: { ":p": tenantPrefix(tenant) },
        ExclusiveStartKey: start,
      }),
    );
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

describe("ingest and timeline on DynamoDB Local", () => {
  let tenant: string;
  beforeEach(() => {
    tenant = uniqueTenant();
    h.reset();
  });

  it("stores an event and reads it back immediately (read-your-writes), normalized to UTC ms", async () => {
    // Prepare
    const body = aMessage({ id: "e1", occurred_at: "2025-05-23T12:15:30.1239+02:00" });
    // Act
    const result = await ingest(deps, tenant, body);
    const page = await getTimeline(queryDeps, tenant, "conv-1", {});
    // Assert
    expect(result).toMatchObject({ kind: "single", created: true });
    expect(page.events.map((e) => [e.id, e.occurred_at])).toEqual([["e1", "2025-05-23T10:15:30.123Z"]]);
    expect(page.events[0]?.received_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });

  it("answers a replay with the stored event and a changed body with a conflict", async () => {
    const body = aMessage({ id: "e-replay" });
    const first = await ingest(deps, tenant, body);
    const replay = await ingest(deps, tenant, { ...body, occurred_at: 1747995330.123 });
    expect(replay.kind === "single" && replay.created).toBe(false);
    // The replay returns what was stored first, received_at and sequence included.
    expect(replay).toEqual({ ...first, created: false });
    await expect(
      ingest(deps, tenant, { ...body, message: { content: { type: "text", text: "changed" } } }),
    ).rejects.toMatchObject({ status: 409 });
  });

  it("keeps one event per id even when a repeat carries a different occurred_at", async () => {
    await ingest(deps, tenant, aMessage({ id: "same", occurred_at: "2025-01-01T00:00:00Z" }));
    await expect(
      ingest(deps, tenant, aMessage({ id: "same", occurred_at: "2025-06-01T00:00:00Z" })),
    ).rejects.toMatchObject({ status: 409 });
    const events = (await tenantItems(tenant)).filter((i) => i.entity === "event");
    expect(events).toHaveLength(1);
  });

  it("stores exactly one event for 30 concurrent posts of the same event", async () => {
    // Prepare
    const body = aMessage({ id: "racer" });
    // Act
    const results = await Promise.allSettled(Array.from({ length: 30 }, () => ingest(deps, tenant, body)));
    // Assert
    const fulfilled = results.flatMap((r) =>
      r.status === "fulfilled" && r.value.kind === "single" ? [r.value] : [],
    );
    expect(fulfilled).toHaveLength(30);
    expect(fulfilled.filter((r) => r.created)).toHaveLength(1);
    const items = await tenantItems(tenant);
    expect(items.filter((i) => i.entity === "event")).toHaveLength(1);
    expect(items.filter((i) => i.entity === "guard")).toHaveLength(1);
    // Every answer carries the one stored event.
    expect(new Set(fulfilled.map((r) => r.event.sequence)).size).toBe(1);
  });

  it("stores exactly one event for 30 concurrent posts of one id with different occurred_at", async () => {
    const bodies = Array.from({ length: 30 }, (_, i) =>
      aMessage({ id: "racer2", occurred_at: `2025-03-01T00:00:${String(i).padStart(2, "0")}Z` }),
    );
    const results = await Promise.allSettled(bodies.map((b) => ingest(deps, tenant, b)));
    const created = results.filter((r) => r.status === "fulfilled");
    const conflicts = results.filter(
      (r) => r.status === "rejected" && (r.reason as { status?: number }).status === 409,
    );
    expect(created).toHaveLength(1);
    expect(conflicts).toHaveLength(29);
    const items = await tenantItems(tenant);
    expect(items.filter((i) => i.entity === "event")).toHaveLength(1);
  });

  it("writes a batch of 100 in two transactions, not 100 calls", async () => {
    const events = Array.from({ length: 100 }, (_, i) => aMessage({ id: `b-${i}` }));
    h.reset();
    const result = await ingest(deps, tenant, { events });
    expect(result.kind === "batch" && result.results.every((r) => r.status === "created")).toBe(true);
    expect(h.count("TransactWriteItemsCommand")).toBe(2);
    // The two month directories (occurred_at and sequence), at most once each per container.
    expect(h.count("PutItemCommand")).toBeLessThanOrEqual(2);
  });

  it("decides repeats inside one batch by the first occurrence and the stored body", async () => {
    await ingest(deps, tenant, aMessage({ id: "pre" }));
    const result = await ingest(deps, tenant, {
      events: [
        aMessage({ id: "pre" }), // same as stored: duplicate
        aMessage({ id: "pre", message: { content: { type: "text", text: "x" } } }), // conflict
        aMessage({ id: "new" }),
        aMessage({ id: "new" }),
        aMessage({ id: "new", conversation_id: "other" }),
        { type: "nope" },
      ],
    });
    expect(result.kind === "batch" && result.results.map((r) => r.status)).toEqual([
      "duplicate",
      "conflict",
      "created",
      "duplicate",
      "conflict",
      "rejected",
    ]);
    const stored = (await tenantItems(tenant)).filter((i) => i.entity === "event");
    expect(stored.map((i) => i.id).sort()).toEqual(["new", "pre"]);
  });

  it("reads a timeline page with exactly one Query", async () => {
    const events = Array.from({ length: 30 }, (_, i) => aMessage({ id: `q-${String(i).padStart(2, "0")}` }));
    await ingest(deps, tenant, { events });
    h.reset();
    const first = await getTimeline(queryDeps, tenant, "conv-1", { "page[size]": "10" });
    expect(h.count("QueryCommand")).toBe(1);
    h.reset();
    const second = await getTimeline(queryDeps, tenant, "conv-1", {
      "page[size]": "10",
      "page[after]": first.meta.after_cursor ?? "",
    });
    expect(h.count("QueryCommand")).toBe(1);
    expect(second.events.map((e) => e.id)).toEqual(events.slice(10, 20).map((e) => e.id));
    expect(second.meta.has_more).toBe(true);
  });

  it("fills filtered pages with Queries only, never a Scan", async () => {
    const events = Array.from({ length: 60 }, (_, i) =>
      i % 10 === 0
        ? anEvent(
            "ConversationTagged",
            { tags: ["vip"] },
            { id: `f-${String(i).padStart(2, "0")}`, conversation_id: "conv-1" },
          )
        : aMessage({ id: `f-${String(i).padStart(2, "0")}` }),
    );
    await ingest(deps, tenant, { events });
    h.reset();
    const page = await getTimeline(queryDeps, tenant, "conv-1", {
      "filter[type]": "ConversationTagged",
      "page[size]": "4",
    });
    expect(page.events.map((e) => e.id)).toEqual(["f-00", "f-10", "f-20", "f-30"]);
    expect(page.meta.has_more).toBe(true);
    expect(h.count("ScanCommand")).toBe(0);
    expect(h.count("QueryCommand")).toBeGreaterThanOrEqual(1);
  });

  it("leaves no guard without its event and no event without its guard", async () => {
    await ingest(deps, tenant, {
      events: Array.from({ length: 20 }, (_, i) => aMessage({ id: `g-${i}`, conversation_id: `c-${i % 3}` })),
    });
    const items = await tenantItems(tenant);
    const guards = items.filter((i) => i.entity === "guard");
    const events = items.filter((i) => i.entity === "event");
    expect(guards).toHaveLength(20);
    expect(events.map((e) => e.id).sort()).toEqual(
      guards.map((g) => String(g.pk).replace(guardKey(tenant, "").pk, "")).sort(),
    );
  });
});

describe("time-range reads across conversations", () => {
  it("merges shards and month buckets in (occurred_at, id) order, start inclusive, end exclusive", async () => {
    // Prepare: events in three months, several conversations, shared timestamps.
    const tenant = uniqueTenant();
    const times = [
      "2025-01-31T23:59:59.999Z",
      "2025-02-01T00:00:00.000Z",
      "2025-02-15T12:00:00.000Z",
      "2025-04-01T00:00:00.000Z",
    ];
    const events = times.flatMap((t, ti) =>
      Array.from({ length: 6 }, (_, i) =>
        aMessage({ id: `r${ti}-${i}`, occurred_at: t, conversation_id: `c${i % 4}` }),
      ),
    );
    await ingest(deps, tenant, { events });
    const expected = events
      .map((e) => ({ id: String(e.id), at: String(e.occurred_at) }))
      .sort((a, b) => (a.at === b.at ? (a.id < b.id ? -1 : 1) : a.at < b.at ? -1 : 1));
    // Act: walk forward in pages of 5 from 2025-02-01 (inclusive) to 2025-04-01 (exclusive).
    const seen: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await listEvents(queryDeps, tenant, {
        start_time: "2025-02-01T00:00:00Z",
        end_time: "2025-04-01T00:00:00Z",
        "page[size]": "5",
        ...(after ? { "page[after]": after } : {}),
      });
      seen.push(...page.events.map((e) => e.id));
      if (!page.meta.has_more) break;
      after = page.meta.after_cursor ?? undefined;
    }
    // Assert
    expect(seen).toEqual(
      expected
        .filter((e) => e.at >= "2025-02-01T00:00:00.000Z" && e.at < "2025-04-01T00:00:00.000Z")
        .map((e) => e.id),
    );
  });

  it("never shows another tenant's events", async () => {
    const a = uniqueTenant();
    const b = uniqueTenant();
    await ingest(deps, a, aMessage({ id: "secret" }));
    const page = await listEvents(queryDeps, b, { start_time: "0" });
    expect(page.events).toEqual([]);
    await expect(getTimeline(queryDeps, b, "conv-1", {})).rejects.toMatchObject({ status: 404 });
  });
});

describe("bounded filtered reads", () => {
  /** Follows next cursors to the end; returns the ids met and how many requests it took. */
  async function follow(
    read: (
      after?: string,
    ) => Promise<{ events: StoredEvent[]; meta: { has_more: boolean; after_cursor: string | null } }>,
  ) {
    const ids: string[] = [];
    let after: string | undefined;
    for (let requests = 1; requests < 1000; requests++) {
      const page = await read(after);
      ids.push(...page.events.map((e) => e.id));
      if (!page.meta.has_more) return { ids, requests };
      after = page.meta.after_cursor ?? undefined;
    }
    throw new Error("never ended");
  }

  it("answers a rare filter within its read budget, with a cursor that resumes the scan", async () => {
    // Prepare: 300 messages, then 3 tags, in one conversation and across the tenant.
    const tenant = uniqueTenant();
    const t0 = Date.parse("2025-05-23T10:00:00.000Z");
    const messages = Array.from({ length: 300 }, (_, i) =>
      aMessage({ conversation_id: "busy", occurred_at: new Date(t0 + i * 1000).toISOString() }),
    );
    for (let i = 0; i < messages.length; i += 100)
      await ingest(deps, tenant, { events: messages.slice(i, i + 100) });
    const tags = [0, 1, 2].map((i) =>
      anEvent(
        "ConversationTagged",
        { tags: [`t${i}`] },
        { conversation_id: "busy", occurred_at: new Date(t0 + 400_000 + i).toISOString() },
      ),
    );
    await ingest(deps, tenant, { events: tags });
    const filter = { "filter[type]": "ConversationTagged", "page[size]": "2" };
    // Act: page[size]=2 reads at most about 20 events per request.
    const timeline = await follow((after) =>
      getTimeline(queryDeps, tenant, "busy", { ...filter, ...(after ? { "page[after]": after } : {}) }),
    );
    const range = await follow((after) =>
      listEvents(queryDeps, tenant, {
        ...filter,
        start_time: "2025-05-01T00:00:00Z",
        ...(after ? { "page[after]": after } : {}),
      }),
    );
    // Assert: every tag exactly once, in order, over many bounded requests.
    for (const run of [timeline, range]) {
      expect(run.ids).toEqual(tags.map((t) => t.id));
      expect(run.requests).toBeGreaterThanOrEqual(300 / 25);
    }
    // The first request answers at once, with no events but a cursor to go on.
    const first = await getTimeline(queryDeps, tenant, "busy", filter);
    expect(first.events).toEqual([]);
    expect(first.meta.has_more).toBe(true);
    expect(first.cursors.next).toBe(first.meta.after_cursor);
  });
});
