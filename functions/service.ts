/**
 * Lambda entry point: public service routes (health, OpenAPI document, reference page). The
 * routes are in shared/http/routes/service.ts.
 */
import { renderDocsPage } from "#shared/http/docs-page.ts";
import { httpFunction } from "#shared/http/http-function.ts";
import { openApiDocument } from "#shared/http/openapi.ts";
import { SERVICE_ROUTES } from "#shared/http/routes/service.ts";

export const handler = httpFunction(SERVICE_ROUTES, {
  document: (base) => openApiDocument(base) as unknown as Record<string, unknown>,
  page: renderDocsPage,
});
