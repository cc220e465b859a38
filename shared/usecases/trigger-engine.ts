/**
 * The trigger engine: for one bus event, run every matching trigger of its tenant.
 *
 * - `when` is matched against the unified event (the bus detail's `event`) with the same
 *   EventBridge-compatible matcher the API validated it with;
 * - a trigger applies to events stored at or after its last create/update (`received_at` ≥
 *   `updated_at`, less a grace);
 * - **the loop guard**: a trigger never acts on an event it caused (directly or through other
 *   triggers), and events of depth 3 cause nothing; a match it stops is recorded as a run
 *   whose actions are `skipped` with reason `loop_guard`;
 * - **the causation budget**: one event from outside the log (depth 0) may cause at most
 *   `limits.eventsPerRoot` trigger-produced events and `limits.webhooksPerRoot` webhook
 *   deliveries across its whole causation tree, however many triggers match at each level.
 *   Each action reserves its slot by its deterministic id before it runs, so re-deliveries
 *   reuse their slots and concurrent runs never overspend; an action over the budget is
 *   `skipped` with reason `budget`, and the first exhaustion of a tree is logged once;
 * - `add_tags`, `close` and `reopen` append events through {@link appendEvents} with
 *   `caused_by` (its root included). Their ids (and bodies) derive from (trigger, source event,
 *   action index), so a re-delivered bus event appends nothing new;
 * - every append runs before any webhook is sent: when an append fails the call throws (the
 *   bus retries the whole event, idempotently) and no webhook has gone out yet. Webhooks then
 *   run all at once, each with its own timeout, so one run ends within the function's
 *   timeout however many there are (the budget bounds them). A webhook failure never throws:
 *   it is recorded (run log, failure record) and logged;
 * - every trigger that matched gets a run record: what each action did.
 */
import { createHash } from "node:crypto";
import type { BusDetail } from "../bus/contract.ts";
import { type CompiledEventPattern, compilePattern } from "../bus/event-pattern.ts";
import type { AutomationLimits } from "../config.ts";
import type { StoredEvent } from "../events/schema.ts";
import { logger } from "../logger.ts";
import { openStoredSecret, type SecretOpener } from "../secrets/cipher.ts";
import type { CausationBudgetStore } from "../store/causation-budgets.ts";
import type { TriggerRun, TriggerRunStore } from "../store/trigger-runs.ts";
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
  runs: TriggerRunStore;
  budgets: CausationBudgetStore;
  webhooks: WebhookSender;
  /** Opens a trigger's signing secret right before a webhook is signed. */
  secrets: SecretOpener;
  now: () => number;
  limits: Pick<AutomationLimits, "eventsPerRoot" | "webhooksPerRoot">;
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

/**
 * Whether the trigger applies to the event: `over_budget` when the pattern needed more than
 * the matcher's work budget (`MAX_MATCH_WORK`, an event built to be expensive), which does
 * not match but is reported, never silent.
 */
function matches(
  trigger: StoredTrigger,
  event: StoredEvent,
  graceMs: number,
): "match" | "no" | "over_budget" {
  if (!trigger.enabled) return "no";
  // Only events stored after the trigger's last change (docs/api.md, "Triggers").
  const since = new Date(Date.parse(trigger.updated_at) - graceMs).toISOString();
  if (event.received_at < since) return "no";
  const measured = patternOf(trigger)?.measure(event);
  if (measured?.overBudget) return "over_budget";
  return measured?.matches ? "match" : "no";
}

/**
 * An event's causation: the triggers along its chain and the depth-0 event at its root. The
 * root is on the event (`caused_by.root_event_id`); events stored before it was recorded are
 * walked up (depth ≤ 3, so at most two reads).
 */
async function causationOf(
  deps: TriggerEngineDeps,
  tenant: string,
  event: StoredEvent,
): Promise<{ triggers: Set<string>; root: string }> {
  const triggers = new Set<string>();
  // An event from outside is its own root.
  let root = event.caused_by ? event.caused_by.root_event_id : event.id;
  let cause = event.caused_by;
  for (let hop = 0; cause && hop < MAX_CAUSE_DEPTH; hop++) {
    if (cause.trigger_id) triggers.add(cause.trigger_id);
    // A depth-1 event's cause came from outside: it is the root.
    if (cause.depth <= 1) {
      root ??= cause.event_id;
      break;
    }
    cause = (await deps.ingest.store.getEventById(tenant, cause.event_id))?.caused_by;
  }
  // A chain broken by a missing event (erased, say) is rooted where it breaks.
  return { triggers, root: root ?? event.id };
}

/** `run_` + a digest of (trigger, event): one run per pair, rewritten by a re-delivery. */
export function runId(triggerId: string, eventId: string): string {
  return `run_${digest("run", triggerId, eventId).slice(0, 40)}`;
}

export async function runTriggers(deps: TriggerEngineDeps, detail: BusDetail): Promise<EngineReport> {
  const tenant = detail.tenant_id;
  // BusDetailSchema validated it as a stored event; its inferred type is erased in schema.ts.
  const event = detail.event as StoredEvent;
  const parentDepth = event.caused_by?.depth ?? 0;
  const grace = deps.changeGraceMs ?? TRIGGER_CHANGE_GRACE_MS;
  const evaluated = (await deps.triggers.all(tenant)).map((t) => ({ t, answer: matches(t, event, grace) }));
  const matching = evaluated.filter((e) => e.answer !== "no").map((e) => e.t);
  const overBudget = new Set(evaluated.filter((e) => e.answer === "over_budget").map((e) => e.t.id));
  if (matching.length === 0)
    return parentDepth >= MAX_CAUSE_DEPTH ? { skipped: "max-depth", fired: [] } : { fired: [] };

  const causation = await causationOf(deps, tenant, event);
  const at = new Date(deps.now()).toISOString();
  const runs = new Map<string, TriggerRun>();
  const runOf = (trigger: StoredTrigger): TriggerRun => {
    let run = runs.get(trigger.id);
    if (!run) {
      run = {
        id: runId(trigger.id, event.id),
        trigger_id: trigger.id,
        event_id: event.id,
        event_type: event.type,
        depth: parentDepth,
        root_event_id: causation.root,
        at,
        event_received_at: event.received_at,
        actions: [],
      };
      runs.set(trigger.id, run);
    }
    return run;
  };

  // The matcher's work budget: reported in the run and the log, and nothing runs.
  for (const id of overBudget) {
    logger.warn("trigger pattern over the matcher's work budget", {
      tenant,
      trigger_id: id,
      event_id: event.id,
    });
  }
  // The loop guard: the depth cap, and no trigger acts on what it caused.
  const guarded = matching.filter(
    (t) => overBudget.has(t.id) || parentDepth >= MAX_CAUSE_DEPTH || causation.triggers.has(t.id),
  );
  const active = matching.filter((t) => !guarded.includes(t));
  for (const trigger of guarded) {
    runOf(trigger).actions = trigger.actions.map((a, index) => ({
      index,
      type: a.type,
      status: "skipped" as const,
      reason: overBudget.has(trigger.id) ? "match_budget" : "loop_guard",
    }));
  }

  let exhausted = false;
  const reserve = async (kind: "events" | "webhooks", actionId: string): Promise<boolean> => {
    const limit = kind === "events" ? deps.limits.eventsPerRoot : deps.limits.webhooksPerRoot;
    const granted = await deps.budgets.reserve(tenant, causation.root, kind, actionId, limit);
    if (!granted) exhausted = true;
    return granted;
  };
  const fired: FiredTrigger[] = [];
  const causedDepth = parentDepth + 1;

  // 1. Appends, all of them before any webhook: a failure throws so the bus retries.
  for (const trigger of active) {
    const run = runOf(trigger);
    const inputs: Record<string, unknown>[] = [];
    const indexes: number[] = [];
    for (const [i, action] of trigger.actions.entries()) {
      if (action.type === "webhook") continue;
      const id = actionEventId(trigger.id, event.id, i);
      if (!(await reserve("events", id))) {
        run.actions.push({ index: i, type: action.type, status: "skipped", reason: "budget" });
        continue;
      }
      inputs.push(actionEvent(action, id, event));
      indexes.push(i);
    }
    const causedBy: CausedBy = {
      trigger_id: trigger.id,
      event_id: event.id,
      depth: causedDepth,
      root_event_id: causation.root,
    };
    const results = inputs.length > 0 ? await appendEvents(deps.ingest, tenant, inputs, { causedBy }) : [];
    for (const [n, r] of results.entries()) {
      const index = indexes[n] as number;
      const type = (trigger.actions[index] as TriggerAction).type;
      if (r.status === "conflict") {
        // The trigger changed between two deliveries of this event; the first outcome stands.
        logger.warn("trigger action already stored with another body", {
          tenant,
          trigger_id: trigger.id,
          event_id: r.event.id,
        });
        run.actions.push({
          index,
          type,
          status: "failed",
          reason: "already stored with another body",
          event_id: r.event.id,
        });
      } else {
        run.actions.push({ index, type, status: "done", event_id: r.event.id });
      }
    }
    fired.push({
      trigger_id: trigger.id,
      appended: results.map((r) => ({ id: r.event.id, status: r.status })),
      webhooks: [],
    });
  }

  // 2. Webhooks, all at once, each bounded by the sender's timeout; a failure is recorded, never thrown.
  await Promise.all(
    active.flatMap((trigger, n) =>
      trigger.actions.map(async (action, i) => {
        if (action.type !== "webhook") return;
        const run = runOf(trigger);
        const id = webhookMessageId(trigger.id, event.id, i);
        if (!(await reserve("webhooks", id))) {
          run.actions.push({
            index: i,
            type: action.type,
            status: "skipped",
            reason: "budget",
            webhook_id: id,
          });
          return;
        }
        const result = await sendSigned(deps, tenant, trigger, {
          url: action.url,
          id,
          payload: webhookPayload(trigger.id, detail),
        });
        (fired[n] as FiredTrigger).webhooks.push({
          webhook_id: id,
          ok: result.ok,
          attempts: result.attempts,
        });
        run.actions.push({
          index: i,
          type: action.type,
          status: result.ok ? "done" : "failed",
          webhook_id: id,
          ...(result.ok ? {} : { reason: result.lastError ?? "unknown error" }),
          ...(result.lastStatus === undefined ? {} : { http_status: result.lastStatus }),
        });
        if (!result.ok) await recordFailure(deps, tenant, trigger, event, i, action.url, id, result);
      }),
    ),
  );

  // 3. Exhaustion: logged once per causation tree (the alarm's metric filter counts this line).
  if (exhausted && (await deps.budgets.markExhausted(tenant, causation.root))) {
    logger.warn("causation budget exhausted", {
      tenant,
      root_event_id: causation.root,
      event_id: event.id,
      limits: deps.limits,
    });
  }
  // 4. The run log: one run per trigger that matched.
  await Promise.all(
    [...runs.values()].map(async (run) => {
      run.actions.sort((a, b) => a.index - b.index);
      try {
        await deps.runs.record(tenant, run);
      } catch (error) {
        logger.error("could not record a trigger run", {
          tenant,
          trigger_id: run.trigger_id,
          error: error as Error,
        });
      }
    }),
  );
  return parentDepth >= MAX_CAUSE_DEPTH ? { skipped: "max-depth", fired: [] } : { fired };
}

async function recordFailure(
  deps: TriggerEngineDeps,
  tenant: string,
  trigger: StoredTrigger,
  event: StoredEvent,
  actionIndex: number,
  url: string,
  webhookId: string,
  result: { attempts: number; lastStatus?: number; lastError?: string },
): Promise<void> {
  const failure = {
    webhook_id: webhookId,
    trigger_id: trigger.id,
    event_id: event.id,
    action_index: actionIndex,
    url,
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
      webhook_id: webhookId,
      error: error as Error,
    });
  }
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
