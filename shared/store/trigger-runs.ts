/**
 * The port of trigger runs: what one trigger did about one event, kept for the tenant to read
 * (`GET /v1/triggers/{trigger_id}/runs`) for {@link RUN_TTL_SECONDS}. The DynamoDB adapter is
 * `dynamo/trigger-runs.ts`.
 */
export const RUN_STATUSES = ["done", "skipped", "failed"] as const;
export type ActionRunStatus = (typeof RUN_STATUSES)[number];

/**
 * Why an action was not done: over the causation budget, stopped by the loop guard, or the
 * event was too expensive to match within the matcher's work budget.
 */
export const SKIP_REASONS = ["budget", "loop_guard", "match_budget"] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

/** Runs are diagnostics: DynamoDB TTL removes them after 30 days. */
export const RUN_TTL_SECONDS = 30 * 24 * 3600;

export interface ActionRun {
  /** Position of the action in the trigger's `actions`. */
  index: number;
  type: string;
  status: ActionRunStatus;
  /** Why it was skipped (`budget`, `loop_guard`) or failed (e.g. `HTTP 500`, `timeout`). */
  reason?: string;
  /** The event the action appended (done, or already stored by an earlier delivery). */
  event_id?: string;
  /** A webhook's delivery id (`webhook-id`) and the receiver's HTTP status, when it answered. */
  webhook_id?: string;
  http_status?: number;
}

export interface TriggerRun {
  /** `run_` + a digest of (trigger, event): a re-delivered event rewrites its run. */
  id: string;
  trigger_id: string;
  event_id: string;
  event_type: string;
  /** The depth of the event that set the trigger off (0 for an event from outside). */
  depth: number;
  /** The depth-0 event at the root of the causation tree. */
  root_event_id: string;
  /** When the run happened (the last delivery's). */
  at: string;
  /** The event's `received_at`: runs list newest first by it. */
  event_received_at: string;
  actions: ActionRun[];
}

export interface TriggerRunPage {
  items: TriggerRun[];
  hasMore: boolean;
}

export interface TriggerRunStore {
  /** Records (or, for a re-delivered event, replaces) a run. */
  record(tenant: string, run: TriggerRun): Promise<void>;
  /** Newest first; `after` is the position (`positionOf` a run) to continue after. */
  list(
    tenant: string,
    triggerId: string,
    options: { limit: number; after?: string },
  ): Promise<TriggerRunPage>;
}

/** A run's place in its trigger's list: newest first by the event's receipt, then its id. */
export function runPosition(run: Pick<TriggerRun, "event_received_at" | "event_id">): string {
  return `${run.event_received_at}#${run.event_id}`;
}
