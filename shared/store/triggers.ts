/**
 * The port of triggers and of webhook delivery failures: what the trigger use cases and the
 * engine depend on. The DynamoDB adapter is `dynamo/triggers.ts`.
 */
import type { StoredSecret } from "../secrets/cipher.ts";
import type { Trigger, TriggerAction } from "../triggers/schema.ts";

/** A trigger with what only the log sees. */
export interface StoredTrigger extends Trigger {
  /** The webhook signing secret, sealed for `{ tenant, purpose: "trigger-webhook-secret" }`. */
  secret: StoredSecret;
}

export interface TriggerDefinition {
  name: string;
  enabled: boolean;
  when: Record<string, unknown>;
  actions: TriggerAction[];
}

export interface TriggerPage {
  items: StoredTrigger[];
  hasMore: boolean;
}

/** A webhook delivery that failed every attempt: kept, never thrown away silently. */
export interface DeliveryFailure {
  webhook_id: string;
  trigger_id: string;
  event_id: string;
  action_index: number;
  url: string;
  status: "failed";
  attempts: number;
  /** HTTP status of the last attempt, when the receiver answered at all. */
  last_status?: number;
  last_error: string;
  failed_at: string;
}

export interface TriggerStore {
  /** Creates the trigger unless the tenant already has `max`; `false` then, and nothing is written. */
  create(tenant: string, trigger: StoredTrigger, max: number): Promise<boolean>;
  get(tenant: string, id: string): Promise<StoredTrigger | undefined>;
  /** Ascending by id (ids sort by creation time), after `after` (exclusive). */
  list(tenant: string, options: { limit: number; after?: string }): Promise<TriggerPage>;
  /** Every trigger of the tenant; what the engine evaluates. */
  all(tenant: string): Promise<StoredTrigger[]>;
  /** Replaces the definition; undefined when there is no such trigger. */
  replace(
    tenant: string,
    id: string,
    definition: TriggerDefinition,
    updatedAt: string,
  ): Promise<StoredTrigger | undefined>;
  /** Whether a trigger was deleted. */
  delete(tenant: string, id: string): Promise<boolean>;
  recordFailure(tenant: string, failure: DeliveryFailure): Promise<void>;
  listFailures(tenant: string): Promise<DeliveryFailure[]>;
}
