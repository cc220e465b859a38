/**
 * Conversation state reads and commands end to end through the local gateway. The local
 * gateway does not run bus targets, so tests project stored events with the projector use
 * case where they need the stored state.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StoredEvent } from "#shared/events/schema.ts";
import { createDocumentClient } from "#shared/store/dynamo/client.ts";
import { DynamoConversationStateStore } from "#shared/store/dynamo/conversation-states.ts";
import { projectEvent } from "#shared/usecases/project-state.ts";
import { aMessage, uniqueId } from "../support/factories.ts";
import { type Api, startApi } from "../support/http.ts";

let api: Api;
let project: (tenant: string, conversationId: string) => Promise<void>;
beforeAll(async () => {
  api = await startApi();
  const states = new DynamoConversationStateStore(createDocumentClient(), api.stack.tableName);
  // What the bus would do: project every stored event of the conversation.
  project = async (tenant, conversationId) => {
    for await (const events of states.eventsAfter(tenant, conversationId)) {
      for (const e of events) await projectEvent({ states, now: Date.now }, tenant, e);
    }
  };
});
afterAll(async () => {
  await api.stack.stop();
});

function expectProblem(
  res: { status: number; headers: Headers; json: Record<string, unknown> },
  status: number,
) {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  expect(res.json).toMatchObject({ status, detail: expect.any(String) });
}

async function newConversation(key = api.keys.a): Promise<string> {
  const c = uniqueId("c");
  const res = await api.call("POST", "/v1/events", { key, body: aMessage({ conversation_id: c }) });
  expect(res.status).toBe(201);
  return c;
}

async function timeline(c: string): Promise<StoredEvent[]> {
  const res = await api.call("GET", `/v1/conversations/${c}/events?page[size]=1000`);
  return res.json.events as StoredEvent[];
}

describe("commands", () => {
  it("append the matching events, authored by the log through the API channel at acceptance time", async () => {
    const c = await newConversation();
    const before = new Date().toISOString();
    const tag = await api.call("POST", `/v1/conversations/${c}/tags`, { body: { tags: ["vip", "billing"] } });
    expect(tag.status).toBe(201);
    expect(tag.json.event).toMatchObject({
      type: "ConversationTagged",
      conversation_id: c,
      author: { type: "system" },
      channel: { type: "api" },
      data: { tags: ["vip", "billing"] },
    });
    const occurred = (tag.json.event as StoredEvent).occurred_at;
    expect(occurred >= before && occurred <= new Date().toISOString()).toBe(true);

    const untag = await api.call("DELETE", `/v1/conversations/${c}/tags/billing`);
    expect(untag.json.event).toMatchObject({ type: "ConversationUntagged", data: { tags: ["billing"] } });
    const close = await api.call("POST", `/v1/conversations/${c}/close`, {
      body: { reason: "solved", author: { type: "agent", id: "a7" } },
    });
    expect(close.status).toBe(201);
    expect(close.json.event).toMatchObject({
      type: "ConversationClosed",
      author: { type: "agent", id: "a7" },
      data: { reason: "solved" },
    });
    expect((await timeline(c)).map((e) => e.type)).toEqual([
      "MessageReceived",
      "ConversationTagged",
      "ConversationUntagged",
      "ConversationClosed",
    ]);

    await project(api.tenantA, c);
    const state = await api.call("GET", `/v1/conversations/${c}`);
    expect(state.status).toBe(200);
    const [first] = await timeline(c);
    const closedAt = (close.json.event as StoredEvent).occurred_at;
    expect(state.json.conversation).toMatchObject({
      conversation_id: c,
      status: "closed",
      tags: ["vip"],
      channel: { type: "web" },
      event_count: 4,
      closed_at: closedAt,
      metrics: {
        first_customer_message_at: first?.occurred_at,
        first_response_ms: null,
        resolution_ms: Date.parse(closedAt) - Date.parse(first?.occurred_at ?? ""),
      },
    });
    const reopen = await api.call("POST", `/v1/conversations/${c}/reopen`);
    expect(reopen.status).toBe(201);
    await project(api.tenantA, c);
    const reopened = await api.call("GET", `/v1/conversations/${c}`);
    expect(reopened.json.conversation).toMatchObject({
      status: "open",
      closed_at: null,
      event_count: 5,
      metrics: { resolution_ms: null },
    });
  });

  it("answer 404 for a conversation without events (or another tenant's), 400 for bad input, 403 without the scope", async () => {
    const c = await newConversation();
    expectProblem(await api.call("POST", `/v1/conversations/${uniqueId("none")}/close`), 404);
    expectProblem(await api.call("POST", `/v1/conversations/${c}/close`, { key: api.keys.b }), 404);
    expectProblem(await api.call("POST", `/v1/conversations/${c}/tags`, { body: { tags: [] } }), 400);
    expectProblem(
      await api.call("POST", `/v1/conversations/${c}/tags`, { body: { tags: ["x"], extra: 1 } }),
      400,
    );
    expectProblem(await api.call("POST", `/v1/conversations/${c}/tags`), 400);
    expectProblem(
      await api.call("POST", `/v1/conversations/${c}/close`, { body: { author: { type: "robot" } } }),
      400,
    );
    expectProblem(
      await api.call("POST", `/v1/conversations/${c}/close`, { headers: { "idempotency-key": "has space" } }),
      400,
    );
    expectProblem(await api.call("POST", `/v1/conversations/${c}/close`, { key: api.keys.aReadOnly }), 403);
    expect(await timeline(c)).toHaveLength(1);
  });
});

describe("Idempotency-Key", () => {
  it("makes a retry append nothing and answer exactly like the first call", async () => {
    const c = await newConversation();
    const key = uniqueId("idem");
    const call = () =>
      api.call("POST", `/v1/conversations/${c}/tags`, {
        body: { tags: ["vip"] },
        headers: { "idempotency-key": key },
      });
    const first = await call();
    const retry = await call();
    expect(first.status).toBe(201);
    expect(retry.status).toBe(first.status);
    expect(retry.text).toBe(first.text);
    expect(await timeline(c)).toHaveLength(2);
    // Key order of the body does not make it another request.
    const reordered = await api.call("POST", `/v1/conversations/${c}/tags`, {
      rawBody: '{ "tags" : ["vip"] }',
      headers: { "idempotency-key": key, "content-type": "application/json" },
    });
    expect(reordered.text).toBe(first.text);
  });

  it("answers 422 for the same key with another body, path or command", async () => {
    const c = await newConversation();
    const other = await newConversation();
    const headers = { "idempotency-key": uniqueId("idem") };
    expect(
      (await api.call("POST", `/v1/conversations/${c}/tags`, { body: { tags: ["a"] }, headers })).status,
    ).toBe(201);
    expectProblem(
      await api.call("POST", `/v1/conversations/${c}/tags`, { body: { tags: ["b"] }, headers }),
      422,
    );
    expectProblem(
      await api.call("POST", `/v1/conversations/${other}/tags`, { body: { tags: ["a"] }, headers }),
      422,
    );
    expectProblem(await api.call("POST", `/v1/conversations/${c}/close`, { headers }), 422);
    expect(await timeline(c)).toHaveLength(2);
    expect(await timeline(other)).toHaveLength(1);
  });

  it("appends at most once for concurrent retries, which all answer the same", async () => {
    const c = await newConversation();
    const headers = { "idempotency-key": uniqueId("idem") };
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        api.call("POST", `/v1/conversations/${c}/close`, { body: { reason: "dup" }, headers }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(201));
    expect(new Set(results.map((r) => r.text)).size).toBe(1);
    expect((await timeline(c)).filter((e) => e.type === "ConversationClosed")).toHaveLength(1);
  });

  it("is scoped to the tenant", async () => {
    const a = await newConversation();
    const b = await newConversation(api.keys.b);
    const headers = { "idempotency-key": uniqueId("idem") };
    const ra = await api.call("POST", `/v1/conversations/${a}/reopen`, { headers });
    const rb = await api.call("POST", `/v1/conversations/${b}/reopen`, { key: api.keys.b, headers });
    expect([ra.status, rb.status]).toEqual([201, 201]);
    expect((rb.json.event as StoredEvent).conversation_id).toBe(b);
  });
});

describe("conversation reads", () => {
  it("GET /v1/conversations/{id}: the state, 404 without events or in another tenant", async () => {
    const c = await newConversation();
    const res = await api.call("GET", `/v1/conversations/${c}`);
    expect(res.status).toBe(200);
    expect(res.json.conversation).toMatchObject({
      conversation_id: c,
      status: "open",
      message_counts: { customer: 1, agent: 0, bot: 0, system: 0 },
      participants: [{ type: "customer", id: "cust-1" }],
      first_response_at: null,
      metrics: {
        first_customer_message_at: "2025-05-23T10:15:30.123Z",
        first_response_ms: null,
        resolution_ms: null,
      },
    });
    expectProblem(await api.call("GET", `/v1/conversations/${c}`, { key: api.keys.b }), 404);
    expectProblem(await api.call("GET", `/v1/conversations/${uniqueId("none")}`), 404);
    expectProblem(await api.call("GET", `/v1/conversations/${c}`, { key: api.keys.aWriteOnly }), 403);
  });

  it("GET /v1/conversations: filters by status, pages with links, and binds cursors to tenant and query", async () => {
    const start = new Date().toISOString();
    const ids = [await newConversation(), await newConversation(), await newConversation()];
    for (const c of ids) await project(api.tenantA, c);
    await api.call("POST", `/v1/conversations/${ids[1]}/close`);
    await project(api.tenantA, ids[1] as string);

    const seen: string[] = [];
    let path: string | null = `/v1/conversations?updated_since=${encodeURIComponent(start)}&page[size]=1`;
    while (path) {
      const res = await api.call("GET", path);
      expect(res.status).toBe(200);
      seen.push(...(res.json.conversations as { conversation_id: string }[]).map((x) => x.conversation_id));
      const next = (res.json.links as { next: string | null }).next;
      path = next ? new URL(next).pathname + new URL(next).search : null;
    }
    expect(seen.filter((c) => ids.includes(c))).toHaveLength(3);
    expect(new Set(seen).size).toBe(seen.length);

    const closed = await api.call(
      "GET",
      `/v1/conversations?filter[status]=closed&updated_since=${encodeURIComponent(start)}`,
    );
    expect(
      (closed.json.conversations as { conversation_id: string }[]).map((x) => x.conversation_id),
    ).toContain(ids[1]);
    expect((closed.json.conversations as { status: string }[]).every((x) => x.status === "closed")).toBe(
      true,
    );

    const first = await api.call("GET", "/v1/conversations?page[size]=1");
    const cursor = encodeURIComponent(String((first.json.meta as { after_cursor: string }).after_cursor));
    expect((await api.call("GET", `/v1/conversations?page[after]=${cursor}`)).status).toBe(200);
    expectProblem(await api.call("GET", `/v1/conversations?page[after]=${cursor}`, { key: api.keys.b }), 400);
    expectProblem(await api.call("GET", `/v1/conversations?page[after]=${cursor}&filter[status]=open`), 400);
    expectProblem(await api.call("GET", "/v1/conversations?page[size]=0"), 400);
    expectProblem(await api.call("GET", "/v1/conversations?updated_since=yesterday"), 400);
    expectProblem(await api.call("GET", "/v1/conversations?sort=-updated_at"), 400);
    // Another tenant sees none of these.
    const b = await api.call("GET", "/v1/conversations", { key: api.keys.b });
    expect(
      (b.json.conversations as { conversation_id: string }[]).some((x) => ids.includes(x.conversation_id)),
    ).toBe(false);
  });
});
