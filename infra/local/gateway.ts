/**
 * The local stand-in for the API Gateway REST API. It does what the deployed gateway does,
 * in the same order, with the same handlers:
 *
 * 1. match the request to the shared route table (unknown path 404, wrong method 405);
 * 2. for private routes, run the Lambda REQUEST authorizer handler (cached per
 *    `Authorization` header like the deployed authorizer) and evaluate its IAM policy
 *    against the method ARN: a thrown `Unauthorized` is a 401, a denied ARN a 403. For the
 *    channel webhook routes (`meteredBy: "channel"`), run the webhook authorizer (not cached);
 * 3. on those metered routes, require the authorizer's `usageIdentifierKey` (as
 *    `apiKeyRequired` does) and charge one token to the tenant's bucket, with the tenant's
 *    plan: over it, a 429 with `Retry-After` (API Gateway's usage plan throttle);
 * 4. invoke the route's Lambda handler with a Lambda-proxy event carrying the authorizer context.
 *
 * Gateway-level answers are problem+json, like the gateway responses of the deployed API.
 */
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { PassThrough, type Writable } from "node:stream";
import type {
  APIGatewayAuthorizerResult,
  APIGatewayProxyEvent,
  APIGatewayProxyResult,
  APIGatewayRequestAuthorizerEvent,
  Context,
} from "aws-lambda";
import type { HttpFunctionName } from "#shared/function-registry.ts";
import { PRELUDE_DELIMITER, STREAMING_HANDLER } from "#shared/http/lambda-streaming.ts";
import { PROBLEM_BASE, problemResponse, REQUEST_ID_HEADER } from "#shared/http/problem.ts";
import { AUTHORIZER_CACHE_TTL_SECONDS, compilePath, meteringOf, ROUTES } from "#shared/http/routes.ts";
import { describePlan, type RatePlan } from "../rate-plans.ts";
import { TenantRateLimiter } from "./rate-limits.ts";

export type ProxyHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;
/** A response-streaming handler (`awslambda.streamifyResponse`): it writes the prelude and body to the stream. */
export type StreamingHandler = (
  event: APIGatewayProxyEvent,
  stream: Writable,
  context: Context,
) => Promise<void>;
export type AuthorizerHandler = (
  event: APIGatewayRequestAuthorizerEvent,
) => Promise<APIGatewayAuthorizerResult>;

export interface GatewayOptions {
  functions: Record<HttpFunctionName, ProxyHandler | StreamingHandler>;
  authorizer: AuthorizerHandler;
  /** The channel webhook routes' authorizer: names the tenant whose plan a webhook counts against. */
  webhookAuthorizer: AuthorizerHandler;
  stage?: string;
  /** Seconds an authorizer answer is reused for the same Authorization header; 0 disables. */
  authorizerCacheTtl?: number;
  /**
   * Per-tenant rate limits. `planOf` gives the plan of the tenant the authorizer resolved
   * (from its context: `tenant`, and `plan`, the tier); undefined leaves the request
   * unmetered. Without `rateLimits`, nothing is metered.
   */
  rateLimits?: {
    planOf(tenant: string, tier: string | undefined): RatePlan | undefined;
    /** Milliseconds, for the token buckets; default `performance.now`. */
    now?: () => number;
  };
}

/** API Gateway's own payload limit. The ingest handler enforces the API's 1 MB limit itself. */
const GATEWAY_MAX_BODY = 10 * 1024 * 1024;
const API_ID = "local";
const ACCOUNT = "000000000000";
const REGION = "local";

/**
 * Routes in API Gateway's matching order: segment by segment, a literal segment before a
 * `{param}` (so `/v1/channels/whatsapp/{id}` wins over `/v1/channels/{id}/rejections`).
 */
export function bySpecificity(a: string, b: string): number {
  const sa = a.split("/");
  const sb = b.split("/");
  for (let i = 0; i < Math.min(sa.length, sb.length); i++) {
    const pa = sa[i]?.startsWith("{") ?? false;
    const pb = sb[i]?.startsWith("{") ?? false;
    if (pa !== pb) return pa ? 1 : -1;
  }
  // Paths of different lengths never match the same request; this only makes the order total.
  return sa.length - sb.length;
}

const compiled = ROUTES.map((route) => ({ route, ...compilePath(route.path) })).sort((a, b) =>
  bySpecificity(a.route.path, b.route.path),
);

/** The gateway's own answers (as API Gateway's gateway responses): problem+json with the request id. */
function gatewayProblem(
  requestId: string,
  status: number,
  slug: string,
  title: string,
  detail: string,
  headers: Record<string, string> = {},
) {
  return problemResponse(
    { type: `${PROBLEM_BASE}${slug}`, title, status, detail, request_id: requestId },
    headers,
  );
}

/** Every answer carries the request id, as API Gateway's do. */
function send(res: ServerResponse, result: APIGatewayProxyResult, requestId: string): void {
  const headers: Record<string, string | string[]> = {
    "x-amzn-requestid": requestId,
    [REQUEST_ID_HEADER]: requestId,
  };
  for (const [k, v] of Object.entries(result.headers ?? {})) headers[k.toLowerCase()] = String(v);
  for (const [k, v] of Object.entries(result.multiValueHeaders ?? {}))
    headers[k.toLowerCase()] = v.map(String);
  const body = result.isBase64Encoded
    ? Buffer.from(result.body, "base64")
    : Buffer.from(result.body ?? "", "utf8");
  headers["content-length"] = String(body.byteLength);
  res.writeHead(result.statusCode, headers);
  res.end(body);
}

async function readBody(req: IncomingMessage): Promise<Buffer | "too-large"> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).byteLength;
    if (size > GATEWAY_MAX_BODY) return "too-large";
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** IAM-style match of an execute-api ARN: `*` matches any run of characters. */
export function arnMatches(pattern: string, arn: string): boolean {
  const regex = new RegExp(
    `^${pattern
      .split("*")
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*")}$`,
  );
  return regex.test(arn);
}

/** Evaluates an authorizer policy: an explicit Deny wins, otherwise an Allow is needed. */
export function policyAllows(result: APIGatewayAuthorizerResult, methodArn: string): boolean {
  let allowed = false;
  for (const statement of result.policyDocument.Statement) {
    const s = statement as { Effect: string; Action?: string | string[]; Resource?: string | string[] };
    const actions = [s.Action ?? []].flat();
    if (!actions.some((a) => a === "execute-api:Invoke" || a === "execute-api:*" || a === "*")) continue;
    const resources = [s.Resource ?? []].flat();
    if (!resources.some((r) => arnMatches(r, methodArn))) continue;
    if (s.Effect === "Deny") return false;
    if (s.Effect === "Allow") allowed = true;
  }
  return allowed;
}

export function lambdaContext(fn: string, requestId: string): Context {
  const name = `conversation-log-local-${fn}`;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: name,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`,
    memoryLimitInMB: "1024",
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: "local",
    getRemainingTimeInMillis: () => 29_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export function createGateway(options: GatewayOptions): Server {
  const stage = options.stage ?? "local";
  const ttlMs = (options.authorizerCacheTtl ?? AUTHORIZER_CACHE_TTL_SECONDS) * 1000;
  const cache = new Map<string, { result: APIGatewayAuthorizerResult; expires: number }>();
  const limiter = options.rateLimits ? new TenantRateLimiter(options.rateLimits.now) : undefined;

  async function handle(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    let host = req.headers.host ?? "127.0.0.1";
    let url: URL;
    try {
      url = new URL(req.url ?? "/", `http://${host}`);
    } catch {
      // A malformed Host header: answer for the loopback address we listen on.
      host = "127.0.0.1";
      url = new URL(req.url ?? "/", `http://${host}`);
    }
    const method = (req.method ?? "GET").toUpperCase();
    const candidates = compiled.filter((c) => c.regex.test(url.pathname));
    if (candidates.length === 0) {
      return send(
        res,
        gatewayProblem(requestId, 404, "not-found", "Not found", `no route matches ${url.pathname}`),
        requestId,
      );
    }
    const match = candidates.find((c) => c.route.method === method);
    if (!match) {
      const allow = candidates.map((c) => c.route.method).join(", ");
      return send(
        res,
        gatewayProblem(
          requestId,
          405,
          "method-not-allowed",
          "Method not allowed",
          `${url.pathname} accepts ${allow}`,
          {
            allow,
          },
        ),
        requestId,
      );
    }
    const { route } = match;
    const values = match.regex.exec(url.pathname)?.slice(1) ?? [];
    let pathParameters: Record<string, string>;
    try {
      pathParameters = Object.fromEntries(
        match.params.map((p, i) => [p, decodeURIComponent(values[i] ?? "")]),
      );
    } catch {
      return send(
        res,
        gatewayProblem(
          requestId,
          400,
          "validation",
          "Invalid request",
          `the path ${url.pathname} has malformed percent-encoding`,
        ),
        requestId,
      );
    }

    const body = await readBody(req);
    if (body === "too-large") {
      return send(
        res,
        gatewayProblem(
          requestId,
          413,
          "payload-too-large",
          "Payload too large",
          "the request body exceeds 10 MB",
        ),
        requestId,
      );
    }

    const headers: Record<string, string> = {};
    const multiValueHeaders: Record<string, string[]> = {};
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const k = req.rawHeaders[i] as string;
      const v = req.rawHeaders[i + 1] as string;
      // The gateway, not the client, says which protocol was used (as API Gateway does).
      if (k.toLowerCase() === "x-forwarded-proto") continue;
      headers[k] = v;
      multiValueHeaders[k] = [...(multiValueHeaders[k] ?? []), v];
    }
    headers["X-Forwarded-Proto"] = "http";
    multiValueHeaders["X-Forwarded-Proto"] = ["http"];
    const query: Record<string, string> = {};
    const multiQuery: Record<string, string[]> = {};
    for (const [k, v] of url.searchParams) {
      query[k] = v;
      multiQuery[k] = [...(multiQuery[k] ?? []), v];
    }
    const hasQuery = url.searchParams.size > 0;
    const methodArn = `arn:aws:execute-api:${REGION}:${ACCOUNT}:${API_ID}/${stage}/${method}${url.pathname}`;

    const authEvent = (): APIGatewayRequestAuthorizerEvent => ({
      type: "REQUEST",
      methodArn,
      resource: route.path,
      path: url.pathname,
      httpMethod: method,
      headers,
      multiValueHeaders,
      pathParameters,
      queryStringParameters: hasQuery ? query : null,
      multiValueQueryStringParameters: hasQuery ? multiQuery : null,
      stageVariables: null,
      requestContext: requestContext() as APIGatewayRequestAuthorizerEvent["requestContext"],
    });
    const authorizerFailed = () =>
      send(
        res,
        gatewayProblem(requestId, 500, "internal", "Internal error", "the authorizer failed"),
        requestId,
      );
    const forbidden = (detail: string) =>
      send(res, gatewayProblem(requestId, 403, "forbidden", "Forbidden", detail), requestId);

    let authorizer: Record<string, unknown> | null = null;
    let answer: APIGatewayAuthorizerResult | undefined;
    const metering = meteringOf(route);
    if (metering === "key") {
      const authorization = req.headers.authorization;
      if (!authorization) {
        return send(
          res,
          gatewayProblem(
            requestId,
            401,
            "unauthorized",
            "Unauthorized",
            "send Authorization: Bearer <api key>",
          ),
          requestId,
        );
      }
      let result = cache.get(authorization);
      if (!result || result.expires < Date.now()) {
        try {
          result = { result: await options.authorizer(authEvent()), expires: Date.now() + ttlMs };
        } catch (error) {
          if ((error as Error).message === "Unauthorized") {
            return send(
              res,
              gatewayProblem(
                requestId,
                401,
                "unauthorized",
                "Unauthorized",
                "the API key is unknown or revoked",
              ),
              requestId,
            );
          }
          return authorizerFailed();
        }
        if (ttlMs > 0) cache.set(authorization, result);
      }
      if (!policyAllows(result.result, methodArn)) {
        return forbidden(`this API key lacks the ${route.scope} scope needed for ${method} ${route.path}`);
      }
      answer = result.result;
    } else if (metering === "channel") {
      // Not cached: API Gateway cannot key an authorizer cache on a path parameter.
      try {
        answer = await options.webhookAuthorizer(authEvent());
      } catch {
        return authorizerFailed();
      }
      if (!policyAllows(answer, methodArn)) return forbidden(`${method} ${route.path} is not allowed`);
    }
    if (answer) {
      authorizer = { ...(answer.context ?? {}), principalId: answer.principalId };
      // `apiKeyRequired` methods: without a usage key, API Gateway answers 403 (INVALID_API_KEY).
      if (!answer.usageIdentifierKey) {
        return forbidden("the request belongs to no usage plan (the authorizer returned no usage key)");
      }
      const tenant = answer.context?.tenant;
      const plan =
        typeof tenant === "string" && tenant !== ""
          ? options.rateLimits?.planOf(tenant, stringOrUndefined(answer.context?.plan))
          : undefined;
      if (limiter && plan && typeof tenant === "string") {
        const admission = limiter.take(tenant, plan);
        if (!admission.ok) {
          return send(
            res,
            gatewayProblem(
              requestId,
              429,
              "rate-limited",
              "Too many requests",
              `over this tenant's rate plan (${describePlan(plan)}); retry after ${admission.retryAfterSeconds} s`,
              { "retry-after": String(admission.retryAfterSeconds) },
            ),
            requestId,
          );
        }
      }
    }

    function requestContext(): APIGatewayProxyEvent["requestContext"] {
      return {
        accountId: ACCOUNT,
        apiId: API_ID,
        authorizer,
        domainName: host,
        domainPrefix: host.split(".")[0] ?? host,
        httpMethod: method,
        path: url.pathname,
        protocol: "HTTP/1.1",
        requestId,
        requestTimeEpoch: Date.now(),
        resourceId: route.operationId,
        resourcePath: route.path,
        stage,
        identity: {
          accessKey: null,
          accountId: null,
          apiKey: null,
          apiKeyId: null,
          caller: null,
          clientCert: null,
          cognitoAuthenticationProvider: null,
          cognitoAuthenticationType: null,
          cognitoIdentityId: null,
          cognitoIdentityPoolId: null,
          principalOrgId: null,
          sourceIp: req.socket.remoteAddress ?? "127.0.0.1",
          user: null,
          userAgent: req.headers["user-agent"] ?? null,
          userArn: null,
        },
      };
    }

    const isText = body.byteLength === 0 || isUtf8(body);
    const event: APIGatewayProxyEvent = {
      resource: route.path,
      path: url.pathname,
      httpMethod: method,
      headers,
      multiValueHeaders,
      queryStringParameters: hasQuery ? query : null,
      multiValueQueryStringParameters: hasQuery ? multiQuery : null,
      pathParameters: match.params.length > 0 ? pathParameters : null,
      stageVariables: null,
      requestContext: requestContext(),
      body: body.byteLength === 0 ? null : isText ? body.toString("utf8") : body.toString("base64"),
      isBase64Encoded: !isText,
    };
    const fn = options.functions[route.fn];
    if (isStreaming(fn)) return relayStream(fn, event, lambdaContext(route.fn, requestId), res, requestId);
    try {
      const result = await (fn as ProxyHandler)(event, lambdaContext(route.fn, requestId));
      return send(res, result, requestId);
    } catch {
      // API Gateway answers 502 when the integration fails; the handlers map their own errors.
      return send(
        res,
        gatewayProblem(requestId, 502, "bad-gateway", "Bad gateway", "the function failed"),
        requestId,
      );
    }
  }

  return createServer((req, res) => {
    const requestId = randomUUID();
    handle(req, res, requestId).catch(() => {
      if (!res.headersSent)
        send(res, gatewayProblem(requestId, 500, "internal", "Internal error", "gateway failure"), requestId);
    });
  });
}

export function isStreaming(fn: ProxyHandler | StreamingHandler): fn is StreamingHandler {
  return (fn as unknown as Record<symbol, unknown>)[STREAMING_HANDLER] === "response";
}

/**
 * Invokes a response-streaming handler as API Gateway's `STREAM` transfer mode does: reads
 * the JSON prelude up to the eight-NUL delimiter, sends the status and headers, then relays
 * the body as it comes, with backpressure. A failure before the prelude is a 502; after it,
 * the connection is cut, as in AWS.
 */
async function relayStream(
  handler: StreamingHandler,
  event: APIGatewayProxyEvent,
  context: Context,
  res: ServerResponse,
  requestId: string,
): Promise<void> {
  const out = new PassThrough();
  res.on("close", () => {
    if (!res.writableFinished) out.destroy();
  });
  const invoked = handler(event, out, context).catch((error: unknown) => {
    out.destroy(error as Error);
  });
  let head: Buffer | undefined = Buffer.alloc(0);
  try {
    for await (const chunk of out as AsyncIterable<Buffer>) {
      let body = chunk;
      if (head) {
        head = Buffer.concat([head, chunk]);
        const at = head.indexOf(PRELUDE_DELIMITER);
        if (at < 0) continue;
        const prelude = JSON.parse(head.subarray(0, at).toString("utf8")) as {
          statusCode?: number;
          headers?: Record<string, string>;
        };
        const headers: Record<string, string> = {
          "x-amzn-requestid": requestId,
          [REQUEST_ID_HEADER]: requestId,
        };
        for (const [k, v] of Object.entries(prelude.headers ?? {})) headers[k.toLowerCase()] = String(v);
        res.writeHead(prelude.statusCode ?? 200, headers);
        // Headers go out now, as API Gateway sends them, not with the first body chunk.
        res.flushHeaders();
        body = head.subarray(at + PRELUDE_DELIMITER.length);
        head = undefined;
      }
      if (body.byteLength > 0 && !res.write(body)) await once(res, "drain");
    }
  } catch {
    // The handler failed, or the client went away: handled below.
  }
  await invoked;
  if (head) {
    return send(
      res,
      gatewayProblem(requestId, 502, "bad-gateway", "Bad gateway", "the function failed"),
      requestId,
    );
  }
  if (out.errored) res.destroy();
  else res.end();
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function isUtf8(buf: Buffer): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(buf);
    return true;
  } catch {
    return false;
  }
}
