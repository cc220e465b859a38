/**
 * Table keys: shapes, round trips, tenant confinement (`T#{tenant}#` prefix) and the
 * total order of positions.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ID_PATTERN } from "#shared/events/schema.ts";
import {
  apiKeyListingKey,
  apiKeyLookupKey,
  bucketDirectoryPk,
  bucketsBetween,
  conversationPk,
  EVENT_SK_PREFIX,
  eventKey,
  eventSk,
  guardKey,
  parseEventSk,
  TIME_SHARDS,
  tenantOfPk,
  tenantPlanKey,
  tenantPrefix,
  timeBucket,
  timeIndexKey,
  timeIndexPk,
  timeShard,
} from "#shared/store/dynamo/table-keys.ts";
import { parsePosition, positionOf } from "#shared/store/events.ts";
import { MAX_MS } from "#shared/time.ts";

const TS = "2025-05-23T10:15:30.123Z";

/** Ids as the contract allows them: `[A-Za-z0-9._:-]{1,128}`. */
const anId = fc.string({
  unit: fc.constantFrom(..."abcXYZ019._:-"),
  minLength: 1,
  maxLength: 128,
});
const anInstant = fc.integer({ min: 0, max: MAX_MS }).map((ms) => new Date(ms).toISOString());

describe("event keys", () => {
  it("builds the event key of a conversation", () => {
    expect(eventKey("acme", "conv-1", TS, "e1")).toEqual({
      pk: "T#acme#C#conv-1",
      sk: `E#${TS}#e1`,
    });
    expect(EVENT_SK_PREFIX).toBe("E#");
  });

  it.each([
    ["e1"],
    ["whatsapp:0a1b2c"],
    ["a.b.c"],
    ["with-dash"],
    ["under_score"],
    ["::..--__"],
    ["x".repeat(128)],
  ])("round-trips id %s through eventSk / parseEventSk and positionOf / parsePosition", (id) => {
    expect(parseEventSk(eventSk(TS, id))).toEqual({ occurredAt: TS, id });
    expect(parsePosition(positionOf(TS, id))).toEqual({ occurredAt: TS, id });
    expect(eventSk(TS, id)).toBe(`E#${positionOf(TS, id)}`);
  });

  it("round-trips any valid id and instant", () => {
    fc.assert(
      fc.property(anInstant, anId, (occurredAt, id) => {
        expect(ID_PATTERN.test(id)).toBe(true);
        expect(parsePosition(positionOf(occurredAt, id))).toEqual({ occurredAt, id });
        expect(parseEventSk(eventKey("acme", "c", occurredAt, id).sk)).toEqual({ occurredAt, id });
      }),
    );
  });

  it("refuses timestamps that are not normalized", () => {
    expect(() => positionOf("2025-05-23T10:15:30Z", "e1")).toThrow(/normalized/);
    expect(() => eventSk("2025-05-23T12:15:30.123+02:00", "e1")).toThrow(/normalized/);
  });

  it.each([
    ["an empty string", ""],
    ["a bare timestamp", TS],
    ["a timestamp and separator only", `${TS}#`],
    ["a wrong separator", `${TS}_e1`],
    ["a short timestamp", "2025-05-23T10:15:30Z#e1"],
  ])("parsePosition rejects %s", (_what, position) => {
    expect(() => parsePosition(position)).toThrow(/not a position/);
  });

  it("parseEventSk rejects sort keys of other items", () => {
    expect(() => parseEventSk("I")).toThrow(/not an event sort key/);
    expect(() => parseEventSk(`X#${TS}#e1`)).toThrow(/not an event sort key/);
  });
});

describe("position order", () => {
  it("orders positions lexicographically exactly as (occurred_at, id)", () => {
    const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: MAX_MS }),
        anId,
        fc.integer({ min: 0, max: MAX_MS }),
        anId,
        fc.boolean(),
        (msA, idA, msB0, idB, sameInstant) => {
          // Prepare: often share the instant, so ties on occurred_at are exercised.
          const msB = sameInstant ? msA : msB0;
          const a = positionOf(new Date(msA).toISOString(), idA);
          const b = positionOf(new Date(msB).toISOString(), idB);
          // Act
          const byPosition = cmp(a, b);
          // Assert
          const expected = msA !== msB ? Math.sign(msA - msB) : cmp(idA, idB);
          expect(byPosition).toBe(expected);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("sorts an id before its extensions and by character code within one instant", () => {
    const sorted = ["e1-b", "e10", "e1", "E1", "e1.a"].map((id) => positionOf(TS, id)).sort();
    expect(sorted.map((p) => parsePosition(p).id)).toEqual(["E1", "e1", "e1-b", "e1.a", "e10"]);
  });
});

describe("time index keys", () => {
  it("has the shape T#{tenant}#M#{yyyy-mm}#{shard} / {occurred_at}#{id}", () => {
    // Act
    const key = timeIndexKey("acme", TS, "e1");
    // Assert
    expect(key.tpk).toBe(`T#acme#M#2025-05#${timeShard("e1")}`);
    expect(key.tsk).toBe(`${TS}#e1`);
    expect(key.tpk).toMatch(/^T#acme#M#2025-05#[0-3]$/);
    expect(timeIndexPk("acme", "2025-05", 2)).toBe("T#acme#M#2025-05#2");
  });

  it("buckets by UTC month", () => {
    expect(timeBucket("2025-12-31T23:59:59.999Z")).toBe("2025-12");
    expect(timeBucket("2026-01-01T00:00:00.000Z")).toBe("2026-01");
  });

  it("shards deterministically within [0, TIME_SHARDS)", () => {
    fc.assert(
      fc.property(anId, (id) => {
        const shard = timeShard(id);
        expect(Number.isInteger(shard)).toBe(true);
        expect(shard).toBeGreaterThanOrEqual(0);
        expect(shard).toBeLessThan(TIME_SHARDS);
        expect(timeShard(id)).toBe(shard);
      }),
    );
  });

  it("spreads ids over every shard", () => {
    const used = new Set(Array.from({ length: 200 }, (_, i) => timeShard(`evt-${i}`)));
    expect(used.size).toBe(TIME_SHARDS);
  });
});

describe("buckets between two instants", () => {
  it("lists every month inclusive across a year boundary", () => {
    expect(bucketsBetween("2024-11-15T00:00:00.000Z", "2025-02-01T00:00:00.000Z")).toEqual([
      "2024-11",
      "2024-12",
      "2025-01",
      "2025-02",
    ]);
  });

  it("spans several years", () => {
    const buckets = bucketsBetween("2023-12-31T23:59:59.999Z", "2026-01-01T00:00:00.000Z");
    expect(buckets).toHaveLength(12 * 2 + 2);
    expect(buckets[0]).toBe("2023-12");
    expect(buckets.at(-1)).toBe("2026-01");
    expect(buckets).toEqual([...buckets].sort());
    expect(new Set(buckets).size).toBe(buckets.length);
  });

  it("is one bucket within a month and none when the range is reversed", () => {
    expect(bucketsBetween("2025-05-01T00:00:00.000Z", "2025-05-31T23:59:59.999Z")).toEqual(["2025-05"]);
    expect(bucketsBetween("2025-06-01T00:00:00.000Z", "2025-05-31T23:59:59.999Z")).toEqual([]);
  });

  it("contains the bucket of every instant in the range", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4_102_444_800_000 }),
        fc.integer({ min: 0, max: 400 * 86_400_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (from, span, at) => {
          const fromIso = new Date(from).toISOString();
          const toIso = new Date(from + span).toISOString();
          const inside = new Date(from + Math.floor(span * at)).toISOString();
          expect(bucketsBetween(fromIso, toIso)).toContain(timeBucket(inside));
        },
      ),
    );
  });
});

describe("tenant confinement", () => {
  const builders: [string, (tenant: string) => string][] = [
    ["tenantPrefix", (t) => tenantPrefix(t)],
    ["conversationPk", (t) => conversationPk(t, "conv-1")],
    ["eventKey", (t) => eventKey(t, "conv-1", TS, "e1").pk],
    ["guardKey", (t) => guardKey(t, "e1").pk],
    ["timeIndexPk", (t) => timeIndexPk(t, "2025-05", 0)],
    ["timeIndexKey", (t) => timeIndexKey(t, TS, "e1").tpk],
    ["bucketDirectoryPk", (t) => bucketDirectoryPk(t)],
    ["apiKeyListingKey", (t) => apiKeyListingKey(t, "key-1").pk],
  ];

  it.each(builders)("%s starts with T#{tenant}#", (_name, build) => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,63}$/), (tenant) => {
        expect(build(tenant).startsWith(`T#${tenant}#`)).toBe(true);
        expect(tenantOfPk(build(tenant))).toBe(tenant);
      }),
    );
  });

  it.each(builders)("%s throws for an invalid tenant", (_name, build) => {
    for (const tenant of ["", "Acme", "ac#me", "a#", "-acme", "_acme", "ac me", "a/b", "x".repeat(65)]) {
      expect(() => build(tenant)).toThrow(/invalid tenant/);
    }
  });

  it("keeps one tenant's prefix from being a prefix of another tenant's keys", () => {
    // "acme" must not match "acme-eu": the trailing # closes the tenant segment.
    expect(conversationPk("acme-eu", "c").startsWith(tenantPrefix("acme"))).toBe(false);
  });

  it("tenantOfPk refuses keys that are not tenant data", () => {
    expect(() => tenantOfPk(apiKeyLookupKey("abc").pk)).toThrow(/not a tenant key/);
    expect(() => tenantOfPk("T#no-closing-hash")).toThrow(/not a tenant key/);
  });

  it("builds the other keys with their documented shapes", () => {
    expect(guardKey("acme", "e1")).toEqual({ pk: "T#acme#I#e1", sk: "I" });
    expect(bucketDirectoryPk("acme")).toBe("T#acme#TB");
    expect(apiKeyListingKey("acme", "k1")).toEqual({ pk: "T#acme#KEYS", sk: "k1" });
    expect(apiKeyLookupKey("abc")).toEqual({ pk: "K#abc", sk: "K" });
    // Outside the tenant namespace: the authorizers' `PLAN#*` grant reaches no tenant data.
    expect(tenantPlanKey("acme")).toEqual({ pk: "PLAN#acme", sk: "PLAN" });
    expect(() => tenantPlanKey("Not A Tenant")).toThrow(/invalid tenant id/);
  });
});
