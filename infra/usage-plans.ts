/**
 * Tenant rate plans, as the key CLI and the local runtime manage them.
 *
 * Two ports meet here:
 * - `TenantPlanStore` (shared/store/tenant-plans.ts): the table's record of a tenant's tier
 *   and usage key, which the authorizers read;
 * - `UsagePlans` (below): the gateway side. In AWS, API Gateway: one API key per tenant
 *   (`ApiGatewayUsagePlans`, infra/usage-plans-aws.ts) bound to its tier's usage plan. Locally,
 *   nothing: the local gateway enforces the tier the authorizer reads from the table record
 *   (`LocalUsagePlans`).
 *
 * `ensureTenantPlan` and `changeTenantPlan` are the logic over both, unit-tested with fakes.
 */
import { randomBytes } from "node:crypto";
import { ValidationError } from "#shared/errors.ts";
import type { TenantPlan, TenantPlanStore } from "#shared/store/tenant-plans.ts";
import { DEFAULT_TIER, isRatePlanTier, RATE_PLAN_TIERS, type RatePlanTier } from "./rate-plans.ts";

/** A tenant's key on the gateway: its id there and its value (the `usageIdentifierKey`). */
export interface UsageKey {
  id: string;
  value: string;
}

/** The gateway's usage plans: where a tenant's usage key is bound to its tier's plan. */
export interface UsagePlans {
  /** Creates the tenant's usage key with this value, bound to the tier's usage plan. */
  createKey(input: { tenant: string; tier: RatePlanTier; value: string }): Promise<UsageKey>;
  /** Moves a usage key from one tier's usage plan to another's. */
  moveKey(keyId: string, from: RatePlanTier, to: RatePlanTier): Promise<void>;
  /** Deletes a usage key (a creation that lost a race to another). */
  deleteKey(keyId: string): Promise<void>;
}

/**
 * The local gateway has no usage plans to call: it reads the tenant's tier through the
 * authorizer, from the table record the logic writes. Keys get a local placeholder id.
 */
export class LocalUsagePlans implements UsagePlans {
  async createKey(input: { value: string }): Promise<UsageKey> {
    return { id: `local-${input.value.slice(-8)}`, value: input.value };
  }
  async moveKey(): Promise<void> {}
  async deleteKey(): Promise<void> {}
}

export interface TenantPlanDeps {
  plans: TenantPlanStore;
  usagePlans: UsagePlans;
  now?: () => Date;
}

/** A usage key value: random, so that it names one tenant and leaks nothing about it. */
export function newUsageKeyValue(): string {
  return `clu_${randomBytes(24).toString("base64url")}`;
}

export function parseTier(value: string): RatePlanTier {
  if (!isRatePlanTier(value)) {
    throw new ValidationError(
      `plan must be one of ${RATE_PLAN_TIERS.join(", ")}; got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/**
 * The tenant's plan, created on the given tier (default `standard`) if it has none: a usage
 * key on the gateway, then the table record. Idempotent; when two callers race, one record
 * wins and the loser's gateway key is deleted.
 */
export async function ensureTenantPlan(
  deps: TenantPlanDeps,
  tenant: string,
  tier: RatePlanTier = DEFAULT_TIER,
): Promise<{ plan: TenantPlan; created: boolean }> {
  const existing = await deps.plans.get(tenant);
  if (existing) return { plan: existing, created: false };
  const key = await deps.usagePlans.createKey({ tenant, tier, value: newUsageKeyValue() });
  const plan: TenantPlan = {
    tenant,
    tier,
    usageKey: key.value,
    usageKeyId: key.id,
    updatedAt: (deps.now?.() ?? new Date()).toISOString(),
  };
  if (await deps.plans.create(plan)) return { plan, created: true };
  await deps.usagePlans.deleteKey(key.id);
  const winner = await deps.plans.get(tenant);
  if (!winner) throw new Error(`tenant ${tenant}: its plan was created and removed concurrently; retry`);
  return { plan: winner, created: false };
}

/**
 * Puts the tenant on another tier: its usage key moves to that tier's usage plan, then the
 * record follows. A tenant without a plan gets one on that tier.
 */
export async function changeTenantPlan(
  deps: TenantPlanDeps,
  tenant: string,
  tier: RatePlanTier,
): Promise<{ from: string | null; plan: TenantPlan }> {
  const ensured = await ensureTenantPlan(deps, tenant, tier);
  if (ensured.created) return { from: null, plan: ensured.plan };
  const current = ensured.plan;
  if (current.tier === tier) return { from: current.tier, plan: current };
  const from = parseTier(current.tier);
  await deps.usagePlans.moveKey(current.usageKeyId, from, tier);
  const updatedAt = (deps.now?.() ?? new Date()).toISOString();
  if (!(await deps.plans.setTier(tenant, tier, updatedAt))) {
    throw new Error(`tenant ${tenant}: its plan disappeared while it was being moved`);
  }
  return { from, plan: { ...current, tier, updatedAt } };
}
