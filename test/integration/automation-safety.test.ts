/**
 * The automation bounds on DynamoDB Local: causation budgets never overspend under
 * concurrency and reuse their slots on redelivery, exhaustion is reported once per tree,
 * trigger runs page newest first with cursors bound to their trigger, and a tenant's trigger
 * count holds under concurrent creates.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { SCOPES } from "#shared/auth/scopes.ts";
import { type BusDetail, BusDetailSchema, toBusEntry } from "#shared/bus/contract.ts";
import type { StoredEvent } from "#shared/events/schema.ts";
import { DynamoCausationBudgetStore } from "#shared/store/dynamo/causation-budgets.ts";
import { TriggerInputSchema } from "#shared/triggers/schema.ts";
import { defaultIngestDeps, ingest } from "#shared/usecases/ingest.ts";
import { runTriggers } from "#shared/usecases/trigger-engine.ts";
import { createTrigger, listTriggerRuns } from "#shared/usecases/triggers.ts";
import { automation } from "../support/engine.ts";
import { anEvent, uniqueId, uniqueTenant } from "../support/factories.ts";
import { countingStore } from "../support/store.ts";

const h = countingStore();
const budgets = new DynamoCausationBudgetStore(h.db, h.tableName);
const { triggers } = automation(h);
const engine = (eventsPerRoot: number) =>
  automation(h, { limits: { eventsPerRoot, webhooksPerRoot: 25 } }).engine;
const triggerDeps = (maxTriggers = 100) => automation(h, { maxTriggers }).triggerDeps;
const define = (body: unknown) => TriggerInputSchema.parse(body);

function detailOf(tenant: string, event: StoredEvent): BusDetail {
  return BusDetailSchema.parse(JSON.parse(toBusEntry("bus", tenant, event).Detail));
}

async function storeTag(tenant: string, conversation: string): Promise<StoredEvent> {
  const result = await ingest(
    defaultIngestDeps(h.store),
    tenant,
    anEvent("ConversationTagged", { tags: ["start"] }, { conversation_id: conversation }),
  );
  if (result.kind !== "single") throw new Error("expected a single event");
  return result.event;
}

let tenant: string;
beforeEach(() => {
  tenant = uniqueTenant("safe");
});

describe("causation budgets", () => {
  it("grant exactly the limit to concurrent reservations, and re-grant a slot to the action that holds it", async () => {
    // Prepare
    const root = uniqueId("root");
    const ids = Array.from({ length: 40 }, (_, i) => `action-${i}`);
    // Act
    const granted = await Promise.all(ids.map((id) => budgets.reserve(tenant, root, "events", id, 25)));
    // Assert
    const holders = ids.filter((_, i) => granted[i]);
    expect(holders).toHaveLength(25);
    expect(await budgets.reserve(tenant, root, "events", holders[0] as string, 25)).toBe(true);
    expect(await budgets.reserve(tenant, root, "events", "one-more", 25)).toBe(false);
    // Kinds and roots are separate budgets.
    expect(await budgets.reserve(tenant, root, "webhooks", "one-more", 25)).toBe(true);
    expect(await budgets.reserve(tenant, uniqueId("root"), "events", "one-more", 25)).toBe(true);
  });

  it("report exhaustion once per tree, however many callers race", async () => {
    const root = uniqueId("root");
    const firsts = await Promise.all(Array.from({ length: 10 }, () => budgets.markExhausted(tenant, root)));
    expect(firsts.filter(Boolean)).toHaveLength(1);
  });

  it("make a redelivered event spend nothing new: the same actions run, the same ones are skipped", async () => {
    // Prepare: five actions against a budget of three.
    const trigger = await createTrigger(
      triggerDeps(),
      tenant,
      define({
        name: "many tags",
        when: { type: ["ConversationTagged"], data: { tags: ["start"] } },
        actions: [1, 2, 3, 4, 5].map((n) => ({ type: "add_tags", tags: [`t${n}`] })),
      }),
      SCOPES,
    );
    await new Promise((r) => setTimeout(r, 3));
    const conversation = uniqueId("c");
    const source = await storeTag(tenant, conversation);
    const deps = engine(3);
    // Act: two deliveries of the same bus event.
    await runTriggers(deps, detailOf(tenant, source));
    await runTriggers(deps, detailOf(tenant, source));
    // Assert
    const page = await h.store.queryTimeline(tenant, conversation, {
      direction: "asc",
      limit: 100,
      filters: {},
    });
    expect(page.items.filter((e) => e.caused_by)).toHaveLength(3);
    const listed = await listTriggerRuns(triggerDeps(), tenant, trigger.id, { limit: 10 });
    expect(listed.runs).toHaveLength(1);
    expect(listed.runs[0]?.actions.map((a) => `${a.status}${a.reason ? `:${a.reason}` : ""}`)).toEqual([
      "done",
      "done",
      "done",
      "skipped:budget",
      "skipped:budget",
    ]);
  });
});

describe("the matcher's work budget", () => {
  it("stops a match an event makes too expensive, runs nothing, and says so in the run log", async () => {
    // Prepare: 60 wildcards, each of which scans the whole of a 30,000-character text.
    const trigger = await createTrigger(
      triggerDeps(),
      tenant,
      define({
        name: "expensive",
        when: {
          message: {
            content: {
              text: Array.from({ length: 60 }, (_, i) => ({
                wildcard: `*${String.fromCharCode(98 + (i % 20))}${i}*`,
              })),
            },
          },
        },
        actions: [{ type: "close" }],
      }),
      SCOPES,
    );
    await new Promise((r) => setTimeout(r, 3));
    const conversation = uniqueId("c");
    const stored = await ingest(defaultIngestDeps(h.store), tenant, {
      type: "MessageReceived",
      conversation_id: conversation,
      occurred_at: new Date().toISOString(),
      channel: { type: "web" },
      author: { type: "customer" },
      message: { content: { type: "text", text: "a".repeat(30_000) } },
    });
    if (stored.kind !== "single") throw new Error("expected a single event");
    // Act
    const report = await runTriggers(engine(25), detailOf(tenant, stored.event));
    // Assert
    expect(report.fired).toEqual([]);
    const listed = await listTriggerRuns(triggerDeps(), tenant, trigger.id, { limit: 10 });
    expect(listed.runs[0]?.actions).toEqual([
      { index: 0, type: "close", status: "skipped", reason: "match_budget" },
    ]);
  });
});

describe("trigger runs", () => {
  it("page newest first, with a cursor that only works for its trigger", async () => {
    const deps = triggerDeps();
    const input = define({
      name: "tagger",
      when: { type: ["ConversationTagged"], data: { tags: ["start"] } },
      actions: [{ type: "add_tags", tags: ["seen"] }],
    });
    const trigger = await createTrigger(deps, tenant, input, SCOPES);
    const other = await createTrigger(deps, tenant, input, SCOPES);
    await new Promise((r) => setTimeout(r, 3));
    const sources: StoredEvent[] = [];
    for (let i = 0; i < 5; i++) {
      const source = await storeTag(tenant, uniqueId("c"));
      sources.push(source);
      await runTriggers(engine(25), detailOf(tenant, source));
      await new Promise((r) => setTimeout(r, 2));
    }

    const first = await listTriggerRuns(deps, tenant, trigger.id, { limit: 2 });
    const after = { field: "page[after]", value: first.meta.after_cursor as string };
    const second = await listTriggerRuns(deps, tenant, trigger.id, { limit: 10, after });

    const newestFirst = [...sources].reverse().map((s) => s.id);
    expect([...first.runs, ...second.runs].map((r) => r.event_id)).toEqual(newestFirst);
    expect(first.meta.has_more).toBe(true);
    expect(second.meta.has_more).toBe(false);
    await expect(listTriggerRuns(deps, tenant, other.id, { limit: 2, after })).rejects.toMatchObject({
      status: 400,
    });
  });
});

describe("triggers per tenant", () => {
  it("hold under concurrent creates: exactly the maximum succeed, the rest are 422", async () => {
    const deps = triggerDeps(5);
    const input = define({ name: "t", when: { type: ["MessageReceived"] }, actions: [{ type: "close" }] });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 10 }, () => createTrigger(deps, tenant, input, SCOPES)),
    );
    expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(5);
    for (const o of outcomes.filter((o) => o.status === "rejected")) {
      expect((o as PromiseRejectedResult).reason).toMatchObject({ status: 422, slug: "limit-exceeded" });
    }
    expect(await triggers.all(tenant)).toHaveLength(5);
  });
});
