/**
 * Rate plans: the named tiers a tenant can be on, per stage. Each tier is one API Gateway
 * usage plan in AWS (`conversation-log-{stage}-{tier}`) and one token bucket per tenant in the
 * local gateway. Part of each stage's configuration (`StageConfig.ratePlans`, infra/config.ts);
 * kept free of CDK imports so that the local runtime and the key CLI load it cheaply.
 *
 * docs/api.md ("Rate limits") and docs/decisions.md ("Rate limits") explain the choices.
 */

/** A token bucket: `rate` requests per second sustained, `burst` at once. */
export interface RatePlan {
  /** Requests per second; fractions allowed (API Gateway's `rateLimit` is a double). */
  rate: number;
  /** Bucket size: requests that may arrive at once after a quiet spell. */
  burst: number;
}

/** Tiers, smallest first. `standard` is the stage default: every tenant starts on it. */
export const RATE_PLAN_TIERS = ["standard", "large"] as const;
export type RatePlanTier = (typeof RATE_PLAN_TIERS)[number];
export const DEFAULT_TIER: RatePlanTier = "standard";

/**
 * The plan of tenants that have no usage key yet (keys created before rate plans existed),
 * and of webhooks whose channel is unknown: no tenant bucket, only the stage throttle.
 */
export { UNASSIGNED_PLAN } from "#shared/store/tenant-plans.ts";

export function isRatePlanTier(value: string): value is RatePlanTier {
  return (RATE_PLAN_TIERS as readonly string[]).includes(value);
}

/** The local gateway's stage (`npm start`, the tests): it has the non-prod stages' plans. */
export const LOCAL_STAGE = "local";

/** Every tier of a stage: prod's, or the one set every other stage (dev, pr-…, local) shares. */
export function ratePlansFor(stage: string): Record<RatePlanTier, RatePlan> {
  return stage === "prod"
    ? { standard: { rate: 200, burst: 400 }, large: { rate: 1000, burst: 2000 } }
    : { standard: { rate: 100, burst: 200 }, large: { rate: 250, burst: 500 } };
}

/** The API Gateway usage plan of a tier: the key CLI finds its id by this name. */
export function usagePlanName(stage: string, tier: string): string {
  return `conversation-log-${stage}-${tier}`;
}

/**
 * The value of the stage's shared API Gateway key, on the `unassigned` usage plan. It names
 * a usage plan; it authenticates nothing: with `apiKeySource: AUTHORIZER`, API Gateway takes
 * the key only from an authorizer's `usageIdentifierKey`, never from a client.
 */
export function unassignedUsageKey(stage: string): string {
  return `conversation-log-${stage}-unassigned`;
}

export function describePlan(plan: RatePlan): string {
  return `${plan.rate} requests/s, burst ${plan.burst}`;
}
