/**
 * The route table and its contract: every route well-formed, every example true to its
 * schema, the parse phase's answers, the response-contract check, and links that keep the
 * stage prefix.
 */
import type { APIGatewayProxyEvent } from "aws-lambda";
import { describe, expect, it } from "vitest";
import * as z from "zod";
import { bySpecificity } from "#infra/local/gateway.ts";
import { validateEventInput } from "#shared/events/validate.ts";
import { HTTP_FUNCTIONS } from "#shared/function-registry.ts";
import { type Route, TAGS } from "#shared/http/contract.ts";
import { contractViolation } from "#shared/http/http-function.ts";
import { linksOf } from "#shared/http/links.ts";
import { MAX_BODY_BYTES, parseRequest } from "#shared/http/parse.ts";
import { COMMAND_ROUTES } from "#shared/http/routes/commands.ts";
import { QUERY_ROUTES } from "#shared/http/routes/query.ts";
import { TRIGGER_ROUTES } from "#shared/http/routes/triggers.ts";
import { ROUTES } from "#shared/http/routes.ts";

const route = (routes: readonly Route<never>[], operationId: string): Route<never> => {
  const found = routes.find((r) => r.operationId === operationId);
  if (!found) throw new Error(`no route ${operationId}`);
  return found;
};

/** A Lambda-proxy event as API Gateway sends it (stage `prod`). */
function anEvent(
  over: Partial<APIGatewayProxyEvent> & { query?: Record<string, string[]> } = {},
): APIGatewayProxyEvent {
  const { query, ...rest } = over;
  const path = rest.path ?? "/v1/events";
  return {
    resource: path,
    path,
    httpMethod: "GET",
    headers: {},
    multiValueHeaders: {},
    queryStringParameters: query
      ? Object.fromEntries(Object.entries(query).map(([k, v]) => [k, v.at(-1) ?? ""]))
      : null,
    multiValueQueryStringParameters: query ?? null,
    pathParameters: null,
    stageVariables: null,
    body: null,
    isBase64Encoded: false,
    requestContext: {
      path: `/prod${path}`,
      domainName: "abc123.execute-api.eu-west-1.amazonaws.com",
      requestId: "req-1",
    } as APIGatewayProxyEvent["requestContext"],
    ...rest,
  };
}

const errorsOf = (
  fn: () => unknown,
): { status: number; errors?: { path: string; message: string }[]; message: string } => {
  try {
    fn();
  } catch (error) {
    return error as never;
  }
  throw new Error("expected the parse phase to reject the request");
};

describe("the route table", () => {
  it("has one route per operation id and per method and path", () => {
    const ids = ROUTES.map((r) => r.operationId);
    const keys = ROUTES.map((r) => `${r.method} ${r.path}`);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("serves every route from a registered function, under a known tag, with a success response", () => {
    for (const r of ROUTES) {
      expect(Object.keys(HTTP_FUNCTIONS), r.operationId).toContain(r.fn);
      expect(Object.keys(TAGS), r.operationId).toContain(r.tag);
      expect(
        Object.keys(r.responses).some((s) => Number(s) < 300),
        `${r.operationId} declares a 2xx`,
      ).toBe(true);
    }
  });

  it("declares exactly the path parameters its path template names", () => {
    for (const r of ROUTES) {
      const template = [...r.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
      const declared = Object.keys(r.request.path?.shape ?? {}).sort();
      expect(declared, r.operationId).toEqual(template);
    }
  });

  it("gives every response with a body an example that its own schema accepts", () => {
    for (const r of ROUTES) {
      for (const [status, spec] of Object.entries(r.responses)) {
        const where = `${r.operationId} ${status}`;
        if (spec.schema) {
          expect(spec.example, where).toBeDefined();
          const parsed = spec.schema.safeParse(spec.example);
          expect(parsed.success, `${where}: ${JSON.stringify(parsed.error?.issues)}`).toBe(true);
        }
        for (const [media, more] of Object.entries(spec.content ?? {})) {
          expect(more.schema.safeParse(more.example).success, `${where} ${media}`).toBe(true);
        }
      }
    }
  });

  it("gives every request body examples that the route itself would accept", () => {
    for (const r of ROUTES) {
      const body = r.request.body;
      if (!body) continue;
      expect(Object.keys(body.examples).length, r.operationId).toBeGreaterThan(0);
      for (const [name, example] of Object.entries(body.examples)) {
        const where = `${r.operationId} example ${name}`;
        if (body.kind === "json" && body.validatedBy === "use-case") {
          // Ingest validates item by item: each event of the example must be valid.
          const value = example.value as { events?: unknown[] };
          for (const event of value.events ?? [value]) expect(validateEventInput(event).ok, where).toBe(true);
        } else {
          expect(body.schema.safeParse(example.value).success, where).toBe(true);
        }
      }
    }
  });

  it("orders literal segments before parameters, as API Gateway matches them", () => {
    const paths = ["/v1/channels/{channel_id}/rejections", "/v1/channels/whatsapp/{webhook_id}"];
    expect([...paths].sort(bySpecificity)).toEqual([
      "/v1/channels/whatsapp/{webhook_id}",
      "/v1/channels/{channel_id}/rejections",
    ]);
  });
});

describe("the parse phase", () => {
  const timeline = route(QUERY_ROUTES, "getConversationEvents");
  const tag = route(COMMAND_ROUTES, "tagConversation");
  const getTrigger = route(TRIGGER_ROUTES, "getTrigger");

  it("hands the use case typed input: numbers, lists and cursors, not query syntax", () => {
    // Prepare
    const event = anEvent({
      path: "/v1/conversations/c-1/events",
      pathParameters: { conversation_id: "c-1" },
      query: {
        "page[size]": ["25"],
        "page[after]": ["abc.def"],
        "filter[type]": ["MessageSent,MessageReceived,MessageSent"],
        start_time: ["1748002000"],
      },
    });
    // Act
    const input = parseRequest(timeline.request, event);
    // Assert
    expect(input.path).toEqual({ conversation_id: "c-1" });
    expect(input.query).toMatchObject({
      "page[size]": 25,
      "page[after]": { field: "page[after]", value: "abc.def" },
      "filter[type]": ["MessageReceived", "MessageSent"],
      start_time: "2025-05-23T12:06:40.000Z",
    });
  });

  it("defaults the page size", () => {
    const input = parseRequest(timeline.request, anEvent({ pathParameters: { conversation_id: "c-1" } }));
    expect(input.query).toMatchObject({ "page[size]": 100 });
  });

  it("lists every problem of the path, query and headers in one answer", () => {
    // Prepare
    const event = anEvent({
      pathParameters: { conversation_id: "not valid!" },
      headers: { "idempotency-key": "has spaces in it" },
      query: { "page[size]": ["0"], colour: ["blue"] },
    });
    // Act
    const error = errorsOf(() =>
      parseRequest({ ...tag.request, query: timeline.request.query, body: undefined }, event),
    );
    // Assert
    expect(error.status).toBe(400);
    expect(error.errors?.map((e) => e.path).sort()).toEqual(
      ["Idempotency-Key", "colour", "conversation_id", "page[size]"].sort(),
    );
    expect(error.errors).toContainEqual({ path: "colour", message: "unknown query parameter" });
  });

  it("rejects a repeated query parameter, and any parameter on a route that takes none", () => {
    const repeated = anEvent({
      pathParameters: { conversation_id: "c-1" },
      query: { sort: ["occurred_at", "-occurred_at"] },
    });
    expect(errorsOf(() => parseRequest(timeline.request, repeated)).errors?.[0]?.message).toBe(
      "repeated query parameter",
    );
    const stray = anEvent({
      pathParameters: { trigger_id: "trg_01JZ8X6F3P2Q0M9V7T4R5S6W1Y" },
      query: { x: ["1"] },
    });
    expect(errorsOf(() => parseRequest(getTrigger.request, stray)).errors).toEqual([
      { path: "x", message: "unknown query parameter; this route takes none" },
    ]);
  });

  it("reads headers whatever their case", () => {
    const event = anEvent({
      pathParameters: { conversation_id: "c-1" },
      headers: { "IDEMPOTENCY-KEY": "k-1" },
      body: '{"tags":["vip"]}',
    });
    expect(parseRequest(tag.request, event).headers).toEqual({ "Idempotency-Key": "k-1" });
  });

  it("answers 404, not 400, for an id the API could never have issued", () => {
    const error = errorsOf(() =>
      parseRequest(getTrigger.request, anEvent({ pathParameters: { trigger_id: "trg_nope" } })),
    );
    expect(error.status).toBe(404);
    expect(error.message).toBe("no trigger trg_nope");
  });

  it("validates JSON bodies: media type, size, emptiness, structure and schema", () => {
    const withBody = (body: string | null, headers: Record<string, string> = {}) =>
      anEvent({ pathParameters: { conversation_id: "c-1" }, body, headers });
    expect(
      errorsOf(() => parseRequest(tag.request, withBody("x", { "Content-Type": "text/plain" }))).status,
    ).toBe(415);
    const big = JSON.stringify({ tags: ["x".repeat(MAX_BODY_BYTES)] });
    expect(errorsOf(() => parseRequest(tag.request, withBody(big))).status).toBe(413);
    expect(errorsOf(() => parseRequest(tag.request, withBody(null))).message).toMatch(
      /body is empty; send a JSON object \{ "tags"/,
    );
    expect(errorsOf(() => parseRequest(tag.request, withBody("{"))).message).toMatch(/not valid JSON/);
    expect(errorsOf(() => parseRequest(tag.request, withBody("[1]"))).errors).toEqual([
      { path: "(root)", message: "the body must be a JSON object" },
    ]);
    const deep = `${'{"a":'.repeat(5000)}1${"}".repeat(5000)}`;
    expect(errorsOf(() => parseRequest(tag.request, withBody(deep))).errors?.[0]?.message).toMatch(
      /nested more than/,
    );
    expect(
      errorsOf(() => parseRequest(tag.request, withBody('{"__proto__":{}}'))).errors?.[0]?.message,
    ).toMatch(/__proto__/);
    expect(errorsOf(() => parseRequest(tag.request, withBody('{"tags":[]}'))).errors?.[0]?.path).toBe("tags");
    expect(parseRequest(tag.request, withBody('{"tags":["vip"]}')).body).toEqual({ tags: ["vip"] });
  });

  it("validates an optional body as {} when none is sent", () => {
    const close = route(COMMAND_ROUTES, "closeConversation");
    expect(parseRequest(close.request, anEvent({ pathParameters: { conversation_id: "c-1" } })).body).toEqual(
      {},
    );
  });
});

describe("the response contract check", () => {
  const health = {
    ...route(ROUTES, "getHealth"),
    responses: {
      200: { description: "ok", schema: z.object({ status: z.literal("ok") }), example: { status: "ok" } },
    },
  } as Route<never>;

  it("passes a declared status with a body that matches its schema", () => {
    expect(contractViolation(health, { status: 200, json: { status: "ok" } })).toBeUndefined();
  });

  it("names an undeclared status", () => {
    expect(contractViolation(health, { status: 202, json: {} })).toMatch(
      /answered 202, which its route does not declare/,
    );
  });

  it("names a body that does not match", () => {
    expect(contractViolation(health, { status: 200, json: { status: "down" } })).toMatch(
      /does not match its declared schema/,
    );
  });
});

describe("links", () => {
  it("keep the stage prefix and every other parameter, replacing the cursors", () => {
    // Prepare
    const event = anEvent({ query: { start_time: ["2025-05-01T00:00:00Z"], "page[before]": ["b1"] } });
    // Act
    const links = linksOf(event);
    const next = new URL(links.self({ "page[after]": "c2", "page[before]": null }));
    // Assert
    expect(links.base).toBe("https://abc123.execute-api.eu-west-1.amazonaws.com/prod");
    expect(next.pathname).toBe("/prod/v1/events");
    expect(Object.fromEntries(next.searchParams)).toEqual({
      start_time: "2025-05-01T00:00:00Z",
      "page[after]": "c2",
    });
  });

  it("have no prefix on a custom domain that maps the API at its root", () => {
    const event = anEvent({
      requestContext: {
        path: "/v1/events",
        domainName: "api.acme.test",
        requestId: "r",
      } as APIGatewayProxyEvent["requestContext"],
    });
    expect(linksOf(event).base).toBe("https://api.acme.test");
  });
});
