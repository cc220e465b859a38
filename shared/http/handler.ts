/**
 * The shape every HTTP function shares: a middy chain around a route dispatch.
 *
 * - `injectLambdaContext` (Powertools) adds request ids to every log line;
 * - `problemErrors` maps typed errors to problem+json, in one place, and logs real faults;
 * - the dispatch enforces the route's scope again, from the authorizer context (defence in
 *   depth: the authorizer's policy already denies routes outside the key's scopes).
 */
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy, { type MiddlewareObj } from "@middy/core";
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";
import { ForbiddenError, NotFoundError } from "../errors.ts";
import { logger } from "../logger.ts";
import { problemFor, problemResponse } from "./problem.ts";
import { type Caller, callerOf } from "./request.ts";
import { findRoute, type HttpFunctionName, ROUTES, type Route, routeKey } from "./routes.ts";

export type HttpResult = APIGatewayProxyResult;
export type RouteHandler = (event: APIGatewayProxyEvent, caller: Caller) => Promise<HttpResult>;
export type PublicRouteHandler = (event: APIGatewayProxyEvent) => Promise<HttpResult>;

const JSON_HEADERS = { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" };

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
  return { statusCode, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) };
}

/** Maps any error to problem+json. 5xx are logged with their cause and never shown. */
export function problemErrors(): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context> {
  const problemErrorsOnError: MiddlewareObj<
    APIGatewayProxyEvent,
    APIGatewayProxyResult,
    Error,
    Context
  >["onError"] = async (request) => {
    const problem = problemFor(request.error, request.event?.path);
    if (problem.status >= 500) logger.error("request failed", { error: request.error as Error });
    else logger.info("request rejected", { status: problem.status, detail: problem.detail });
    request.response = problemResponse(problem);
  };
  return { onError: problemErrorsOnError };
}

type Handlers = Record<string, RouteHandler | PublicRouteHandler>;

/**
 * Builds the Lambda handler of one HTTP function from its route handlers. Every route the
 * route table gives this function must have a handler, and no other: checked at load.
 */
export function httpFunction(fn: HttpFunctionName, handlers: Handlers) {
  const mine = (ROUTES as readonly Route[]).filter((r) => r.fn === fn).map((r) => routeKey(r.method, r.path));
  const given = Object.keys(handlers);
  const missing = mine.filter((k) => !given.includes(k));
  const extra = given.filter((k) => !mine.includes(k));
  if (missing.length > 0 || extra.length > 0) {
    throw new Error(
      `function ${fn}: handlers do not match the route table (missing ${missing}, extra ${extra})`,
    );
  }
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context>()
    .use(injectLambdaContext(logger))
    .use(problemErrors())
    .handler(async (event) => {
      const route = findRoute(event.httpMethod, event.resource);
      const handle = route ? handlers[routeKey(route.method, route.path)] : undefined;
      if (!route || !handle) throw new NotFoundError(`no route for ${event.httpMethod} ${event.path}`);
      if (route.scope === null) return (handle as PublicRouteHandler)(event);
      const caller = callerOf(event);
      if (!caller.scopes.includes(route.scope)) {
        throw new ForbiddenError(
          `this API key lacks the ${route.scope} scope needed for ${route.method} ${route.path}`,
        );
      }
      return (handle as RouteHandler)(event, caller);
    });
}
