/**
 * The conversation-state fold (semantics, one example each) and the projector's ordering
 * guarantee: any arrival order with any re-deliveries ends in the state of folding the
 * sorted set once. The projector runs for real against an in-memory implementation of our
 * own `ConversationStateStore` port (the DynamoDB adapter is covered by the integration tests).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { StoredEvent } from "#shared/events/schema.ts";
import type { ConversationStateStore, StoredState } from "#shared/store/conversation-states.ts";
import { positionOf } from "#shared/store/events.ts";
import { type FoldedState, foldEvents } from "#shared/usecases/conversation-state.ts";
import { projectEvent } from "#shared/usecases/project-state.ts";

let n = 0;
/** A stored event of the given type; `at` is a second of 2025-05-23 10:00. */
function ev(
  type: string,
  at: number,
  fields: Record<string, unknown> = {},
  id = `e${String(n++).padStart(4, "0")}`,
) {
  const occurred_at = `2025-05-23T10:00:${String(at).padStart(2, "0")}.000Z`;
  return {
    id,
    type,
    conversation_id: "c1",
    occurred_at,
    received_at: occurred_at,
    sequence: id,
    channel: { type: "web" },
    author: { type: "system" },
    ...(type.startsWith("Message") ? { message: { content: { type: "text", text: "hi" } } } : { data: {} }),
    ...fields,
  } as unknown as StoredEvent;
}

const sorted = (events: StoredEvent[]) =>
  [...events].sort((a, b) => (positionOf(a.occurred_at, a.id) < positionOf(b.occurred_at, b.id) ? -1 : 1));

describe("foldEvents", () => {
  it("derives status, closed_at, tags, assignee, counts, first_response_at and metrics in log order", () => {
    const state = foldEvents(undefined, [
      ev("ConversationOpened", 0),
      ev("MessageSent", 1, { author: { type: "agent", id: "a1" } }), // before any customer message: no response
      ev("MessageReceived", 2, { author: { type: "customer", id: "u1", display_name: "Ann" } }),
      ev("MessageSent", 3, { author: { type: "bot", id: "b1" } }), // bots are not a first response
      ev("MessageSent", 4, { author: { type: "agent", id: "a1" } }),
      ev("ConversationTagged", 5, { data: { tags: ["vip", "billing", "vip"] } }),
      ev("ConversationUntagged", 6, { data: { tags: ["billing"] } }),
      ev("ConversationAssigned", 7, { data: { assignee: { type: "agent", id: "a1" } } }),
      ev("ConversationTransferred", 8, {
        data: { from: { type: "agent", id: "a1" }, to: { type: "group", id: "g2" } },
      }),
      ev("ConversationTransferred", 9, {
        data: { from: { type: "channel", id: "web" }, to: { type: "channel", id: "email" } },
      }),
      ev("ConversationClosed", 10, { data: { reason: "done" } }),
    ]);
    expect(state).toMatchObject({
      conversation_id: "c1",
      status: "closed",
      closed_at: "2025-05-23T10:00:10.000Z",
      tags: ["vip"],
      assignee: { type: "group", id: "g2" },
      message_counts: { customer: 1, agent: 2, bot: 1, system: 0 },
      first_event_at: "2025-05-23T10:00:00.000Z",
      last_event_at: "2025-05-23T10:00:10.000Z",
      first_response_at: "2025-05-23T10:00:04.000Z",
      event_count: 11,
      metrics: {
        first_customer_message_at: "2025-05-23T10:00:02.000Z",
        first_response_ms: 2000, // 10:00:02 → 10:00:04
        resolution_ms: 10_000, // 10:00:00 → 10:00:10
      },
    });
    const reopened = foldEvents(state, [ev("ConversationReopened", 11)]);
    expect(reopened).toMatchObject({
      status: "open",
      closed_at: null,
      event_count: 12,
      metrics: { first_response_ms: 2000, resolution_ms: null },
    });
  });

  it("tracks participants from joins, leaves and identified message authors", () => {
    const state = foldEvents(undefined, [
      ev("CustomerJoined", 0, { data: { participant: { type: "customer", id: "u1" } } }),
      ev("AgentJoined", 1, { data: { participant: { type: "agent", id: "a1", display_name: "Al" } } }),
      ev("MessageSent", 2, { author: { type: "bot", id: "b1" } }),
      ev("MessageSent", 3, { author: { type: "system", id: "sys" } }),
      ev("AgentLeft", 4, { data: { participant: { type: "agent", id: "a1" } } }),
      ev("MessageReceived", 5, { author: { type: "customer", id: "u1", display_name: "Ann" } }),
    ]);
    expect(state.participants).toEqual([
      { type: "customer", id: "u1", display_name: "Ann" },
      { type: "bot", id: "b1" },
    ]);
  });

  it("keeps the customer's channel when commands write through the API channel", () => {
    const state = foldEvents(undefined, [
      ev("MessageReceived", 0, { channel: { type: "whatsapp", integration_id: "wa1" } }),
      ev("ConversationTagged", 1, { channel: { type: "api" }, data: { tags: ["x"] } }),
    ]);
    expect(state.channel).toEqual({ type: "whatsapp", integration_id: "wa1" });
    expect(
      foldEvents(undefined, [ev("ConversationOpened", 0, { channel: { type: "api" } })]).channel,
    ).toEqual({
      type: "api",
    });
  });

  it("refuses events out of order rather than fold them wrongly", () => {
    const state = foldEvents(undefined, [ev("ConversationOpened", 5)]);
    expect(() => foldEvents(state, [ev("ConversationClosed", 4)])).toThrow(/out of order/);
  });
});

const customer = { author: { type: "customer", id: "u1" } };
const agent = { author: { type: "agent", id: "a1" } };
const bot = { author: { type: "bot", id: "b1" } };
const atMs = (time: string) => ({ occurred_at: `2025-05-23T${time}Z` });

describe("metrics", () => {
  it("measures the first response from the first customer message to the first later agent message", () => {
    const state = foldEvents(
      undefined,
      sorted([
        ev("MessageSent", 0, { ...agent, ...atMs("10:00:01.000") }), // before the customer wrote: a greeting
        ev("MessageReceived", 0, { ...customer, ...atMs("10:00:05.250") }),
        // The same millisecond is not after it, whichever side of it the id puts the message.
        ev("MessageSent", 0, { ...agent, ...atMs("10:00:05.250") }, "a-same-ms"),
        ev("MessageSent", 0, { ...agent, ...atMs("10:00:05.250") }, "z-same-ms"),
        ev("MessageSent", 0, { ...bot, ...atMs("10:00:05.300") }), // bots do not count
        ev("MessageSent", 0, { author: { type: "system" }, ...atMs("10:00:06.000") }),
        ev("MessageSent", 0, { ...customer, ...atMs("10:00:30.000") }), // a customer's MessageSent is a customer message
        ev("MessageSent", 0, { ...agent, ...atMs("10:01:07.000") }),
        ev("MessageSent", 0, { ...agent, ...atMs("10:02:00.000") }),
      ]),
    );
    expect(state.first_response_at).toBe("2025-05-23T10:01:07.000Z");
    expect(state.metrics).toEqual({
      first_customer_message_at: "2025-05-23T10:00:05.250Z",
      first_response_ms: 61_750, // 10:00:05.250 → 10:01:07.000
      resolution_ms: null,
    });
    expect(state.message_counts).toEqual({ customer: 2, agent: 5, bot: 1, system: 1 });
  });

  it("has no first response without a customer message, or before an agent answers", () => {
    const agentOnly = foldEvents(undefined, [ev("MessageSent", 1, agent), ev("MessageSent", 2, agent)]);
    expect(agentOnly.first_response_at).toBeNull();
    expect(agentOnly.metrics).toEqual({
      first_customer_message_at: null,
      first_response_ms: null,
      resolution_ms: null,
    });
    const waiting = foldEvents(undefined, [ev("MessageReceived", 1, customer), ev("MessageSent", 2, bot)]);
    expect(waiting.metrics).toMatchObject({
      first_customer_message_at: "2025-05-23T10:00:01.000Z",
      first_response_ms: null,
    });
  });

  it("measures resolution from the first event to the close that leaves the conversation closed", () => {
    const closed = foldEvents(undefined, [
      ev("MessageReceived", 0, customer), // the first event, whatever its type
      ev("ConversationClosed", 10),
    ]);
    expect(closed.metrics.resolution_ms).toBe(10_000);
    const reopened = foldEvents(closed, [ev("ConversationReopened", 20)]);
    expect(reopened.metrics.resolution_ms).toBeNull();
    const closedTwice = foldEvents(reopened, [
      ev("ConversationClosed", 30),
      ev("ConversationClosed", 40), // the latest close counts
      ev("MessageReceived", 50, customer), // a message after the close does not reopen
    ]);
    expect(closedTwice).toMatchObject({ status: "closed", closed_at: "2025-05-23T10:00:40.000Z" });
    expect(closedTwice.metrics.resolution_ms).toBe(40_000);
    // ConversationOpened opens too.
    expect(foldEvents(closedTwice, [ev("ConversationOpened", 55)]).metrics.resolution_ms).toBeNull();
  });
});

/** Our own port, in memory: a deduplicated timeline, paged by 3, and a versioned state. */
class InMemoryStates implements ConversationStateStore {
  readonly timeline = new Map<string, StoredEvent>();
  stored: StoredState | undefined;
  writes = 0;

  async getState(): Promise<StoredState | undefined> {
    return this.stored && structuredClone(this.stored);
  }

  async *eventsAfter(_tenant: string, _conversationId: string, after?: string): AsyncIterable<StoredEvent[]> {
    const events = sorted([...this.timeline.values()]).filter(
      (e) => after === undefined || positionOf(e.occurred_at, e.id) > after,
    );
    for (let i = 0; i < events.length; i += 3) yield events.slice(i, i + 3);
  }

  async putState(_t: string, state: FoldedState, updatedAt: string, expected: number | undefined) {
    if ((this.stored?.state.event_count ?? undefined) !== expected) return false;
    this.stored = { state: structuredClone(state), updatedAt };
    this.writes++;
    return true;
  }

  async listByUpdated(): Promise<never> {
    throw new Error("not used");
  }
}

const TYPES = [
  ["MessageReceived", { author: { type: "customer", id: "u1" } }],
  ["MessageSent", { author: { type: "agent", id: "a1" } }],
  ["MessageSent", { author: { type: "bot", id: "b1" } }],
  ["MessageSent", { author: { type: "customer", id: "u1" } }],
  ["MessageSent", { author: { type: "system" } }],
  ["MessageReceived", { author: { type: "customer", id: "u2" } }],
  ["MessageSent", { author: { type: "agent", id: "a2" } }],
  ["ConversationClosed", { data: {} }],
  ["ConversationReopened", { data: {} }],
  ["ConversationOpened", { data: {} }],
  ["ConversationTagged", { data: { tags: ["a", "b"] } }],
  ["ConversationUntagged", { data: { tags: ["a"] } }],
  ["ConversationAssigned", { data: { assignee: { type: "agent", id: "a2" } } }],
  ["AgentLeft", { data: { participant: { type: "agent", id: "a1" } } }],
  ["CustomerJoined", { data: { participant: { type: "customer", id: "u2" } } }],
] as const;

const timelineArb = fc
  .array(fc.record({ kind: fc.nat(TYPES.length - 1), at: fc.nat(5) }), { minLength: 1, maxLength: 25 })
  .map((specs) =>
    specs.map(({ kind, at }, i) => {
      const [type, fields] = TYPES[kind] as (typeof TYPES)[number];
      // Few distinct seconds: many events share a timestamp, so ids break the ties.
      return ev(type, at, fields, `p${String(i).padStart(3, "0")}`);
    }),
  );

const STATUS_TYPES = ["ConversationOpened", "ConversationClosed", "ConversationReopened"];

/**
 * The metrics straight from their definitions over the SET of events (docs/bi.md), with no
 * fold: minimums over the set, and the latest status event in the log's order.
 */
function metricsOfSet(events: StoredEvent[]) {
  const earliest = (times: string[]) => [...times].sort()[0] ?? null;
  const messages = events.filter((e) => e.type === "MessageReceived" || e.type === "MessageSent");
  const by = (type: string) => messages.filter((e) => e.author.type === type);
  const firstCustomer = earliest(by("customer").map((e) => e.occurred_at));
  const firstResponse =
    firstCustomer === null
      ? null
      : earliest(by("agent").flatMap((e) => (e.occurred_at > firstCustomer ? [e.occurred_at] : [])));
  const lastStatus = sorted(events.filter((e) => STATUS_TYPES.includes(e.type))).at(-1);
  const closedAt = lastStatus?.type === "ConversationClosed" ? lastStatus.occurred_at : null;
  const firstEvent = earliest(events.map((e) => e.occurred_at)) as string;
  const ms = (from: string | null, to: string | null) =>
    from === null || to === null ? null : new Date(to).getTime() - new Date(from).getTime();
  return {
    first_response_at: firstResponse,
    closed_at: closedAt,
    message_counts: {
      customer: by("customer").length,
      agent: by("agent").length,
      bot: by("bot").length,
      system: by("system").length,
    },
    metrics: {
      first_customer_message_at: firstCustomer,
      first_response_ms: ms(firstCustomer, firstResponse),
      resolution_ms: ms(firstEvent, closedAt),
    },
  };
}

describe("projector ordering guarantee", () => {
  it("ends in the sorted fold for any arrival order and any re-deliveries", async () => {
    await fc.assert(
      fc.asyncProperty(
        timelineArb.chain((events) =>
          fc.record({
            events: fc.constant(events),
            arrival: fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }),
            redeliveries: fc.array(fc.nat(events.length - 1), { maxLength: 10 }),
            positions: fc.array(fc.nat(), { maxLength: 10 }),
          }),
        ),
        async ({ events, arrival, redeliveries, positions }) => {
          // Re-deliveries of already-arrived events, spliced in at random later points.
          const deliveries = [...arrival];
          for (const [k, r] of redeliveries.entries()) {
            const event = events[r] as StoredEvent;
            const firstAt = deliveries.indexOf(event);
            const at = firstAt + 1 + ((positions[k] ?? 0) % (deliveries.length - firstAt));
            deliveries.splice(at, 0, event);
          }
          const states = new InMemoryStates();
          let clock = 0;
          const deps = { states, now: () => Date.UTC(2025, 5, 1) + clock++ };
          for (const event of deliveries) {
            // The store deduplicates: a duplicate delivery finds its event already there.
            states.timeline.set(event.id, event);
            await projectEvent(deps, "t", event);
          }
          expect(states.stored?.state).toEqual(foldEvents(undefined, sorted(events)));
          expect(states.stored?.state).toMatchObject(metricsOfSet(events));
          // Only real changes are written: at most one write per distinct event.
          expect(states.writes).toBeLessThanOrEqual(events.length);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("refolds when an earlier customer message arrives late and moves the first response", async () => {
    const states = new InMemoryStates();
    const deps = { states, now: () => 0 };
    const deliver = async (e: StoredEvent) => {
      states.timeline.set(e.id, e);
      return projectEvent(deps, "t", e);
    };
    for (const e of [
      ev("MessageSent", 5, agent),
      ev("MessageReceived", 10, customer),
      ev("MessageSent", 20, agent),
    ])
      await deliver(e);
    expect(states.stored?.state.metrics).toMatchObject({
      first_customer_message_at: "2025-05-23T10:00:10.000Z",
      first_response_ms: 10_000, // 10:00:10 → 10:00:20
    });
    // The customer had written at 10:00:03: the agent's 10:00:05 message now answers it.
    expect(await deliver(ev("MessageReceived", 3, customer))).toBe("refolded");
    expect(states.stored?.state).toMatchObject({
      first_response_at: "2025-05-23T10:00:05.000Z",
      metrics: { first_customer_message_at: "2025-05-23T10:00:03.000Z", first_response_ms: 2000 },
    });
  });

  it("refolds a state written before the metrics existed, even for an in-order event", async () => {
    const states = new InMemoryStates();
    const deps = { states, now: () => 0 };
    const [a, b, c] = [
      ev("MessageReceived", 1, customer),
      ev("MessageSent", 2, { author: { type: "bot", id: "b1" } }),
      ev("MessageSent", 3, agent),
    ] as [StoredEvent, StoredEvent, StoredEvent];
    for (const e of [a, b]) states.timeline.set(e.id, e);
    // What the previous fold stored: no metrics, and a bot reply as the first response.
    const { metrics: _metrics, ...old } = foldEvents(undefined, [a, b]);
    states.stored = { state: { ...old, first_response_at: b.occurred_at } as FoldedState, updatedAt: "x" };
    // A re-delivery is not "covered": the state must be rewritten in today's shape.
    expect(await projectEvent(deps, "t", b)).toBe("refolded");
    expect(states.stored?.state).toEqual(foldEvents(undefined, [a, b]));
    states.timeline.set(c.id, c);
    expect(await projectEvent(deps, "t", c)).toBe("incremental");
    expect(states.stored?.state).toEqual(foldEvents(undefined, [a, b, c]));
    expect(states.stored?.state.metrics.first_response_ms).toBe(2000);
  });

  it("writes nothing for a re-delivery of a counted event", async () => {
    const states = new InMemoryStates();
    const deps = { states, now: () => 0 };
    const [a, b] = [ev("ConversationOpened", 1), ev("ConversationClosed", 2)] as [StoredEvent, StoredEvent];
    for (const e of [a, b]) {
      states.timeline.set(e.id, e);
      await projectEvent(deps, "t", e);
    }
    expect(states.writes).toBe(2);
    expect(await projectEvent(deps, "t", a)).toBe("covered");
    expect(await projectEvent(deps, "t", b)).toBe("covered");
    expect(states.writes).toBe(2);
  });
});
