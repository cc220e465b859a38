/**
 * Lambda entry point: the providers' webhook routes. Public in the route table: the
 * provider's signature or secret authenticates each request, and the tenant comes only from
 * the integration the URL's id names. Parse → channels use case → respond.
 */
import type { APIGatewayProxyEvent } from "aws-lambda";
import { loadTableName } from "#shared/config.ts";
import { httpFunction, json } from "#shared/http/handler.ts";
import { header, rawBody } from "#shared/http/request.ts";
import { DynamoChannelIntegrationStore } from "#shared/store/dynamo/channel-integrations.ts";
import { createDocumentClient } from "#shared/store/dynamo/client.ts";
import { DynamoEventStore } from "#shared/store/dynamo/events.ts";
import {
  defaultChannelIntegrationDeps,
  receiveSunco,
  receiveWhatsApp,
  whatsappHandshake,
} from "#shared/usecases/channels.ts";
import { defaultIngestDeps } from "#shared/usecases/ingest.ts";

const db = createDocumentClient();
const tableName = loadTableName();
const deps = defaultChannelIntegrationDeps(
  new DynamoChannelIntegrationStore(db, tableName),
  defaultIngestDeps(new DynamoEventStore(db, tableName)),
);

const webhookId = (event: APIGatewayProxyEvent) => event.pathParameters?.webhook_id ?? "";

export const handler = httpFunction("channelWebhooks", {
  "GET /v1/channels/whatsapp/{webhook_id}": async (event: APIGatewayProxyEvent) => {
    const challenge = await whatsappHandshake(deps, webhookId(event), event.queryStringParameters ?? {});
    return {
      statusCode: 200,
      // Plain text with nosniff: the challenge is echoed, so it must never render as markup.
      headers: {
        "content-type": "text/plain; charset=utf-8",
        "x-content-type-options": "nosniff",
        "cache-control": "no-store",
      },
      body: challenge,
    };
  },
  "POST /v1/channels/whatsapp/{webhook_id}": async (event: APIGatewayProxyEvent) =>
    json(
      200,
      await receiveWhatsApp(deps, webhookId(event), rawBody(event), header(event, "x-hub-signature-256")),
    ),
  "POST /v1/channels/sunco/{webhook_id}": async (event: APIGatewayProxyEvent) =>
    json(200, await receiveSunco(deps, webhookId(event), rawBody(event), header(event, "x-api-key"))),
});
