/**
 * The trigger engine: for one bus event, run every matching trigger of its tenant.
 *
 * - `when` is matched against the unified event (the bus detail's `event`) with the same
 *   EventBridge-compatible matcher the API validated it with;
 * - a trigger applies to events stored at or after its last create/update (`received_at` ≥
 *   `updated_at`), never to events it caused itself, and events of depth 3 fire nothing;
 * - `add_tags`, `close` and `reopen` append events through {@link appendEvents} with
 *   `caused_by`. Their ids (and bodies) derive from (trigger, source event, action index), so
 *   a re-delivered bus event appends nothing new: the store's id guard reports a duplicate;
 * - every append runs before any webhook is sent: when an append fails the call throws (the
 *   bus retries the whole event, idempotently) and no webhook has gone out yet. A webhook
 *   failure never throws: it is recorded and logged, so the other actions are not re-run.
 */
import { createHash } from "node:crypto";
import type { BusDetail } from "../bus/contract.ts";
import { type CompiledEventPattern, compilePattern } from "../bus/event-pattern.ts";
import type { StoredEvent } from "../events/schema.ts";
import { logger } from "../logger.ts";
import { openStoredSecret, type SecretOpener } from "../secrets/cipher.ts";
import type { StoredTrigger, TriggerStore } from "../store/triggers.ts";
import type { TriggerAction } from "../triggers/schema.ts";
import type { DeliveryResult, WebhookRequest, WebhookSender } from "../webhooks/sender.ts";
import { type AppendResult, appendEvents, type CausedBy, type IngestDeps } from "./ingest.ts";

/** docs/events.md (`caused_by`): events of this depth fire no triggers. */
export const MAX_CAUSE_DEPTH = 3;
const LAST_INSTANT = "9999-12-31T23:59:59.999Z";

export interface TriggerEngineDeps {
  ingest: IngestDeps;
  triggers: TriggerStore;
  webhooks: WebhookSender;
  /** Opens a trigger's signing secret right before a webhook is signed. */
  secrets: SecretOpener;
  now: () => number;
  /** Override of {@link TRIGGER_CHANGE_GRACE_MS}. */
  changeGraceMs?: number;
}

export interface FiredTrigger {
  trigger_id: string;
  appended: { id: string; status: AppendResult["status"] }[];
  webhooks: { webhook_id: string; ok: boolean; attempts: number }[];
}

export interface EngineReport {
  /** Set when the event cannot fire triggers at all. */
  skipped?: "max-depth";
  fired: FiredTrigger[];
}

function digest(...parts: string[]): string {
  // Length-prefixed, so ("a#b", "c") and ("a", "b#c") never collide.
  const h = createHash("sha256");
  for (const p of parts) h.update(`${p.length}:${p}`);
  return h.digest("hex");
}

/** Id of the event an action appends: `trg:` + 40 hex chars, within the event id pattern. */
export function actionEventId(triggerId: string, sourceEventId: string, actionIndex: number): string {
  return `trg:${digest("event", triggerId, sourceEventId, String(actionIndex)).slice(0, 40)}`;
}

/** `webhook-id` of a webhook action: the same for every attempt and re-delivery. */
export function webhookMessageId(triggerId: string, sourceEventId: string, actionIndex: number): string {
  return `msg_${digest("webhook", triggerId, sourceEventId, String(actionIndex)).slice(0, 40)}`;
}

/**
 * When an action happened: just after the source event, in the log's order. It derives from
 * the source event only, so a re-delivery builds the very same body (a duplicate, not a
 * conflict), and the action sorts after its cause on the timeline.
 */
function actionTime(source: StoredEvent): string {
  const base = Math.max(Date.parse(source.occurred_at), Date.parse(source.received_at));
  const next = new Date(base + 1).toISOString();
  return next > LAST_INSTANT ? LAST_INSTANT : next;
}

function actionEvent(
  action: Exclude<TriggerAction, { type: "webhook" }>,
  id: string,
  source: StoredEvent,
): Record<string, unknown> {
  const common = {
    id,
    conversation_id: source.conversation_id,
    occurred_at: actionTime(source),
    channel: { type: "api" },
    author: { type: "system" },
  };
  switch (action.type) {
    case "add_tags":
      return { ...common, type: "ConversationTagged", data: { tags: action.tags } };
    case "close":
      return {
        ...common,
        type: "ConversationClosed",
        data: action.reason === undefined ? {} : { reason: action.reason },
      };
    case "reopen":
      return { ...common, type: "ConversationReopened", data: {} };
  }
}

/** What a webhook receives: Standard Webhooks' `{ type, timestamp, data }`, `data` being the bus detail. */
export function webhookPayload(triggerId: string, detail: BusDetail): string {
  return JSON.stringify({
    type: detail.event.type,
    timestamp: detail.event.received_at,
    trigger_id: triggerId,
    data: detail,
  });
}

/** Compiled patterns per trigger version: a container matches many events against few triggers. */
const compiled = new Map<string, CompiledEventPattern | null>();

function patternOf(trigger: StoredTrigger): CompiledEventPattern | null {
  const key = `${trigger.id}@${trigger.updated_at}`;
  let found = compiled.get(key);
  if (found === undefined) {
    try {
      found = compilePattern(trigger.when);
    } catch (error) {
      // The API validated it; a stored pattern that no longer compiles is a bug to surface,
      // but it must not stop the tenant's other triggers.
      logger.error("stored trigger pattern does not compile", {
        trigger_id: trigger.id,
        error: error as Error,
      });
      found = null;
    }
    if (compiled.size > 1000) compiled.clear();
    compiled.set(key, found);
  }
  return found;
}

/**
 * How long an event's write may trail its `received_at` stamp: longer than the ingest and
 * command functions' 10 s timeout. A trigger applies to events received from this long
 * before its last change, so none stored after the change returned is missed (a few stored
 * just before it may fire too).
 */
export const TRIGGER_CHANGE_GRACE_MS = 15_000;

function applies(
  trigger: StoredTrigger,
  event: StoredEvent,
  causedBy: Set<string>,
  graceMs: number,
): boolean {
  if (!trigger.enabled) return false;
  // A trigger never fires on what it caused, directly or through other triggers.
  if (causedBy.has(trigger.id)) return false;
  // Only events stored after the trigger's last change (docs/api.md, "Triggers").
  const since = new Date(Date.parse(trigger.updated_at) - graceMs).toISOString();
  if (event.received_at < since) return false;
  return patternOf(trigger)?.matches(event) ?? false;
}

/** The triggers along an event's causation chain (depth ≤ 3, so at most two reads). */
async function causingTriggers(
  deps: TriggerEngineDeps,
  tenant: string,
  event: StoredEvent,
): Promise<Set<string>> {
  const ids = new Set<string>();
  let cause = event.caused_by;
  for (let hop = 0; cause && hop < MAX_CAUSE_DEPTH; hop++) {
    if (cause.trigger_id) ids.add(cause.trigger_id);
    if (cause.depth <= 1) break;
    cause = (await deps.ingest.store.getEventById(tenant, cause.event_id))?.caused_by;
  }
  return ids;
}

export async function runTriggers(deps: TriggerEngineDeps, detail: BusDetail): Promise<EngineReport> {
  const tenant = detail.tenant_id;
  // BusDetailSchema validated it as a stored event; its inferred type is erased in schema.ts.
  const event = detail.event as StoredEvent;
  const parentDepth = event.caused_by?.depth ?? 0;
  if (parentDepth >= MAX_CAUSE_DEPTH) return { skipped: "max-depth", fired: [] };
  const causedDepth = parentDepth + 1;

  const causedBy = await causingTriggers(deps, tenant, event);
  const grace = deps.changeGraceMs ?? TRIGGER_CHANGE_GRACE_MS;
  const matching = (await deps.triggers.all(tenant)).filter((t) => applies(t, event, causedBy, grace));
  const fired: FiredTrigger[] = [];

  // 1. Appends, all of them before any webhook: a failure throws so the bus retries.
  for (const trigger of matching) {
    const inputs: Record<string, unknown>[] = [];
    for (const [i, action] of trigger.actions.entries()) {
      if (action.type === "webhook") continue;
      inputs.push(actionEvent(action, actionEventId(trigger.id, event.id, i), event));
    }
    const causedBy: CausedBy = { trigger_id: trigger.id, event_id: event.id, depth: causedDepth };
    const results = inputs.length > 0 ? await appendEvents(deps.ingest, tenant, inputs, { causedBy }) : [];
    for (const r of results) {
      if (r.status === "conflict") {
        // The trigger changed between two deliveries of this event; the first outcome stands.
        logger.warn("trigger action already stored with another body", {
          tenant,
          trigger_id: trigger.id,
          event_id: r.event.id,
        });
      }
    }
    fired.push({
      trigger_id: trigger.id,
      appended: results.map((r) => ({ id: r.event.id, status: r.status })),
      webhooks: [],
    });
  }

  // 2. Webhooks, concurrently; each failure is recorded, never thrown.
  await Promise.all(
    matching.map(async (trigger, n) => {
      const report = fired[n] as FiredTrigger;
      for (const [i, action] of trigger.actions.entries()) {
        if (action.type !== "webhook") continue;
        const id = webhookMessageId(trigger.id, event.id, i);
        const result = await sendSigned(deps, tenant, trigger, {
          url: action.url,
          id,
          payload: webhookPayload(trigger.id, detail),
        });
        report.webhooks.push({ webhook_id: id, ok: result.ok, attempts: result.attempts });
        if (result.ok) continue;
        const failure = {
          webhook_id: id,
          trigger_id: trigger.id,
          event_id: event.id,
          action_index: i,
          url: action.url,
          status: "failed" as const,
          attempts: result.attempts,
          ...(result.lastStatus === undefined ? {} : { last_status: result.lastStatus }),
          last_error: result.lastError ?? "unknown error",
          failed_at: new Date(deps.now()).toISOString(),
        };
        // The log line is the alarm signal (metric filter on this message); the item is the record.
        logger.error("webhook delivery failed", { tenant, ...failure });
        try {
          await deps.triggers.recordFailure(tenant, failure);
        } catch (error) {
          logger.error("could not record a webhook delivery failure", {
            tenant,
            webhook_id: id,
            error: error as Error,
          });
        }
      }
    }),
  );
  return { fired };
}

/**
 * Opens the trigger's signing secret (sealed for this tenant) and sends. A secret that does
 * not open (or an unavailable key service) is a failed delivery like any other: recorded,
 * never sent unsigned.
 */
async function sendSigned(
  deps: TriggerEngineDeps,
  tenant: string,
  trigger: StoredTrigger,
  request: Omit<WebhookRequest, "secret">,
): Promise<DeliveryResult> {
  let secret: string;
  try {
    secret = await openStoredSecret(deps.secrets, trigger.secret, {
      tenant,
      purpose: "trigger-webhook-secret",
    });
  } catch (error) {
    logger.error("trigger signing secret does not open", {
      tenant,
      trigger_id: trigger.id,
      error: error as Error,
    });
    return { ok: false, attempts: 0, lastError: "the trigger's signing secret could not be opened" };
  }
  return deps.webhooks.send({ ...request, secret });
}
