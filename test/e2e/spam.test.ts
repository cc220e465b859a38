/**
 * The automation story end to end on the local runtime (npm start's stack): a customer's
 * classifier tags a conversation as spam through the API; the tenant's trigger closes it,
 * in real time, through the stream, the publisher, the bus and the trigger engine. Then the
 * same with the bus and a target failing for a while: nothing is lost, nothing is doubled.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { LocalStack } from "#infra/local/stack.ts";
import { startLocalStack } from "#infra/local/stack.ts";
import { BusDetailSchema } from "#shared/bus/contract.ts";
import { aMessage, anEvent, uniqueId } from "../support/factories.ts";

const KEY = `spam_${randomUUID()}`;
let stack: LocalStack;

type Json = Record<string, unknown>;

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }> {
  const res = await fetch(`${stack.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Json) : {} };
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const timeline = async (conversation: string) =>
  ((await call("GET", `/v1/conversations/${conversation}/events?page[size]=1000`)).json.events ??
    []) as Json[];

beforeAll(async () => {
  stack = await startLocalStack({
    port: 0,
    dynamodbEndpoint: inject("dynamodbEndpoint"),
    tableName: `conversation-log-spam-${randomUUID().slice(0, 8)}`,
    keys: [{ tenant: "spamco", key: KEY, scopes: ["events:write", "events:read", "automations:write"] }],
    runBus: true,
  });
  const created = await call("POST", "/v1/triggers", {
    name: "spam closes",
    enabled: true,
    when: { type: ["ConversationTagged"], data: { tags: ["spam"] } },
    actions: [{ type: "close", reason: "spam" }],
  });
  expect(created.status).toBe(201);
});
afterAll(async () => {
  await stack.stop();
});

describe("tagged spam → closed", () => {
  it("closes the conversation in real time, with caused_by, and the state says closed", async () => {
    // Prepare: a customer writes in.
    const conversation = uniqueId("spam");
    expect((await call("POST", "/v1/events", aMessage({ conversation_id: conversation }))).status).toBe(201);
    // Act: the tenant's own classifier tags it.
    const tag = anEvent(
      "ConversationTagged",
      { tags: ["spam"] },
      {
        conversation_id: conversation,
        author: { type: "bot", id: "classifier" },
        occurred_at: new Date().toISOString(),
      },
    );
    expect((await call("POST", "/v1/events", tag)).status).toBe(201);
    // Assert: within a bounded wait the timeline shows Tagged, then Closed caused by it.
    const events = await eventually("the trigger's ConversationClosed", async () => {
      const all = await timeline(conversation);
      return all.some((e) => e.type === "ConversationClosed") ? all : undefined;
    });
    const types = events.map((e) => e.type);
    expect(types.indexOf("ConversationTagged")).toBeLessThan(types.indexOf("ConversationClosed"));
    const closed = events.find((e) => e.type === "ConversationClosed") as Json;
    expect(closed.caused_by).toMatchObject({ event_id: tag.id, depth: 1, trigger_id: expect.any(String) });
    expect(closed.data).toEqual({ reason: "spam" });
    const state = await eventually("state closed", async () => {
      const res = await call("GET", `/v1/conversations/${conversation}`);
      const s = (res.json.conversation ?? res.json) as Json;
      return s.status === "closed" ? s : undefined;
    });
    expect(state.status).toBe("closed");
  });

  it("loses nothing and doubles nothing while the bus and the trigger target fail for a while", async () => {
    // Prepare: PutEvents and the trigger engine both fail at first.
    stack.bus?.failPutEvents(true);
    stack.bus?.failDeliveries((target) => target === "triggerEngine");
    const conversations = Array.from({ length: 5 }, () => uniqueId("fault"));
    const tags = conversations.map((c) =>
      anEvent(
        "ConversationTagged",
        { tags: ["spam"] },
        { conversation_id: c, occurred_at: new Date().toISOString() },
      ),
    );
    // Act: ingest while failing, then recover the bus, then the target.
    const res = await call("POST", "/v1/events", {
      events: [...conversations.map((c) => aMessage({ conversation_id: c })), ...tags],
    });
    expect(res.status).toBe(200);
    await new Promise((r) => setTimeout(r, 1000));
    stack.bus?.failPutEvents(undefined);
    await new Promise((r) => setTimeout(r, 1000));
    stack.bus?.failDeliveries(undefined);
    // Assert: every stored event reached the bus, and each tag closed its conversation exactly once.
    for (const c of conversations) {
      const events = await eventually(
        `close of ${c}`,
        async () => {
          const all = await timeline(c);
          return all.some((e) => e.type === "ConversationClosed") ? all : undefined;
        },
        60_000,
      );
      expect(events.filter((e) => e.type === "ConversationClosed")).toHaveLength(1);
    }
    await stack.bus?.idle();
    const onBus = new Map<string, number>();
    for (const e of stack.bus?.accepted ?? []) {
      const id = String(BusDetailSchema.parse(e.detail).event.id);
      onBus.set(id, (onBus.get(id) ?? 0) + 1);
    }
    for (const c of conversations) {
      for (const e of await timeline(c))
        expect(onBus.get(String(e.id)), `event ${e.id} on the bus`).toBeGreaterThanOrEqual(1);
    }
    expect(stack.bus?.deadLetters).toEqual([]);
  });
});
