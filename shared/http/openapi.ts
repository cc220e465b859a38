/**
 * The OpenAPI 3.1 document, generated from the zod schemas and the route table; nothing
 * in it is written by hand beside them.
 */
import * as z from "zod";
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject } from "zod-openapi";
import { EventInputSchema, StoredEventSchema } from "../events/schema.ts";
import { EXPORT_COLUMN_NAMES } from "../export/columns.ts";
import { CreatedTriggerSchema, TriggerInputSchema, TriggerSchema } from "../triggers/schema.ts";
import {
  CHANNEL_ID_PATTERN,
  ChannelIntegrationInputSchema,
  ChannelIntegrationSchema,
  MAX_REJECTIONS_PAGE,
  RejectionSchema,
  WebhookResultSchema,
} from "../usecases/channels.ts";
import {
  CloseBodySchema,
  IDEMPOTENCY_TTL_SECONDS,
  PlainCommandBodySchema,
  TagBodySchema,
} from "../usecases/commands.ts";
import { ConversationSchema } from "../usecases/conversation-state.ts";
import { DEFAULT_EXPORT_PAGE_SIZE, ExportParamsSchema, MAX_EXPORT_PAGE_SIZE } from "../usecases/export.ts";
import { MAX_BATCH } from "../usecases/ingest.ts";
import { ConversationListParamsSchema, EventListParamsSchema, MAX_PAGE_SIZE } from "../usecases/query.ts";
import { MAX_TRIGGER_PAGE, TRIGGER_ID_PATTERN } from "../usecases/triggers.ts";
import { PROBLEM_CONTENT_TYPE } from "./problem.ts";
import { ROUTES, type Route } from "./routes.ts";

export const ProblemSchema = z
  .object({
    type: z.string().meta({ format: "uri" }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: "Problem", description: "RFC 9457 problem details" });

const BatchBodySchema = z
  .strictObject({ events: z.array(EventInputSchema).min(1).max(MAX_BATCH) })
  .meta({ id: "EventBatch" });

const BatchResultSchema = z
  .object({
    results: z.array(
      z.object({
        index: z.number().int(),
        id: z.string().nullable(),
        status: z.enum(["created", "duplicate", "conflict", "rejected"]),
        errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
      }),
    ),
  })
  .meta({ id: "BatchResult" });

const EventPageSchema = z
  .object({
    events: z.array(StoredEventSchema),
    meta: z.object({
      has_more: z.boolean(),
      after_cursor: z.string().nullable(),
      before_cursor: z.string().nullable(),
    }),
    links: z.object({ next: z.string().nullable(), prev: z.string().nullable() }),
  })
  .meta({ id: "EventPage" });

const problem = (description: string) => ({
  description,
  content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } },
});
const jsonContent = (schema: z.ZodType) => ({ "application/json": { schema } });

const authProblems = {
  "401": problem("Missing, unknown or revoked API key"),
  "403": problem("The key lacks the route's scope"),
};

const OPERATIONS: Record<string, Omit<ZodOpenApiOperationObject, "operationId" | "summary">> = {
  getHealth: {
    responses: { "200": { description: "OK", content: jsonContent(z.object({ status: z.literal("ok") })) } },
  },
  getOpenApi: {
    responses: {
      "200": { description: "This document", content: jsonContent(z.record(z.string(), z.unknown())) },
    },
  },
  getDocs: {
    responses: { "200": { description: "HTML page", content: { "text/html": { schema: z.string() } } } },
  },
  postEvents: {
    description: `One event, or { "events": [...] } with 1..${MAX_BATCH} events. Body at most 1 MB; an event at most 64 KB.`,
    requestBody: { required: true, content: jsonContent(z.union([EventInputSchema, BatchBodySchema])) },
    responses: {
      "200": {
        description:
          "Batch: one result per input, same order; or single: the same id and body was already stored",
        content: jsonContent(z.union([BatchResultSchema, z.object({ event: StoredEventSchema })])),
      },
      "201": { description: "Created", content: jsonContent(z.object({ event: StoredEventSchema })) },
      "400": problem("Invalid event or malformed envelope"),
      ...authProblems,
      "409": problem("The id is already stored with a different body"),
      "413": problem("Body larger than 1 MB"),
      "415": problem("Body is not JSON"),
    },
  },
  listEvents: {
    description: `All conversations of the tenant in a time range. start_time is required; page[size] 1..${MAX_PAGE_SIZE}.`,
    requestParams: { query: EventListParamsSchema },
    responses: {
      "200": { description: "A page of events", content: jsonContent(EventPageSchema) },
      "400": problem("Invalid parameter or cursor"),
      ...authProblems,
    },
  },
  getConversationEvents: {
    requestParams: {
      path: z.object({ conversation_id: z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/) }),
      query: EventListParamsSchema,
    },
    responses: {
      "200": { description: "A page of the timeline", content: jsonContent(EventPageSchema) },
      "400": problem("Invalid parameter or cursor"),
      ...authProblems,
      "404": problem("The conversation has no events in the caller's tenant"),
    },
  },
  ...conversationOperations(),
  ...triggerOperations(),
  ...channelOperations(),
  ...exportOperations(),
};

/** The change feed (API.md "Change feed / incremental export"; docs/bi.md). */
function exportOperations(): typeof OPERATIONS {
  const cursorHeaders = {
    "X-After-Cursor": { description: "The cursor to continue from", schema: { type: "string" as const } },
    "X-End-Of-Stream": {
      description:
        "true when the page reached the settle horizon: follow X-After-Cursor later for what arrived since",
      schema: { type: "string" as const, enum: ["true", "false"] },
    },
    "X-Last-Sequence": {
      description:
        "The sequence of the page's last event (absent when the page is empty): a client checks it to detect a truncated body",
      schema: { type: "string" as const },
    },
  };
  return {
    exportEvents: {
      description: [
        `Every event of the tenant in ingest order (sequence), late arrivals included. Start with start_time (on received_at) or continue with cursor; page[size] 1..${MAX_EXPORT_PAGE_SIZE}, default ${DEFAULT_EXPORT_PAGE_SIZE}.`,
        "Only positions older than the settle window (default 5 s) are served, so a client following cursors never misses an event nor sees one twice.",
        "Accept: application/json (default), application/x-ndjson (one event per line) or text/csv (the flattened columns of docs/bi.md). Bodies are streamed.",
      ].join(" "),
      requestParams: { query: ExportParamsSchema },
      responses: {
        "200": {
          description: "A page of the feed",
          headers: cursorHeaders,
          content: {
            ...jsonContent(
              z
                .object({
                  events: z.array(StoredEventSchema),
                  after_cursor: z.string(),
                  end_of_stream: z.boolean(),
                })
                .meta({ id: "ExportPage" }),
            ),
            "application/x-ndjson": {
              schema: z.string().meta({ description: "One Event JSON object per line" }),
            },
            "text/csv": {
              schema: z.string().meta({
                description: `Header row, then one row per event: ${EXPORT_COLUMN_NAMES.join(", ")}`,
              }),
            },
          },
        },
        "400": problem("Invalid parameter or cursor"),
        ...authProblems,
        "406": problem("Accept names no format the feed offers"),
      },
    },
  };
}

/** Channel integrations and the providers' webhooks (API.md "Channel webhooks"). */
function channelOperations(): typeof OPERATIONS {
  const channelPath = { path: z.object({ channel_id: z.string().regex(CHANNEL_ID_PATTERN) }) };
  const webhookPath = { path: z.object({ webhook_id: z.string().regex(CHANNEL_ID_PATTERN) }) };
  const missing = problem("No such channel in the caller's tenant");
  const unknownWebhook = problem("No channel of this provider at this URL");
  const accepted = {
    description:
      "Accepted: counts of stored, already stored, ignored and rejected items. Rejected items are recorded " +
      "(GET /v1/channels/{channel_id}/rejections) and never make the provider retry.",
    content: jsonContent(WebhookResultSchema),
  };
  const rawJson = { required: true, content: jsonContent(z.record(z.string(), z.unknown())) };
  return {
    createChannel: {
      description:
        "The secrets are write-only: never returned after this call. Point the provider at `webhook_url`.",
      requestBody: { required: true, content: jsonContent(ChannelIntegrationInputSchema) },
      responses: {
        "201": { description: "Created", content: jsonContent(ChannelIntegrationSchema) },
        "400": problem("Invalid channel"),
        ...authProblems,
        "415": problem("Body is not JSON"),
      },
    },
    listChannels: {
      responses: {
        "200": {
          description: "Every channel of the tenant, oldest first",
          content: jsonContent(z.object({ channels: z.array(ChannelIntegrationSchema) })),
        },
        ...authProblems,
      },
    },
    deleteChannel: {
      requestParams: channelPath,
      responses: { "204": { description: "Deleted" }, ...authProblems, "404": missing },
    },
    listChannelRejections: {
      description: `Kept 30 days. page[size] 1..${MAX_REJECTIONS_PAGE} (default 50).`,
      requestParams: {
        ...channelPath,
        query: z.object({ "page[size]": z.string().regex(/^\d+$/).optional() }),
      },
      responses: {
        "200": {
          description: "Rejections, newest first",
          content: jsonContent(z.object({ rejections: z.array(RejectionSchema) })),
        },
        "400": problem("Invalid parameter"),
        ...authProblems,
        "404": missing,
      },
    },
    verifyWhatsAppWebhook: {
      requestParams: {
        ...webhookPath,
        query: z.object({
          "hub.mode": z.string().optional(),
          "hub.verify_token": z.string().optional(),
          "hub.challenge": z.string().optional(),
        }),
      },
      responses: {
        "200": { description: "The challenge, echoed", content: { "text/plain": { schema: z.string() } } },
        "403": problem("Wrong mode or verify token"),
        "404": unknownWebhook,
      },
    },
    receiveWhatsAppWebhook: {
      requestParams: {
        ...webhookPath,
        header: z.object({
          "X-Hub-Signature-256": z.string().meta({ description: "sha256=<hex HMAC of the raw body>" }),
        }),
      },
      requestBody: rawJson,
      responses: {
        "200": accepted,
        "401": problem("Missing or wrong signature; nothing stored"),
        "404": unknownWebhook,
      },
    },
    receiveSuncoWebhook: {
      requestParams: {
        ...webhookPath,
        header: z.object({ "X-API-Key": z.string().meta({ description: "The webhook secret" }) }),
      },
      requestBody: rawJson,
      responses: {
        "200": accepted,
        "401": problem("Missing or wrong X-API-Key; nothing stored"),
        "404": unknownWebhook,
      },
    },
  };
}

/** `/v1/triggers` operations (API.md "Automations"). */
function triggerOperations(): typeof OPERATIONS {
  const path = { path: z.object({ trigger_id: z.string().regex(TRIGGER_ID_PATTERN) }) };
  const one = jsonContent(z.object({ trigger: TriggerSchema }));
  const invalid = problem("Invalid trigger: each field error names its path, e.g. when.data.tags");
  const missing = problem("No such trigger in the caller's tenant");
  return {
    createTrigger: {
      description:
        "`when` is an EventBridge event pattern matched against the event itself. The trigger applies to " +
        "every event stored after this call returned. `webhook_secret` (Standard Webhooks) is shown only here.",
      requestBody: { required: true, content: jsonContent(TriggerInputSchema) },
      responses: {
        "201": { description: "Created", content: jsonContent(z.object({ trigger: CreatedTriggerSchema })) },
        "400": invalid,
        ...authProblems,
      },
    },
    listTriggers: {
      description: `In creation order; page[size] 1..${MAX_TRIGGER_PAGE}, page[after] = meta.after_cursor.`,
      requestParams: {
        query: z.object({
          "page[size]": z.string().regex(/^\d+$/).optional(),
          "page[after]": z.string().regex(TRIGGER_ID_PATTERN).optional(),
        }),
      },
      responses: {
        "200": {
          description: "A page of triggers",
          content: jsonContent(
            z.object({
              triggers: z.array(TriggerSchema),
              meta: z.object({ has_more: z.boolean(), after_cursor: z.string().nullable() }),
            }),
          ),
        },
        "400": problem("Invalid parameter"),
        ...authProblems,
      },
    },
    getTrigger: {
      requestParams: path,
      responses: { "200": { description: "The trigger", content: one }, ...authProblems, "404": missing },
    },
    replaceTrigger: {
      description: "Replaces the definition; id, created_at and the signing secret stay.",
      requestParams: path,
      requestBody: { required: true, content: jsonContent(TriggerInputSchema) },
      responses: {
        "200": { description: "The replaced trigger", content: one },
        "400": invalid,
        ...authProblems,
        "404": missing,
      },
    },
    deleteTrigger: {
      requestParams: path,
      responses: { "204": { description: "Deleted" }, ...authProblems, "404": missing },
    },
  };
}

let cached: ReturnType<typeof createDocument> | undefined;

export function openApiDocument(): ReturnType<typeof createDocument> {
  if (cached) return cached;
  const paths: ZodOpenApiPathsObject = {};
  for (const route of ROUTES as readonly Route[]) {
    const op = OPERATIONS[route.operationId];
    if (!op) throw new Error(`no OpenAPI operation for ${route.operationId}`);
    const entry = paths[route.path] ?? {};
    paths[route.path] = entry;
    entry[route.method.toLowerCase() as "get" | "post"] = {
      operationId: route.operationId,
      summary: route.summary,
      ...(route.scope
        ? { security: [{ apiKey: [] }], tags: [route.scope] }
        : { security: [], tags: ["service"] }),
      ...op,
    };
  }
  cached = createDocument({
    openapi: "3.1.0",
    info: {
      title: "Conversation Log API",
      version: "1.0.0",
      description:
        "A unified, real-time log of customer-conversation events across every support channel. " +
        "Timestamps are returned as UTC ISO-8601 with milliseconds. Errors are application/problem+json.",
    },
    servers: [{ url: "/" }],
    components: {
      securitySchemes: {
        apiKey: {
          type: "http",
          scheme: "bearer",
          description: "Authorization: Bearer <api key>; the key selects the tenant",
        },
      },
    },
    security: [{ apiKey: [] }],
    paths,
  });
  return cached;
}

/** Conversation state reads and commands (API.md "Read" and "Automations"). */
function conversationOperations(): typeof OPERATIONS {
  const conversationId = z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/);
  const path = { path: z.object({ conversation_id: conversationId }) };
  const missing = problem("The conversation has no events in the caller's tenant");
  const created = {
    description: `The appended event. A retry with the same Idempotency-Key (kept ${IDEMPOTENCY_TTL_SECONDS / 3600} h) appends nothing and answers the same.`,
    content: jsonContent(z.object({ event: StoredEventSchema })),
  };
  const command = (body: z.ZodType | undefined, description: string) => ({
    description,
    requestParams: {
      ...path,
      header: z.object({
        "Idempotency-Key": z
          .string()
          .regex(/^[\x21-\x7e]{1,255}$/)
          .optional()
          .meta({ description: "Makes retries safe: the same key and request append once and answer alike" }),
      }),
    },
    ...(body ? { requestBody: { required: false, content: jsonContent(body) } } : {}),
    responses: {
      "201": created,
      "400": problem("Invalid body, path parameter or Idempotency-Key"),
      ...authProblems,
      "404": missing,
      "415": problem("Body is not JSON"),
      "422": problem("The Idempotency-Key was used with a different request"),
    },
  });
  return {
    getConversation: {
      requestParams: path,
      responses: {
        "200": {
          description: "The conversation's current state, folded from its events",
          content: jsonContent(z.object({ conversation: ConversationSchema })),
        },
        "400": problem("Invalid conversation id"),
        ...authProblems,
        "404": missing,
      },
    },
    listConversations: {
      description: `Conversation states ordered by (updated_at, conversation_id), ascending; follow page[after] to sync. page[size] 1..${MAX_PAGE_SIZE}.`,
      requestParams: { query: ConversationListParamsSchema },
      responses: {
        "200": {
          description: "A page of conversations",
          content: jsonContent(
            z
              .object({
                conversations: z.array(ConversationSchema),
                meta: z.object({ has_more: z.boolean(), after_cursor: z.string().nullable() }),
                links: z.object({ next: z.string().nullable() }),
              })
              .meta({ id: "ConversationPage" }),
          ),
        },
        "400": problem("Invalid parameter or cursor"),
        ...authProblems,
      },
    },
    tagConversation: command(TagBodySchema, "Appends ConversationTagged with the given tags."),
    untagConversation: {
      ...command(PlainCommandBodySchema, "Appends ConversationUntagged for the tag in the path."),
      requestParams: {
        ...command(undefined, "").requestParams,
        path: z.object({ conversation_id: conversationId, tag: z.string().min(1).max(128) }),
      },
    },
    closeConversation: command(CloseBodySchema, "Appends ConversationClosed."),
    reopenConversation: command(PlainCommandBodySchema, "Appends ConversationReopened."),
  };
}
