/**
 * Lambda entry point: `/v1/triggers` CRUD. Parse → triggers use case → respond.
 */
import { loadTableName } from "#shared/config.ts";
import { httpFunction, json } from "#shared/http/handler.ts";
import { jsonBody, queryParams } from "#shared/http/request.ts";
import { createDocumentClient } from "#shared/store/dynamo/client.ts";
import { DynamoTriggerStore } from "#shared/store/dynamo/triggers.ts";
import {
  createTrigger,
  defaultTriggerDeps,
  deleteTrigger,
  getTrigger,
  listTriggers,
  replaceTrigger,
} from "#shared/usecases/triggers.ts";

const deps = defaultTriggerDeps(new DynamoTriggerStore(createDocumentClient(), loadTableName()));

export const handler = httpFunction("triggers", {
  "POST /v1/triggers": async (event, caller) =>
    json(201, { trigger: await createTrigger(deps, caller.tenant, jsonBody(event)) }),
  "GET /v1/triggers": async (event, caller) =>
    json(200, await listTriggers(deps, caller.tenant, queryParams(event))),
  "GET /v1/triggers/{trigger_id}": async (event, caller) =>
    json(200, { trigger: await getTrigger(deps, caller.tenant, event.pathParameters?.trigger_id ?? "") }),
  "PUT /v1/triggers/{trigger_id}": async (event, caller) =>
    json(200, {
      trigger: await replaceTrigger(
        deps,
        caller.tenant,
        event.pathParameters?.trigger_id ?? "",
        jsonBody(event),
      ),
    }),
  "DELETE /v1/triggers/{trigger_id}": async (event, caller) => {
    await deleteTrigger(deps, caller.tenant, event.pathParameters?.trigger_id ?? "");
    return { statusCode: 204, headers: { "cache-control": "no-store" }, body: "" };
  },
});
