/**
 * The conversation-state projector, the conversation reads and the Idempotency-Key store
 * against the real DynamoDB Local.
 */
import type { Context, EventBridgeEvent } from "aws-lambda";
import { beforeEach, describe, expect, it } from "vitest";
import { handler as stateHandler } from "#functions/state.ts";
import { BUS_CONTRACT_VERSION, BUS_SOURCE } from "#shared/bus/contract.ts";
import { CursorCodec } from "#shared/cursor.ts";
import type { StoredEvent } from "#shared/events/schema.ts";
import { DynamoConversationStateStore } from "#shared/store/dynamo/conversation-states.ts";
import { DynamoIdempotencyStore } from "#shared/store/dynamo/idempotency.ts";
import { foldEvents } from "#shared/usecases/conversation-state.ts";
import { defaultIngestDeps, ingest } from "#shared/usecases/ingest.ts";
import { projectEvent } from "#shared/usecases/project-state.ts";
import { getConversation } from "#shared/usecases/query.ts";
import { aMessage, anEvent, uniqueId, uniqueTenant } from "../support/factories.ts";
import { getTimeline, listConversations } from "../support/routes.ts";
import { countingStore } from "../support/store.ts";

const h = countingStore();
const states = new DynamoConversationStateStore(h.db, h.tableName);
const ingestDeps = defaultIngestDeps(h.store);
const projector = { states, now: Date.now };
const queryDeps = { store: h.store, states, cursors: new CursorCodec(process.env.CURSOR_SECRET as string) };

let tenant: string;
beforeEach(() => {
  tenant = uniqueTenant();
});

/** Stores events (in the given order) and returns them as stored. */
async function store(events: Record<string, unknown>[]): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  for (const body of events) {
    const result = await ingest(ingestDeps, tenant, body);
    if (result.kind !== "single") throw new Error("expected a single event");
    out.push(result.event);
  }
  return out;
}

/** The state folded from the whole stored timeline, in one pass. */
async function expectedState(conversationId: string) {
  const page = await getTimeline(queryDeps, tenant, conversationId, { "page[size]": "1000" });
  return foldEvents(undefined, page.events);
}

const at = (s: number) => `2025-05-23T10:00:${String(s).padStart(2, "0")}.000Z`;

function conversation(c: string) {
  return [
    anEvent("ConversationOpened", {}, { conversation_id: c, occurred_at: at(0) }),
    aMessage({ conversation_id: c, occurred_at: at(1) }),
    aMessage({
      conversation_id: c,
      occurred_at: at(2),
      type: "MessageSent",
      author: { type: "agent", id: "a1" },
    }),
    anEvent("ConversationTagged", { tags: ["vip"] }, { conversation_id: c, occurred_at: at(3) }),
    anEvent("ConversationClosed", {}, { conversation_id: c, occurred_at: at(4) }),
  ];
}

describe("conversation-state projector on DynamoDB Local", () => {
  it("ends in the sorted fold when events are projected in reverse order", async () => {
    const c = uniqueId("c");
    const events = await store(conversation(c));
    for (const e of [...events].reverse()) await projectEvent(projector, tenant, e);
    const stored = await states.getState(tenant, c);
    expect(stored?.state).toEqual(await expectedState(c));
    expect(stored?.state).toMatchObject({
      status: "closed",
      tags: ["vip"],
      event_count: 5,
      first_response_at: at(2),
      metrics: {
        first_customer_message_at: at(1),
        first_response_ms: 1000, // customer at :01, agent at :02
        resolution_ms: 4000, // opened at :00, closed at :04
      },
    });
  });

  it("refolds on a late arrival and counts it once", async () => {
    const c = uniqueId("c");
    for (const e of await store(conversation(c).slice(1))) await projectEvent(projector, tenant, e);
    const before = await states.getState(tenant, c);
    expect(before?.state.event_count).toBe(4);
    // An event older than everything projected so far arrives now.
    const [late] = await store([
      anEvent("ConversationOpened", {}, { conversation_id: c, occurred_at: "2025-05-23T09:00:00.000Z" }),
    ]);
    expect(await projectEvent(projector, tenant, late as StoredEvent)).toBe("refolded");
    const after = await states.getState(tenant, c);
    expect(after?.state).toEqual(await expectedState(c));
    expect(after?.state).toMatchObject({
      event_count: 5,
      first_event_at: "2025-05-23T09:00:00.000Z",
      // The refold measures resolution from the new first event: 09:00:00 → 10:00:04.
      metrics: { resolution_ms: 3_604_000 },
    });
    expect((after?.updatedAt ?? "") > (before?.updatedAt ?? "")).toBe(true);
  });

  it("writes nothing for a re-delivered event, and a replayed post stores nothing to count", async () => {
    const c = uniqueId("c");
    const bodies = conversation(c);
    const events = await store(bodies);
    for (const e of events) await projectEvent(projector, tenant, e);
    const before = await states.getState(tenant, c);
    h.reset();
    for (const e of events) expect(await projectEvent(projector, tenant, e)).toBe("covered");
    // A client re-posting an event is a duplicate: the timeline keeps one, the state counts one.
    await store([bodies[1] as Record<string, unknown>]);
    expect(await projectEvent(projector, tenant, events[1] as StoredEvent)).toBe("covered");
    expect(h.count("PutItemCommand")).toBe(0);
    expect(await states.getState(tenant, c)).toEqual(before);
  });

  it("ends in the correct state when every event of a conversation is projected concurrently", async () => {
    const c = uniqueId("c");
    const bodies = Array.from({ length: 24 }, (_, i) =>
      i % 6 === 5
        ? anEvent("ConversationTagged", { tags: [`t${i}`] }, { conversation_id: c, occurred_at: at(i % 7) })
        : aMessage({ conversation_id: c, occurred_at: at(i % 7) }),
    );
    const events = await store(bodies);
    // Each event delivered twice, all at once.
    await Promise.all([...events, ...events].map((e) => projectEvent(projector, tenant, e)));
    const stored = await states.getState(tenant, c);
    expect(stored?.state).toEqual(await expectedState(c));
    expect(stored?.state.event_count).toBe(24);
  });

  it("runs as a bus target: the handler takes one EventBridge event", async () => {
    const c = uniqueId("c");
    const [event] = await store([aMessage({ conversation_id: c })]);
    const busEvent = {
      version: "0",
      id: uniqueId("bus"),
      "detail-type": "MessageReceived",
      source: BUS_SOURCE,
      account: "000000000000",
      time: new Date().toISOString(),
      region: "local",
      resources: [],
      detail: { version: BUS_CONTRACT_VERSION, tenant_id: tenant, event },
    } satisfies EventBridgeEvent<string, unknown>;
    const result = await stateHandler(busEvent, {} as Context);
    expect(result).toEqual({ outcome: "refolded" });
    expect((await states.getState(tenant, c))?.state).toMatchObject({
      event_count: 1,
      message_counts: { customer: 1 },
      metrics: {
        first_customer_message_at: event?.occurred_at,
        first_response_ms: null,
        resolution_ms: null,
      },
    });
    await expect(stateHandler({ ...busEvent, detail: { version: 2 } }, {} as Context)).rejects.toThrow();
  });
});

describe("conversation reads on DynamoDB Local", () => {
  it("folds on read before the first projection, and 404s without events", async () => {
    const c = uniqueId("c");
    const events = await store(conversation(c));
    const unprojected = await getConversation(queryDeps, tenant, c);
    expect(unprojected).toMatchObject({ conversation_id: c, status: "closed", event_count: 5 });
    expect(unprojected.updated_at).toBe(
      events
        .map((e) => e.received_at)
        .sort()
        .at(-1),
    );
    await expect(getConversation(queryDeps, tenant, uniqueId("none"))).rejects.toMatchObject({ status: 404 });
    await expect(getConversation(queryDeps, uniqueTenant(), c)).rejects.toMatchObject({ status: 404 });
  });

  it("lists by status and updated_since, paging with cursors that never skip or repeat", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 9; i++) {
      const c = `c${i}-${uniqueId()}`;
      ids.push(c);
      const bodies = i % 3 === 0 ? conversation(c) : conversation(c).slice(0, 2);
      for (const e of await store(bodies)) await projectEvent(projector, tenant, e);
    }
    const collect = async (params: Record<string, string>) => {
      const seen: string[] = [];
      let after: string | undefined;
      for (let guard = 0; guard < 20; guard++) {
        const page = await listConversations(queryDeps, tenant, {
          ...params,
          "page[size]": "2",
          ...(after ? { "page[after]": after } : {}),
        });
        seen.push(...page.conversations.map((x) => x.conversation_id));
        if (!page.cursors.next) return { seen, last: page };
        after = page.cursors.next;
      }
      throw new Error("did not finish");
    };
    const all = await collect({});
    expect(all.seen).toHaveLength(9);
    expect(new Set(all.seen)).toEqual(new Set(ids));
    const closed = await collect({ "filter[status]": "closed" });
    expect(closed.seen.sort()).toEqual(ids.filter((_, i) => i % 3 === 0).sort());
    const open = await collect({ "filter[status]": "open" });
    expect(open.seen).toHaveLength(6);

    // Ordered by (updated_at, conversation_id); updated_since is inclusive.
    const page = await listConversations(queryDeps, tenant, { "page[size]": "1000" });
    const keys = page.conversations.map((x) => `${x.updated_at}#${x.conversation_id}`);
    expect(keys).toEqual([...keys].sort());
    const pivot = page.conversations[4];
    const since = await listConversations(queryDeps, tenant, { updated_since: pivot?.updated_at ?? "" });
    expect(since.conversations.map((x) => x.conversation_id)).toEqual(
      page.conversations
        .filter((x) => x.updated_at >= (pivot?.updated_at ?? ""))
        .map((x) => x.conversation_id),
    );

    // A cursor is bound to its tenant and query.
    const first = await listConversations(queryDeps, tenant, { "page[size]": "1" });
    const cursor = first.meta.after_cursor as string;
    await expect(
      listConversations(queryDeps, uniqueTenant(), { "page[after]": cursor }),
    ).rejects.toMatchObject({ status: 400 });
    await expect(
      listConversations(queryDeps, tenant, { "page[after]": cursor, "filter[status]": "open" }),
    ).rejects.toMatchObject({ status: 400 });
    await expect(listConversations(queryDeps, tenant, { "filter[status]": "pending" })).rejects.toMatchObject(
      {
        status: 400,
      },
    );
  });
});

describe("Idempotency-Key store on DynamoDB Local", () => {
  const record = (fp: string) => ({ fingerprint: fp, acceptedAt: at(0), eventId: `cmd:${fp}` });

  it("lets exactly one of many concurrent reservations win, and returns the winner's record to the rest", async () => {
    const keys = new DynamoIdempotencyStore(h.db, h.tableName);
    const key = uniqueId("key");
    const expires = Math.floor(Date.now() / 1000) + 3600;
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => keys.reserve(tenant, key, record(`fp${i}`), expires)),
    );
    const winners = results.flatMap((r, i) => (r.reserved ? [i] : []));
    expect(winners).toHaveLength(1);
    const winner = record(`fp${winners[0]}`);
    for (const r of results) if (!r.reserved) expect(r.existing).toEqual(winner);
    // Scoped to the tenant: another tenant's identical key is its own.
    expect(await keys.reserve(uniqueTenant(), key, record("other"), expires)).toEqual({ reserved: true });
  });

  it("treats an expired record as absent, even before TTL deletes it", async () => {
    const key = uniqueId("key");
    const now = Math.floor(Date.now() / 1000);
    const keys = new DynamoIdempotencyStore(h.db, h.tableName, () => now);
    expect(await keys.reserve(tenant, key, record("old"), now - 1)).toEqual({ reserved: true });
    expect(await keys.reserve(tenant, key, record("new"), now + 60)).toEqual({ reserved: true });
    expect(await keys.reserve(tenant, key, record("newer"), now + 60)).toEqual({
      reserved: false,
      existing: record("new"),
    });
  });
});
