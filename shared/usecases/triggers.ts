/**
 * Triggers CRUD (docs/api.md "Triggers"): store and show validated definitions. Knows nothing of Lambda or
 * DynamoDB; the repository, clock, id and secret generators are injected.
 */
import { randomBytes } from "node:crypto";
import { monotonicFactory } from "ulid";
import type * as z from "zod";
import type { Scope } from "../auth/scopes.ts";
import { DEFAULT_AUTOMATION_LIMITS } from "../config.ts";
import { type CursorCodec, type CursorParam, queryFingerprint } from "../cursor.ts";
import { ForbiddenError, LimitExceededError, NotFoundError } from "../errors.ts";
import type { SecretSealer } from "../secrets/cipher.ts";
import { runPosition, type TriggerRun, type TriggerRunStore } from "../store/trigger-runs.ts";
import type { StoredTrigger, TriggerStore } from "../store/triggers.ts";
import {
  type CreatedTriggerSchema,
  scopesForActions,
  type Trigger,
  type TriggerInput,
} from "../triggers/schema.ts";

export const DEFAULT_TRIGGER_PAGE = 50;
export const MAX_TRIGGER_PAGE = 100;
/** `trg_` + a ULID: sorts by creation, so listings are in creation order. */
export const TRIGGER_ID_PATTERN = /^trg_[0-9A-HJKMNP-TV-Z]{26}$/;

export const DEFAULT_RUN_PAGE = 50;
export const MAX_RUN_PAGE = 100;

export interface TriggerDeps {
  triggers: TriggerStore;
  runs: TriggerRunStore;
  /** Signs run-log cursors. */
  cursors: CursorCodec;
  /** Milliseconds since the epoch. */
  now: () => number;
  newId: () => string;
  /** A Standard Webhooks secret, `whsec_<base64>`. */
  newSecret: () => string;
  /** Triggers a tenant may have (stage configuration). */
  maxTriggers: number;
  /** Seals the signing secret before it is stored; only the trigger engine can open it. */
  secrets: SecretSealer;
}

/** 32 random bytes: Standard Webhooks asks for 24 to 64. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString("base64")}`;
}

export function defaultTriggerDeps(
  stores: { triggers: TriggerStore; runs: TriggerRunStore; cursors: CursorCodec; secrets: SecretSealer },
  maxTriggers = DEFAULT_AUTOMATION_LIMITS.triggersPerTenant,
): TriggerDeps {
  const ulid = monotonicFactory();
  return {
    ...stores,
    now: Date.now,
    newId: () => `trg_${ulid()}`,
    newSecret: generateWebhookSecret,
    maxTriggers,
  };
}

const WHY: Partial<Record<Scope, string>> = {
  "events:write": "its tag, close and reopen actions append events",
  "events:read": "its webhook actions send events out of the log",
};

/**
 * A trigger acts with its author's authority: its actions need scopes the author holds
 * (`ACTION_SCOPES`), besides `automations:write` for the route itself.
 */
function authorize(input: TriggerInput, granted: readonly Scope[]): void {
  const missing = scopesForActions(input.actions).filter((s) => !granted.includes(s));
  if (missing.length > 0) {
    const why = missing.map((s) => `${s} (${WHY[s] ?? "its actions use it"})`).join(" and ");
    throw new ForbiddenError(`this trigger needs ${why}, which this API key lacks`, {
      errors: missing.map((s) => ({ path: "actions", message: `needs the ${s} scope` })),
    });
  }
}

export type CreatedTrigger = z.infer<typeof CreatedTriggerSchema>;

export interface TriggerList {
  triggers: Trigger[];
  meta: { has_more: boolean; after_cursor: string | null };
}

/** The public view: everything but the secret. */
export function publicTrigger(t: StoredTrigger): Trigger {
  const { secret: _secret, ...rest } = t;
  return rest;
}

export async function createTrigger(
  deps: TriggerDeps,
  tenant: string,
  input: TriggerInput,
  granted: readonly Scope[],
): Promise<CreatedTrigger> {
  authorize(input, granted);
  const at = new Date(deps.now()).toISOString();
  // Every trigger gets its secret at create, so a webhook action added later by PUT is
  // signed with a secret the customer has already seen. Shown once, here; stored sealed.
  const secret = deps.newSecret();
  const trigger: StoredTrigger = {
    id: deps.newId(),
    ...input,
    created_at: at,
    updated_at: at,
    secret: await deps.secrets.seal(secret, { tenant, purpose: "trigger-webhook-secret" }),
  };
  if (!(await deps.triggers.create(tenant, trigger, deps.maxTriggers))) {
    throw new LimitExceededError(
      `this tenant has ${deps.maxTriggers} triggers, the most it may have; delete one before creating another`,
    );
  }
  return { ...publicTrigger(trigger), webhook_secret: secret };
}

export async function getTrigger(deps: TriggerDeps, tenant: string, id: string): Promise<Trigger> {
  const found = await deps.triggers.get(tenant, id);
  if (!found) throw new NotFoundError(`no trigger ${id}`);
  return publicTrigger(found);
}

export async function replaceTrigger(
  deps: TriggerDeps,
  tenant: string,
  id: string,
  input: TriggerInput,
  granted: readonly Scope[],
): Promise<Trigger> {
  authorize(input, granted);
  const replaced = await deps.triggers.replace(tenant, id, input, new Date(deps.now()).toISOString());
  if (!replaced) throw new NotFoundError(`no trigger ${id}`);
  return publicTrigger(replaced);
}

export async function deleteTrigger(deps: TriggerDeps, tenant: string, id: string): Promise<void> {
  if (!(await deps.triggers.delete(tenant, id))) throw new NotFoundError(`no trigger ${id}`);
}

/** A page of the tenant's triggers in creation order, after the trigger `after` (exclusive). */
export async function listTriggers(
  deps: TriggerDeps,
  tenant: string,
  request: { limit: number; after?: string },
): Promise<TriggerList> {
  const { after } = request;
  const page = await deps.triggers.list(tenant, { limit: request.limit, ...(after ? { after } : {}) });
  const last = page.items.at(-1);
  return {
    triggers: page.items.map(publicTrigger),
    meta: { has_more: page.hasMore, after_cursor: last ? last.id : (after ?? null) },
  };
}

export interface TriggerRunList {
  runs: TriggerRun[];
  meta: { has_more: boolean; after_cursor: string | null };
}

/** A trigger's runs, newest first, with a signed cursor bound to the tenant and the trigger. */
export async function listTriggerRuns(
  deps: TriggerDeps,
  tenant: string,
  triggerId: string,
  request: { limit: number; after?: CursorParam },
): Promise<TriggerRunList> {
  if (!(await deps.triggers.get(tenant, triggerId))) throw new NotFoundError(`no trigger ${triggerId}`);
  const fingerprint = queryFingerprint({ route: "trigger-runs", trigger_id: triggerId });
  const cursor = request.after;
  const after = cursor ? deps.cursors.decode(tenant, fingerprint, cursor.value, cursor.field).p : undefined;
  const page = await deps.runs.list(tenant, triggerId, { limit: request.limit, ...(after ? { after } : {}) });
  const last = page.items.at(-1);
  return {
    runs: page.items,
    meta: {
      has_more: page.hasMore,
      after_cursor: last
        ? deps.cursors.encode(tenant, fingerprint, runPosition(last))
        : (cursor?.value ?? null),
    },
  };
}
