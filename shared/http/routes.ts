/**
 * The route table: the one list of the API's routes. The CDK app wires the API Gateway REST
 * API from it, the local gateway dispatches with it, the authorizer builds its policy from it,
 * and the OpenAPI document is generated from it.
 */
import type { Scope } from "../auth/scopes.ts";
import type { HttpFunctionName } from "../function-registry.ts";

export { AUTHORIZER_FUNCTION, HTTP_FUNCTIONS, type HttpFunctionName } from "../function-registry.ts";

export type HttpMethod = "GET" | "POST" | "PUT" | "DELETE";

export interface Route {
  method: HttpMethod;
  /** API Gateway resource path, with `{param}` placeholders. */
  path: string;
  fn: HttpFunctionName;
  /** Scope required; `null` for public routes (no authorizer). */
  scope: Scope | null;
  operationId: string;
  summary: string;
}

export const ROUTES = [
  {
    method: "GET",
    path: "/v1/health",
    fn: "service",
    scope: null,
    operationId: "getHealth",
    summary: "Liveness check",
  },
  {
    method: "GET",
    path: "/v1/openapi.json",
    fn: "service",
    scope: null,
    operationId: "getOpenApi",
    summary: "This OpenAPI 3.1 document",
  },
  {
    method: "GET",
    path: "/docs",
    fn: "service",
    scope: null,
    operationId: "getDocs",
    summary: "API reference page",
  },
  {
    method: "POST",
    path: "/v1/events",
    fn: "ingest",
    scope: "events:write",
    operationId: "postEvents",
    summary: "Store one event or a batch of up to 100",
  },
  {
    method: "GET",
    path: "/v1/events",
    fn: "query",
    scope: "events:read",
    operationId: "listEvents",
    summary: "All conversations' events in a time range",
  },
  {
    method: "GET",
    path: "/v1/conversations/{conversation_id}/events",
    fn: "query",
    scope: "events:read",
    operationId: "getConversationEvents",
    summary: "One conversation's timeline",
  },
  {
    method: "GET",
    path: "/v1/conversations",
    fn: "query",
    scope: "events:read",
    operationId: "listConversations",
    summary: "Conversation states by last update",
  },
  {
    method: "GET",
    path: "/v1/conversations/{conversation_id}",
    fn: "query",
    scope: "events:read",
    operationId: "getConversation",
    summary: "One conversation's current state",
  },
  {
    method: "GET",
    path: "/v1/export/events",
    fn: "export",
    scope: "export:read",
    operationId: "exportEvents",
    summary: "The change feed: every event in ingest order, for BI tools (JSON, NDJSON or CSV)",
  },
  {
    method: "POST",
    path: "/v1/conversations/{conversation_id}/tags",
    fn: "commands",
    scope: "events:write",
    operationId: "tagConversation",
    summary: "Add tags (appends ConversationTagged)",
  },
  {
    method: "DELETE",
    path: "/v1/conversations/{conversation_id}/tags/{tag}",
    fn: "commands",
    scope: "events:write",
    operationId: "untagConversation",
    summary: "Remove a tag (appends ConversationUntagged)",
  },
  {
    method: "POST",
    path: "/v1/conversations/{conversation_id}/close",
    fn: "commands",
    scope: "events:write",
    operationId: "closeConversation",
    summary: "Close (appends ConversationClosed)",
  },
  {
    method: "POST",
    path: "/v1/conversations/{conversation_id}/reopen",
    fn: "commands",
    scope: "events:write",
    operationId: "reopenConversation",
    summary: "Reopen (appends ConversationReopened)",
  },
  {
    method: "POST",
    path: "/v1/triggers",
    fn: "triggers",
    scope: "automations:write",
    operationId: "createTrigger",
    summary: "Create a trigger",
  },
  {
    method: "GET",
    path: "/v1/triggers",
    fn: "triggers",
    scope: "automations:write",
    operationId: "listTriggers",
    summary: "The tenant's triggers",
  },
  {
    method: "GET",
    path: "/v1/triggers/{trigger_id}",
    fn: "triggers",
    scope: "automations:write",
    operationId: "getTrigger",
    summary: "One trigger",
  },
  {
    method: "PUT",
    path: "/v1/triggers/{trigger_id}",
    fn: "triggers",
    scope: "automations:write",
    operationId: "replaceTrigger",
    summary: "Replace a trigger",
  },
  {
    method: "DELETE",
    path: "/v1/triggers/{trigger_id}",
    fn: "triggers",
    scope: "automations:write",
    operationId: "deleteTrigger",
    summary: "Delete a trigger",
  },
  {
    method: "POST",
    path: "/v1/channels",
    fn: "channels",
    scope: "admin",
    operationId: "createChannel",
    summary: "Register a WhatsApp or SunCo channel integration",
  },
  {
    method: "GET",
    path: "/v1/channels",
    fn: "channels",
    scope: "admin",
    operationId: "listChannels",
    summary: "The tenant's channel integrations",
  },
  {
    method: "DELETE",
    path: "/v1/channels/{channel_id}",
    fn: "channels",
    scope: "admin",
    operationId: "deleteChannel",
    summary: "Delete a channel integration (its webhook URL stops working)",
  },
  {
    method: "GET",
    path: "/v1/channels/{channel_id}/rejections",
    fn: "channels",
    scope: "admin",
    operationId: "listChannelRejections",
    summary: "Webhook items the adapter could not store, newest first",
  },
  // Public: the provider's signature or secret authenticates these, not an API key.
  {
    method: "GET",
    path: "/v1/channels/whatsapp/{webhook_id}",
    fn: "channelWebhooks",
    scope: null,
    operationId: "verifyWhatsAppWebhook",
    summary: "Meta's webhook verification handshake",
  },
  {
    method: "POST",
    path: "/v1/channels/whatsapp/{webhook_id}",
    fn: "channelWebhooks",
    scope: null,
    operationId: "receiveWhatsAppWebhook",
    summary: "WhatsApp Cloud API notifications (X-Hub-Signature-256)",
  },
  {
    method: "POST",
    path: "/v1/channels/sunco/{webhook_id}",
    fn: "channelWebhooks",
    scope: null,
    operationId: "receiveSuncoWebhook",
    summary: "Sunshine Conversations v2 webhook (X-API-Key)",
  },
] as const satisfies readonly Route[];

/** `GET /v1/events`-style key used to dispatch inside a function. */
export function routeKey(method: string, path: string): string {
  return `${method.toUpperCase()} ${path}`;
}

export function findRoute(method: string, resourcePath: string): Route | undefined {
  return (ROUTES as readonly Route[]).find(
    (r) => r.method === method.toUpperCase() && r.path === resourcePath,
  );
}

/** Compiles a resource path to a matcher of concrete request paths. */
export function compilePath(path: string): { regex: RegExp; params: string[] } {
  const params: string[] = [];
  const pattern = path
    .split("/")
    .map((segment) => {
      const m = /^\{([A-Za-z0-9_]+)\}$/.exec(segment);
      if (m) {
        params.push(m[1] as string);
        return "([^/]+)";
      }
      return segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    })
    .join("/");
  return { regex: new RegExp(`^${pattern}/?$`), params };
}

/**
 * Authorizer result cache, keyed on the `Authorization` header. The policy covers every
 * route the key may use, so one cached answer is right for all routes. Revoking a key takes
 * effect within this many seconds.
 */
export const AUTHORIZER_CACHE_TTL_SECONDS = 300;
