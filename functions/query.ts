/**
 * Lambda entry point: timeline, time-range and conversation-state reads. The routes are in
 * shared/http/routes/query.ts.
 */
import { loadConfig, loadCursorCodec } from "#shared/config.ts";
import { httpFunction } from "#shared/http/http-function.ts";
import { QUERY_ROUTES } from "#shared/http/routes/query.ts";
import { createDocumentClient } from "#shared/store/dynamo/client.ts";
import { DynamoConversationStateStore } from "#shared/store/dynamo/conversation-states.ts";
import { DynamoEventStore } from "#shared/store/dynamo/events.ts";

const config = await loadConfig();
const db = createDocumentClient();

const deps = {
  store: new DynamoEventStore(db, config.tableName),
  states: new DynamoConversationStateStore(db, config.tableName),
  cursors: await loadCursorCodec(),
};

// The cursor secrets are re-read every few minutes, so a rotation needs no redeploy.
export const handler = httpFunction(QUERY_ROUTES, deps).before(async () => {
  deps.cursors = await loadCursorCodec();
});
