/**
 * The port of causation budgets: how many trigger-produced events and webhook deliveries one
 * event from outside the log (depth 0) has caused, across its whole causation tree, however
 * many triggers matched at every level. The DynamoDB adapter is `dynamo/causation-budgets.ts`.
 *
 * A reservation names the action (its deterministic id), so a re-delivered event reserves the
 * same slots again instead of spending new ones, and concurrent reservations never overspend.
 */
export type BudgetKind = "events" | "webhooks";

/** Budgets outlive any redelivery of their tree's events (EventBridge retries for 24 h at most). */
export const BUDGET_TTL_SECONDS = 2 * 24 * 3600;

export interface CausationBudgetStore {
  /**
   * Reserves one slot of `kind` in the root's budget for `actionId`. `true` when the slot is
   * this action's (newly, or already from an earlier delivery); `false` when the budget of
   * `limit` slots is spent on other actions.
   */
  reserve(
    tenant: string,
    rootEventId: string,
    kind: BudgetKind,
    actionId: string,
    limit: number,
  ): Promise<boolean>;
  /** `true` exactly once per root: for the first caller that reports its budget exhausted. */
  markExhausted(tenant: string, rootEventId: string): Promise<boolean>;
}
