/**
 * Lambda entry point: public service routes (health, OpenAPI document, reference page).
 */

import { renderDocsPage } from "#shared/http/docs-page.ts";
import { httpFunction, json } from "#shared/http/handler.ts";
import { openApiDocument } from "#shared/http/openapi.ts";

let page: string | undefined;

export const handler = httpFunction("service", {
  "GET /v1/health": async () => json(200, { status: "ok" }),
  "GET /v1/openapi.json": async () =>
    json(200, openApiDocument(), { "cache-control": "public, max-age=300" }),
  "GET /docs": async () => {
    page ??= renderDocsPage(openApiDocument() as unknown as Record<string, unknown>);
    return {
      statusCode: 200,
      headers: { "content-type": "text/html; charset=utf-8", "cache-control": "public, max-age=300" },
      body: page,
    };
  },
});
