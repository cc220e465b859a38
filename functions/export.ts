/**
 * Lambda entry point: the change feed (`GET /v1/export/events`), with response streaming.
 * The route is in shared/http/routes/export.ts.
 */
import { loadConfig, loadExportSettleMs } from "#shared/config.ts";
import { CursorCodec } from "#shared/cursor.ts";
import { streamingHttpFunction } from "#shared/http/http-function.ts";
import { EXPORT_ROUTES } from "#shared/http/routes/export.ts";
import { createDocumentClient } from "#shared/store/dynamo/client.ts";
import { DynamoEventStore } from "#shared/store/dynamo/events.ts";

const config = await loadConfig();

export const handler = streamingHttpFunction(EXPORT_ROUTES, {
  store: new DynamoEventStore(createDocumentClient(), config.tableName),
  cursors: new CursorCodec(config.cursorSecret),
  now: Date.now,
  settleMs: loadExportSettleMs(),
});
