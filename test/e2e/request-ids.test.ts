/**
 * Request ids through the local gateway: every answer carries X-Request-Id, whether the
 * gateway answers itself (no route, no key, no scope) or a handler does (success, problem,
 * stream), and every problem carries the same value as `request_id`. The document and the
 * reference page name the root the client reached.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Api, startApi } from "../support/http.ts";

let api: Api;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api.stack.stop();
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe("request ids", () => {
  it("are on every success, one per request", async () => {
    const first = await api.call("GET", "/v1/health", { key: null });
    const second = await api.call("GET", "/v1/health", { key: null });
    expect(first.headers.get("x-request-id")).toMatch(UUID);
    expect(second.headers.get("x-request-id")).toMatch(UUID);
    expect(first.headers.get("x-request-id")).not.toBe(second.headers.get("x-request-id"));
  });

  it.each([
    ["the gateway: no route", "GET", "/v1/nowhere", undefined, 404],
    ["the gateway: no key", "GET", "/v1/events?start_time=0", null, 401],
    ["the gateway: a key without the scope", "POST", "/v1/triggers", undefined, 403],
    ["a handler: a bad parameter", "GET", "/v1/events?start_time=0&page[size]=0", undefined, 400],
    ["a handler: an unknown conversation", "GET", "/v1/conversations/never-seen/events", undefined, 404],
  ] as const)("are in the header and the body of a problem from %s", async (_, method, path, key, status) => {
    const res = await api.call(method, path, key === null ? { key: null } : {});
    expect(res.status).toBe(status);
    expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(res.headers.get("x-request-id")).toMatch(UUID);
    expect(res.json.request_id).toBe(res.headers.get("x-request-id"));
  });

  it("are on a streamed response", async () => {
    const res = await api.call("GET", "/v1/export/events?page[size]=1", {
      key: api.keys.aExport,
      headers: { accept: "application/x-ndjson" },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-request-id")).toMatch(UUID);
  });
});

describe("the document's server and the reference page's link", () => {
  it("name the root the client reached", async () => {
    const doc = await api.call("GET", "/v1/openapi.json", { key: null });
    expect(doc.json.servers).toEqual([{ url: api.stack.url, description: "This deployment" }]);
    const page = await api.call("GET", "/docs", { key: null });
    expect(page.text).toContain(`href="${api.stack.url}/v1/openapi.json"`);
  });
});
