/**
 * One HTTP function: a middy chain around the routes the function serves.
 *
 * 1. `injectLambdaContext` (Powertools), keys reset after every invocation;
 * 2. `requestIds`: every log line of the request carries `request_id` (API Gateway's request
 *    id) and, once known, `tenant`; every response carries `X-Request-Id`;
 * 3. `problems`: any error becomes problem+json with `request_id`, in one place; faults are
 *    logged with their cause and never shown;
 * 4. `routeInput`: finds the route, enforces its scope from the authorizer context (defence
 *    in depth: the authorizer's policy already denies it), and runs the parse phase;
 * 5. the route's `handle`, whose reply becomes the proxy result.
 *
 * With `CONTRACT_CHECK_RESPONSES=true` (the test suite sets it) every JSON reply is also
 * checked against the route's declared response: a status or body the route does not
 * declare fails the request, so the OpenAPI document cannot drift from what handlers send.
 */
import type { Readable } from "node:stream";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy, { type MiddlewareObj, type Request } from "@middy/core";
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";
import { ForbiddenError, NotFoundError } from "../errors.ts";
import { logger } from "../logger.ts";
import type { Reply, Route, RouteRequest } from "./contract.ts";
import "./lambda-streaming.ts";
import { linksOf } from "./links.ts";
import { parseRequest } from "./parse.ts";
import { problemFor, problemResponse, REQUEST_ID_HEADER } from "./problem.ts";
import { callerOf } from "./request.ts";

/** A streamed response: the status and headers go first, then the body as it is produced. */
export interface StreamResult {
  statusCode: number;
  headers: Record<string, string>;
  body: Readable | string;
}

type Result = APIGatewayProxyResult | StreamResult;
type HttpRequest = Request<APIGatewayProxyEvent, Result, Error, RouteContext>;

/** What the parse phase leaves for the handler. */
interface RouteContext extends Context {
  route?: { spec: Route<unknown>; request: RouteRequest<never, never> };
}

const JSON_HEADERS = { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" };

export const requestIdOf = (event: APIGatewayProxyEvent | undefined): string =>
  event?.requestContext?.requestId ?? "unknown";

function requestIds(): MiddlewareObj<APIGatewayProxyEvent, Result, Error, RouteContext> {
  return {
    before: async (request: HttpRequest) => {
      logger.appendKeys({ request_id: requestIdOf(request.event) });
    },
    after: async (request: HttpRequest) => {
      if (request.response) {
        request.response.headers = {
          ...request.response.headers,
          [REQUEST_ID_HEADER]: requestIdOf(request.event),
        };
      }
    },
  };
}

/** Maps any error to problem+json. 5xx are logged with their cause and never shown. */
function problems(): MiddlewareObj<APIGatewayProxyEvent, Result, Error, RouteContext> {
  return {
    onError: async (request: HttpRequest) => {
      const problem = problemFor(request.error, request.event?.path, requestIdOf(request.event));
      if (problem.status >= 500) logger.error("request failed", { error: request.error as Error });
      else logger.info("request rejected", { status: problem.status, detail: problem.detail });
      request.response = problemResponse(problem);
    },
  };
}

function routeInput<D>(
  routes: readonly Route<D>[],
): MiddlewareObj<APIGatewayProxyEvent, Result, Error, RouteContext> {
  const byKey = new Map(routes.map((r) => [`${r.method} ${r.path}`, r]));
  return {
    before: async (request: HttpRequest) => {
      const { event } = request;
      const spec = byKey.get(`${event.httpMethod?.toUpperCase()} ${event.resource}`);
      if (!spec) throw new NotFoundError(`no route for ${event.httpMethod} ${event.path}`);
      let caller = null;
      if (spec.scope !== null) {
        caller = callerOf(event);
        logger.appendKeys({ tenant: caller.tenant });
        if (!caller.scopes.includes(spec.scope)) {
          throw new ForbiddenError(
            `this API key lacks the ${spec.scope} scope needed for ${spec.method} ${spec.path}`,
          );
        }
      }
      const input = parseRequest(spec.request, event);
      request.context.route = {
        spec: spec as Route<unknown>,
        request: { ...input, caller, requestId: requestIdOf(event), links: linksOf(event), event } as never,
      };
    },
  };
}

/** Reply → Lambda proxy result (or a streamed result). */
export function toResult(reply: Reply): Result {
  const headers = reply.headers ?? {};
  if ("json" in reply) {
    return {
      statusCode: reply.status,
      headers: { ...JSON_HEADERS, ...headers },
      body: JSON.stringify(reply.json),
    };
  }
  if ("text" in reply) {
    return {
      statusCode: reply.status,
      headers: { "content-type": reply.contentType, ...headers },
      body: reply.text,
    };
  }
  if ("stream" in reply) return { statusCode: reply.status, headers, body: reply.stream };
  return { statusCode: reply.status, headers: { "cache-control": "no-store", ...headers }, body: "" };
}

const CHECK_RESPONSES = process.env.CONTRACT_CHECK_RESPONSES === "true";

/** The response-contract check (tests only): the reply's status and JSON body are declared. */
export function contractViolation(spec: Route<unknown>, reply: Reply): string | undefined {
  const declared = spec.responses[reply.status];
  if (!declared) return `${spec.operationId} answered ${reply.status}, which its route does not declare`;
  if ("json" in reply && declared.schema) {
    const parsed = declared.schema.safeParse(reply.json);
    if (!parsed.success) {
      const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join(".")}: ${i.message}`);
      return `${spec.operationId} ${reply.status}: the body does not match its declared schema (${issues.join("; ")})`;
    }
  }
  return undefined;
}

function dispatch<D>(deps: D) {
  return async (_event: APIGatewayProxyEvent, context: RouteContext): Promise<Result> => {
    const route = context.route;
    if (!route) throw new Error("the parse phase did not run");
    const reply = await route.spec.handle(route.request, deps);
    if (CHECK_RESPONSES) {
      const violation = contractViolation(route.spec, reply);
      if (violation) throw new Error(`response contract violated: ${violation}`);
    }
    return toResult(reply);
  };
}

/** The Lambda handler of one HTTP function: its routes and the dependencies they share. */
export function httpFunction<D>(routes: readonly Route<D>[], deps: D) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, RouteContext>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(requestIds() as MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult, Error, RouteContext>)
    .use(problems() as MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult, Error, RouteContext>)
    .use(
      routeInput(routes) as MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult, Error, RouteContext>,
    )
    .handler(dispatch(deps) as (e: APIGatewayProxyEvent, c: RouteContext) => Promise<APIGatewayProxyResult>);
}

/**
 * The same chain with Lambda response streaming (API Gateway's `STREAM` transfer mode): the
 * status and headers are sent first, then the body as the handler's stream produces it.
 * Errors before the first byte are problem+json, as everywhere else.
 */
export function streamingHttpFunction<D>(routes: readonly Route<D>[], deps: D) {
  return middy<APIGatewayProxyEvent, StreamResult, Error, RouteContext>({ streamifyResponse: true })
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(requestIds() as MiddlewareObj<APIGatewayProxyEvent, StreamResult, Error, RouteContext>)
    .use(problems() as MiddlewareObj<APIGatewayProxyEvent, StreamResult, Error, RouteContext>)
    .use(routeInput(routes) as MiddlewareObj<APIGatewayProxyEvent, StreamResult, Error, RouteContext>)
    .handler(dispatch(deps) as (e: APIGatewayProxyEvent, c: RouteContext) => Promise<StreamResult>);
}
