/**
 * Per-tenant rate limits of the local gateway: the token bucket API Gateway's usage plans
 * apply, one bucket per tenant (never per API key), refilled at the plan's rate up to its
 * burst. Pure: the clock is passed in, so tests drive time.
 */
import { isRatePlanTier, LOCAL_STAGE, type RatePlan, ratePlansFor } from "../rate-plans.ts";

/** A request admitted, or refused with the whole seconds until a token is available (≥ 1). */
export type Admission = { ok: true } | { ok: false; retryAfterSeconds: number };

export class TokenBucket {
  #tokens: number;
  #at: number;

  constructor(
    readonly plan: RatePlan,
    /** Milliseconds (any monotonic origin). */
    now: number,
    /** Tokens at `now`; default: full. */
    tokens: number = plan.burst,
  ) {
    if (!(plan.rate > 0) || !Number.isFinite(plan.rate))
      throw new Error(`rate must be > 0, got ${plan.rate}`);
    if (!Number.isInteger(plan.burst) || plan.burst < 1) throw new Error(`burst must be a whole number ≥ 1`);
    this.#tokens = Math.min(tokens, plan.burst);
    this.#at = now;
  }

  /** Tokens available at `now` (fractional). */
  tokens(now: number): number {
    this.#refill(now);
    return this.#tokens;
  }

  /** Takes one token if there is one; otherwise says how long until there is. */
  take(now: number): Admission {
    this.#refill(now);
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return { ok: true };
    }
    const seconds = (1 - this.#tokens) / this.plan.rate;
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(seconds)) };
  }

  #refill(now: number): void {
    // A clock that steps back refills nothing, and takes nothing either.
    const elapsed = Math.max(0, now - this.#at);
    this.#tokens = Math.min(this.plan.burst, this.#tokens + (elapsed / 1000) * this.plan.rate);
    this.#at = Math.max(this.#at, now);
  }
}

/** One bucket per tenant, each with the tenant's current plan. */
export class TenantRateLimiter {
  readonly #buckets = new Map<string, TokenBucket>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  /**
   * Charges one request to the tenant. A changed plan (the tenant moved tier) takes effect at
   * once, keeping the tokens the tenant has, up to the new burst.
   */
  take(tenant: string, plan: RatePlan): Admission {
    const now = this.now();
    let bucket = this.#buckets.get(tenant);
    if (!bucket || bucket.plan.rate !== plan.rate || bucket.plan.burst !== plan.burst) {
      bucket = new TokenBucket(plan, now, bucket?.tokens(now));
      this.#buckets.set(tenant, bucket);
    }
    return bucket.take(now);
  }
}

/**
 * The plan the local gateway enforces for a tenant: its LOCAL_API_KEYS plan if it has one,
 * else its tier's plan (the tier the authorizer read from the tenant's plan record). A tenant
 * without a plan record (`unassigned`) is not metered: in AWS it shares the `unassigned`
 * usage plan, bounded only by the stage throttle, which the local gateway does not emulate.
 */
export function localPlanOf(
  overrides: ReadonlyMap<string, RatePlan>,
  stage: string = LOCAL_STAGE,
): (tenant: string, tier: string | undefined) => RatePlan | undefined {
  const tiers = ratePlansFor(stage);
  return (tenant, tier) => overrides.get(tenant) ?? (tier && isRatePlanTier(tier) ? tiers[tier] : undefined);
}
