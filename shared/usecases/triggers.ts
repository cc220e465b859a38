/**
 * Triggers CRUD (API.md "Automations"): validate, store, show. Knows nothing of Lambda or
 * DynamoDB; the repository, clock, id and secret generators are injected.
 */
import { randomBytes } from "node:crypto";
import { monotonicFactory } from "ulid";
import type * as z from "zod";
import { NotFoundError, ValidationError } from "../errors.ts";
import { type FieldError, formatPath, zodErrors } from "../events/validate.ts";
import type { StoredTrigger, TriggerStore } from "../store/triggers.ts";
import {
  type CreatedTriggerSchema,
  patternErrors,
  type Trigger,
  type TriggerInput,
  TriggerInputSchema,
} from "../triggers/schema.ts";

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
}

/** 32 random bytes: Standard Webhooks asks for 24 to 64. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString("base64")}`;
}

export function defaultTriggerDeps(triggers: TriggerStore): TriggerDeps {
  const ulid = monotonicFactory();
  return { triggers, now: Date.now, newId: () => `trg_${ulid()}`, newSecret: generateWebhookSecret };
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

function parseInput(body: unknown): TriggerInput {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new ValidationError("the body must be a trigger object: { name, enabled, when, actions }");
  }
  const parsed = TriggerInputSchema.safeParse(body);
  const errors: FieldError[] = parsed.success ? [] : zodErrors(parsed.error, "", body);
  // The pattern is checked even when other fields are wrong, so one answer lists every problem.
  const when = (body as Record<string, unknown>).when;
  if (when !== undefined && !errors.some((e) => e.path === "when")) errors.push(...patternErrors(when));
  if (errors.length > 0 || !parsed.success) {
    throw new ValidationError(
      `the trigger is invalid: ${errors.map((e) => `${e.path}: ${e.message}`).join("; ")}`,
      { errors },
    );
  }
  return parsed.data;
}

function assertTriggerId(id: string): void {
  // An id we could never have issued cannot exist: the same answer as an unknown one.
  if (!TRIGGER_ID_PATTERN.test(id)) throw new NotFoundError(`no trigger ${id}`);
}

export async function createTrigger(
  deps: TriggerDeps,
  tenant: string,
  body: unknown,
): Promise<CreatedTrigger> {
  const input = parseInput(body);
  const at = new Date(deps.now()).toISOString();
  const trigger: StoredTrigger = {
    id: deps.newId(),
    ...input,
    created_at: at,
    updated_at: at,
    // Every trigger gets its secret at create, so a webhook action added later by PUT is
    // signed with a secret the customer has already seen.
    secret: deps.newSecret(),
  };
  await deps.triggers.create(tenant, trigger);
  return { ...publicTrigger(trigger), webhook_secret: trigger.secret };
}

export async function getTrigger(deps: TriggerDeps, tenant: string, id: string): Promise<Trigger> {
  assertTriggerId(id);
  const found = await deps.triggers.get(tenant, id);
  if (!found) throw new NotFoundError(`no trigger ${id}`);
  return publicTrigger(found);
}

export async function replaceTrigger(
  deps: TriggerDeps,
  tenant: string,
  id: string,
  body: unknown,
): Promise<Trigger> {
  assertTriggerId(id);
  const input = parseInput(body);
  const replaced = await deps.triggers.replace(tenant, id, input, new Date(deps.now()).toISOString());
  if (!replaced) throw new NotFoundError(`no trigger ${id}`);
  return publicTrigger(replaced);
}

export async function deleteTrigger(deps: TriggerDeps, tenant: string, id: string): Promise<void> {
  assertTriggerId(id);
  if (!(await deps.triggers.delete(tenant, id))) throw new NotFoundError(`no trigger ${id}`);
}

/** `page[size]` (1..100, default 50) and `page[after]` (the last id of the previous page). */
export async function listTriggers(
  deps: TriggerDeps,
  tenant: string,
  params: Record<string, string>,
): Promise<TriggerList> {
  const errors: FieldError[] = [];
  for (const k of Object.keys(params)) {
    if (k !== "page[size]" && k !== "page[after]") {
      errors.push({
        path: formatPath([k]),
        message: "unknown query parameter; use page[size] or page[after]",
      });
    }
  }
  let limit = DEFAULT_TRIGGER_PAGE;
  const size = params["page[size]"];
  if (size !== undefined) {
    limit = Number(size);
    if (!/^\d+$/.test(size) || limit < 1 || limit > MAX_TRIGGER_PAGE) {
      errors.push({ path: "page[size]", message: `must be an integer from 1 to ${MAX_TRIGGER_PAGE}` });
    }
  }
  const after = params["page[after]"];
  if (after !== undefined && !TRIGGER_ID_PATTERN.test(after)) {
    errors.push({
      path: "page[after]",
      message: "must be a trigger id (meta.after_cursor of the previous page)",
    });
  }
  if (errors.length > 0) {
    throw new ValidationError(errors.map((e) => `${e.path}: ${e.message}`).join("; "), { errors });
  }
  const page = await deps.triggers.list(tenant, { limit, ...(after ? { after } : {}) });
  const last = page.items.at(-1);
  return {
    triggers: page.items.map(publicTrigger),
    meta: { has_more: page.hasMore, after_cursor: last ? last.id : (after ?? null) },
  };
}
