/**
 * The route table: every route of the API, each carrying its contract and its binding
 * (`contract.ts`). Routes are grouped by the Lambda function that serves them; each function
 * loads only its own group. This table is what the CDK app wires API Gateway from, what the
 * local gateway dispatches with, what the authorizer builds its policy from, and what the
 * OpenAPI document is generated from.
 */
import type { Route } from "./contract.ts";
import { CHANNEL_WEBHOOK_ROUTES } from "./routes/channel-webhooks.ts";
import { CHANNEL_ROUTES } from "./routes/channels.ts";
import { COMMAND_ROUTES } from "./routes/commands.ts";
import { EXPORT_ROUTES } from "./routes/export.ts";
import { INGEST_ROUTES } from "./routes/ingest.ts";
import { QUERY_ROUTES } from "./routes/query.ts";
import { SERVICE_ROUTES } from "./routes/service.ts";
import { TRIGGER_ROUTES } from "./routes/triggers.ts";

export type { HttpMethod, Route } from "./contract.ts";

/** Every route, in the order the OpenAPI document lists them. */
export const ROUTES: readonly Route<never>[] = [
  ...SERVICE_ROUTES,
  ...INGEST_ROUTES,
  ...QUERY_ROUTES,
  ...EXPORT_ROUTES,
  ...COMMAND_ROUTES,
  ...TRIGGER_ROUTES,
  ...CHANNEL_ROUTES,
  ...CHANNEL_WEBHOOK_ROUTES,
];

export function findRoute(method: string, resourcePath: string): Route<never> | undefined {
  return ROUTES.find((r) => r.method === method.toUpperCase() && r.path === resourcePath);
}

/**
 * Whose rate plan a request of the route counts against: the API key's tenant (private
 * routes), the tenant owning the channel of the URL (webhooks), or none (public service
 * routes: only the stage throttle and the WAF).
 */
export function meteringOf(route: Pick<Route, "scope" | "meteredBy">): "key" | "channel" | null {
  if (route.scope !== null) return "key";
  return route.meteredBy === "channel" ? "channel" : null;
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
