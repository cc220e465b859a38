/**
 * The trigger engine against the real DynamoDB Local, with a real HTTP receiver on 127.0.0.1
 * for webhooks. The bus is simulated by handing the engine the exact detail the publisher
 * would put on it (`toBusEntry`), and, for cascades, the details of what the engine appended.
 */
import { createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Context, EventBridgeEvent } from "aws-lambda";
import { Webhook as SvixWebhook } from "svix";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type BusDetail, BusDetailSchema, toBusEntry } from "#shared/bus/contract.ts";
import type { StoredEvent } from "#shared/events/schema.ts";
import type { EventStore } from "#shared/store/events.ts";
import { ingest } from "#shared/usecases/ingest.ts";
import {
  actionEventId,
  type EngineReport,
  runTriggers,
  webhookMessageId,
} from "#shared/usecases/trigger-engine.ts";
import { HttpWebhookSender } from "#shared/webhooks/sender.ts";
import { automation } from "../support/engine.ts";
import { anEvent, type Json, uniqueId, uniqueTenant } from "../support/factories.ts";
import { createTrigger, replaceTrigger } from "../support/routes.ts";
import { countingStore } from "../support/store.ts";

const h = countingStore();
const { triggers, triggerDeps, engine: deps } = automation(h);

const tick = () => new Promise((r) => setTimeout(r, 3));

/** The detail exactly as the publisher serializes it onto the bus. */
function detailOf(tenant: string, event: StoredEvent): BusDetail {
  return BusDetailSchema.parse(JSON.parse(toBusEntry("bus", tenant, event).Detail));
}

async function timeline(tenant: string, conversation: string): Promise<StoredEvent[]> {
  const page = await h.store.queryTimeline(tenant, conversation, {
    direction: "asc",
    limit: 100,
    filters: {},
  });
  return page.items;
}

async function store(tenant: string, body: Json): Promise<StoredEvent> {
  const result = await ingest(deps.ingest, tenant, body);
  if (result.kind !== "single") throw new Error("expected a single event");
  return result.event;
}

/** Runs the engine on an event and, like the bus would, on every event it appended, until quiet. */
async function cascade(tenant: string, first: StoredEvent): Promise<EngineReport[]> {
  const reports: EngineReport[] = [];
  const queue = [first];
  while (queue.length > 0) {
    const event = queue.shift() as StoredEvent;
    const report = await runTriggers(deps, detailOf(tenant, event));
    reports.push(report);
    const created = report.fired.flatMap((f) =>
      f.appended.filter((a) => a.status === "created").map((a) => a.id),
    );
    const stored = await timeline(tenant, event.conversation_id);
    queue.push(...stored.filter((e) => created.includes(e.id)));
    if (reports.length > 20) throw new Error("the cascade does not stop");
  }
  return reports;
}

const tagged = (tags: string[], conversation: string) =>
  anEvent(
    "ConversationTagged",
    { tags },
    { conversation_id: conversation, author: { type: "agent", id: "ag-1" } },
  );

const spamTrigger = {
  name: "close spam",
  when: { type: ["ConversationTagged"], data: { tags: ["spam"] } },
  actions: [{ type: "close", reason: "spam" }],
};

let tenant: string;
let conversation: string;
beforeEach(() => {
  tenant = uniqueTenant("trg");
  conversation = uniqueId("c");
});

describe("trigger engine: actions", () => {
  it("closes a conversation tagged spam, with caused_by, as the system on the api channel", async () => {
    const trigger = await createTrigger(triggerDeps, tenant, spamTrigger);
    await tick();
    const source = await store(tenant, tagged(["spam", "billing"], conversation));

    const report = await runTriggers(deps, detailOf(tenant, source));

    const events = await timeline(tenant, conversation);
    expect(events.map((e) => e.type)).toEqual(["ConversationTagged", "ConversationClosed"]);
    const closed = events[1] as StoredEvent;
    expect(closed).toMatchObject({
      id: actionEventId(trigger.id, source.id, 0),
      conversation_id: conversation,
      author: { type: "system" },
      channel: { type: "api" },
      data: { reason: "spam" },
      caused_by: { trigger_id: trigger.id, event_id: source.id, depth: 1 },
    });
    expect(closed.id).toMatch(/^trg:[0-9a-f]{40}$/);
    expect(closed.occurred_at > source.occurred_at).toBe(true);
    expect(report.fired).toEqual([
      { trigger_id: trigger.id, appended: [{ id: closed.id, status: "created" }], webhooks: [] },
    ]);
  });

  it("appends nothing new when the same bus event is delivered again", async () => {
    await createTrigger(triggerDeps, tenant, {
      ...spamTrigger,
      actions: [{ type: "add_tags", tags: ["auto"] }, { type: "close" }],
    });
    await tick();
    const source = await store(tenant, tagged(["spam"], conversation));
    const detail = detailOf(tenant, source);

    await runTriggers(deps, detail);
    const once = await timeline(tenant, conversation);
    const again = await runTriggers(deps, detail);

    expect(await timeline(tenant, conversation)).toEqual(once);
    expect(once).toHaveLength(3);
    expect(again.fired[0]?.appended.map((a) => a.status)).toEqual(["duplicate", "duplicate"]);
  });

  it("does not fire for events that do not match, or when disabled", async () => {
    await createTrigger(triggerDeps, tenant, spamTrigger);
    await createTrigger(triggerDeps, tenant, {
      ...spamTrigger,
      enabled: false,
      when: { type: ["ConversationTagged"] },
    });
    await tick();
    const source = await store(tenant, tagged(["vip"], conversation));
    const report = await runTriggers(deps, detailOf(tenant, source));
    expect(report.fired).toEqual([]);
    expect(await timeline(tenant, conversation)).toHaveLength(1);
  });

  it("does not fire for an event stored before the trigger was created or last updated", async () => {
    // Exact ordering (no grace window) to test the rule itself; the grace has its own test.
    const exact = { ...deps, changeGraceMs: 0 };
    const early = await store(tenant, tagged(["spam"], conversation));
    await tick();
    const trigger = await createTrigger(triggerDeps, tenant, spamTrigger);
    expect((await runTriggers(exact, detailOf(tenant, early))).fired).toEqual([]);

    await tick();
    const between = await store(tenant, tagged(["spam"], conversation));
    await tick();
    await replaceTrigger(triggerDeps, tenant, trigger.id, { ...spamTrigger, actions: [{ type: "reopen" }] });
    expect((await runTriggers(exact, detailOf(tenant, between))).fired).toEqual([]);

    await tick();
    const later = await store(tenant, tagged(["spam"], conversation));
    const report = await runTriggers(exact, detailOf(tenant, later));
    expect(report.fired).toHaveLength(1);
    expect((await timeline(tenant, conversation)).map((e) => e.type)).toEqual([
      "ConversationTagged",
      "ConversationTagged",
      "ConversationTagged",
      "ConversationReopened",
    ]);
  });
});

describe("trigger engine: events whose write trails the trigger's change", () => {
  it("fires for an event stamped just before the change but stored after it returned", async () => {
    // Prepare: received_at is stamped before the write; a slow write commits after the trigger exists.
    const slowIngest = { ...deps.ingest, now: () => Date.now() - 5_000 };
    await createTrigger(triggerDeps, tenant, spamTrigger);
    const result = await ingest(slowIngest, tenant, tagged(["spam"], conversation));
    if (result.kind !== "single") throw new Error("expected a single event");
    // Act
    const report = await runTriggers(deps, detailOf(tenant, result.event));
    // Assert
    expect(report.fired).toHaveLength(1);
  });
});

describe("trigger engine: loops stop", () => {
  it("never fires a trigger on an event it caused itself", async () => {
    const trigger = await createTrigger(triggerDeps, tenant, {
      name: "tag everything tagged",
      when: { type: ["ConversationTagged"] },
      actions: [{ type: "add_tags", tags: ["seen"] }],
    });
    await tick();
    const source = await store(tenant, tagged(["x"], conversation));

    const reports = await cascade(tenant, source);

    const events = await timeline(tenant, conversation);
    expect(events).toHaveLength(2);
    expect(events[1]?.caused_by).toEqual({
      trigger_id: trigger.id,
      event_id: source.id,
      depth: 1,
      root_event_id: source.id,
    });
    expect(reports).toHaveLength(2);
    expect(reports[1]?.fired).toEqual([]);
  });

  it("never fires a trigger on an event it caused through another trigger", async () => {
    const ping = await createTrigger(triggerDeps, tenant, {
      name: "ping",
      when: { type: ["ConversationTagged"], data: { tags: ["ping"] } },
      actions: [{ type: "add_tags", tags: ["pong"] }],
    });
    const pong = await createTrigger(triggerDeps, tenant, {
      name: "pong",
      when: { type: ["ConversationTagged"], data: { tags: ["pong"] } },
      actions: [{ type: "add_tags", tags: ["ping"] }],
    });
    await tick();
    const source = await store(tenant, tagged(["ping"], conversation));

    await cascade(tenant, source);

    // ping → pong, and then ping does not fire on pong's event, which ping caused indirectly.
    const caused = (await timeline(tenant, conversation)).filter((e) => e.caused_by);
    expect(caused.map((e) => [e.caused_by?.trigger_id, e.caused_by?.depth])).toEqual([
      [ping.id, 1],
      [pong.id, 2],
    ]);
  });

  it("caps causation depth at 3 for a chain of distinct triggers", async () => {
    const chain = ["a", "b", "c", "d"];
    const ids: string[] = [];
    for (const [i, tag] of chain.entries()) {
      const next = chain[i + 1] ?? "e";
      const t = await createTrigger(triggerDeps, tenant, {
        name: `tag ${next} after ${tag}`,
        when: { type: ["ConversationTagged"], data: { tags: [tag] } },
        actions: [{ type: "add_tags", tags: [next] }],
      });
      ids.push(t.id);
    }
    await tick();
    const source = await store(tenant, tagged(["a"], conversation));

    const reports = await cascade(tenant, source);

    const caused = (await timeline(tenant, conversation)).filter((e) => e.caused_by);
    expect(caused.map((e) => [e.caused_by?.trigger_id, e.caused_by?.depth])).toEqual([
      [ids[0], 1],
      [ids[1], 2],
      [ids[2], 3],
    ]);
    // The depth-3 event fires nothing, though trigger d matches it.
    expect(reports.at(-1)).toEqual({ skipped: "max-depth", fired: [] });
  });
});

// ---------------------------------------------------------------------------------------------
// Webhooks

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
}

/** A receiver on 127.0.0.1 answering with the given statuses in turn (the last one repeats). */
async function receiver(statuses: number[]): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const status = statuses[Math.min(received.length, statuses.length - 1)] as number;
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8"), status });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, received, server };
}

const servers: Server[] = [];
async function listen(statuses: number[]) {
  const r = await receiver(statuses);
  servers.push(r.server);
  return r;
}
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});

function webhookHeaders(r: Received): Record<string, string> {
  return {
    "webhook-id": String(r.headers["webhook-id"]),
    "webhook-timestamp": String(r.headers["webhook-timestamp"]),
    "webhook-signature": String(r.headers["webhook-signature"]),
  };
}

describe("trigger engine: webhooks", () => {
  let ok: Awaited<ReturnType<typeof listen>>;
  beforeAll(async () => {
    ok = await listen([204]);
  });

  it("posts the bus detail signed the Standard Webhooks way, verifiable with svix", async () => {
    const trigger = await createTrigger(triggerDeps, tenant, {
      ...spamTrigger,
      actions: [{ type: "webhook", url: ok.url }],
    });
    await tick();
    const source = await store(tenant, tagged(["spam"], conversation));
    const detail = detailOf(tenant, source);
    const before = ok.received.length;

    const report = await runTriggers(deps, detail);

    const mine = ok.received.slice(before);
    expect(mine).toHaveLength(1);
    const delivery = mine[0] as Received;
    const headers = webhookHeaders(delivery);
    // An independent verifier (svix) accepts it; a tampered body or another secret does not.
    const verified = new SvixWebhook(trigger.webhook_secret).verify(delivery.body, headers);
    expect(verified).toEqual({
      type: "ConversationTagged",
      timestamp: source.received_at,
      trigger_id: trigger.id,
      data: detail,
    });
    expect(() => new SvixWebhook(trigger.webhook_secret).verify(`${delivery.body} `, headers)).toThrow();
    const otherSecret = `whsec_${Buffer.alloc(32, 7).toString("base64")}`;
    expect(() => new SvixWebhook(otherSecret).verify(delivery.body, headers)).toThrow();
    // And the signature is what the spec says, computed by hand.
    const key = Buffer.from(trigger.webhook_secret.slice("whsec_".length), "base64");
    const expected = createHmac("sha256", key)
      .update(`${headers["webhook-id"]}.${headers["webhook-timestamp"]}.${delivery.body}`)
      .digest("base64");
    expect(headers["webhook-signature"]).toBe(`v1,${expected}`);
    expect(headers["webhook-id"]).toBe(webhookMessageId(trigger.id, source.id, 0));
    expect(delivery.headers["content-type"]).toBe("application/json");
    expect(report.fired[0]?.webhooks).toEqual([{ webhook_id: headers["webhook-id"], ok: true, attempts: 1 }]);
    // A webhook appends nothing to the log.
    expect(await timeline(tenant, conversation)).toHaveLength(1);
  });

  it("retries with the same webhook-id: fails twice, then one successful delivery", async () => {
    const flaky = await listen([500, 503, 200]);
    const trigger = await createTrigger(triggerDeps, tenant, {
      ...spamTrigger,
      actions: [{ type: "webhook", url: flaky.url }],
    });
    await tick();
    const source = await store(tenant, tagged(["spam"], conversation));

    const report = await runTriggers(deps, detailOf(tenant, source));

    expect(flaky.received.map((r) => r.status)).toEqual([500, 503, 200]);
    expect(flaky.received.filter((r) => r.status === 200)).toHaveLength(1);
    expect(new Set(flaky.received.map((r) => r.headers["webhook-id"]))).toEqual(
      new Set([webhookMessageId(trigger.id, source.id, 0)]),
    );
    for (const r of flaky.received) {
      expect(() => new SvixWebhook(trigger.webhook_secret).verify(r.body, webhookHeaders(r))).not.toThrow();
    }
    expect(report.fired[0]?.webhooks[0]).toMatchObject({ ok: true, attempts: 3 });
    expect(await triggers.listFailures(tenant)).toEqual([]);
  });

  it("records a delivery that always fails, still runs the other actions, and does not throw", async () => {
    const down = await listen([500]);
    const trigger = await createTrigger(triggerDeps, tenant, {
      ...spamTrigger,
      actions: [{ type: "webhook", url: down.url }, { type: "close" }],
    });
    await tick();
    const source = await store(tenant, tagged(["spam"], conversation));

    const report = await runTriggers(deps, detailOf(tenant, source));

    expect(down.received).toHaveLength(3);
    expect(report.fired[0]?.webhooks[0]).toMatchObject({ ok: false, attempts: 3 });
    expect((await timeline(tenant, conversation)).map((e) => e.type)).toEqual([
      "ConversationTagged",
      "ConversationClosed",
    ]);
    expect(await triggers.listFailures(tenant)).toEqual([
      {
        webhook_id: webhookMessageId(trigger.id, source.id, 0),
        trigger_id: trigger.id,
        event_id: source.id,
        action_index: 0,
        url: down.url,
        status: "failed",
        attempts: 3,
        last_status: 500,
        last_error: "HTTP 500",
        failed_at: expect.stringMatching(/Z$/),
      },
    ]);
  });

  it("records an unreachable receiver too", async () => {
    const closed = await listen([200]);
    await new Promise((resolve) => closed.server.close(resolve));
    await createTrigger(triggerDeps, tenant, {
      ...spamTrigger,
      actions: [{ type: "webhook", url: closed.url }],
    });
    await tick();
    const source = await store(tenant, tagged(["spam"], conversation));
    await runTriggers(deps, detailOf(tenant, source));
    const [failure] = await triggers.listFailures(tenant);
    expect(failure).toMatchObject({
      status: "failed",
      attempts: 3,
      last_error: expect.stringMatching(/ECONNREFUSED/),
    });
    expect(failure).not.toHaveProperty("last_status");
  });

  it("throws when appending fails, before sending any webhook, so the bus retries everything", async () => {
    const hook = await listen([200]);
    await createTrigger(triggerDeps, tenant, {
      ...spamTrigger,
      actions: [{ type: "webhook", url: hook.url }, { type: "close" }],
    });
    await tick();
    const source = await store(tenant, tagged(["spam"], conversation));
    const failing: EventStore = Object.assign(Object.create(h.store) as EventStore, {
      putEvents: async () => {
        throw new Error("store down");
      },
    });
    const broken = { ...deps, ingest: { ...deps.ingest, store: failing } };

    await expect(runTriggers(broken, detailOf(tenant, source))).rejects.toThrow("store down");
    expect(hook.received).toHaveLength(0);
  });

  it("refuses loopback receivers where that is not allowed (in Lambda, loopback is the Runtime API)", async () => {
    const sender = new HttpWebhookSender();
    const result = await sender.send({
      url: ok.url,
      id: "msg_x",
      payload: "{}",
      secret: `whsec_${Buffer.alloc(32, 1).toString("base64")}`,
    });
    expect(result).toMatchObject({ ok: false, attempts: 0, lastError: expect.stringContaining("loopback") });
  });
});

describe("trigger-engine Lambda handler", () => {
  it("parses one EventBridge event and does not throw when a webhook fails", async () => {
    const { handler } = await import("#functions/trigger-engine.ts");
    const down = await listen([500]);
    await createTrigger(triggerDeps, tenant, {
      ...spamTrigger,
      actions: [{ type: "webhook", url: down.url }, { type: "close" }],
    });
    await tick();
    const source = await store(tenant, tagged(["spam"], conversation));
    const entry = toBusEntry("bus", tenant, source);
    const busEvent = {
      version: "0",
      id: uniqueId("bus"),
      "detail-type": entry.DetailType,
      source: entry.Source,
      account: "000000000000",
      time: entry.Time.toISOString(),
      region: "local",
      resources: [],
      detail: JSON.parse(entry.Detail) as unknown,
    } satisfies EventBridgeEvent<string, unknown>;

    await expect(handler(busEvent, {} as Context)).resolves.toBeUndefined();

    expect(down.received).toHaveLength(3);
    expect((await timeline(tenant, conversation)).map((e) => e.type)).toEqual([
      "ConversationTagged",
      "ConversationClosed",
    ]);
    expect(await triggers.listFailures(tenant)).toHaveLength(1);
  });
});
