/**
 * routeArn: the authorizer's policy names route templates, `{params}` as `*`, so one cached
 * policy covers every conversation.
 */
import { describe, expect, it } from "vitest";
import { routeArn } from "#functions/authorizer.ts";
import { arnMatches } from "#infra/local/gateway.ts";
import { ROUTES, type Route } from "#shared/http/routes.ts";

const METHOD_ARN = "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/v1/events";

function route(method: Route["method"], path: string): Pick<Route, "method" | "path"> {
  return { method, path };
}

describe("routeArn", () => {
  it("turns a route template into the ARN of every matching request", () => {
    expect(routeArn(METHOD_ARN, route("GET", "/v1/conversations/{conversation_id}/events"))).toBe(
      "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/v1/conversations/*/events",
    );
  });

  it("keeps a path without parameters and uses the route's method, not the request's", () => {
    expect(routeArn(METHOD_ARN, route("POST", "/v1/events"))).toBe(
      "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/POST/v1/events",
    );
  });

  it("replaces every parameter", () => {
    expect(routeArn(METHOD_ARN, route("DELETE", "/v1/conversations/{id}/tags/{tag}"))).toBe(
      "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/DELETE/v1/conversations/*/tags/*",
    );
  });

  it("keeps the API id and stage of the request, whatever its path", () => {
    const deep =
      "arn:aws:execute-api:eu-west-1:999999999999:xyz789/v2stage/POST/v1/conversations/c-1/tags/vip";
    expect(routeArn(deep, route("GET", "/v1/health"))).toBe(
      "arn:aws:execute-api:eu-west-1:999999999999:xyz789/v2stage/GET/v1/health",
    );
  });

  it("yields ARNs that match the requests of their own route and not of other routes", () => {
    // Prepare
    const arnOf = (method: string, path: string) =>
      `arn:aws:execute-api:us-east-1:123456789012:abc123/prod/${method}${path}`;
    const timeline = routeArn(METHOD_ARN, route("GET", "/v1/conversations/{conversation_id}/events"));
    // Act / Assert
    expect(arnMatches(timeline, arnOf("GET", "/v1/conversations/conv-42/events"))).toBe(true);
    expect(arnMatches(timeline, arnOf("POST", "/v1/conversations/conv-42/events"))).toBe(false);
    expect(arnMatches(timeline, arnOf("GET", "/v1/events"))).toBe(false);
    for (const r of ROUTES) {
      const concrete = r.path.replace(/\{[^}]+\}/g, "x1");
      expect(arnMatches(routeArn(METHOD_ARN, r), arnOf(r.method, concrete))).toBe(true);
    }
  });
});
