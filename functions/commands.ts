/**
 * Lambda entry point: conversation commands (tag, untag, close, reopen). The routes are in
 * shared/http/routes/commands.ts.
 */
import { loadTableName } from "#shared/config.ts";
import { httpFunction } from "#shared/http/http-function.ts";
import { COMMAND_ROUTES } from "#shared/http/routes/commands.ts";
import { createDocumentClient } from "#shared/store/dynamo/client.ts";
import { DynamoEventStore } from "#shared/store/dynamo/events.ts";
import { DynamoIdempotencyStore } from "#shared/store/dynamo/idempotency.ts";
import { defaultIngestDeps } from "#shared/usecases/ingest.ts";

const db = createDocumentClient();
const tableName = loadTableName();

export const handler = httpFunction(COMMAND_ROUTES, {
  ingest: defaultIngestDeps(new DynamoEventStore(db, tableName)),
  idempotency: new DynamoIdempotencyStore(db, tableName),
});
