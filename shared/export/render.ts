/**
 * The change feed's bodies: JSON (`{ events, after_cursor, end_of_stream }`), NDJSON and the
 * flattened CSV, each produced as a stream from the page's lazy event reader, so memory
 * stays flat whatever the page size.
 */
import { once } from "node:events";
import { Readable } from "node:stream";
import Negotiator from "negotiator";
import type { StoredEvent } from "../events/schema.ts";
import type { ExportPage } from "../usecases/export.ts";
import { exportRow } from "./columns.ts";
import { CSV_CONTENT_TYPE, csvStringifier } from "./csv.ts";

export type ExportFormat = "json" | "ndjson" | "csv";

const MEDIA_TYPES: Record<string, ExportFormat> = {
  "application/json": "json",
  "application/x-ndjson": "ndjson",
  "text/csv": "csv",
};

export const EXPORT_CONTENT_TYPES: Record<ExportFormat, string> = {
  json: "application/json; charset=utf-8",
  ndjson: "application/x-ndjson; charset=utf-8",
  csv: CSV_CONTENT_TYPE,
};

/** The format an `Accept` header asks for (JSON when it names none), or undefined if none fits. */
export function negotiateFormat(accept: string | undefined): ExportFormat | undefined {
  if (!accept) return "json";
  const best = new Negotiator({ headers: { accept } }).mediaType(Object.keys(MEDIA_TYPES));
  return best ? MEDIA_TYPES[best] : undefined;
}

/** Chunks of about this many characters go out at once: fewer, larger writes. */
const CHUNK = 64 * 1024;

async function* chunked(parts: AsyncIterable<string>): AsyncGenerator<string> {
  let buffer = "";
  for await (const part of parts) {
    buffer += part;
    if (buffer.length >= CHUNK) {
      yield buffer;
      buffer = "";
    }
  }
  if (buffer) yield buffer;
}

async function* ndjson(events: AsyncIterable<StoredEvent>): AsyncGenerator<string> {
  for await (const event of events) yield `${JSON.stringify(event)}\n`;
}

async function* json(page: ExportPage): AsyncGenerator<string> {
  yield '{"events":[';
  let first = true;
  for await (const event of page.events()) {
    yield `${first ? "" : ","}${JSON.stringify(event)}`;
    first = false;
  }
  yield `],"after_cursor":${JSON.stringify(page.afterCursor)},"end_of_stream":${page.endOfStream}}`;
}

function csv(events: AsyncIterable<StoredEvent>): Readable {
  const stringifier = csvStringifier();
  const closed = new AbortController();
  stringifier.once("close", () => closed.abort());
  (async () => {
    for await (const event of events) {
      // Rejects when the stream errors or closes (the client went away): the read stops too.
      if (!stringifier.write(exportRow(event))) await once(stringifier, "drain", { signal: closed.signal });
    }
    stringifier.end();
  })().catch((error: unknown) => stringifier.destroy(error as Error));
  return stringifier;
}

/** The page's body in a format, as a byte stream. */
export function renderPage(page: ExportPage, format: ExportFormat): Readable {
  switch (format) {
    case "json":
      return Readable.from(chunked(json(page)));
    case "ndjson":
      return Readable.from(chunked(ndjson(page.events())));
    case "csv":
      return csv(page.events());
  }
}

/** The headers every format carries: the client can continue without reading the body. */
export function exportHeaders(page: ExportPage, format: ExportFormat): Record<string, string> {
  return {
    "content-type": EXPORT_CONTENT_TYPES[format],
    "cache-control": "no-store",
    "x-after-cursor": page.afterCursor,
    "x-end-of-stream": String(page.endOfStream),
    ...(page.lastSequence ? { "x-last-sequence": page.lastSequence } : {}),
  };
}
