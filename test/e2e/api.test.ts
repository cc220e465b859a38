/**
 * HTTP end to end through the local gateway: authorizer, Lambda-proxy events, handlers,
 * DynamoDB Local. Status codes and bodies as docs/api.md specifies.
 */
import { validate } from "@readme/openapi-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoApiKeyStore } from "#shared/store/dynamo/api-keys.ts";
import { createDocumentClient } from "#shared/store/dynamo/client.ts";
import { aMessage, anEvent, uniqueId } from "../support/factories.ts";
import { type Api, startApi } from "../support/http.ts";

let api: Api;
beforeAll(async () => {
  api = await startApi();
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
  expect(res.json).toMatchObject({
    status,
    type: expect.stringMatching(/^https:\/\//),
    title: expect.any(String),
  });
  expect(String(res.json.detail).length).toBeGreaterThan(10);
}

describe("POST /v1/events", () => {
  it("answers 201 with the stored event, then 200 with the same event on replay, 409 on a changed body", async () => {
    const body = aMessage({ id: uniqueId(), conversation_id: uniqueId("c") });
    const created = await api.call("POST", "/v1/events", { body });
    expect(created.status).toBe(201);
    const event = created.json.event as Record<string, unknown>;
    expect(event).toMatchObject({ id: body.id, occurred_at: "2025-05-23T10:15:30.123Z" });
    expect(event.sequence).toEqual(expect.any(String));

    const replay = await api.call("POST", "/v1/events", { body });
    expect(replay.status).toBe(200);
    expect(replay.json.event).toEqual(event);

    const changed = await api.call("POST", "/v1/events", { body: { ...body, metadata: { x: 1 } } });
    expectProblem(changed, 409);
  });

  it("answers a batch with one result per input, in order, storing the valid ones", async () => {
    const conversation = uniqueId("c");
    const ok = aMessage({ conversation_id: conversation });
    const res = await api.call("POST", "/v1/events", {
      body: { events: [ok, { ...aMessage(), occurred_at: "2025-02-30T00:00:00Z" }, ok] },
    });
    expect(res.status).toBe(200);
    expect(res.json.results).toEqual([
      { index: 0, id: ok.id, status: "created" },
      {
        index: 1,
        id: expect.any(String),
        status: "rejected",
        errors: [{ path: "events[1].occurred_at", message: expect.stringContaining("not a real date") }],
      },
      { index: 2, id: ok.id, status: "duplicate" },
    ]);
    const timeline = await api.call("GET", `/v1/conversations/${conversation}/events`);
    expect((timeline.json.events as unknown[]).length).toBe(1);
  });

  it.each([
    ["not JSON", "{oops", 400],
    ["a JSON array", "[]", 400],
    ["a JSON string", '"hi"', 400],
    ["an empty body", "", 400],
    ["101 events", JSON.stringify({ events: Array.from({ length: 101 }, () => aMessage()) }), 400],
    ["an empty batch", JSON.stringify({ events: [] }), 400],
  ])("rejects %s with a 400 problem", async (_name, rawBody, status) => {
    const res = await api.call("POST", "/v1/events", {
      rawBody,
      headers: { "content-type": "application/json" },
    });
    expectProblem(res, status);
  });

  it("answers hostile nesting with a 400, and in a batch still stores the valid items", async () => {
    // Prepare: 3,000 levels of arrays inside a free-form map (6 KB of JSON).
    const deep = `${"[".repeat(3000)}${"]".repeat(3000)}`;
    const conversation = uniqueId("deep");
    const valid = aMessage({ conversation_id: conversation });
    const hostile = JSON.stringify(aMessage({ conversation_id: conversation })).replace(
      '"channel":{"type":"web"}',
      `"channel":{"type":"web","metadata":{"a":${deep}}}`,
    );
    // Act
    const single = await api.call("POST", "/v1/events", {
      rawBody: hostile,
      headers: { "content-type": "application/json" },
    });
    const batch = await api.call("POST", "/v1/events", {
      rawBody: `{"events":[${JSON.stringify(valid)},${hostile}]}`,
      headers: { "content-type": "application/json" },
    });
    // Assert
    expectProblem(single, 400);
    expect(JSON.stringify(single.json)).toContain("nested more than 32 levels");
    expect(batch.status).toBe(200);
    expect((batch.json.results as { status: string }[]).map((r) => r.status)).toEqual([
      "created",
      "rejected",
    ]);
    const timeline = await api.call("GET", `/v1/conversations/${conversation}/events`);
    expect((timeline.json.events as { id: string }[]).map((e) => e.id)).toEqual([valid.id]);
  });

  it("rejects a __proto__ key instead of dropping it silently", async () => {
    const raw = JSON.stringify(aMessage()).replace(
      '"channel":{',
      '"metadata":{"__proto__":"z","k":"v"},"channel":{',
    );
    const res = await api.call("POST", "/v1/events", {
      rawBody: raw,
      headers: { "content-type": "application/json" },
    });
    expectProblem(res, 400);
    expect(res.json.errors).toEqual([
      { path: "metadata.__proto__", message: expect.stringContaining("__proto__") },
    ]);
  });

  it("rejects an invalid single event with field errors", async () => {
    const res = await api.call("POST", "/v1/events", {
      body: { ...aMessage(), channel: { type: "pigeon" }, received_at: "2025-01-01T00:00:00Z" },
    });
    expectProblem(res, 400);
    expect(res.json.errors).toEqual([
      { path: "received_at", message: "is set by the log and must not be sent" },
    ]);
  });

  it("rejects a body over 1 MB with 413 and a non-JSON content type with 415", async () => {
    const big = JSON.stringify({
      events: [aMessage({ metadata: { pad: "x".repeat(10) } })],
      pad: "y".repeat(1_100_000),
    });
    expectProblem(
      await api.call("POST", "/v1/events", { rawBody: big, headers: { "content-type": "application/json" } }),
      413,
    );
    expectProblem(
      await api.call("POST", "/v1/events", {
        rawBody: "a=b",
        headers: { "content-type": "application/x-www-form-urlencoded" },
      }),
      415,
    );
  });

  it("rejects an event over 64 KB, naming the limit", async () => {
    const res = await api.call("POST", "/v1/events", {
      body: aMessage({
        message: { content: { type: "text", text: "x".repeat(30_000) } },
        recipients: [],
        metadata: { a: "b".repeat(2000) },
        channel: { type: "web", metadata: { big: "z".repeat(40_000) } },
      }),
    });
    expectProblem(res, 400);
    expect(JSON.stringify(res.json)).toContain("64 KB");
  });
});

describe("authentication, scopes and tenancy", () => {
  it("answers 401 without a key or with an unknown key, 403 without the scope", async () => {
    expectProblem(await api.call("GET", "/v1/events?start_time=0", { key: null }), 401);
    expectProblem(
      await api.call("GET", "/v1/events?start_time=0", { key: "clk_unknown_key_0123456789" }),
      401,
    );
    expectProblem(await api.call("POST", "/v1/events", { key: api.keys.aReadOnly, body: aMessage() }), 403);
    expectProblem(await api.call("GET", "/v1/events?start_time=0", { key: api.keys.aWriteOnly }), 403);
  });

  it("stops accepting a key once it is revoked, and stores only its hash", async () => {
    const keys = new DynamoApiKeyStore(createDocumentClient(), api.stack.tableName);
    const { key, record } = await keys.create({ tenant: api.tenantA, scopes: ["events:read"] });
    expect((await api.call("GET", "/v1/events?start_time=0", { key })).status).toBe(200);
    expect(await keys.list(api.tenantA)).toContainEqual(
      expect.objectContaining({ key_id: record.key_id, revoked: false }),
    );
    expect(JSON.stringify(await keys.list(api.tenantA))).not.toContain(key);
    expect(await keys.revoke(api.tenantA, record.key_id)).toBe(true);
    expect(await keys.revoke(api.tenantB, record.key_id)).toBe(false);
    expectProblem(await api.call("GET", "/v1/events?start_time=0", { key }), 401);
  });

  it("serves public routes without a key", async () => {
    const health = await api.call("GET", "/v1/health", { key: null });
    expect(health.status).toBe(200);
    expect(health.json).toEqual({ status: "ok" });
  });

  it("hides another tenant's conversation as 404 and never lets a body choose the tenant", async () => {
    const conversation = uniqueId("c");
    await api.call("POST", "/v1/events", { body: aMessage({ conversation_id: conversation }) });
    expectProblem(
      await api.call("GET", `/v1/conversations/${conversation}/events`, { key: api.keys.b }),
      404,
    );
    // A tenant field in the body is an unknown field, not a tenant selector.
    expectProblem(
      await api.call("POST", "/v1/events", { key: api.keys.b, body: { ...aMessage(), tenant: api.tenantA } }),
      400,
    );
  });

  it("keeps ids per tenant: the same id in two tenants is two events", async () => {
    const id = uniqueId();
    const a = await api.call("POST", "/v1/events", { body: aMessage({ id }) });
    const b = await api.call("POST", "/v1/events", {
      key: api.keys.b,
      body: aMessage({ id, metadata: { other: true } }),
    });
    expect([a.status, b.status]).toEqual([201, 201]);
  });

  it("rejects a cursor replayed by another tenant, on another conversation, or with other filters", async () => {
    const conversation = uniqueId("c");
    const other = uniqueId("c");
    await api.call("POST", "/v1/events", {
      body: {
        events: [
          aMessage({ conversation_id: conversation }),
          aMessage({ conversation_id: conversation }),
          aMessage({ conversation_id: other }),
        ],
      },
    });
    await api.call("POST", "/v1/events", {
      key: api.keys.b,
      body: aMessage({ conversation_id: conversation }),
    });
    const first = await api.call("GET", `/v1/conversations/${conversation}/events?page[size]=1`);
    const cursor = String((first.json.meta as Record<string, unknown>).after_cursor);
    const q = `page[after]=${encodeURIComponent(cursor)}`;
    expect((await api.call("GET", `/v1/conversations/${conversation}/events?${q}`)).status).toBe(200);
    expectProblem(
      await api.call("GET", `/v1/conversations/${conversation}/events?${q}`, { key: api.keys.b }),
      400,
    );
    expectProblem(await api.call("GET", `/v1/conversations/${other}/events?${q}`), 400);
    expectProblem(
      await api.call("GET", `/v1/conversations/${conversation}/events?${q}&filter[type]=MessageReceived`),
      400,
    );
    expectProblem(
      await api.call("GET", `/v1/conversations/${conversation}/events?${q}&sort=-occurred_at`),
      400,
    );
    // page[size] may change between pages.
    expect((await api.call("GET", `/v1/conversations/${conversation}/events?${q}&page[size]=5`)).status).toBe(
      200,
    );
  });
});

describe("reads", () => {
  it("pages a timeline forward and back with links, in the requested sort order", async () => {
    const conversation = uniqueId("c");
    const events = Array.from({ length: 7 }, (_, i) =>
      aMessage({
        id: `p-${i}`,
        conversation_id: conversation,
        occurred_at: `2025-05-0${1 + (i % 3)}T00:00:00Z`,
      }),
    );
    await api.call("POST", "/v1/events", { body: { events } });
    const order = events
      .map((e) => ({ id: String(e.id), at: String(e.occurred_at) }))
      .sort((x, y) => (x.at === y.at ? (x.id < y.id ? -1 : 1) : x.at < y.at ? -1 : 1))
      .map((e) => e.id);

    const p1 = await api.call(
      "GET",
      `/v1/conversations/${conversation}/events?page[size]=3&sort=-occurred_at`,
    );
    expect((p1.json.events as { id: string }[]).map((e) => e.id)).toEqual(
      order.slice().reverse().slice(0, 3),
    );
    const links1 = p1.json.links as { next: string; prev: string | null };
    expect(links1.prev).toBeNull();
    const p2 = await api.call("GET", new URL(links1.next).pathname + new URL(links1.next).search);
    expect((p2.json.events as { id: string }[]).map((e) => e.id)).toEqual(
      order.slice().reverse().slice(3, 6),
    );
    const links2 = p2.json.links as { next: string; prev: string };
    const back = await api.call("GET", new URL(links2.prev).pathname + new URL(links2.prev).search);
    expect((back.json.events as { id: string }[]).map((e) => e.id)).toEqual(
      order.slice().reverse().slice(0, 3),
    );
    expect((back.json.meta as { has_more: boolean }).has_more).toBe(false);
  });

  it("filters by type, channel and author type, and by time range", async () => {
    const conversation = uniqueId("c");
    await api.call("POST", "/v1/events", {
      body: {
        events: [
          aMessage({ conversation_id: conversation, occurred_at: "2025-05-01T00:00:00Z" }),
          aMessage({
            conversation_id: conversation,
            occurred_at: "2025-05-02T00:00:00Z",
            channel: { type: "whatsapp" },
          }),
          anEvent(
            "ConversationClosed",
            {},
            { conversation_id: conversation, occurred_at: "2025-05-03T00:00:00Z" },
          ),
          aMessage({
            conversation_id: conversation,
            type: "MessageSent",
            author: { type: "agent", id: "ag" },
            occurred_at: "2025-05-04T00:00:00Z",
          }),
        ],
      },
    });
    const ids = async (q: string) =>
      (
        (await api.call("GET", `/v1/conversations/${conversation}/events?${q}`)).json.events as {
          type: string;
          occurred_at: string;
        }[]
      ).map((e) => `${e.type}@${e.occurred_at.slice(8, 10)}`);
    expect(await ids("filter[type]=ConversationClosed,MessageSent")).toEqual([
      "ConversationClosed@03",
      "MessageSent@04",
    ]);
    expect(await ids("filter[channel]=whatsapp")).toEqual(["MessageReceived@02"]);
    expect(await ids("filter[author_type]=agent")).toEqual(["MessageSent@04"]);
    expect(await ids("start_time=2025-05-02T00:00:00Z&end_time=1746316800")).toEqual([
      "MessageReceived@02",
      "ConversationClosed@03",
    ]);
  });

  it("rejects bad query parameters with reasons", async () => {
    const cases = [
      "page[size]=0",
      "page[size]=1001",
      "page[size]=ten",
      "sort=newest",
      "filter[type]=Nope",
      "start_time=2025-13-01T00:00:00Z",
      "start_time=2025-05-02T00:00:00Z&end_time=2025-05-01T00:00:00Z",
      "page[after]=x&page[before]=y",
      "pagesize=10",
      "page[after]=garbage",
    ];
    for (const q of cases) {
      const res = await api.call("GET", `/v1/events?start_time=0&${q}`);
      expectProblem(res, 400);
    }
    expectProblem(await api.call("GET", "/v1/events"), 400);
  });

  it("answers malformed percent-encoding with a 400, and ignores a client's X-Forwarded-Proto in links", async () => {
    expectProblem(await api.call("GET", "/v1/conversations/%E0%A4%A/events"), 400);
    const conversation = uniqueId("c");
    await api.call("POST", "/v1/events", {
      body: {
        events: [aMessage({ conversation_id: conversation }), aMessage({ conversation_id: conversation })],
      },
    });
    const res = await api.call("GET", `/v1/conversations/${conversation}/events?page[size]=1`, {
      headers: { "x-forwarded-proto": "https://evil.example/steal?" },
    });
    expect(res.status).toBe(200);
    expect(String((res.json.links as { next: string }).next)).toMatch(
      /^http:\/\/127\.0\.0\.1:\d+\/v1\/conversations\//,
    );
  });

  it("answers unknown routes 404 and wrong methods 405, as problems", async () => {
    expectProblem(await api.call("GET", "/v1/nope"), 404);
    expectProblem(await api.call("DELETE", "/v1/events"), 405);
  });
});

describe("OpenAPI", () => {
  it("serves a valid OpenAPI 3.1 document generated from the schemas", async () => {
    const res = await api.call("GET", "/v1/openapi.json", { key: null });
    expect(res.status).toBe(200);
    expect(res.json.openapi).toBe("3.1.0");
    const result = await validate(structuredClone(res.json) as never);
    expect(result).toMatchObject({ valid: true });
    const paths = res.json.paths as Record<string, unknown>;
    expect(Object.keys(paths).sort()).toEqual(
      [
        "/docs",
        "/v1/channels",
        "/v1/channels/sunco/{webhook_id}",
        "/v1/channels/whatsapp/{webhook_id}",
        "/v1/channels/{channel_id}",
        "/v1/channels/{channel_id}/rejections",
        "/v1/conversations",
        "/v1/conversations/{conversation_id}",
        "/v1/conversations/{conversation_id}/close",
        "/v1/conversations/{conversation_id}/events",
        "/v1/conversations/{conversation_id}/reopen",
        "/v1/conversations/{conversation_id}/tags",
        "/v1/conversations/{conversation_id}/tags/{tag}",
        "/v1/events",
        "/v1/export/events",
        "/v1/health",
        "/v1/openapi.json",
        "/v1/triggers",
        "/v1/triggers/{trigger_id}",
        "/v1/triggers/{trigger_id}/runs",
      ].sort(),
    );
    const schemas = (res.json.components as { schemas: Record<string, unknown> }).schemas;
    expect(JSON.stringify(schemas.EventInput)).toContain("ConversationTransferred");
  });

  it("renders a reference page with every operation", async () => {
    const res = await api.call("GET", "/docs", { key: null });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    for (const op of [
      "postEvents",
      "listEvents",
      "getConversationEvents",
      "getConversation",
      "listConversations",
      "tagConversation",
      "untagConversation",
      "closeConversation",
      "reopenConversation",
      "createTrigger",
      "listTriggers",
      "getTrigger",
      "replaceTrigger",
      "deleteTrigger",
    ])
      expect(res.text).toContain(`id="op-${op}"`);
  });
});
