/** `GET /v1/export/events`: the change feed, streamed as JSON, NDJSON or CSV. */
import * as z from "zod";
import { NotAcceptableError } from "../../errors.ts";
import { StoredEventSchema } from "../../events/schema.ts";
import { EXPORT_COLUMN_NAMES } from "../../export/columns.ts";
import { exportHeaders, negotiateFormat, renderPage } from "../../export/render.ts";
import {
  DEFAULT_EXPORT_PAGE_SIZE,
  type ExportDeps,
  type ExportRequest,
  MAX_EXPORT_PAGE_SIZE,
  planExportPage,
} from "../../usecases/export.ts";
import { ok, problem, routesOf } from "../contract.ts";
import { STORED_EVENT_EXAMPLE } from "../examples.ts";
import { cursor, pageSize, timestamp } from "../params.ts";

/** Query parameters of the feed; unknown parameters are rejected, not ignored. */
export const ExportQuery = z
  .strictObject({
    start_time: timestamp("Begin the feed at this received_at (ISO-8601 with offset, or unix s/ms)"),
    cursor: cursor("cursor", "Continue the feed: after_cursor (or X-After-Cursor) of the previous page"),
    "page[size]": pageSize(MAX_EXPORT_PAGE_SIZE, DEFAULT_EXPORT_PAGE_SIZE),
  })
  .superRefine((q, ctx) => {
    if (q.start_time && q.cursor) {
      ctx.addIssue({
        code: "custom",
        path: ["cursor"],
        message:
          "start_time and cursor are mutually exclusive: start_time begins a feed, cursor continues one",
      });
    }
  });

/** The use case's request, from the query's HTTP syntax. */
export function exportRequest(q: z.output<typeof ExportQuery>): ExportRequest {
  return {
    limit: q["page[size]"],
    ...(q.cursor ? { cursor: q.cursor } : {}),
    ...(q.start_time ? { start: q.start_time } : {}),
  };
}

const ExportPageSchema = z
  .object({ events: z.array(StoredEventSchema), after_cursor: z.string(), end_of_stream: z.boolean() })
  .meta({ id: "ExportPage" });

const CURSOR =
  "eyJ2IjoxLCJwIjoiMDFKVlozUThXNE0yTjZQN1I4UzlUMFYxVzIifQ.Vq7nXo2d1kR8mW0sYb4HcL5tJ9uE3aPfQ6gZrT1yNxI";

export const EXPORT_ROUTES = routesOf<ExportDeps>("export")((route) => [
  route({
    operationId: "exportEvents",
    method: "GET",
    path: "/v1/export/events",
    tag: "Export",
    scope: "export:read",
    summary: "The change feed: every event in ingest order, for BI tools (JSON, NDJSON or CSV)",
    description: [
      `Every event of the tenant in ingest order (sequence), late arrivals included. Start with start_time (on received_at) or continue with cursor; page[size] 1..${MAX_EXPORT_PAGE_SIZE}, default ${DEFAULT_EXPORT_PAGE_SIZE}.`,
      "Only positions older than the settle window (default 5 s) are served, so a client following cursors never misses an event nor sees one twice.",
      "Accept: application/json (default), application/x-ndjson (one event per line) or text/csv (the flattened columns of docs/bi.md). Bodies are streamed.",
    ].join(" "),
    request: {
      query: ExportQuery,
      headers: z.object({
        Accept: z.string().optional().meta({
          description: "application/json, application/x-ndjson or text/csv",
          example: "application/x-ndjson",
        }),
      }),
    },
    responses: {
      200: ok(
        "A page of the feed",
        ExportPageSchema,
        { events: [STORED_EVENT_EXAMPLE], after_cursor: CURSOR, end_of_stream: true },
        {
          headers: {
            "X-After-Cursor": { description: "The cursor to continue from", schema: z.string() },
            "X-End-Of-Stream": {
              description:
                "true when the page reached the settle horizon: follow X-After-Cursor later for what arrived since",
              schema: z.enum(["true", "false"]),
            },
            "X-Last-Sequence": {
              description:
                "The sequence of the page's last event (absent when the page is empty): a client checks it to detect a truncated body",
              schema: z.string(),
            },
          },
          content: {
            "application/x-ndjson": {
              schema: z.string().meta({ description: "One Event JSON object per line" }),
              example: `${JSON.stringify(STORED_EVENT_EXAMPLE)}\n`,
            },
            "text/csv": {
              schema: z.string().meta({
                description: `Header row, then one row per event: ${EXPORT_COLUMN_NAMES.join(", ")}`,
              }),
              example: `${EXPORT_COLUMN_NAMES.join(",")}\r\n`,
            },
          },
        },
      ),
      400: problem("Invalid parameter or cursor"),
      406: problem("Accept names no format the feed offers"),
    },
    handle: async ({ query, headers, caller }, deps) => {
      const format = negotiateFormat(headers.Accept);
      if (!format) {
        throw new NotAcceptableError(
          "the change feed is available as application/json, application/x-ndjson or text/csv; set Accept to one of them",
        );
      }
      const page = await planExportPage(deps, caller.tenant, exportRequest(query));
      return { status: 200, headers: exportHeaders(page, format), stream: renderPage(page, format) };
    },
  }),
]);
