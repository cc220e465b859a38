/**
 * The port of tenant rate plans: which tier a tenant is on, and its usage key, the value the
 * authorizers return as `usageIdentifierKey` so that API Gateway meters the request against
 * the tenant's usage plan. The DynamoDB adapter is `dynamo/tenant-plans.ts`; the tiers
 * themselves (rate and burst per stage) are infra/rate-plans.ts.
 */

/**
 * The plan name of requests that belong to no tenant plan: a tenant whose keys predate rate
 * plans, a webhook of an unknown channel. On AWS they share the stage's `unassigned` usage
 * plan, bounded only by the stage throttle.
 */
export const UNASSIGNED_PLAN = "unassigned";

export interface TenantPlan {
  tenant: string;
  /** A tier of the stage's rate plans (`standard`, `large`). */
  tier: string;
  /**
   * The value of the tenant's API Gateway API key. Not a credential: with
   * `apiKeySource: AUTHORIZER`, only an authorizer can present it.
   */
  usageKey: string;
  /** The API Gateway id of that key (to move it between usage plans); locally a placeholder. */
  usageKeyId: string;
  updatedAt: string;
}

export interface TenantPlanStore {
  /** The tenant's plan; undefined when it has none yet (keys created before rate plans). */
  get(tenant: string): Promise<TenantPlan | undefined>;
  /** Records a tenant's first plan; false when the tenant already has one (nothing written). */
  create(plan: TenantPlan): Promise<boolean>;
  /** Moves an existing plan to another tier; false when the tenant has no plan. */
  setTier(tenant: string, tier: string, updatedAt: string): Promise<boolean>;
}
