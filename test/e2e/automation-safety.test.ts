/**
 * Tenant safety of automations on npm start's stack (stream → publisher → bus → trigger
 * engine): adversarial trigger sets that feed each other end within the causation budget
 * (25 trigger-produced events, 25 webhook deliveries per outside event), the run log shows
 * what was skipped and why, a tenant has at most 100 triggers, and a trigger needs the scopes
 * its actions use.
 */
import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { LocalStack } from "#infra/local/stack.ts";
import { startLocalStack } from "#infra/local/stack.ts";
import { DEFAULT_AUTOMATION_LIMITS } from "#shared/config.ts";
import { anEvent, uniqueId } from "../support/factories.ts";

type Json = Record<string, unknown>;
const ALL = ["events:write", "events:read", "automations:write"];
const keys = {
  four: `four_${randomUUID()}`,
  six: `six_${randomUUID()}`,
  self: `self_${randomUUID()}`,
  limits: `limits_${randomUUID()}`,
  narrow: `narrow_${randomUUID()}`,
};
let stack: LocalStack;
let receiver: Server;
let receiverUrl: string;
/** webhook-id → deliveries received. */
const received = new Map<string, number>();

async function call(key: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${stack.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: (text ? JSON.parse(text) : {}) as Json };
}

const caused = async (key: string, conversation: string) =>
  (
    ((await call(key, "GET", `/v1/conversations/${conversation}/events?page[size]=1000`)).json.events ??
      []) as Json[]
  ).filter((e) => e.caused_by !== undefined);

/** Waits until the cascade is over: the bus is idle and the caused events stop changing. */
async function settled(key: string, conversation: string): Promise<Json[]> {
  let last = -1;
  let stableSince = Date.now();
  const deadline = Date.now() + 60_000;
  for (;;) {
    await stack.bus?.idle();
    const now = (await caused(key, conversation)).length;
    if (now !== last) {
      last = now;
      stableSince = Date.now();
    } else if (Date.now() - stableSince > 2000) {
      return caused(key, conversation);
    }
    if (Date.now() > deadline) throw new Error("the cascade did not settle");
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Triggers that feed each other: each reacts to any tag with tags of its own (and webhooks). */
async function feedingTriggers(key: string, n: number, withWebhooks: boolean): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await call(key, "POST", "/v1/triggers", {
      name: `feeder ${i}`,
      when: { type: ["ConversationTagged"] },
      actions: [
        { type: "add_tags", tags: [`t${i}a`] },
        { type: "add_tags", tags: [`t${i}b`] },
        ...(withWebhooks ? [{ type: "webhook", url: `${receiverUrl}/hook/${i}` }] : []),
      ],
    });
    expect(res.status, JSON.stringify(res.json)).toBe(201);
    ids.push(String((res.json.trigger as Json).id));
  }
  return ids;
}

async function tagFromOutside(key: string, conversation: string): Promise<Json> {
  const tag = anEvent(
    "ConversationTagged",
    { tags: ["start"] },
    { conversation_id: conversation, occurred_at: new Date().toISOString() },
  );
  expect((await call(key, "POST", "/v1/events", tag)).status).toBe(201);
  return tag;
}

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const id = String(req.headers["webhook-id"]);
    received.set(id, (received.get(id) ?? 0) + 1);
    req.resume();
    req.on("end", () => res.writeHead(204).end());
  });
  await new Promise<void>((ok) => receiver.listen(0, "127.0.0.1", ok));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  stack = await startLocalStack({
    port: 0,
    dynamodbEndpoint: inject("dynamodbEndpoint"),
    tableName: `conversation-log-safety-${randomUUID().slice(0, 8)}`,
    keys: [
      { tenant: "four", key: keys.four, scopes: ALL },
      { tenant: "six", key: keys.six, scopes: ALL },
      { tenant: "self", key: keys.self, scopes: ALL },
      { tenant: "limits", key: keys.limits, scopes: ALL },
      { tenant: "narrow", key: keys.narrow, scopes: ["automations:write"] },
    ],
    runBus: true,
  });
});
afterAll(async () => {
  await stack.stop();
  await new Promise((r) => receiver.close(r));
});

describe("the causation budget", () => {
  const budget = DEFAULT_AUTOMATION_LIMITS.eventsPerRoot;

  it("ends four mutually feeding triggers at 25 caused events, and says what it skipped", async () => {
    // Prepare: unbounded, one tag would cause 8 + 48 + 192 events down to depth 3.
    const triggers = await feedingTriggers(keys.four, 4, false);
    const conversation = uniqueId("four");
    // Act
    const root = await tagFromOutside(keys.four, conversation);
    const events = await settled(keys.four, conversation);
    // Assert
    expect(events).toHaveLength(budget);
    for (const e of events) expect((e.caused_by as Json).root_event_id).toBe(root.id);
    const runs = (
      await Promise.all(
        triggers.map(
          async (t) =>
            (
              await call(keys.four, "GET", `/v1/triggers/${t}/runs?page[size]=100`)
            ).json.runs as Json[],
        ),
      )
    ).flat();
    const actions = runs.flatMap((r) => r.actions as Json[]);
    expect(actions.filter((a) => a.status === "done")).toHaveLength(budget);
    expect(actions.filter((a) => a.status === "skipped" && a.reason === "budget").length).toBeGreaterThan(0);
    expect(actions.filter((a) => a.status === "skipped" && a.reason === "loop_guard").length).toBeGreaterThan(
      0,
    );
  });

  it("ends six feeding triggers with webhooks at 25 events and 25 deliveries", async () => {
    await feedingTriggers(keys.six, 6, true);
    const conversation = uniqueId("six");
    const before = new Set(received.keys());

    await tagFromOutside(keys.six, conversation);
    const events = await settled(keys.six, conversation);

    expect(events).toHaveLength(budget);
    const deliveries = [...received.keys()].filter((id) => !before.has(id));
    expect(deliveries).toHaveLength(DEFAULT_AUTOMATION_LIMITS.webhooksPerRoot);
  });

  it("lets a self-matching trigger act once: it never acts on what it caused", async () => {
    const res = await call(keys.self, "POST", "/v1/triggers", {
      name: "echo",
      when: { type: ["ConversationTagged"] },
      actions: [{ type: "add_tags", tags: ["echo"] }],
    });
    expect(res.status).toBe(201);
    const conversation = uniqueId("self");

    await tagFromOutside(keys.self, conversation);
    const events = await settled(keys.self, conversation);

    expect(events).toHaveLength(1);
    const runs = (await call(keys.self, "GET", `/v1/triggers/${(res.json.trigger as Json).id}/runs`)).json
      .runs as Json[];
    expect(runs.map((r) => (r.actions as Json[])[0]?.reason ?? "done")).toEqual(["loop_guard", "done"]);
  });
});

describe("trigger limits and scopes", () => {
  it("answers the 101st trigger of a tenant 422 limit-exceeded, and a delete frees a place", async () => {
    const body = { name: "n", when: { type: ["MessageReceived"] }, actions: [{ type: "close" }] };
    let first = "";
    for (let i = 0; i < DEFAULT_AUTOMATION_LIMITS.triggersPerTenant; i++) {
      const res = await call(keys.limits, "POST", "/v1/triggers", body);
      expect(res.status).toBe(201);
      first ||= String((res.json.trigger as Json).id);
    }
    const over = await call(keys.limits, "POST", "/v1/triggers", body);
    expect(over.status).toBe(422);
    expect(over.json.type).toBe("https://conversation-log.dev/problems/limit-exceeded");
    expect((await call(keys.limits, "DELETE", `/v1/triggers/${first}`)).status).toBe(204);
    expect((await call(keys.limits, "POST", "/v1/triggers", body)).status).toBe(201);
  });

  it("needs events:write for actions that append and events:read for a webhook, naming what is missing", async () => {
    const close = await call(keys.narrow, "POST", "/v1/triggers", {
      name: "c",
      when: { type: ["MessageReceived"] },
      actions: [{ type: "close" }],
    });
    expect(close.status).toBe(403);
    expect(String(close.json.detail)).toContain("events:write");
    const webhook = await call(keys.narrow, "POST", "/v1/triggers", {
      name: "w",
      when: { type: ["MessageReceived"] },
      actions: [{ type: "webhook", url: "https://example.com/hook" }],
    });
    expect(webhook.status).toBe(403);
    expect(String(webhook.json.detail)).toContain("events:read");
    expect(String(webhook.json.detail)).not.toContain("events:write");
  });
});
