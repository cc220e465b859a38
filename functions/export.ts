/**
 * Lambda entry point: the change feed (`GET /v1/export/events`), with response streaming.
 */
import { loadConfig, loadExportSettleMs } from "#shared/config.ts";
import { CursorCodec } from "#shared/cursor.ts";
import { NotAcceptableError } from "#shared/errors.ts";
import { exportHeaders, negotiateFormat, renderPage } from "#shared/export/render.ts";
import { streamingHttpFunction } from "#shared/http/handler.ts";
import { header, queryParams } from "#shared/http/request.ts";
import { createDocumentClient } from "#shared/store/dynamo/client.ts";
import { DynamoEventStore } from "#shared/store/dynamo/events.ts";
import { type ExportDeps, planExportPage } from "#shared/usecases/export.ts";

const config = await loadConfig();
const deps: ExportDeps = {
  store: new DynamoEventStore(createDocumentClient(), config.tableName),
  cursors: new CursorCodec(config.cursorSecret),
  now: Date.now,
  settleMs: loadExportSettleMs(),
};

export const handler = streamingHttpFunction("export", {
  "GET /v1/export/events": async (event, caller) => {
    const format = negotiateFormat(header(event, "accept"));
    if (!format) {
      throw new NotAcceptableError(
        "the change feed is available as application/json, application/x-ndjson or text/csv; set Accept to one of them",
      );
    }
    const page = await planExportPage(deps, caller.tenant, queryParams(event));
    return { statusCode: 200, headers: exportHeaders(page, format), body: renderPage(page, format) };
  },
});
