/**
 * Lambda entry point: the change feed (`GET /v1/export/events`), with response streaming.
 * The route is in shared/http/routes/export.ts.
 */
import { loadConfig, loadCursorCodec, loadExportSettleMs } from "#shared/config.ts";
import { streamingHttpFunction } from "#shared/http/http-function.ts";
import { EXPORT_ROUTES } from "#shared/http/routes/export.ts";
import { createDocumentClient } from "#shared/store/dynamo/client.ts";
import { DynamoEventStore } from "#shared/store/dynamo/events.ts";

const config = await loadConfig();

const deps = {
  store: new DynamoEventStore(createDocumentClient(), config.tableName),
  cursors: await loadCursorCodec(),
  now: Date.now,
  settleMs: loadExportSettleMs(),
};

// The cursor secrets are re-read every few minutes, so a rotation needs no redeploy.
export const handler = streamingHttpFunction(EXPORT_ROUTES, deps).before(async () => {
  deps.cursors = await loadCursorCodec();
});
