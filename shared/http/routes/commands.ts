/**
 * Conversation commands: tag, untag, close, reopen. Each appends one event; an accepted
 * command, first call or Idempotency-Key replay alike, answers 201 with that event.
 */
import * as z from "zod";
import { StoredEventSchema } from "../../events/schema.ts";
import {
  CloseBodySchema,
  type CommandDeps,
  IDEMPOTENCY_TTL_SECONDS,
  IdempotencyKeySchema,
  PlainCommandBodySchema,
  runCommand,
  TagBodySchema,
  TagSchema,
} from "../../usecases/commands.ts";
import { json, jsonBody, ok, problem, type ResponseSpec, routesOf } from "../contract.ts";
import { TAGGED_EVENT_EXAMPLE } from "../examples.ts";
import { ConversationIdParam } from "../params.ts";

const conversationPath = z.object({ conversation_id: ConversationIdParam });
const headers = z.object({ "Idempotency-Key": IdempotencyKeySchema.optional() });

const responses: Record<number, ResponseSpec> = {
  201: ok(
    `The appended event. A retry with the same Idempotency-Key (kept ${IDEMPOTENCY_TTL_SECONDS / 3600} h) appends nothing and answers the same.`,
    z.object({ event: StoredEventSchema }),
    { event: TAGGED_EVENT_EXAMPLE },
  ),
  400: problem("Invalid body, path parameter or Idempotency-Key"),
  404: problem("The conversation has no events in the caller's tenant"),
  422: problem("The Idempotency-Key was used with a different request"),
};

const optional = { required: false, expects: "a JSON object, or no body" };

/** The command's Idempotency-Key, when the request carried one. */
const idempotency = (h: { "Idempotency-Key"?: string | undefined }) =>
  h["Idempotency-Key"] !== undefined ? { idempotencyKey: h["Idempotency-Key"] } : {};

export const COMMAND_ROUTES = routesOf<CommandDeps>("commands")((route) => [
  route({
    operationId: "tagConversation",
    method: "POST",
    path: "/v1/conversations/{conversation_id}/tags",
    tag: "Conversations",
    scope: "events:write",
    summary: "Add tags (appends ConversationTagged)",
    request: {
      path: conversationPath,
      headers,
      body: jsonBody(TagBodySchema, {
        expects: 'a JSON object { "tags": [ ... ] }',
        examples: { vip: { summary: "Tag a conversation", value: { tags: ["vip"] } } },
      }),
    },
    responses,
    handle: async ({ path, headers, body, caller }, deps) => {
      const event = await runCommand(deps, caller.tenant, {
        kind: "tag",
        conversationId: path.conversation_id,
        body,
        ...idempotency(headers),
      });
      return json(201, { event });
    },
  }),
  route({
    operationId: "untagConversation",
    method: "DELETE",
    path: "/v1/conversations/{conversation_id}/tags/{tag}",
    tag: "Conversations",
    scope: "events:write",
    summary: "Remove a tag (appends ConversationUntagged)",
    request: {
      path: z.object({ conversation_id: ConversationIdParam, tag: TagSchema.meta({ example: "vip" }) }),
      headers,
      body: jsonBody(PlainCommandBodySchema, {
        ...optional,
        examples: {
          who: { summary: "Say who removed it", value: { author: { type: "agent", id: "ag-1" } } },
        },
      }),
    },
    responses,
    handle: async ({ path, headers, body, caller }, deps) => {
      const event = await runCommand(deps, caller.tenant, {
        kind: "untag",
        conversationId: path.conversation_id,
        tag: path.tag,
        body,
        ...idempotency(headers),
      });
      return json(201, { event });
    },
  }),
  route({
    operationId: "closeConversation",
    method: "POST",
    path: "/v1/conversations/{conversation_id}/close",
    tag: "Conversations",
    scope: "events:write",
    summary: "Close (appends ConversationClosed)",
    request: {
      path: conversationPath,
      headers,
      body: jsonBody(CloseBodySchema, {
        ...optional,
        examples: { solved: { summary: "Close with a reason", value: { reason: "solved" } } },
      }),
    },
    responses,
    handle: async ({ path, headers, body, caller }, deps) => {
      const event = await runCommand(deps, caller.tenant, {
        kind: "close",
        conversationId: path.conversation_id,
        body,
        ...idempotency(headers),
      });
      return json(201, { event });
    },
  }),
  route({
    operationId: "reopenConversation",
    method: "POST",
    path: "/v1/conversations/{conversation_id}/reopen",
    tag: "Conversations",
    scope: "events:write",
    summary: "Reopen (appends ConversationReopened)",
    request: {
      path: conversationPath,
      headers,
      body: jsonBody(PlainCommandBodySchema, {
        ...optional,
        examples: {
          who: { summary: "Say who reopened it", value: { author: { type: "agent", id: "ag-1" } } },
        },
      }),
    },
    responses,
    handle: async ({ path, headers, body, caller }, deps) => {
      const event = await runCommand(deps, caller.tenant, {
        kind: "reopen",
        conversationId: path.conversation_id,
        body,
        ...idempotency(headers),
      });
      return json(201, { event });
    },
  }),
]);
