/**
 * Lambda entry point: `POST /v1/events`. Parse → ingest use case → respond.
 */
import { loadTableName } from "#shared/config.ts";
import { httpFunction, json } from "#shared/http/handler.ts";
import { jsonBody } from "#shared/http/request.ts";
import { createDocumentClient } from "#shared/store/dynamo/client.ts";
import { DynamoEventStore } from "#shared/store/dynamo/events.ts";
import { defaultIngestDeps, ingest } from "#shared/usecases/ingest.ts";

const deps = defaultIngestDeps(new DynamoEventStore(createDocumentClient(), loadTableName()));

export const handler = httpFunction("ingest", {
  "POST /v1/events": async (event, caller) => {
    const result = await ingest(deps, caller.tenant, jsonBody(event));
    if (result.kind === "batch") return json(200, { results: result.results });
    return json(result.created ? 201 : 200, { event: result.event });
  },
});
