/**
 * The ingest use case against an in-memory implementation of our own `EventStore` port:
 * envelopes, ids, idempotency (duplicate / conflict) and batch results.
 */
import fc from "fast-check";
import { beforeEach, describe, expect, it } from "vitest";
import { ConflictError, ValidationError } from "#shared/errors.ts";
import { ID_PATTERN, type StoredEvent } from "#shared/events/schema.ts";
import { validateEventInput } from "#shared/events/validate.ts";
import type { EventStore, Page, PreparedEvent, WriteOutcome } from "#shared/store/events.ts";
import { contentHash, deriveEventId, type IngestDeps, ingest, MAX_BATCH } from "#shared/usecases/ingest.ts";
import { aMessage, anEvent, type Json, uniqueTenant } from "../support/factories.ts";

const WAMID = "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJDQjZCMzlEQUE4OTJBMTE4RTUA";

/** At most one event per (tenant, id), like the real store's guard item. */
class InMemoryEventStore implements EventStore {
  readonly calls: { tenant: string; events: PreparedEvent[] }[] = [];
  readonly #guards = new Map<string, { hash: string; conversationId: string; position: string }>();
  readonly #events = new Map<string, StoredEvent>();

  async putEvents(tenant: string, events: PreparedEvent[]): Promise<WriteOutcome[]> {
    this.calls.push({ tenant, events });
    return events.map(({ event, hash }): WriteOutcome => {
      const guard = this.#guards.get(`${tenant}|${event.id}`);
      if (guard) {
        const { conversationId, position } = guard;
        const status = hash === guard.hash ? "duplicate" : "conflict";
        return { status, storedHash: guard.hash, conversationId, position };
      }
      const position = `${event.occurred_at}#${event.id}`;
      this.#guards.set(`${tenant}|${event.id}`, { hash, conversationId: event.conversation_id, position });
      this.#events.set(`${tenant}|${event.conversation_id}|${position}`, event);
      return { status: "created" };
    });
  }

  async getEventAt(
    tenant: string,
    conversationId: string,
    position: string,
  ): Promise<StoredEvent | undefined> {
    return this.#events.get(`${tenant}|${conversationId}|${position}`);
  }

  async getEventById(tenant: string, id: string): Promise<StoredEvent | undefined> {
    const guard = this.#guards.get(`${tenant}|${id}`);
    return guard ? this.getEventAt(tenant, guard.conversationId, guard.position) : undefined;
  }

  async queryTimeline(): Promise<Page> {
    throw new Error("not used by ingest");
  }

  async conversationExists(): Promise<boolean> {
    throw new Error("not used by ingest");
  }

  async queryByTime(): Promise<Page> {
    throw new Error("not used by ingest");
  }

  get size(): number {
    return this.#events.size;
  }
}

const NOW = Date.UTC(2025, 5, 1, 12, 0, 0, 0);

function fakeDeps(store = new InMemoryEventStore()): IngestDeps & { store: InMemoryEventStore } {
  let seq = 0;
  let id = 0;
  return {
    store,
    now: () => NOW,
    sequence: () => `seq-${String(++seq).padStart(6, "0")}`,
    newId: () => `server-${++id}`,
  };
}

async function ingestError(deps: IngestDeps, tenant: string, body: unknown): Promise<unknown> {
  try {
    await ingest(deps, tenant, body);
  } catch (error) {
    return error;
  }
  throw new Error("expected ingest to throw");
}

describe("deriveEventId", () => {
  it("is deterministic and fits the id pattern, even for a WhatsApp base64 wamid", () => {
    // Act
    const id = deriveEventId("whatsapp", WAMID);
    // Assert
    expect(id).toBe(deriveEventId("whatsapp", WAMID));
    expect(id).toMatch(/^whatsapp:[0-9a-f]{32}$/);
    expect(id).toMatch(ID_PATTERN);
  });

  it("fits the id pattern for provider ids with any characters", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom(..."abcxyz0189_.-"), minLength: 1, maxLength: 32 }),
        fc.string({ unit: "binary", maxLength: 64 }),
        (system, eventId) => {
          expect(deriveEventId(system, eventId)).toMatch(ID_PATTERN);
        },
      ),
    );
  });

  it("differs for different event ids and for different systems", () => {
    expect(deriveEventId("whatsapp", WAMID)).not.toBe(deriveEventId("whatsapp", `${WAMID}=`));
    expect(deriveEventId("whatsapp", "m1")).not.toBe(deriveEventId("sunco", "m1"));
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        fc.pre(a !== b);
        expect(deriveEventId("sms", a)).not.toBe(deriveEventId("sms", b));
      }),
    );
  });
});

describe("contentHash", () => {
  const valid = (raw: Json) => {
    const result = validateEventInput(raw);
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    return { ...result.value, id: result.value.id ?? "x" };
  };

  it("is equal for the same event with keys in another order", () => {
    // Prepare
    const a = valid(
      aMessage({ id: "e1", metadata: { a: 1, b: "two" }, author: { type: "customer", id: "c1" } }),
    );
    const b = valid({
      metadata: { b: "two", a: 1 },
      message: { content: { text: "Hello", type: "text" } },
      author: { id: "c1", type: "customer" },
      channel: { type: "web" },
      occurred_at: "2025-05-23T10:15:30.123Z",
      conversation_id: "conv-1",
      type: "MessageReceived",
      id: "e1",
    });
    // Act / Assert
    expect(contentHash(a)).toBe(contentHash(b));
  });

  it("is equal for timestamps that normalize to the same instant", () => {
    const a = valid(aMessage({ id: "e1", occurred_at: "2025-05-23T12:15:30.123+02:00" }));
    const b = valid(aMessage({ id: "e1", occurred_at: "2025-05-23T10:15:30.1239Z" }));
    expect(contentHash(a)).toBe(contentHash(b));
  });

  it("differs when anything the client controls differs", () => {
    const base = contentHash(valid(aMessage({ id: "e1" })));
    expect(contentHash(valid(aMessage({ id: "e2" })))).not.toBe(base);
    expect(
      contentHash(valid(aMessage({ id: "e1", message: { content: { type: "text", text: "Hello!" } } }))),
    ).not.toBe(base);
    expect(contentHash(valid(aMessage({ id: "e1", occurred_at: "2025-05-23T10:15:30.124Z" })))).not.toBe(
      base,
    );
    expect(contentHash(valid(aMessage({ id: "e1", metadata: { k: 1 } })))).not.toBe(base);
    expect(contentHash(valid(aMessage({ id: "e1", metadata: { k: "1" } })))).not.toBe(
      contentHash(valid(aMessage({ id: "e1", metadata: { k: 1 } }))),
    );
  });
});

describe("ingest: single event", () => {
  let tenant: string;
  beforeEach(() => {
    tenant = uniqueTenant();
  });

  it("stores a new event with log-owned fields and reports it created", async () => {
    // Prepare
    const deps = fakeDeps();
    const body = aMessage({ id: "e1", occurred_at: "2025-05-23T12:15:30.1239+02:00" });
    // Act
    const result = await ingest(deps, tenant, body);
    // Assert
    expect(result.kind).toBe("single");
    if (result.kind !== "single") return;
    expect(result.created).toBe(true);
    expect(result.event).toMatchObject({
      id: "e1",
      type: "MessageReceived",
      occurred_at: "2025-05-23T10:15:30.123Z",
      received_at: new Date(NOW).toISOString(),
      sequence: "seq-000001",
      message: { content: { type: "text", text: "Hello" } },
    });
    expect(deps.store.calls).toHaveLength(1);
    expect(deps.store.calls[0]?.tenant).toBe(tenant);
    expect(deps.store.calls[0]?.events[0]?.event).toEqual(result.event);
  });

  it("answers an identical replay with the stored event, created false", async () => {
    // Prepare
    const deps = fakeDeps();
    const body = aMessage({ id: "e1" });
    const first = await ingest(deps, tenant, body);
    // Act: same body, the timestamp written differently.
    const again = await ingest(deps, tenant, { ...body, occurred_at: "2025-05-23T12:15:30.123+02:00" });
    // Assert
    expect(again).toEqual({
      kind: "single",
      created: false,
      event: first.kind === "single" ? first.event : null,
    });
    expect(deps.store.size).toBe(1);
  });

  it("throws ConflictError (409) for the same id with another body", async () => {
    // Prepare
    const deps = fakeDeps();
    await ingest(deps, tenant, aMessage({ id: "e1" }));
    // Act
    const error = await ingestError(
      deps,
      tenant,
      aMessage({ id: "e1", message: { content: { type: "text", text: "Bye" } } }),
    );
    // Assert
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as ConflictError).status).toBe(409);
    expect(deps.store.size).toBe(1);
  });

  it("keeps tenants apart: the same id in two tenants is two events", async () => {
    const deps = fakeDeps();
    const a = await ingest(deps, tenant, aMessage({ id: "e1" }));
    const b = await ingest(
      deps,
      uniqueTenant(),
      aMessage({ id: "e1", message: { content: { type: "text", text: "other" } } }),
    );
    expect(a.kind === "single" && a.created).toBe(true);
    expect(b.kind === "single" && b.created).toBe(true);
  });

  it("throws ValidationError (400) with field errors for an invalid event, writing nothing", async () => {
    // Prepare
    const deps = fakeDeps();
    // Act
    const error = await ingestError(deps, tenant, aMessage({ occurred_at: "2025-05-23", bogus: true }));
    // Assert
    expect(error).toBeInstanceOf(ValidationError);
    const v = error as ValidationError;
    expect(v.status).toBe(400);
    expect(v.errors?.map((e) => e.path)).toEqual(expect.arrayContaining(["occurred_at", "bogus"]));
    expect(deps.store.calls).toHaveLength(0);
  });

  it("derives the id from source.system + source.event_id when id is absent", async () => {
    // Prepare
    const deps = fakeDeps();
    const { id: _id, ...body } = aMessage({ source: { system: "whatsapp", event_id: WAMID } });
    // Act
    const result = await ingest(deps, tenant, body);
    // Assert
    expect(result.kind === "single" && result.event.id).toBe(deriveEventId("whatsapp", WAMID));
  });

  it("makes a redelivered provider event (same source id, no id) a replay, not a new event", async () => {
    const deps = fakeDeps();
    const { id: _id, ...body } = aMessage({ source: { system: "whatsapp", event_id: WAMID } });
    await ingest(deps, tenant, body);
    const again = await ingest(deps, tenant, body);
    expect(again.kind === "single" && again.created).toBe(false);
    expect(deps.store.size).toBe(1);
  });

  it("prefers a client id over a source event id", async () => {
    const deps = fakeDeps();
    const result = await ingest(
      deps,
      tenant,
      aMessage({ id: "mine", source: { system: "whatsapp", event_id: WAMID } }),
    );
    expect(result.kind === "single" && result.event.id).toBe("mine");
  });

  it("uses a server id when neither id nor source event id is given", async () => {
    const deps = fakeDeps();
    const { id: _id, ...body } = aMessage({ source: { system: "api" } });
    const result = await ingest(deps, tenant, body);
    expect(result.kind === "single" && result.event.id).toBe("server-1");
  });

  it("stores the hash of the client-controlled content", async () => {
    const deps = fakeDeps();
    await ingest(deps, tenant, aMessage({ id: "e1" }));
    const prepared = deps.store.calls[0]?.events[0];
    const valid = validateEventInput(aMessage({ id: "e1" }));
    if (!valid.ok || !prepared) throw new Error("setup failed");
    expect(prepared.hash).toBe(contentHash({ ...valid.value, id: "e1" }));
  });
});

describe("ingest: envelope", () => {
  it.each([
    ["an array body", [aMessage()]],
    ["a string body", "not json"],
    ["a number body", 1],
    ["null", null],
    ["an empty batch", { events: [] }],
    ["a batch of 101 events", { events: Array.from({ length: MAX_BATCH + 1 }, () => aMessage()) }],
    ["a batch with an extra field", { events: [aMessage()], extra: 1 }],
    ["events that is not an array", { events: aMessage() }],
  ])("rejects %s whole with ValidationError (400), writing nothing", async (_what, body) => {
    // Prepare
    const deps = fakeDeps();
    // Act
    const error = await ingestError(deps, uniqueTenant(), body);
    // Assert
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).status).toBe(400);
    expect(deps.store.calls).toHaveLength(0);
  });

  it("names the extra field of a batch body", async () => {
    const error = await ingestError(fakeDeps(), uniqueTenant(), { events: [aMessage()], extra: 1 });
    expect((error as ValidationError).errors).toEqual([{ path: "extra", message: "unknown field" }]);
  });

  it("accepts a batch of exactly 100 events", async () => {
    const deps = fakeDeps();
    const result = await ingest(deps, uniqueTenant(), {
      events: Array.from({ length: MAX_BATCH }, () => aMessage()),
    });
    expect(result.kind === "batch" && result.results.every((r) => r.status === "created")).toBe(true);
    expect(deps.store.size).toBe(MAX_BATCH);
  });
});

describe("ingest: batch", () => {
  let tenant: string;
  beforeEach(() => {
    tenant = uniqueTenant();
  });

  async function batch(deps: IngestDeps, events: unknown[]) {
    const result = await ingest(deps, tenant, { events });
    if (result.kind !== "batch") throw new Error("expected a batch result");
    return result.results;
  }

  it("stores valid items, rejects the invalid one with prefixed errors, in input order", async () => {
    // Prepare
    const deps = fakeDeps();
    const events = [
      aMessage({ id: "b0" }),
      aMessage({ id: "b1", occurred_at: "yesterday" }),
      anEvent("ConversationClosed", { reason: "done" }, { id: "b2" }),
      "not an event",
    ];
    // Act
    const results = await batch(deps, events);
    // Assert
    expect(results.map((r) => [r.index, r.id, r.status])).toEqual([
      [0, "b0", "created"],
      [1, "b1", "rejected"],
      [2, "b2", "created"],
      [3, null, "rejected"],
    ]);
    expect(results[1]?.errors).toEqual([{ path: "events[1].occurred_at", message: expect.any(String) }]);
    expect(results[3]?.errors?.[0]?.path).toBe("events[3]");
    expect(results[0]?.errors).toBeUndefined();
    expect(deps.store.size).toBe(2);
  });

  it("reports duplicate for the same id twice with the same body, storing it once", async () => {
    // Prepare
    const deps = fakeDeps();
    const event = aMessage({ id: "dup" });
    // Act
    const results = await batch(deps, [event, { ...event }]);
    // Assert
    expect(results.map((r) => r.status)).toEqual(["created", "duplicate"]);
    expect(deps.store.calls[0]?.events.map((p) => p.event.id)).toEqual(["dup"]);
    expect(deps.store.size).toBe(1);
  });

  it("reports conflict for the same id twice with different bodies", async () => {
    const deps = fakeDeps();
    const results = await batch(deps, [
      aMessage({ id: "same" }),
      aMessage({ id: "same", message: { content: { type: "text", text: "changed" } } }),
    ]);
    expect(results.map((r) => r.status)).toEqual(["created", "conflict"]);
    expect(deps.store.size).toBe(1);
  });

  it("reports duplicate and conflict against events stored by earlier requests", async () => {
    // Prepare
    const deps = fakeDeps();
    await ingest(deps, tenant, aMessage({ id: "old" }));
    // Act
    const results = await batch(deps, [
      aMessage({ id: "old" }),
      aMessage({ id: "old", message: { content: { type: "text", text: "changed" } } }),
      aMessage({ id: "new" }),
    ]);
    // Assert
    expect(results.map((r) => r.status)).toEqual(["duplicate", "conflict", "created"]);
  });

  it("decides a repeat by the stored body when the first occurrence conflicted", async () => {
    const deps = fakeDeps();
    await ingest(deps, tenant, aMessage({ id: "old" }));
    const results = await batch(deps, [
      aMessage({ id: "old", message: { content: { type: "text", text: "changed" } } }),
      aMessage({ id: "old" }),
    ]);
    expect(results.map((r) => r.status)).toEqual(["conflict", "duplicate"]);
  });

  it("derives ids in a batch and treats two items with one source id as one event", async () => {
    // Prepare
    const deps = fakeDeps();
    const { id: _id, ...body } = aMessage({ source: { system: "whatsapp", event_id: WAMID } });
    // Act
    const results = await batch(deps, [body, body]);
    // Assert
    const derived = deriveEventId("whatsapp", WAMID);
    expect(results).toEqual([
      { index: 0, id: derived, status: "created" },
      { index: 1, id: derived, status: "duplicate" },
    ]);
  });

  it("makes no write when every item is rejected", async () => {
    const deps = fakeDeps();
    const results = await batch(deps, [aMessage({ sequence: "x" }), 42]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    expect(results[0]?.errors).toEqual([
      { path: "events[0].sequence", message: expect.stringContaining("is set by the log") },
    ]);
    expect(deps.store.calls).toHaveLength(0);
  });

  it("gives every input exactly one result, in order, for any mix of items", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom("valid", "invalid", "repeat", "changed"), {
          minLength: 1,
          maxLength: MAX_BATCH,
        }),
        async (kinds) => {
          // Prepare
          const deps = fakeDeps();
          const events = kinds.map((kind, i) => {
            if (kind === "invalid") return aMessage({ id: `i${i}`, bogus: 1 });
            if (kind === "repeat") return aMessage({ id: "shared" });
            if (kind === "changed")
              return aMessage({ id: "shared", message: { content: { type: "text", text: `v${i}` } } });
            return aMessage({ id: `v${i}` });
          });
          // Act
          const results = await ingest(deps, uniqueTenant(), { events });
          // Assert
          if (results.kind !== "batch") throw new Error("expected a batch");
          expect(results.results.map((r) => r.index)).toEqual(kinds.map((_, i) => i));
          results.results.forEach((r, i) => {
            expect(r.status === "rejected").toBe(kinds[i] === "invalid");
          });
          const created = results.results.filter((r) => r.status === "created").length;
          expect(created).toBe(deps.store.size);
          const shared = results.results.filter((_, i) => kinds[i] === "repeat" || kinds[i] === "changed");
          expect(shared.filter((r) => r.status === "created").length).toBe(shared.length > 0 ? 1 : 0);
        },
      ),
      { numRuns: 50 },
    );
  });
});
