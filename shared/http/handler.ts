/**
 * The shape every HTTP function shares: a middy chain around a route dispatch.
 *
 * - `injectLambdaContext` (Powertools) adds request ids to every log line;
 * - `problemErrors` maps typed errors to problem+json, in one place, and logs real faults;
 * - the dispatch enforces the route's scope again, from the authorizer context (defence in
 *   depth: the authorizer's policy already denies routes outside the key's scopes).
 */

import type { Readable } from "node:stream";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy, { type MiddlewareObj } from "@middy/core";
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";
import { ForbiddenError, NotFoundError } from "../errors.ts";
import { logger } from "../logger.ts";
import "./lambda-streaming.ts";
import { problemFor, problemResponse } from "./problem.ts";
import { type Caller, callerOf } from "./request.ts";
import { findRoute, type HttpFunctionName, ROUTES, type Route, routeKey } from "./routes.ts";

export type HttpResult = APIGatewayProxyResult;
export type RouteHandler<R = HttpResult> = (event: APIGatewayProxyEvent, caller: Caller) => Promise<R>;
export type PublicRouteHandler<R = HttpResult> = (event: APIGatewayProxyEvent) => Promise<R>;
/** A streamed response: the status and headers go first, then the body as it is produced. */
export interface StreamResult {
  statusCode: number;
  headers: Record<string, string>;
  body: Readable | string;
}

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

type Handlers<R> = Record<string, RouteHandler<R> | PublicRouteHandler<R>>;

/**
 * The route dispatch of one HTTP function. Every route the route table gives this function
 * must have a handler, and no other: checked at load.
 */
function dispatcher<R>(fn: HttpFunctionName, handlers: Handlers<R>) {
  const mine = (ROUTES as readonly Route[]).filter((r) => r.fn === fn).map((r) => routeKey(r.method, r.path));
  const given = Object.keys(handlers);
  const missing = mine.filter((k) => !given.includes(k));
  const extra = given.filter((k) => !mine.includes(k));
  if (missing.length > 0 || extra.length > 0) {
    throw new Error(
      `function ${fn}: handlers do not match the route table (missing ${missing}, extra ${extra})`,
    );
  }
  return async (event: APIGatewayProxyEvent): Promise<R> => {
    const route = findRoute(event.httpMethod, event.resource);
    const handle = route ? handlers[routeKey(route.method, route.path)] : undefined;
    if (!route || !handle) throw new NotFoundError(`no route for ${event.httpMethod} ${event.path}`);
    if (route.scope === null) return (handle as PublicRouteHandler<R>)(event);
    const caller = callerOf(event);
    if (!caller.scopes.includes(route.scope)) {
      throw new ForbiddenError(
        `this API key lacks the ${route.scope} scope needed for ${route.method} ${route.path}`,
      );
    }
    return (handle as RouteHandler<R>)(event, caller);
  };
}

/** Builds the Lambda handler of one HTTP function from its route handlers. */
export function httpFunction(fn: HttpFunctionName, handlers: Handlers<HttpResult>) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context>()
    .use(injectLambdaContext(logger))
    .use(problemErrors())
    .handler(dispatcher(fn, handlers));
}

/**
 * Builds a response-streaming Lambda handler (API Gateway's `STREAM` transfer mode): the
 * status and headers are sent first, then the body as the handler's stream produces it.
 * Errors before the first byte are problem+json, as everywhere else.
 */
export function streamingHttpFunction(fn: HttpFunctionName, handlers: Handlers<StreamResult>) {
  return middy<APIGatewayProxyEvent, StreamResult, Error, Context>({ streamifyResponse: true })
    .use(injectLambdaContext(logger))
    .use(problemErrors() as unknown as MiddlewareObj<APIGatewayProxyEvent, StreamResult, Error, Context>)
    .handler(dispatcher(fn, handlers));
}
