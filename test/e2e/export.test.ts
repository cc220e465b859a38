/**
 * The change feed end to end through the local gateway (the real authorizer, the exact
 * streaming handler, API Gateway's streaming wire format) on DynamoDB Local.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXPORT_COLUMN_NAMES } from "#shared/export/columns.ts";
import { aMessage, anEvent, uniqueId } from "../support/factories.ts";
import { type Api, startApi } from "../support/http.ts";

const SETTLE_MS = 600;
process.env.EXPORT_SETTLE_MS = String(SETTLE_MS);

let api: Api;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api.stack.stop();
});

const settle = () => new Promise((resolve) => setTimeout(resolve, SETTLE_MS + 50));

interface Page {
  events: { id: string; sequence: string; received_at: string; occurred_at: string; type: string }[];
  after_cursor: string;
  end_of_stream: boolean;
}

async function page(query: string, key = api.keys.aExport): Promise<Page> {
  const res = await api.call("GET", `/v1/export/events?${query}`, { key });
  expect(res.status, res.text).toBe(200);
  expect(res.headers.get("x-after-cursor")).toBe(res.json.after_cursor);
  expect(res.headers.get("x-end-of-stream")).toBe(String(res.json.end_of_stream));
  return res.json as unknown as Page;
}

/** Follows cursors to the end of the stream; returns every event and the last cursor. */
async function follow(first: string, key = api.keys.aExport, size = 1000) {
  const events: Page["events"] = [];
  let query = `${first}&page[size]=${size}`;
  let pages = 0;
  for (;;) {
    const p = await page(query, key);
    pages += 1;
    events.push(...p.events);
    query = `cursor=${encodeURIComponent(p.after_cursor)}&page[size]=${size}`;
    if (p.end_of_stream) return { events, cursor: p.after_cursor, pages };
  }
}

async function post(events: unknown[], key = api.keys.a): Promise<void> {
  const res = await api.call("POST", "/v1/events", { key, body: { events } });
  expect(res.status, res.text).toBe(200);
}

describe("GET /v1/export/events", () => {
  it("needs export:read, and a key of the tenant", async () => {
    expect((await api.call("GET", "/v1/export/events", { key: null })).status).toBe(401);
    const res = await api.call("GET", "/v1/export/events", { key: api.keys.a });
    expect(res.status).toBe(403);
    expect(res.json.detail).toMatch(/export:read/);
  });

  it("serves every event in sequence order once settled, late arrivals included, and then nothing more", async () => {
    const start = new Date().toISOString();
    const conversation = uniqueId("c");
    const batch = Array.from({ length: 30 }, (_, i) =>
      aMessage({
        conversation_id: conversation,
        // Some arrive "late": their occurred_at is years before the others.
        occurred_at:
          i % 3 === 0 ? "2019-01-01T00:00:00.000Z" : `2025-06-01T00:00:${String(i).padStart(2, "0")}.000Z`,
      }),
    );
    await post(batch.slice(0, 15));
    await post(batch.slice(15));
    await settle();
    const all = await follow(`start_time=${encodeURIComponent(start)}`, api.keys.aExport, 7);
    const mine = all.events.filter((e) => batch.some((b) => b.id === e.id));
    expect(mine.map((e) => e.id).sort()).toEqual(batch.map((b) => b.id as string).sort());
    const sequences = all.events.map((e) => e.sequence);
    expect(sequences).toEqual([...sequences].sort());
    expect(new Set(sequences).size).toBe(sequences.length);
    expect(all.pages).toBeGreaterThanOrEqual(Math.ceil(30 / 7));
    for (const e of all.events) {
      // The sequence is a ULID of the time the log stored the event.
      expect(e.received_at >= start).toBe(true);
    }

    // Following the last cursor later returns only what arrived since.
    const next = await page(`cursor=${encodeURIComponent(all.cursor)}`);
    expect(next.events).toEqual([]);
    expect(next.end_of_stream).toBe(true);
    const later = aMessage({ conversation_id: conversation, occurred_at: "2018-01-01T00:00:00.000Z" });
    await post([later]);
    await settle();
    const after = await follow(`cursor=${encodeURIComponent(all.cursor)}`);
    expect(after.events.map((e) => e.id)).toEqual([later.id]);
  });

  it("starts at start_time on received_at, not occurred_at", async () => {
    const before = aMessage({ conversation_id: uniqueId("c"), occurred_at: "2030-01-01T00:00:00.000Z" });
    await post([before]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const start = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const after = aMessage({ conversation_id: uniqueId("c"), occurred_at: "2001-01-01T00:00:00.000Z" });
    await post([after]);
    await settle();
    const { events } = await follow(`start_time=${encodeURIComponent(start)}`);
    const ids = events.map((e) => e.id);
    expect(ids).toContain(after.id);
    expect(ids).not.toContain(before.id);
  });

  it("keeps tenants apart: another tenant's key sees none of it, and cannot use its cursors", async () => {
    const start = new Date().toISOString();
    const mine = aMessage({ conversation_id: uniqueId("c") });
    await post([mine]);
    await settle();
    const a = await follow(`start_time=${encodeURIComponent(start)}`);
    expect(a.events.map((e) => e.id)).toContain(mine.id);
    const b = await follow(`start_time=${encodeURIComponent(start)}`, api.keys.bExport);
    expect(b.events.map((e) => e.id)).not.toContain(mine.id);
    const stolen = await api.call("GET", `/v1/export/events?cursor=${encodeURIComponent(a.cursor)}`, {
      key: api.keys.bExport,
    });
    expect(stolen.status).toBe(400);
    expect(stolen.json.errors).toEqual([{ path: "cursor", message: "invalid cursor" }]);
  });

  it("rejects bad parameters with a reason, and an Accept it cannot serve with 406", async () => {
    const cases: [string, RegExp][] = [
      ["page[size]=10001", /at most 10000/],
      ["page[size]=0", /at least 1/],
      ["start_time=yesterday", /start_time/],
      ["start_time=2025-01-01T00:00:00Z&cursor=abc", /mutually exclusive/],
      ["cursor=not-a-cursor", /not a valid cursor/],
      ["since=2025-01-01T00:00:00Z", /unknown query parameter/],
    ];
    for (const [query, reason] of cases) {
      const res = await api.call("GET", `/v1/export/events?${query}`, { key: api.keys.aExport });
      expect(res.status, query).toBe(400);
      expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
      expect(String(res.json.detail), query).toMatch(reason);
    }
    const xml = await api.call("GET", "/v1/export/events", {
      key: api.keys.aExport,
      headers: { accept: "application/xml" },
    });
    expect(xml.status).toBe(406);
    expect(String(xml.json.detail)).toMatch(/application\/x-ndjson/);
  });

  it("streams NDJSON and CSV with the cursor and flags in headers", async () => {
    const start = new Date().toISOString();
    const conversation = uniqueId("c");
    const events = [
      aMessage({
        conversation_id: conversation,
        message: { content: { type: "text", text: 'a "quoted", multi-line\ntext' } },
        metadata: { plan: "pro" },
      }),
      anEvent("ConversationTagged", { tags: ["vip", "a,b"] }, { conversation_id: conversation }),
    ];
    await post(events);
    await settle();
    const query = `start_time=${encodeURIComponent(start)}`;
    const json = await page(query);

    const nd = await api.call("GET", `/v1/export/events?${query}`, {
      key: api.keys.aExport,
      headers: { accept: "application/x-ndjson" },
    });
    expect(nd.status).toBe(200);
    expect(nd.headers.get("content-type")).toMatch(/^application\/x-ndjson/);
    expect(nd.headers.get("x-end-of-stream")).toBe("true");
    expect(nd.headers.get("x-after-cursor")).toBe(json.after_cursor);
    const lines = nd.text.split("\n");
    expect(lines.pop()).toBe("");
    expect(lines.map((l) => JSON.parse(l))).toEqual(json.events);
    expect(nd.headers.get("x-last-sequence")).toBe(json.events.at(-1)?.sequence);

    const csv = await api.call("GET", `/v1/export/events?${query}`, {
      key: api.keys.aExport,
      headers: { accept: "text/csv" },
    });
    expect(csv.status).toBe(200);
    expect(csv.headers.get("content-type")).toMatch(/^text\/csv/);
    expect(csv.headers.get("x-after-cursor")).toBe(json.after_cursor);
    expect(csv.text.startsWith(`${EXPORT_COLUMN_NAMES.join(",")}\r\n`)).toBe(true);
    // RFC 4180: the quote is doubled and the field quoted, the line break kept inside it.
    expect(csv.text).toContain('"a ""quoted"", multi-line\ntext"');
    expect(csv.text.endsWith("\r\n")).toBe(true);

    // An empty page still carries the headers, and an empty body.
    const empty = await api.call("GET", `/v1/export/events?cursor=${encodeURIComponent(json.after_cursor)}`, {
      key: api.keys.aExport,
      headers: { accept: "application/x-ndjson" },
    });
    expect(empty.status).toBe(200);
    expect(empty.text).toBe("");
    expect(empty.headers.get("x-end-of-stream")).toBe("true");
    expect(empty.headers.get("x-last-sequence")).toBeNull();
  });
});
