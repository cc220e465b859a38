/**
 * The change feed's pure parts: the documented column list, the flattened row, content
 * negotiation, the streamed bodies, and the horizon arithmetic on ULIDs.
 */
import { readFileSync } from "node:fs";
import * as fc from "fast-check";
import { monotonicFactory, ulid } from "ulid";
import { describe, expect, it } from "vitest";
import type { StoredEvent } from "#shared/events/schema.ts";
import { EXPORT_COLUMN_NAMES, exportRow } from "#shared/export/columns.ts";
import { exportHeaders, negotiateFormat, renderPage } from "#shared/export/render.ts";
import { type ExportPage, horizonAt, positionBefore } from "#shared/usecases/export.ts";

const event = (n: number): StoredEvent =>
  ({
    id: `e${n}`,
    type: "MessageReceived",
    conversation_id: "c1",
    occurred_at: "2025-05-23T10:15:30.123Z",
    received_at: "2025-05-23T10:15:31.000Z",
    sequence: `01JD0000000000000000000${String(n).padStart(3, "0")}`,
    channel: { type: "whatsapp", integration_id: "ch_1", metadata: { phone: "+1" } },
    author: { type: "customer", id: "u1", display_name: 'Ann, "A"' },
    recipients: [{ type: "agent", id: "a1" }],
    source: { system: "whatsapp", event_id: "wamid.1" },
    metadata: { plan: "pro", seats: 3 },
    message: { content: { type: "text", text: "line 1\nline 2" } },
  }) as unknown as StoredEvent;

function pageOf(events: StoredEvent[], endOfStream = true): ExportPage {
  return {
    afterCursor: "cur.sig",
    endOfStream,
    count: events.length,
    lastSequence: events.at(-1)?.sequence ?? null,
    events: async function* () {
      yield* events;
    },
  };
}

async function text(stream: NodeJS.ReadableStream): Promise<string> {
  let out = "";
  for await (const chunk of stream) out += chunk.toString();
  return out;
}

describe("export columns", () => {
  it("are the columns docs/bi.md documents, in the same order", () => {
    const doc = readFileSync(new URL("../../docs/bi.md", import.meta.url), "utf8");
    const table = doc.slice(doc.indexOf("<!-- columns:start -->"), doc.indexOf("<!-- columns:end -->"));
    const documented = [...table.matchAll(/^\| \d+ \| `([a-z_]+)` \|/gm)].map((m) => m[1]);
    expect(documented).toEqual(EXPORT_COLUMN_NAMES);
  });

  it("flatten an event without losing a field: scalars in columns, objects as JSON", () => {
    const row = Object.fromEntries(EXPORT_COLUMN_NAMES.map((name, i) => [name, exportRow(event(1))[i]]));
    expect(row).toMatchObject({
      sequence: "01JD0000000000000000000001",
      received_at: "2025-05-23T10:15:31.000Z",
      channel_type: "whatsapp",
      channel_integration_id: "ch_1",
      author_display_name: 'Ann, "A"',
      content_type: "text",
      content_text: "line 1\nline 2",
      data: null,
      caused_by: null,
      source_event_id: "wamid.1",
    });
    expect(JSON.parse(row.channel as string)).toEqual(event(1).channel);
    expect(JSON.parse(row.metadata as string)).toEqual({ plan: "pro", seats: 3 });
    expect(JSON.parse(row.message as string)).toEqual({ content: { type: "text", text: "line 1\nline 2" } });
  });
});

describe("content negotiation", () => {
  it.each([
    [undefined, "json"],
    ["*/*", "json"],
    ["application/json", "json"],
    ["application/x-ndjson", "ndjson"],
    ["text/csv", "csv"],
    ["text/csv;q=0.5, application/x-ndjson", "ndjson"],
    ["application/x-ndjson;q=0.1, text/csv;q=0.9", "csv"],
    ["text/*", "csv"],
    ["application/xml", undefined],
  ])("Accept %s → %s", (accept, format) => {
    expect(negotiateFormat(accept)).toBe(format);
  });
});

describe("streamed bodies", () => {
  it("JSON: the events, then the cursor and the flag, parseable whole; empty too", async () => {
    const events = [event(1), event(2), event(3)];
    expect(JSON.parse(await text(renderPage(pageOf(events, false), "json")))).toEqual({
      events,
      after_cursor: "cur.sig",
      end_of_stream: false,
    });
    expect(JSON.parse(await text(renderPage(pageOf([]), "json")))).toEqual({
      events: [],
      after_cursor: "cur.sig",
      end_of_stream: true,
    });
  });

  it("NDJSON: one event per line, each line ended, nothing for an empty page", async () => {
    const events = Array.from({ length: 2500 }, (_, i) => event(i));
    const body = await text(renderPage(pageOf(events), "ndjson"));
    const lines = body.split("\n");
    expect(lines.pop()).toBe("");
    expect(lines.map((l) => JSON.parse(l))).toEqual(events);
    expect(await text(renderPage(pageOf([]), "ndjson"))).toBe("");
  });

  it("CSV: the header, then one CRLF-ended record per event", async () => {
    const body = await text(renderPage(pageOf([event(1), event(2)]), "csv"));
    expect(body.startsWith(`${EXPORT_COLUMN_NAMES.join(",")}\r\n01JD0000000000000000000001,`)).toBe(true);
    expect(body).toContain('"Ann, ""A"""');
    expect(body.split("\r\n")).toHaveLength(4);
    // An empty string is quoted; a missing value (here `data`) is an empty cell.
    const image = {
      ...event(3),
      message: { content: { type: "image", media_url: "https://x/y.png", text: "" } },
    };
    const row = (await text(renderPage(pageOf([image as unknown as StoredEvent]), "csv"))).split("\r\n")[1];
    expect(row).toContain(',image,"",');
    expect(row).toContain('}}",,"{');
    expect(await text(renderPage(pageOf([]), "csv"))).toBe(`${EXPORT_COLUMN_NAMES.join(",")}\r\n`);
  });

  it("headers carry the cursor, the flag, and the last sequence only when there is one", () => {
    expect(exportHeaders(pageOf([event(1)]), "ndjson")).toMatchObject({
      "content-type": "application/x-ndjson; charset=utf-8",
      "x-after-cursor": "cur.sig",
      "x-end-of-stream": "true",
      "x-last-sequence": "01JD0000000000000000000001",
    });
    expect(exportHeaders(pageOf([]), "csv")).not.toHaveProperty("x-last-sequence");
  });
});

describe("positions on ULIDs", () => {
  it("a start time's position sorts after every ULID before it and before every ULID at or after it", () => {
    fc.assert(
      // From 2: ulid(0) ignores a zero seed time and takes the clock.
      fc.property(fc.integer({ min: 2, max: 2 ** 47 }), (t) => {
        const at = positionBefore(t);
        expect(ulid(t) > at).toBe(true);
        expect(ulid(t - 1) < at).toBe(true);
        // Monotonic ULIDs of one millisecond all sort above it too.
        const next = monotonicFactory();
        for (let i = 0; i < 3; i++) expect(next(t) > at).toBe(true);
      }),
    );
    expect(positionBefore(0)).toBe("");
  });

  it("the horizon serves exactly the sequences stamped before now − window", () => {
    const now = Date.parse("2026-11-25T12:00:00.000Z");
    const horizon = horizonAt(now, 5000);
    expect(ulid(now - 5001) <= horizon).toBe(true);
    expect(ulid(now - 5000) <= horizon).toBe(false);
  });
});
