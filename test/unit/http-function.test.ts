/**
 * The middy chain of every HTTP function: request ids on every answer and in every problem,
 * and `request_id` and `tenant` on every log line of the request.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { lambdaContext } from "#infra/local/gateway.ts";

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<unknown>;
let query: Handler;
let service: Handler;

beforeAll(async () => {
  // The logger reads its level once, when its module loads (as in Lambda, where each
  // invocation resets it to that level): load fresh modules that log at DEBUG.
  vi.stubEnv("POWERTOOLS_LOG_LEVEL", "DEBUG");
  vi.resetModules();
  query = (await import("#functions/query.ts")).handler as unknown as Handler;
  service = (await import("#functions/service.ts")).handler as unknown as Handler;
  vi.unstubAllEnvs();
});

function anEvent(over: {
  resource: string;
  path?: string;
  requestId: string;
  tenant?: string;
  scopes?: string;
  query?: Record<string, string>;
}): APIGatewayProxyEvent {
  const path = over.path ?? over.resource;
  return {
    resource: over.resource,
    path,
    httpMethod: "GET",
    headers: { Host: "127.0.0.1:3000", "X-Forwarded-Proto": "http" },
    multiValueHeaders: {},
    queryStringParameters: over.query ?? null,
    multiValueQueryStringParameters: over.query
      ? Object.fromEntries(Object.entries(over.query).map(([k, v]) => [k, [v]]))
      : null,
    pathParameters: null,
    stageVariables: null,
    body: null,
    isBase64Encoded: false,
    requestContext: {
      path,
      domainName: "127.0.0.1:3000",
      requestId: over.requestId,
      authorizer: over.tenant ? { tenant: over.tenant, scopes: over.scopes ?? "", key_id: "key_1" } : null,
    } as APIGatewayProxyEvent["requestContext"],
  };
}

const invoke = (fn: Handler, event: APIGatewayProxyEvent) =>
  fn(event, lambdaContext("test", "invocation-id") as Context) as Promise<APIGatewayProxyResult>;

describe("an HTTP function", () => {
  let lines: Record<string, unknown>[];
  beforeEach(() => {
    lines = [];
    // POWERTOOLS_DEV (test/support/unit-env.ts): the logger writes through the global console.
    for (const method of ["debug", "info", "warn", "error", "log"] as const) {
      vi.spyOn(console, method).mockImplementation((line: unknown) => {
        lines.push(JSON.parse(String(line)));
      });
    }
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("answers with X-Request-Id, API Gateway's request id", async () => {
    const res = await invoke(service, anEvent({ resource: "/v1/health", requestId: "req-health" }));
    expect(res.statusCode).toBe(200);
    expect(res.headers?.["x-request-id"]).toBe("req-health");
  });

  it("puts the same id in a problem's body and header, and request_id and tenant on its log lines", async () => {
    // Prepare: a key without events:read
    const event = anEvent({
      resource: "/v1/events",
      requestId: "req-403",
      tenant: "acme",
      scopes: "events:write",
    });
    // Act
    const res = await invoke(query, event);
    // Assert
    expect(res.statusCode).toBe(403);
    expect(res.headers?.["x-request-id"]).toBe("req-403");
    expect(JSON.parse(res.body)).toMatchObject({ status: 403, request_id: "req-403" });
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).toMatchObject({ request_id: "req-403", tenant: "acme" });
  });

  it("starts every request with fresh keys: no tenant left over from the last one", async () => {
    await invoke(
      query,
      anEvent({ resource: "/v1/events", requestId: "req-a", tenant: "acme", query: { x: "1" } }),
    );
    lines = [];
    await invoke(service, anEvent({ resource: "/v1/health", requestId: "req-b", query: {} }));
    const rejected = await invoke(
      query,
      anEvent({ resource: "/v1/events", requestId: "req-c", tenant: "globex", scopes: "events:read" }),
    );
    expect(rejected.statusCode).toBe(400);
    expect(lines.filter((l) => l.request_id === "req-b").every((l) => !("tenant" in l))).toBe(true);
    expect(lines.filter((l) => l.request_id === "req-c").map((l) => l.tenant)).toEqual(
      lines.filter((l) => l.request_id === "req-c").map(() => "globex"),
    );
    expect(lines.some((l) => l.request_id === "req-c")).toBe(true);
  });
});
