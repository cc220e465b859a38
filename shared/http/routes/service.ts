/**
 * Public service routes: health, the OpenAPI document and the reference page. The document
 * is generated from the route table, so the function gets it as a dependency.
 */
import * as z from "zod";
import { json, ok, routesOf } from "../contract.ts";

export interface ServiceDeps {
  /** The OpenAPI document with `servers` set to the API's public root. */
  document(base: string): Record<string, unknown>;
  /** The reference page for the document served at `documentUrl`. */
  page(document: Record<string, unknown>, documentUrl: string): string;
}

const CACHE = { "cache-control": "public, max-age=300" };
/** Cache busters and trackers are harmless here: these routes ignore the query. */
const anyQuery = z.object({});

export const SERVICE_ROUTES = routesOf<ServiceDeps>("service")((route) => [
  route({
    operationId: "getHealth",
    method: "GET",
    path: "/v1/health",
    tag: "Service",
    scope: null,
    summary: "Liveness check",
    request: { query: anyQuery },
    responses: { 200: ok("The service answers", z.object({ status: z.literal("ok") }), { status: "ok" }) },
    handle: async () => json(200, { status: "ok" }),
  }),
  route({
    operationId: "getOpenApi",
    method: "GET",
    path: "/v1/openapi.json",
    tag: "Service",
    scope: null,
    summary: "This OpenAPI 3.1 document",
    description: "Generated from the route table's schemas; `servers` names the root this request reached.",
    request: { query: anyQuery },
    responses: {
      200: ok("This document", z.record(z.string(), z.unknown()), {
        openapi: "3.1.0",
        info: { title: "Conversation Log API", version: "1.0.0" },
        paths: {},
      }),
    },
    handle: async ({ links }, deps) => json(200, deps.document(links.base), CACHE),
  }),
  route({
    operationId: "getDocs",
    method: "GET",
    path: "/docs",
    tag: "Service",
    scope: null,
    summary: "API reference page",
    description: "A self-contained HTML page rendered from this document.",
    request: { query: anyQuery },
    responses: {
      200: {
        description: "The reference page",
        content: {
          "text/html": { schema: z.string(), example: "<!doctype html><title>Conversation Log API</title>" },
        },
      },
    },
    handle: async ({ links }, deps) => {
      const documentUrl = `${links.base}/v1/openapi.json`;
      return {
        status: 200,
        contentType: "text/html; charset=utf-8",
        text: deps.page(deps.document(links.base), documentUrl),
        headers: CACHE,
      };
    },
  }),
]);
