/**
 * Triggers CRUD (docs/api.md "Triggers"): store and show validated definitions. Knows nothing of Lambda or
 * DynamoDB; the repository, clock, id and secret generators are injected.
 */
import { randomBytes } from "node:crypto";
import { monotonicFactory } from "ulid";
import type * as z from "zod";
import { NotFoundError } from "../errors.ts";
import type { SecretSealer } from "../secrets/cipher.ts";
import type { StoredTrigger, TriggerStore } from "../store/triggers.ts";
import type { CreatedTriggerSchema, Trigger, TriggerInput } from "../triggers/schema.ts";

export const DEFAULT_TRIGGER_PAGE = 50;
export const MAX_TRIGGER_PAGE = 100;
/** `trg_` + a ULID: sorts by creation, so listings are in creation order. */
export const TRIGGER_ID_PATTERN = /^trg_[0-9A-HJKMNP-TV-Z]{26}$/;

export interface TriggerDeps {
  triggers: TriggerStore;
  /** Milliseconds since the epoch. */
  now: () => number;
  newId: () => string;
  /** A Standard Webhooks secret, `whsec_<base64>`. */
  newSecret: () => string;
  /** Seals the signing secret before it is stored; only the trigger engine can open it. */
  secrets: SecretSealer;
}

/** 32 random bytes: Standard Webhooks asks for 24 to 64. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString("base64")}`;
}

export function defaultTriggerDeps(triggers: TriggerStore, secrets: SecretSealer): TriggerDeps {
  const ulid = monotonicFactory();
  return { triggers, now: Date.now, newId: () => `trg_${ulid()}`, newSecret: generateWebhookSecret, secrets };
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
): Promise<CreatedTrigger> {
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
  await deps.triggers.create(tenant, trigger);
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
): Promise<Trigger> {
  // The definition only: the sealed secret stays as it is (docs/decisions.md, "Secrets at rest").
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
