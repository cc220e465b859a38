/**
 * Lambda entry point: `/v1/channels` admin routes. Parse → channels use case → respond.
 */
import type { APIGatewayProxyEvent } from "aws-lambda";
import { loadTableName } from "#shared/config.ts";
import { httpFunction, json } from "#shared/http/handler.ts";
import { jsonBody, queryParams, requestUrl } from "#shared/http/request.ts";
import { DynamoChannelIntegrationStore } from "#shared/store/dynamo/channel-integrations.ts";
import { createDocumentClient } from "#shared/store/dynamo/client.ts";
import { DynamoEventStore } from "#shared/store/dynamo/events.ts";
import {
  createChannel,
  defaultChannelIntegrationDeps,
  deleteChannel,
  listChannels,
  listRejections,
} from "#shared/usecases/channels.ts";
import { defaultIngestDeps } from "#shared/usecases/ingest.ts";

const db = createDocumentClient();
const tableName = loadTableName();
const deps = defaultChannelIntegrationDeps(
  new DynamoChannelIntegrationStore(db, tableName),
  defaultIngestDeps(new DynamoEventStore(db, tableName)),
);

/** The API's public root, stage prefix included: what webhook URLs are built on. */
function apiBase(event: APIGatewayProxyEvent): string {
  const url = requestUrl(event);
  const at = url.pathname.indexOf("/v1/channels");
  return `${url.origin}${at >= 0 ? url.pathname.slice(0, at) : ""}`;
}

const channelId = (event: APIGatewayProxyEvent) => event.pathParameters?.channel_id ?? "";

export const handler = httpFunction("channels", {
  "POST /v1/channels": async (event, caller) =>
    // API.md: the created channel itself, `{ id, type, webhook_url, created_at }`.
    json(201, await createChannel(deps, caller.tenant, jsonBody(event), apiBase(event))),
  "GET /v1/channels": async (event, caller) =>
    json(200, { channels: await listChannels(deps, caller.tenant, apiBase(event)) }),
  "DELETE /v1/channels/{channel_id}": async (event, caller) => {
    await deleteChannel(deps, caller.tenant, channelId(event));
    return { statusCode: 204, headers: { "cache-control": "no-store" }, body: "" };
  },
  "GET /v1/channels/{channel_id}/rejections": async (event, caller) =>
    json(200, {
      rejections: await listRejections(deps, caller.tenant, channelId(event), queryParams(event)),
    }),
});
