/**
 * Lambda entry point: `/v1/channels` admin routes. The routes are in
 * shared/http/routes/channels.ts.
 */
import { loadSecretCipher, loadTableName } from "#shared/config.ts";
import { httpFunction } from "#shared/http/http-function.ts";
import { CHANNEL_ROUTES } from "#shared/http/routes/channels.ts";
import { DynamoChannelIntegrationStore } from "#shared/store/dynamo/channel-integrations.ts";
import { createDocumentClient } from "#shared/store/dynamo/client.ts";
import { DynamoEventStore } from "#shared/store/dynamo/events.ts";
import { defaultChannelIntegrationDeps } from "#shared/usecases/channels.ts";
import { defaultIngestDeps } from "#shared/usecases/ingest.ts";

const db = createDocumentClient();
const tableName = loadTableName();

export const handler = httpFunction(
  CHANNEL_ROUTES,
  defaultChannelIntegrationDeps(
    new DynamoChannelIntegrationStore(db, tableName),
    defaultIngestDeps(new DynamoEventStore(db, tableName)),
    await loadSecretCipher(),
  ),
);
