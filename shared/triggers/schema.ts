/**
 * Tenant triggers (docs/api.md "Triggers"): the request body, validated with zod, and the
 * resource the API returns. `when` is an EventBridge event pattern over the unified event
 * itself (the bus detail's `event`), checked with the same matcher the engine runs.
 */
import * as z from "zod";
import type { Scope } from "../auth/scopes.ts";
import { validatePattern } from "../bus/event-pattern.ts";

export const ACTION_TYPES = ["add_tags", "close", "reopen", "webhook"] as const;
/** Bounds the work one bus event can cause per trigger. */
export const MAX_ACTIONS = 10;
/** EventBridge caps a rule's pattern at 4096 characters; ours follow the same budget. */
export const MAX_PATTERN_CHARS = 4096;

const HOSTS_ALLOWED_OVER_HTTP = new Set(["localhost", "127.0.0.1", "[::1]"]);

/**
 * Webhook URLs must be https: the payload is conversation data. Plain http is accepted only
 * for loopback hosts, so a receiver on the developer's machine (and the tests) can listen.
 */
const WebhookUrlSchema = z
  .string()
  .max(2048, "must be at most 2048 characters")
  .superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: "custom", message: "must be an absolute URL, e.g. https://example.com/hooks" });
      return;
    }
    if (url.username || url.password) {
      ctx.addIssue({ code: "custom", message: "must not carry credentials; the signature authenticates us" });
    }
    if (url.protocol === "https:") return;
    if (url.protocol === "http:" && HOSTS_ALLOWED_OVER_HTTP.has(url.hostname)) return;
    ctx.addIssue({
      code: "custom",
      message: "must use https (http is allowed only for localhost and 127.0.0.1)",
    });
  })
  .meta({ format: "uri", example: "https://example.com/hooks/conversation-log" });

const tag = z.string().min(1, "must not be empty").max(128, "must be at most 128 characters");

export const TriggerActionSchema = z
  .discriminatedUnion(
    "type",
    [
      z.strictObject({
        type: z.literal("add_tags"),
        tags: z.array(tag).min(1, "must hold at least one tag").max(50, "must hold at most 50 tags"),
      }),
      z.strictObject({
        type: z.literal("close"),
        reason: z.string().max(1024, "must be at most 1024 characters").optional(),
      }),
      z.strictObject({ type: z.literal("reopen") }),
      z.strictObject({ type: z.literal("webhook"), url: WebhookUrlSchema }),
    ],
    { error: () => `must be one of: ${ACTION_TYPES.join(", ")}` },
  )
  .meta({ id: "TriggerAction" });

export type TriggerAction = z.infer<typeof TriggerActionSchema>;

/**
 * What each action does with the log, as the scope that allows it: a trigger acts with its
 * author's authority, so creating or replacing one needs these scopes besides
 * `automations:write`. Tagging, closing and reopening append events; a webhook sends events
 * out of the log.
 */
export const ACTION_SCOPES = {
  add_tags: "events:write",
  close: "events:write",
  reopen: "events:write",
  webhook: "events:read",
} as const satisfies Record<(typeof ACTION_TYPES)[number], Scope>;

/** The scopes a trigger's actions need, sorted, each once. */
export function scopesForActions(actions: readonly TriggerAction[]): Scope[] {
  return [...new Set(actions.map((a) => ACTION_SCOPES[a.type]))].sort();
}

/**
 * An EventBridge event pattern: any JSON object at the schema level, checked by
 * {@link validatePattern} (the engine's own matcher) and the size budget. Each problem is a
 * field error under the pattern's own path (`when.data.tags`).
 */
export const EventPatternSchema = z
  .record(z.string(), z.unknown())
  .superRefine((when, ctx) => {
    for (const e of patternErrors(when)) {
      ctx.addIssue({ code: "custom", message: e.message, path: pathSegments(e.path.slice("when".length)) });
    }
  })
  .meta({
    id: "EventPattern",
    description:
      "An Amazon EventBridge event pattern matched against the unified event itself (not the bus envelope), " +
      'e.g. {"type": ["ConversationTagged"], "data": {"tags": ["spam"]}}.',
  });

/** `.data.tags[0]` → `["data", "tags", 0]`. */
function pathSegments(path: string): PropertyKey[] {
  return [...path.matchAll(/\.([^.[\]]+)|\[(\d+)\]/g)].map((m) =>
    m[2] !== undefined ? Number(m[2]) : (m[1] as string),
  );
}

export const TriggerInputSchema = z
  .strictObject({
    name: z.string().trim().min(1, "must not be empty").max(256, "must be at most 256 characters"),
    /** Defaults to true: a trigger is usually created to run. */
    enabled: z.boolean().default(true),
    when: EventPatternSchema,
    actions: z
      .array(TriggerActionSchema)
      .min(1, "must hold at least one action")
      .max(MAX_ACTIONS, `must hold at most ${MAX_ACTIONS} actions`),
  })
  .meta({ id: "TriggerInput" });

export type TriggerInput = z.infer<typeof TriggerInputSchema>;

/** A stored trigger as the API shows it: never with its signing secret. */
export const TriggerSchema = z
  .object({
    id: z.string().meta({ example: "trg_01JZ8X6F3P2Q0M9V7T4R5S6W1Y" }),
    name: z.string(),
    enabled: z.boolean(),
    when: EventPatternSchema,
    actions: z.array(TriggerActionSchema),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: "Trigger" });

export type Trigger = z.infer<typeof TriggerSchema>;

/** The create answer: the only time the signing secret is ever shown. */
export const CreatedTriggerSchema = TriggerSchema.extend({
  webhook_secret: z.string().meta({
    description:
      "Standard Webhooks signing secret (whsec_<base64>) for this trigger's webhook actions. Shown only here.",
  }),
}).meta({ id: "CreatedTrigger" });

/** Problems with a pattern as `{ path: when.<field>, message }`. */
export function patternErrors(when: unknown): { path: string; message: string }[] {
  const size = JSON.stringify(when)?.length ?? 0;
  if (size > MAX_PATTERN_CHARS) {
    return [
      { path: "when", message: `is ${size} characters; a pattern may have at most ${MAX_PATTERN_CHARS}` },
    ];
  }
  return validatePattern(when).map((issue) => {
    // Issues read `field.path: what is wrong`, or just `what is wrong` for the pattern as a whole.
    const m = /^([^\s:][^:]*?): (.*)$/s.exec(issue);
    if (m && !/\s/.test(m[1] as string)) {
      const field = m[1] as string;
      return { path: field.startsWith("[") ? `when${field}` : `when.${field}`, message: m[2] as string };
    }
    return { path: "when", message: issue };
  });
}

/** One run of a trigger: what it did about one event (`GET /v1/triggers/{trigger_id}/runs`). */
export const TriggerRunSchema = z
  .object({
    id: z
      .string()
      .meta({ description: "run_ + a digest of (trigger, event): a re-delivered event rewrites its run" }),
    trigger_id: z.string(),
    event_id: z.string().meta({ description: "The event that set the trigger off" }),
    event_type: z.string(),
    depth: z
      .number()
      .int()
      .min(0)
      .meta({ description: "That event's causation depth (0: from outside the log)" }),
    root_event_id: z.string().meta({ description: "The depth-0 event whose causation budget the run spent" }),
    at: z.string().meta({ format: "date-time", description: "When the run happened" }),
    event_received_at: z.string().meta({ format: "date-time" }),
    actions: z.array(
      z.object({
        index: z.number().int().meta({ description: "Position in the trigger's actions" }),
        type: z.string(),
        status: z.enum(["done", "skipped", "failed"]),
        reason: z.string().optional().meta({
          description:
            "Why skipped (budget: the causation budget is spent; loop_guard: the depth cap, or the trigger caused the event; match_budget: the event was too expensive to match) or failed",
        }),
        event_id: z.string().optional().meta({ description: "The event the action appended" }),
        webhook_id: z.string().optional().meta({ description: "The delivery's webhook-id" }),
        http_status: z
          .number()
          .int()
          .optional()
          .meta({ description: "The receiver's answer to the last attempt" }),
      }),
    ),
  })
  .meta({ id: "TriggerRun" });
