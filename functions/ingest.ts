/**
 * Lambda entry point: `POST /v1/events`. The routes are in shared/http/routes/ingest.ts.
 */
import { loadTableName } from "#shared/config.ts";
import { httpFunction } from "#shared/http/http-function.ts";
import { INGEST_ROUTES } from "#shared/http/routes/ingest.ts";
import { createDocumentClient } from "#shared/store/dynamo/client.ts";
import { DynamoEventStore } from "#shared/store/dynamo/events.ts";
import { defaultIngestDeps } from "#shared/usecases/ingest.ts";

export const handler = httpFunction(
  INGEST_ROUTES,
  defaultIngestDeps(new DynamoEventStore(createDocumentClient(), loadTableName())),
);
