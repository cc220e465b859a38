/**
 * Lambda entry point: timeline, time-range and conversation-state reads. The routes are in
 * shared/http/routes/query.ts.
 */
import { loadConfig } from "#shared/config.ts";
import { CursorCodec } from "#shared/cursor.ts";
import { httpFunction } from "#shared/http/http-function.ts";
import { QUERY_ROUTES } from "#shared/http/routes/query.ts";
import { createDocumentClient } from "#shared/store/dynamo/client.ts";
import { DynamoConversationStateStore } from "#shared/store/dynamo/conversation-states.ts";
import { DynamoEventStore } from "#shared/store/dynamo/events.ts";

const config = await loadConfig();
const db = createDocumentClient();

export const handler = httpFunction(QUERY_ROUTES, {
  store: new DynamoEventStore(db, config.tableName),
  states: new DynamoConversationStateStore(db, config.tableName),
  cursors: new CursorCodec(config.cursorSecret),
});
