/**
 * The local gateway's rate limits, pure: the token bucket (clock injected), one bucket per
 * tenant, which plan a tenant gets, and the LOCAL_API_KEYS `plan` it may come from.
 */
import { describe, expect, it } from "vitest";
import { localKeys, planOverrides } from "#infra/local/bootstrap.ts";
import { localPlanOf, TenantRateLimiter, TokenBucket } from "#infra/local/rate-limits.ts";
import { ratePlansFor } from "#infra/rate-plans.ts";

describe("TokenBucket", () => {
  it("admits a full burst at once, then refuses with the whole seconds until a token (at least 1)", () => {
    // Prepare
    const bucket = new TokenBucket({ rate: 2, burst: 3 }, 0);
    // Act
    const burst = [bucket.take(0), bucket.take(0), bucket.take(0)];
    const over = bucket.take(0);
    // Assert
    expect(burst).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
    // One token takes 0.5 s at 2/s: Retry-After rounds up to 1.
    expect(over).toEqual({ ok: false, retryAfterSeconds: 1 });
  });

  it("refills at the plan's rate: one token after 1/rate seconds, not before", () => {
    const bucket = new TokenBucket({ rate: 2, burst: 1 }, 0);
    expect(bucket.take(0).ok).toBe(true);
    expect(bucket.take(499).ok).toBe(false);
    expect(bucket.take(500).ok).toBe(true);
  });

  it("says how long a slow plan makes the caller wait, rounded up to whole seconds", () => {
    const bucket = new TokenBucket({ rate: 0.1, burst: 1 }, 0);
    bucket.take(0);
    expect(bucket.take(0)).toEqual({ ok: false, retryAfterSeconds: 10 });
    // 2.5 s later: 0.25 of a token; 7.5 s to go.
    expect(bucket.take(2500)).toEqual({ ok: false, retryAfterSeconds: 8 });
    expect(bucket.take(10_000).ok).toBe(true);
  });

  it("never holds more than the burst after a quiet spell", () => {
    const bucket = new TokenBucket({ rate: 100, burst: 2 }, 0);
    expect(bucket.tokens(3_600_000)).toBe(2);
    expect([bucket.take(3_600_000), bucket.take(3_600_000), bucket.take(3_600_000)].map((a) => a.ok)).toEqual(
      [true, true, false],
    );
  });

  it("refills nothing when the clock steps back", () => {
    const bucket = new TokenBucket({ rate: 1, burst: 1 }, 10_000);
    bucket.take(10_000);
    expect(bucket.take(5_000).ok).toBe(false);
    expect(bucket.take(10_999).ok).toBe(false);
    expect(bucket.take(11_000).ok).toBe(true);
  });

  it("refuses a plan that could admit nothing", () => {
    expect(() => new TokenBucket({ rate: 0, burst: 1 }, 0)).toThrow(/rate must be > 0/);
    expect(() => new TokenBucket({ rate: 1, burst: 0 }, 0)).toThrow(/burst/);
  });
});

describe("TenantRateLimiter", () => {
  it("keeps one bucket per tenant: one tenant over its plan leaves another untouched", () => {
    // Prepare
    let now = 0;
    const limiter = new TenantRateLimiter(() => now);
    const tiny = { rate: 1, burst: 2 };
    // Act
    const a = [limiter.take("acme", tiny), limiter.take("acme", tiny), limiter.take("acme", tiny)];
    const b = [limiter.take("globex", tiny), limiter.take("globex", tiny)];
    now = 1000;
    const aLater = limiter.take("acme", tiny);
    // Assert
    expect(a.map((x) => x.ok)).toEqual([true, true, false]);
    expect(b.map((x) => x.ok)).toEqual([true, true]);
    expect(aLater.ok).toBe(true);
  });

  it("applies a changed plan at once, keeping the tokens the tenant has up to the new burst", () => {
    const limiter = new TenantRateLimiter(() => 0);
    limiter.take("acme", { rate: 1, burst: 5 });
    // 4 tokens left; the new plan's burst is 2.
    const after = [1, 2, 3].map(() => limiter.take("acme", { rate: 1, burst: 2 }).ok);
    expect(after).toEqual([true, true, false]);
  });
});

describe("localPlanOf", () => {
  const tiers = ratePlansFor("local");

  it("gives a LOCAL_API_KEYS plan first, else the tier's plan; unassigned tenants are unmetered", () => {
    const planOf = localPlanOf(new Map([["acme", { rate: 2, burst: 3 }]]));
    expect(planOf("acme", "large")).toEqual({ rate: 2, burst: 3 });
    expect(planOf("globex", "standard")).toEqual(tiers.standard);
    expect(planOf("globex", "large")).toEqual(tiers.large);
    expect(planOf("globex", "unassigned")).toBeUndefined();
    expect(planOf("globex", undefined)).toBeUndefined();
  });

  it("uses the dev plans locally: standard is 100/s with a burst of 200", () => {
    expect(tiers.standard).toEqual({ rate: 100, burst: 200 });
    expect(ratePlansFor("dev")).toEqual(tiers);
  });
});

describe("LOCAL_API_KEYS plans", () => {
  const key = (extra: Record<string, unknown> = {}) => ({
    tenant: "acme",
    key: "local_key_0123456789abcdef",
    scopes: ["events:read"],
    ...extra,
  });
  const parse = (...entries: unknown[]) => localKeys(JSON.stringify(entries));

  it("takes an optional plan per entry, and gathers the tenants that have one", () => {
    // Act
    const keys = parse(
      key({ plan: { rate: 0.5, burst: 3 } }),
      key({ key: "local_key_fedcba9876543210" }),
      key({ tenant: "globex", key: "local_key_0000000000000000" }),
    );
    // Assert
    expect(keys[0]?.plan).toEqual({ rate: 0.5, burst: 3 });
    expect(keys[1]?.plan).toBeUndefined();
    expect([...planOverrides(keys)]).toEqual([["acme", { rate: 0.5, burst: 3 }]]);
  });

  it.each([
    ["a zero rate", { rate: 0, burst: 3 }, "0.plan.rate rate must be more than 0 requests/s"],
    ["a negative rate", { rate: -1, burst: 3 }, "0.plan.rate rate must be more than 0 requests/s"],
    ["a fractional burst", { rate: 1, burst: 1.5 }, "0.plan.burst burst must be a whole number"],
    ["a zero burst", { rate: 1, burst: 0 }, "0.plan.burst burst must be at least 1"],
    ["a missing burst", { rate: 1 }, "0.plan.burst"],
    ["a rate as text", { rate: "10", burst: 3 }, "0.plan.rate"],
    ["an unknown field", { rate: 1, burst: 1, quota: 5 }, "0.plan"],
    ["a tier name", "large", "0.plan"],
  ])("refuses %s with the entry and the reason", (_what, plan, message) => {
    expect(() => parse(key({ plan }))).toThrow(`LOCAL_API_KEYS is invalid: ${message}`);
  });

  it("refuses two different plans for one tenant: a plan belongs to the tenant, not to a key", () => {
    expect(() =>
      parse(
        key({ plan: { rate: 1, burst: 2 } }),
        key({ key: "local_key_fedcba9876543210", plan: { rate: 5, burst: 2 } }),
      ),
    ).toThrow("1.plan differs from another plan of tenant acme");
    // The same plan twice is fine.
    expect(() =>
      parse(
        key({ plan: { rate: 1, burst: 2 } }),
        key({ key: "local_key_fedcba9876543210", plan: { rate: 1, burst: 2 } }),
      ),
    ).not.toThrow();
  });
});
