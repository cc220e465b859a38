/**
 * A real BI client over the change feed: a few hundred varied events (every channel type,
 * many event and content types, days in and out of order, late arrivals, re-posted ids)
 * go in through `POST /v1/events`; the export CLI writes them as NDJSON, CSV and Parquet,
 * and the API's own NDJSON and CSV pages are saved too. DuckDB loads each file, both through
 * the documented views (docs/sql/, docs/bi.md) and with its own readers, and its counts and
 * group-bys by type, channel and UTC day must equal what the API's JSON says. The metrics SQL
 * of docs/sql/duckdb-metrics.sql over the exports must equal `GET /v1/conversations/{id}`.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type DuckDBConnection,
  DuckDBInstance,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  type DuckDBValue,
} from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ExportState } from "#infra/export/state.ts";
import { KEY_ENV, main } from "#infra/export-cli.ts";
import { CHANNEL_TYPES, type StoredEvent } from "#shared/events/schema.ts";
import { EXPORT_COLUMN_NAMES } from "#shared/export/columns.ts";
import { createDocumentClient } from "#shared/store/dynamo/client.ts";
import { DynamoConversationStateStore } from "#shared/store/dynamo/conversation-states.ts";
import { projectEvent } from "#shared/usecases/project-state.ts";
import { aMessage, anEvent, type Json, uniqueId } from "../support/factories.ts";
import { type Api, startApi } from "../support/http.ts";
import { metricsColumns } from "../support/metrics.ts";

const SETTLE_MS = 500;
process.env.EXPORT_SETTLE_MS = String(SETTLE_MS);

/** The CLI's page size: several pages, and a last one that is not full. */
const CLI_PAGE_SIZE = 50;
/** The direct API reads page differently from the CLI, so the byte comparisons do not depend on paging. */
const API_PAGE_SIZE = 64;
/** A session time zone far from UTC: a day computed in local time instead of UTC shows. */
const SESSION_TZ = "Asia/Kolkata";

const settle = () => new Promise((resolve) => setTimeout(resolve, SETTLE_MS + 100));

// ---------------------------------------------------------------- the data set

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Recent days, and old days whose conversations arrive last ("late"). */
const DAYS = [
  "2025-05-18",
  "2025-05-19",
  "2025-05-20",
  "2025-05-21",
  "2025-05-22",
  "2025-05-23",
  "2025-05-24",
];
const OLD_DAYS = ["2024-12-31", "2023-03-15"];
const CONVERSATIONS = 48;
/**
 * Conversations whose state is projected as the bus would (twice: before and after the late
 * events); the others are folded by GET /v1/conversations/{id} on read. One of each shape (0
 * with a late customer message), a conversation on an old day posted late (7) and one of
 * shape 0 without a late message (36).
 */
const PROJECTED = [0, 1, 2, 3, 4, 5, 7, 36];

/** A text that a CSV reader has to get right: quotes, commas, CRLF and LF inside, non-ASCII. */
const trickyText = (i: number) =>
  i % 2 === 0
    ? `Hi, "support" team #${i}\nmy order, the one with 🎉, is late`
    : `line one; "quoted", comma\r\nline two\r\n  indented, ends with a quote"`;

/** An occurred_at in one of the accepted input formats; the API stores UTC milliseconds. */
function occurred(ms: number, i: number): string | number {
  switch (i % 4) {
    case 0:
      return new Date(ms).toISOString();
    case 1: {
      // +05:30: the local date differs from the UTC date for the last 5.5 hours of a UTC day.
      const local = new Date(ms + 5.5 * HOUR).toISOString().slice(0, 23);
      return `${local}+05:30`;
    }
    case 2: {
      const local = new Date(ms - 7 * HOUR).toISOString().slice(0, 23);
      return `${local}-07:00`;
    }
    default:
      return ms;
  }
}

interface Planned {
  body: Json;
  /** Posted in the last batches, after everything else (an old event arriving late). */
  late: boolean;
}

const customer = (i: number) => ({ type: "customer", id: `cust-${i}`, display_name: `Ana "A" Núñez, #${i}` });
const agent = { type: "agent", id: "ag-7", display_name: "Bo" };
const bot = { type: "bot", id: "bot-1" };
const system = { type: "system" };

/** Conversation `i`: a shape (i % 6), a channel, a day and a start time; late ones on old days. */
function conversation(run: string, i: number): Planned[] {
  const id = `${run}-c${i}`;
  const late = i % 8 === 7;
  const day = late ? (OLD_DAYS[i % 2] as string) : (DAYS[i % DAYS.length] as string);
  // Every fifth conversation starts two minutes before midnight UTC and runs into the next day.
  const start =
    Date.parse(`${day}T00:00:00.000Z`) + (i % 5 === 0 ? DAY - 2 * 60_000 : ((i * 1777) % 80_000) * 1000);
  const channel = {
    type: CHANNEL_TYPES[i % CHANNEL_TYPES.length],
    ...(i % 3 === 0 ? { integration_id: `int-${i}` } : {}),
  };
  let n = 0;
  const at = (offset: number) => occurred(start + offset, i + n);
  const base = (offset: number, author: Json) => ({
    id: `${id}-e${n++}`,
    conversation_id: id,
    occurred_at: at(offset),
    channel,
    author,
  });
  const msg = (type: string, offset: number, author: Json, content: Json, extra: Json = {}) =>
    aMessage({ ...base(offset, author), type, message: { content }, ...extra });
  const ev = (type: string, offset: number, author: Json, data: Json) =>
    anEvent(type, data, base(offset, author));
  const text = (t: string) => ({ type: "text", text: t });

  let events: Json[];
  switch (i % 6) {
    case 0: // the worked example of docs/bi.md: first response 210 500 ms, resolution 1 202 000 ms
      events = [
        ev("ConversationOpened", 0, system, { subject: "Order, late", priority: "high" }),
        msg("MessageReceived", 2_000, customer(i), text(trickyText(i)), { metadata: { plan: "pro", n: i } }),
        msg("MessageSent", 2_800, bot, text("A bot answers at once")),
        msg("MessageSent", 212_500, agent, text("An agent, 3.5 minutes later")),
        msg("MessageReceived", 302_000, customer(i), {
          type: "image",
          media_url: "https://example.com/p.png",
          media_type: "image/png",
          text: "the parcel",
        }),
        msg("MessageSent", 362_000, agent, text("Thanks")),
        ev("ConversationClosed", 1_202_000, agent, { reason: "solved" }),
      ];
      break;
    case 1: // closed, reopened, closed again
      events = [
        msg("MessageReceived", 0, customer(i), text(trickyText(i))),
        msg("MessageSent", 60_000, agent, {
          type: "location",
          latitude: 52.52,
          longitude: 13.405,
          name: "Depot",
        }),
        ev("ConversationTagged", 61_000, bot, { tags: ["vip", "a,b"] }),
        ev("ConversationClosed", 120_000, agent, {}),
        ev("ConversationReopened", HOUR, system, {}),
        msg("MessageSent", HOUR + 60_000, agent, {
          type: "file",
          media_url: "https://example.com/invoice.pdf",
          file_name: "invoice, May.pdf",
        }),
        ev("ConversationClosed", HOUR + 100_000, agent, { reason: "again" }),
      ];
      break;
    case 2: // a proactive agent message, then only a bot answers: no first response
      events = [
        msg("MessageSent", 0, agent, text("Can we help?")),
        msg("MessageReceived", 30_000, customer(i), {
          type: "audio",
          media_url: "https://example.com/a.ogg",
          duration_ms: 4200,
        }),
        msg("MessageSent", 31_000, bot, text("Bot: noted")),
        ev("ConversationTagged", 32_000, system, { tags: ["sales"] }),
      ];
      break;
    case 3: // an agent message in the customer's millisecond does not count; the next one does
      events = [
        ev("ConversationOpened", 0, system, {}),
        msg("MessageReceived", 1_000, customer(i), text(trickyText(i))),
        msg("MessageSent", 1_000, agent, text("same millisecond")),
        ev("MessageDelivered", 1_500, system, { message_id: `${id}-m1` }),
        ev("MessageRead", 1_600, customer(i), {}),
        ev("ConversationAssigned", 1_700, system, { assignee: { type: "agent", id: "ag-7" } }),
        msg("MessageSent", 90_000, agent, text("the real answer")),
      ];
      break;
    case 4: // no customer message at all, closed by the system
      events = [
        ev("ConversationOpened", 0, system, {}),
        msg("MessageSent", 10, system, text("Welcome")),
        ev("ConversationRated", 5_000, customer(i), { score: 4, comment: 'fine, "mostly"' }),
        ev("ConversationClosed", 6_000, system, { reason: "inactive" }),
      ];
      break;
    default: // other content and event types
      events = [
        msg("MessageReceived", 0, customer(i), { type: "template", name: "order_update", language: "en" }),
        msg("MessageReceived", 100, customer(i), { type: "reaction", emoji: "👍", message_id: "m-0" }),
        ev("CustomerJoined", 200, system, { participant: { type: "customer", id: `cust-${i}` } }),
        msg("MessageSent", 45_000, agent, text("Noted, thanks")),
        ev("PostbackReceived", 46_000, customer(i), { payload: "yes", text: "Yes" }),
        ev("ConversationUntagged", 47_000, system, { tags: ["vip"] }),
        msg("MessageReceived", 48_000, customer(i), { type: "unsupported", raw_type: "sticker" }),
      ];
  }
  const planned = events.map((body) => ({ body, late }));
  // Some conversations get an older customer message that arrives last: it moves the first
  // customer message, the first response and the resolution.
  if (i % 6 === 0 && i < 24) {
    planned.push({
      body: msg("MessageReceived", -DAY, customer(i), text("written yesterday, sent today")),
      late: true,
    });
  }
  return planned;
}

/** A deterministic shuffle, so ingest order is not occurred_at order. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  return items
    .map((item, i) => ({ item, k: (i * 7919 + seed) % 10_007 }))
    .sort((a, b) => a.k - b.k)
    .map(({ item }) => item);
}

function batches<T>(items: readonly T[], size = 100): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

// ---------------------------------------------------------------- state of the run

let api: Api;
let dir: string;
let instance: DuckDBInstance;
let duck: DuckDBConnection;
let states: DynamoConversationStateStore;
let project: (conversationId: string) => Promise<void>;

/** Every distinct event posted, by id. */
const posted = new Map<string, Json>();
const conversationIds: string[] = [];
/** Each batch item's status, for the first posts and for the re-posts. */
const firstStatuses: string[] = [];
const repostStatuses: string[] = [];
/** The API's word: every event of the tenant, from the JSON change feed. */
let feed: StoredEvent[] = [];
/** The same events from the time-range read (GET /v1/events). */
let ranged: StoredEvent[] = [];
const cli: Record<
  "ndjson" | "csv" | "parquet",
  { code: number; stdout: string; stderr: string; out: string }
> = {} as never;
const direct = { ndjson: [] as string[], csv: [] as string[] };
const paths = {
  cliNdjson: "",
  cliCsv: "",
  cliParquet: "",
  apiNdjsonDir: "",
  apiCsvDir: "",
};

/** Posts a batch; returns each item's status. */
async function post(events: Json[]): Promise<string[]> {
  const res = await api.call("POST", "/v1/events", { key: api.keys.a, body: { events } });
  expect(res.status, res.text).toBe(200);
  const results = res.json.results as { status: string; errors?: unknown }[];
  expect(
    results.filter((r) => r.errors),
    res.text,
  ).toEqual([]);
  return results.map((r) => r.status);
}

/** Follows the JSON change feed to its end. */
async function readFeed(since: string): Promise<StoredEvent[]> {
  const events: StoredEvent[] = [];
  let query = `start_time=${encodeURIComponent(since)}&page[size]=1000`;
  for (;;) {
    const res = await api.call("GET", `/v1/export/events?${query}`, { key: api.keys.aExport });
    expect(res.status, res.text).toBe(200);
    events.push(...(res.json.events as StoredEvent[]));
    if (res.json.end_of_stream === true) return events;
    query = `cursor=${encodeURIComponent(String(res.json.after_cursor))}&page[size]=1000`;
  }
}

/** Every event of the tenant in a wide occurred_at range, following page[after]. */
async function readRange(): Promise<StoredEvent[]> {
  const events: StoredEvent[] = [];
  const base = "/v1/events?start_time=2000-01-01T00:00:00Z&end_time=2100-01-01T00:00:00Z&page[size]=1000";
  let path = base;
  for (;;) {
    const res = await api.call("GET", path, { key: api.keys.a });
    expect(res.status, res.text).toBe(200);
    events.push(...(res.json.events as StoredEvent[]));
    const meta = res.json.meta as { has_more: boolean; after_cursor: string | null };
    if (!meta.has_more || !meta.after_cursor) return events;
    path = `${base}&page[after]=${encodeURIComponent(meta.after_cursor)}`;
  }
}

/** The API's NDJSON or CSV pages, following X-After-Cursor until X-End-Of-Stream. */
async function readPages(accept: string, since: string): Promise<string[]> {
  const pages: string[] = [];
  let query = `start_time=${encodeURIComponent(since)}&page[size]=${API_PAGE_SIZE}`;
  for (;;) {
    const res = await api.call("GET", `/v1/export/events?${query}`, {
      key: api.keys.aExport,
      headers: { accept },
    });
    expect(res.status, res.text).toBe(200);
    expect(res.headers.get("content-type")).toContain(accept);
    // An empty page (the feed caught up) has no X-Last-Sequence and nothing to load.
    if (res.headers.get("x-last-sequence")) pages.push(res.text);
    const cursor = res.headers.get("x-after-cursor");
    expect(cursor).toBeTruthy();
    if (res.headers.get("x-end-of-stream") === "true") return pages;
    query = `cursor=${encodeURIComponent(String(cursor))}&page[size]=${API_PAGE_SIZE}`;
  }
}

async function runCli(format: "ndjson" | "csv" | "parquet", out: string, since: string) {
  let stdout = "";
  let stderr = "";
  const code = await main(
    [
      "--url",
      api.stack.url,
      "--since",
      since,
      "--format",
      format,
      "--out",
      out,
      "--page-size",
      String(CLI_PAGE_SIZE),
    ],
    {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s), isTTY: false },
      env: { [KEY_ENV]: api.keys.aExport },
    },
  );
  cli[format] = { code, stdout, stderr, out };
}

beforeAll(async () => {
  api = await startApi();
  states = new DynamoConversationStateStore(createDocumentClient(), api.stack.tableName);
  // What the bus would do (the local gateway runs no bus targets): project every stored event.
  project = async (conversationId) => {
    for await (const events of states.eventsAfter(api.tenantA, conversationId)) {
      for (const e of events) await projectEvent({ states, now: Date.now }, api.tenantA, e);
    }
  };
  dir = await mkdtemp(join(tmpdir(), "export-duckdb-"));
  instance = await DuckDBInstance.create(":memory:");
  duck = await instance.connect();

  // Post: the on-time events shuffled in batches of up to 100, then the late ones, then re-posts.
  const run = uniqueId("bi").slice(0, 15);
  const planned = Array.from({ length: CONVERSATIONS }, (_, i) => {
    conversationIds.push(`${run}-c${i}`);
    return conversation(run, i);
  }).flat();
  for (const { body } of planned) posted.set(body.id as string, body);
  const since = new Date().toISOString();
  // Batches go in concurrently: ingest order is the log's business, not the test's.
  const postAll = async (bodies: Json[], seed: number) => {
    const results = await Promise.all(batches(shuffled(bodies, seed)).map((batch) => post(batch)));
    return results.flat();
  };
  const onTime = planned.filter((p) => !p.late).map((p) => p.body);
  const late = planned.filter((p) => p.late).map((p) => p.body);
  firstStatuses.push(...(await postAll(onTime, 17)));
  // What the bus would have done so far, for the conversations whose state is projected; the
  // late events below then make the projector refold them.
  await Promise.all(PROJECTED.map((i) => project(conversationIds[i] as string)));
  firstStatuses.push(...(await postAll(late, 5)));
  // Re-posts: the same ids with the same bodies, across batches and twice within one batch.
  const again = planned.filter((_, k) => k % 9 === 0).map((p) => p.body);
  repostStatuses.push(...(await post([...again, ...again.slice(0, 5)])));
  await Promise.all(PROJECTED.map((i) => project(conversationIds[i] as string)));

  await settle();
  [feed, ranged] = await Promise.all([readFeed(since), readRange()]);

  paths.cliNdjson = join(dir, "cli-ndjson", "events.ndjson");
  paths.cliCsv = join(dir, "cli-csv", "events.csv");
  paths.cliParquet = join(dir, "cli-parquet", "events");
  [direct.ndjson, direct.csv] = await Promise.all([
    readPages("application/x-ndjson", since),
    readPages("text/csv", since),
    runCli("ndjson", paths.cliNdjson, since),
    runCli("csv", paths.cliCsv, since),
    runCli("parquet", paths.cliParquet, since),
  ]);
  paths.apiNdjsonDir = join(dir, "api-ndjson");
  paths.apiCsvDir = join(dir, "api-csv");
  await mkdir(paths.apiNdjsonDir);
  await mkdir(paths.apiCsvDir);
  for (const [n, text] of direct.ndjson.entries()) {
    await writeFile(join(paths.apiNdjsonDir, `page-${String(n + 1).padStart(4, "0")}.ndjson`), text);
  }
  // Each CSV page has its header row: one file per page, as a BI client following the feed would save it.
  for (const [n, text] of direct.csv.entries()) {
    await writeFile(join(paths.apiCsvDir, `page-${String(n + 1).padStart(4, "0")}.csv`), text);
  }
  await duck.run(`SET TimeZone = '${SESSION_TZ}'`);
});

afterAll(async () => {
  duck?.closeSync();
  instance?.closeSync();
  await api?.stack.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

// ---------------------------------------------------------------- what the API says

const dayOf = (iso: string) => iso.slice(0, 10);

function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) {
    const k = key(item);
    counts[k] = (counts[k] ?? 0) + 1;
  }
  return counts;
}

const expected = () => ({
  total: feed.length,
  byType: countBy(feed, (e) => e.type),
  byChannel: countBy(feed, (e) => e.channel.type),
  byDay: countBy(feed, (e) => dayOf(e.occurred_at)),
  byAll: countBy(feed, (e) => `${e.type}|${e.channel.type}|${dayOf(e.occurred_at)}`),
  text: Object.fromEntries(
    feed.flatMap((e) => {
      const content = (e as { message?: { content?: { text?: string } } }).message?.content;
      return content ? [[e.id, content.text ?? null]] : [];
    }),
  ),
});

// ---------------------------------------------------------------- DuckDB

const sqlFile = (name: string) => readFile(new URL(`../../docs/sql/${name}`, import.meta.url), "utf8");
const quote = (s: string) => `'${s.replaceAll("'", "''")}'`;

async function rows(sql: string): Promise<Record<string, unknown>[]> {
  return (await duck.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
}

/**
 * Each way to load a file: the result is a table `name` with the columns
 * `id, type, channel_type, occurred_at` (TIMESTAMP, UTC) and `content_text`.
 */
interface Source {
  name: string;
  load: (table: string) => Promise<unknown>;
}

/** The documented `events` view (docs/sql/), materialized as `table`. */
async function documentedView(viewSql: string, searchPath: string, table: string, utc = false) {
  await duck.run(`SET file_search_path = ${quote(searchPath)}`);
  if (utc) await duck.run("SET TimeZone = 'UTC'");
  await duck.run(viewSql);
  await duck.run(`CREATE OR REPLACE TABLE ${table} AS SELECT * FROM events`);
  if (utc) await duck.run(`SET TimeZone = '${SESSION_TZ}'`);
}

/** docs/bi.md's Parquet view, over the CLI's part files. */
const parquetView = (glob: string) => `
CREATE OR REPLACE VIEW events AS
SELECT * REPLACE (
  CAST(received_at AS TIMESTAMP) AS received_at,
  CAST(occurred_at AS TIMESTAMP) AS occurred_at
)
FROM read_parquet(${quote(glob)});`;

const SOURCES: Source[] = [
  {
    name: "CLI NDJSON, docs/sql/duckdb-events-ndjson.sql",
    load: async (t) => documentedView(await sqlFile("duckdb-events-ndjson.sql"), join(dir, "cli-ndjson"), t),
  },
  {
    name: "CLI NDJSON, read_ndjson_auto",
    load: (t) =>
      duck.run(`CREATE OR REPLACE TABLE ${t} AS
        SELECT id, type, channel.type AS channel_type, occurred_at, message.content.text AS content_text
        FROM read_ndjson_auto(${quote(paths.cliNdjson)})`),
  },
  {
    name: "CLI CSV, docs/sql/duckdb-events-csv.sql",
    load: async (t) => documentedView(await sqlFile("duckdb-events-csv.sql"), join(dir, "cli-csv"), t),
  },
  {
    name: "CLI CSV, read_csv with the RFC 4180 dialect",
    load: (t) =>
      duck.run(`CREATE OR REPLACE TABLE ${t} AS
        SELECT id, type, channel_type, CAST(occurred_at AS TIMESTAMP) AS occurred_at, content_text
        FROM read_csv(${quote(paths.cliCsv)}, header = true, delim = ',', quote = '"', escape = '"',
                      new_line = '\\r\\n', all_varchar = true)`),
  },
  {
    name: "CLI Parquet, docs/bi.md's view",
    load: (t) => documentedView(parquetView(join(paths.cliParquet, "*.parquet")), dir, t, true),
  },
  {
    name: "CLI Parquet, read_parquet (TIMESTAMPTZ taken at UTC)",
    load: (t) =>
      duck.run(`CREATE OR REPLACE TABLE ${t} AS
        SELECT id, type, channel_type, timezone('UTC', occurred_at) AS occurred_at, content_text
        FROM read_parquet(${quote(join(paths.cliParquet, "*.parquet"))})`),
  },
  {
    name: "API NDJSON pages, read_ndjson_auto",
    load: (t) =>
      duck.run(`CREATE OR REPLACE TABLE ${t} AS
        SELECT id, type, channel.type AS channel_type, occurred_at, message.content.text AS content_text
        FROM read_ndjson_auto(${quote(join(paths.apiNdjsonDir, "*.ndjson"))})`),
  },
  {
    name: "API CSV pages, read_csv (sniffed dialect)",
    load: (t) =>
      duck.run(`CREATE OR REPLACE TABLE ${t} AS
        SELECT id, type, channel_type, CAST(occurred_at AS TIMESTAMP) AS occurred_at, content_text
        FROM read_csv(${quote(join(paths.apiCsvDir, "*.csv"))}, header = true, all_varchar = true)`),
  },
];

const MESSAGE_TYPES = "'MessageReceived', 'MessageSent'";

const grouped = async (table: string, key: string) =>
  Object.fromEntries(
    (await rows(`SELECT ${key} AS k, count(*)::INTEGER AS n FROM ${table} GROUP BY 1`)).map((r) => [
      String(r.k),
      r.n as number,
    ]),
  );

// ---------------------------------------------------------------- tests

describe("the data set, as the API stores it", () => {
  it("stores each posted id once: first posts are created, re-posts are duplicates", () => {
    expect(firstStatuses.length).toBe(posted.size);
    expect(new Set(firstStatuses)).toEqual(new Set(["created"]));
    expect(repostStatuses.length).toBeGreaterThan(30);
    expect(new Set(repostStatuses)).toEqual(new Set(["duplicate"]));

    const ids = feed.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual([...posted.keys()].sort());
    // The time-range read and the change feed agree on the tenant's events.
    expect(ranged.map((e) => e.id).sort()).toEqual([...ids].sort());
    // The set is as varied as intended.
    const e = expected();
    expect(Object.keys(e.byChannel).sort()).toEqual([...CHANNEL_TYPES].sort());
    expect(Object.keys(e.byType).sort()).toEqual(
      [
        "ConversationAssigned",
        "ConversationClosed",
        "ConversationOpened",
        "ConversationRated",
        "ConversationReopened",
        "ConversationTagged",
        "ConversationUntagged",
        "CustomerJoined",
        "MessageDelivered",
        "MessageRead",
        "MessageReceived",
        "MessageSent",
        "PostbackReceived",
      ].sort(),
    );
    expect(Object.keys(e.byDay).length).toBeGreaterThanOrEqual(DAYS.length + OLD_DAYS.length);
  });
});

describe("the export CLI against the local API", () => {
  it("exports every event once in each format, in several pages", async () => {
    const total = feed.length;
    const pages = Math.ceil(total / CLI_PAGE_SIZE);
    for (const format of ["ndjson", "csv", "parquet"] as const) {
      const r = cli[format];
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^${total} events added in \\d+ pages`));
      expect(Number(/in (\d+) pages/.exec(r.stdout)?.[1])).toBeGreaterThanOrEqual(pages);
      const state = JSON.parse(await readFile(`${r.out}.state.json`, "utf8")) as ExportState;
      expect(state.events).toBe(total);
      expect(state.last_sequence).toBe(feed.at(-1)?.sequence);
    }
    const parts = (await readdir(paths.cliParquet)).filter((f) => f.endsWith(".parquet"));
    expect(parts.length).toBe(pages);
  });

  it("writes the API's own NDJSON and CSV: the same bytes as following the feed directly", async () => {
    const ndjson = await readFile(paths.cliNdjson, "utf8");
    expect(ndjson).toBe(direct.ndjson.join(""));
    expect(
      ndjson
        .split("\n")
        .slice(0, -1)
        .map((l) => JSON.parse(l)),
    ).toEqual(feed);

    const header = `${EXPORT_COLUMN_NAMES.join(",")}\r\n`;
    for (const page of direct.csv) expect(page.startsWith(header)).toBe(true);
    const csv = await readFile(paths.cliCsv, "utf8");
    expect(csv).toBe(header + direct.csv.map((p) => p.slice(header.length)).join(""));
  });
});

describe("DuckDB over the exports: counts and group-bys equal what the API says", () => {
  it.each(SOURCES.map((s, n) => [s.name, s, n] as const))("%s", async (_, source, n) => {
    const table = `src_${n}`;
    await source.load(table);
    const want = expected();

    const [totals] = await rows(
      `SELECT count(*)::INTEGER AS n, count(DISTINCT id)::INTEGER AS ids,
              typeof(any_value(occurred_at)) AS occurred_type FROM ${table}`,
    );
    expect(totals).toEqual({ n: posted.size, ids: posted.size, occurred_type: "TIMESTAMP" });
    expect(want.total).toBe(posted.size);

    expect(await grouped(table, "type")).toEqual(want.byType);
    expect(await grouped(table, "channel_type")).toEqual(want.byChannel);
    // Days in UTC, whatever the session's time zone (set to Asia/Kolkata here).
    expect(await grouped(table, "strftime(occurred_at, '%Y-%m-%d')")).toEqual(want.byDay);
    expect(await grouped(table, "CAST(CAST(occurred_at AS DATE) AS VARCHAR)")).toEqual(want.byDay);
    expect(
      await grouped(table, "concat_ws('|', type, channel_type, strftime(occurred_at, '%Y-%m-%d'))"),
    ).toEqual(want.byAll);

    // Every message's text survives the format: quotes, commas, CRLF and LF, non-ASCII.
    const texts = Object.fromEntries(
      (await rows(`SELECT id, content_text FROM ${table} WHERE type IN (${MESSAGE_TYPES})`)).map((r) => [
        r.id as string,
        (r.content_text as string | null) ?? null,
      ]),
    );
    expect(texts).toEqual(want.text);
    // And every occurred_at to the millisecond.
    const occurred = Object.fromEntries(
      (await rows(`SELECT id, strftime(occurred_at, '%Y-%m-%dT%H:%M:%S.%gZ') AS t FROM ${table}`)).map(
        (r) => [r.id as string, r.t as string],
      ),
    );
    expect(occurred).toEqual(Object.fromEntries(feed.map((e) => [e.id, e.occurred_at])));
  });
});

// ---------------------------------------------------------------- metrics

const plain = (value: DuckDBValue): unknown =>
  value instanceof DuckDBTimestampValue || value instanceof DuckDBTimestampTZValue
    ? new Date(Number(value.micros / 1000n)).toISOString()
    : typeof value === "bigint"
      ? Number(value)
      : value;

interface ConversationState {
  first_event_at: string;
  first_response_at: string | null;
  closed_at: string | null;
  message_counts: { customer: number; agent: number; bot: number; system: number };
  metrics: {
    first_customer_message_at: string | null;
    first_response_ms: number | null;
    resolution_ms: number | null;
  };
}

async function metricsRows(viewSql: string, searchPath: string) {
  await duck.run(`SET file_search_path = ${quote(searchPath)}`);
  await duck.run(viewSql);
  await duck.run(await sqlFile("duckdb-metrics.sql"));
  const result = await duck.runAndReadAll("SELECT * FROM conversation_metrics ORDER BY conversation_id");
  return result
    .getRowObjects()
    .map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, plain(v)])));
}

describe("docs/sql/duckdb-metrics.sql over the CLI's exports", () => {
  it("gives each conversation the metrics and message counts of GET /v1/conversations/{id}", async () => {
    const fromNdjson = await metricsRows(await sqlFile("duckdb-events-ndjson.sql"), join(dir, "cli-ndjson"));
    expect(fromNdjson.map((r) => r.conversation_id)).toEqual([...conversationIds].sort());

    // The projected conversations are served from the state the projector stored, late events
    // included; the others are folded by the API on read.
    for (const i of PROJECTED) {
      const c = conversationIds[i] as string;
      const stored = await states.getState(api.tenantA, c);
      expect(stored?.state.event_count, c).toBe(feed.filter((e) => e.conversation_id === c).length);
    }

    for (const row of fromNdjson) {
      const res = await api.call("GET", `/v1/conversations/${row.conversation_id}`, { key: api.keys.a });
      expect(res.status, res.text).toBe(200);
      const state = res.json.conversation as ConversationState;
      expect(row, String(row.conversation_id)).toMatchObject(metricsColumns(state));
    }

    // Hand-computed, so the SQL and the state cannot agree on a wrong number.
    const byId = new Map(fromNdjson.map((r) => [r.conversation_id as string, r]));
    const [onTime, withLate, reopened, botOnly, sameMs, noCustomer] = [36, 0, 1, 2, 3, 4].map((i) =>
      byId.get(conversationIds[i] as string),
    );
    expect(onTime).toMatchObject({
      first_response_ms: 210_500,
      first_response_incl_bots_ms: 800,
      resolution_ms: 1_202_000,
    });
    expect(onTime).toMatchObject({
      customer_messages: 2,
      agent_messages: 2,
      bot_messages: 1,
      system_messages: 0,
    });
    // The late customer message, a day earlier, moves both clocks back by a day.
    expect(withLate).toMatchObject({
      first_response_ms: DAY + 212_500,
      resolution_ms: DAY + 1_202_000,
      customer_messages: 3,
    });
    expect(reopened).toMatchObject({ first_response_ms: 60_000, resolution_ms: HOUR + 100_000 });
    expect(botOnly).toMatchObject({
      first_response_ms: null,
      first_response_incl_bots_ms: 1_000,
      resolution_ms: null,
    });
    expect(sameMs).toMatchObject({ first_response_ms: 89_000, agent_messages: 2, closed_at: null });
    expect(noCustomer).toMatchObject({
      first_customer_message_at: null,
      first_response_ms: null,
      resolution_ms: 6_000,
      system_messages: 1,
    });

    // The same numbers from the CSV and the Parquet exports.
    expect(await metricsRows(await sqlFile("duckdb-events-csv.sql"), join(dir, "cli-csv"))).toEqual(
      fromNdjson,
    );
    await duck.run("SET TimeZone = 'UTC'");
    try {
      expect(await metricsRows(parquetView(join(paths.cliParquet, "*.parquet")), dir)).toEqual(fromNdjson);
    } finally {
      await duck.run(`SET TimeZone = '${SESSION_TZ}'`);
    }
  });
});
