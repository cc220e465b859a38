/**
 * The export CLI (infra/export-cli.ts) against a stub of `GET /v1/export/events` that
 * implements the HTTP contract over an in-memory list of events, with fault injection
 * (429 + Retry-After, 503, truncated bodies, connection resets, out-of-order events).
 * The outputs are checked byte for byte (NDJSON, CSV) and read back with DuckDB (CSV,
 * Parquet), across crashes and reruns.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { finished } from "node:stream/promises";
import { monotonicFactory } from "ulid";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ExportState } from "#infra/export/state.ts";
import { type CliIo, KEY_ENV, main } from "#infra/export-cli.ts";
import type { StoredEvent } from "#shared/events/schema.ts";
import { EXPORT_COLUMN_NAMES, exportRow } from "#shared/export/columns.ts";
import { csvStringifier } from "#shared/export/csv.ts";

const KEY = "clk_export_test_key";
const SINCE = "2025-05-01T00:00:00Z";
const T0 = Date.parse("2025-05-23T10:00:00.000Z");

// ---------------------------------------------------------------- the stub feed

type Fault =
  | { kind: "429"; retryAfter?: string }
  | { kind: "503" }
  | { kind: "truncate" } // drops the last line, keeps X-Last-Sequence
  | { kind: "cut" } // cuts the body in the middle of a line
  | { kind: "reset-before" } // closes the connection before answering
  | { kind: "reset-mid" } // closes the connection in the middle of the body
  | { kind: "reorder" }; // swaps the page's first two events

const nextSequence = monotonicFactory();

function makeEvent(i: number): StoredEvent {
  const received = new Date(T0 + i * 1000).toISOString();
  const occurred = new Date(T0 + i * 1000 - 250).toISOString();
  const base = {
    id: `evt-${String(i).padStart(4, "0")}`,
    conversation_id: `c${i % 3}`,
    occurred_at: occurred,
    received_at: received,
    sequence: nextSequence(T0 + i * 1000),
    channel: { type: i % 2 ? "whatsapp" : "web", ...(i % 2 ? { integration_id: "wa-1" } : {}) },
  };
  if (i % 3 === 0) {
    return {
      ...base,
      type: "MessageReceived",
      author: { type: "customer", id: `cust-${i}`, display_name: `Ana "A" Núñez, #${i}` },
      message: { content: { type: "text", text: `Hello, "world" ${i}\nsecond line 🎉` } },
      metadata: { shop: "eu", priority: i },
    } as unknown as StoredEvent;
  }
  if (i % 3 === 1) {
    return {
      ...base,
      type: "ConversationTagged",
      author: { type: "bot" },
      data: { tags: ["spam", `t${i}`] },
      source: { system: "zendesk", event_id: `z-${i}` },
    } as unknown as StoredEvent;
  }
  return {
    ...base,
    type: "ConversationClosed",
    author: { type: "system" },
    data: {},
    caused_by: { trigger_id: "trg_1", event_id: `evt-${i - 1}`, depth: 1 },
  } as unknown as StoredEvent;
}

class StubFeed {
  events: StoredEvent[] = [];
  /** One entry per request, consumed in order; `null` serves normally. */
  faults: (Fault | null)[] = [];
  requests: { url: URL; headers: IncomingHttpHeaders }[] = [];
  base = "";
  private server: Server | undefined;

  add(count: number): void {
    const start = this.events.length;
    for (let i = 0; i < count; i++) this.events.push(makeEvent(start + i));
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://stub");
      this.requests.push({ url, headers: req.headers });
      const fault = this.faults.shift() ?? null;
      const problem = (status: number, title: string, detail: string, extra: Record<string, string> = {}) => {
        res.writeHead(status, { "content-type": "application/problem+json", ...extra });
        res.end(JSON.stringify({ type: `https://conversation-log.dev/problems/x`, title, status, detail }));
      };
      if (fault?.kind === "reset-before") {
        req.socket.destroy();
        return;
      }
      if (url.pathname !== "/v1/export/events") return problem(404, "Not found", "no such route");
      if (req.headers.authorization !== `Bearer ${KEY}`) {
        return problem(401, "Unauthorized", "The API key is missing, unknown or revoked.");
      }
      if (fault?.kind === "429") {
        return problem(429, "Too many requests", "Slow down.", {
          ...(fault.retryAfter !== undefined ? { "retry-after": fault.retryAfter } : {}),
        });
      }
      if (fault?.kind === "503") return problem(503, "Service unavailable", "Try again later.");

      const size = Number(url.searchParams.get("page[size]") ?? "1000");
      if (!Number.isInteger(size) || size < 1 || size > 10_000) {
        return problem(400, "Invalid request", "page[size] must be 1..10000");
      }
      let from: number;
      const cursor = url.searchParams.get("cursor");
      if (cursor !== null) {
        const decoded = Buffer.from(cursor, "base64url").toString("utf8");
        if (!/^pos:\d+$/.test(decoded)) return problem(400, "Invalid request", "The cursor is invalid.");
        from = Number(decoded.slice(4));
      } else {
        const start = url.searchParams.get("start_time");
        const ms = start === null ? Number.NaN : /^\d+$/.test(start) ? Number(start) : Date.parse(start);
        if (
          Number.isNaN(ms) ||
          (start !== null && !/^\d+$/.test(start) && !/(Z|[+-]\d\d:\d\d)$/.test(start))
        ) {
          return problem(400, "Invalid request", `start_time ${start} is not an ISO-8601 time with offset`);
        }
        const startMs = start !== null && /^\d{1,11}$/.test(start) ? ms * 1000 : ms;
        from = this.events.findIndex((e) => Date.parse(e.received_at) >= startMs);
        if (from === -1) from = this.events.length;
      }
      const page = this.events.slice(from, from + size);
      if (fault?.kind === "reorder" && page.length >= 2) [page[0], page[1]] = [page[1]!, page[0]!];
      const after = from + page.length;
      const headers: Record<string, string> = {
        "content-type": "application/x-ndjson",
        "x-after-cursor": Buffer.from(`pos:${after}`).toString("base64url"),
        "x-end-of-stream": String(after >= this.events.length),
      };
      const last = this.events[after - 1];
      if (page.length > 0 && last) headers["x-last-sequence"] = last.sequence;
      let lines = page.map((e) => `${JSON.stringify(e)}\n`);
      if (fault?.kind === "truncate") lines = lines.slice(0, -1);
      let body = lines.join("");
      if (fault?.kind === "cut") body = body.slice(0, Math.floor(body.length / 2) | 1);
      res.writeHead(200, headers);
      if (fault?.kind === "reset-mid") {
        res.write(body.slice(0, Math.floor(body.length / 2)));
        setTimeout(() => res.socket?.destroy(), 5);
        return;
      }
      res.end(body);
    });
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

// ---------------------------------------------------------------- helpers

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

async function run(args: string[], extra: Partial<CliIo> & { tty?: boolean } = {}): Promise<Run> {
  let stdout = "";
  let stderr = "";
  const started = performance.now();
  const code = await main(args, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s), isTTY: extra.tty ?? false },
    env: extra.env ?? { [KEY_ENV]: KEY },
    ...(extra.hooks ? { hooks: extra.hooks } : {}),
    ...(extra.signal ? { signal: extra.signal } : {}),
  });
  return { code, stdout, stderr, ms: performance.now() - started };
}

const ndjsonOf = (events: StoredEvent[]) => events.map((e) => `${JSON.stringify(e)}\n`).join("");

/** What the API's text/csv answer would be for these events, in one response. */
async function csvOf(events: StoredEvent[]): Promise<string> {
  const stringifier = csvStringifier();
  const chunks: string[] = [];
  stringifier.on("data", (chunk: Buffer | string) => chunks.push(chunk.toString()));
  for (const e of events) stringifier.write(exportRow(e));
  stringifier.end();
  await finished(stringifier);
  return chunks.join("");
}

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const readState = (path: string) => JSON.parse(readFileSync(path, "utf8")) as ExportState;

let stub: StubFeed;
let dir: string;
const common = () => [
  "--url",
  stub.base,
  "--since",
  SINCE,
  "--page-size",
  "10",
  "--base-delay",
  "1",
  "--max-delay",
  "5",
];

type Duck = { runAndReadAll: (sql: string) => Promise<{ getRowObjectsJson(): Record<string, unknown>[] }> };
let duck: Duck;
let closeDuck: () => void;
const query = async (sql: string) => (await duck.runAndReadAll(sql)).getRowObjectsJson();

beforeAll(async () => {
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const db = await DuckDBInstance.create(":memory:");
  const connection = await db.connect();
  duck = connection;
  closeDuck = () => {
    connection.closeSync();
    db.closeSync();
  };
});

afterAll(() => closeDuck());

beforeEach(async () => {
  stub = new StubFeed();
  await stub.start();
  dir = mkdtempSync(join(tmpdir(), "export-cli-"));
  return async () => {
    await stub.stop();
    rmSync(dir, { recursive: true, force: true });
  };
});

// ---------------------------------------------------------------- tests

describe("export CLI: NDJSON", () => {
  it("exports every event page by page with the contract's requests, and saves the state", async () => {
    stub.add(25);
    const out = join(dir, "events.ndjson");
    const r = await run([...common(), "--out", out]);
    expect(r.stderr).not.toMatch(/failed/);
    expect(r.code).toBe(0);
    expect(readFileSync(out, "utf8")).toBe(ndjsonOf(stub.events));
    expect(r.stderr).toMatch(/^page 1: \+10 events, 10 total, \d+ ev\/s$/m);
    expect(r.stderr).toMatch(/^page 3: \+5 events, 25 total, \d+ ev\/s$/m);
    expect(r.stdout).toMatch(/^25 events added in 3 pages/);

    expect(stub.requests).toHaveLength(3);
    const [first, second] = stub.requests;
    expect(first?.url.pathname).toBe("/v1/export/events");
    expect(first?.url.searchParams.get("start_time")).toBe(SINCE);
    expect(first?.url.searchParams.get("page[size]")).toBe("10");
    expect(first?.url.searchParams.has("cursor")).toBe(false);
    expect(first?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(first?.headers.accept).toBe("application/x-ndjson");
    expect(second?.url.searchParams.get("cursor")).toBe(Buffer.from("pos:10").toString("base64url"));
    expect(second?.url.searchParams.has("start_time")).toBe(false);

    const state = readState(`${out}.state.json`);
    expect(state).toMatchObject({
      version: 1,
      url: stub.base,
      format: "ndjson",
      since: SINCE,
      cursor: Buffer.from("pos:25").toString("base64url"),
      events: 25,
      bytes: statSync(out).size,
      parts: 0,
      last_sequence: stub.events[24]?.sequence,
    });
  });

  it("adds nothing on a second run, and exactly the new events once the server has more", async () => {
    stub.add(12);
    const out = join(dir, "events.ndjson");
    expect((await run([...common(), "--out", out])).code).toBe(0);
    const before = readFileSync(out);

    const again = await run([...common(), "--out", out]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^0 events added/);
    expect(readFileSync(out).equals(before)).toBe(true);
    expect(stub.requests.at(-1)?.url.searchParams.get("cursor")).toBe(
      Buffer.from("pos:12").toString("base64url"),
    );

    stub.add(17);
    const more = await run([...common(), "--out", out]);
    expect(more.code).toBe(0);
    expect(more.stdout).toMatch(/^17 events added in 2 pages/);
    expect(readFileSync(out, "utf8")).toBe(ndjsonOf(stub.events));
    expect(readState(`${out}.state.json`).events).toBe(29);
  });

  it("accepts unix seconds for --since and the key from --key", async () => {
    stub.add(5);
    const out = join(dir, "events.ndjson");
    const seconds = String(Math.floor((T0 + 2000) / 1000));
    const r = await run(
      ["--url", `${stub.base}/`, "--key", KEY, "--since", seconds, "--out", out, "--base-delay", "1"],
      { env: {} },
    );
    expect(r.code).toBe(0);
    expect(readFileSync(out, "utf8")).toBe(ndjsonOf(stub.events.slice(2)));
    expect(stub.requests[0]?.url.searchParams.get("page[size]")).toBe("10000");
  });
});

describe("export CLI: --follow", () => {
  it("keeps polling after catching up, exports what arrives, and stops cleanly on the signal", async () => {
    stub.add(5);
    const out = join(dir, "events.ndjson");
    const statePath = `${out}.state.json`;
    const controller = new AbortController();
    const running = run([...common(), "--out", out, "--follow", "--poll-interval", "1"], {
      signal: controller.signal,
    });
    await waitFor(() => existsSync(statePath) && readState(statePath).events === 5);
    stub.add(7);
    await waitFor(() => readState(statePath).events === 12);
    controller.abort();
    const r = await running;
    expect(r.code).toBe(0);
    expect(readFileSync(out, "utf8")).toBe(ndjsonOf(stub.events));
    expect(r.stdout).toMatch(/^12 events added/);
    expect(r.stderr).toMatch(/interrupted; run the same command again to continue/);
    expect(r.stderr).not.toMatch(/\+0 events/);
  });
});

describe("export CLI: CSV", () => {
  it("writes the API's CSV dialect with one header row across runs, readable by DuckDB", async () => {
    stub.add(14);
    const out = join(dir, "events.csv");
    const first = await run([...common(), "--format", "csv", "--out", out]);
    expect(first.code).toBe(0);
    expect(readFileSync(out, "utf8")).toBe(await csvOf(stub.events));

    stub.add(9);
    const second = await run([...common(), "--format", "csv", "--out", out]);
    expect(second.code).toBe(0);
    const text = readFileSync(out, "utf8");
    expect(text).toBe(await csvOf(stub.events));
    expect(text.split("\r\n").filter((l) => l.startsWith("sequence,received_at,"))).toHaveLength(1);
    expect(text.startsWith(`${EXPORT_COLUMN_NAMES.join(",")}\r\n`)).toBe(true);

    const rows = await query(
      `select id, content_text, data from read_csv('${out}', header = true, all_varchar = true) order by sequence`,
    );
    expect(rows.map((r) => r.id)).toEqual(stub.events.map((e) => e.id));
    expect(rows[0]?.content_text).toBe('Hello, "world" 0\nsecond line 🎉');
    expect(rows[1]?.data).toBe(JSON.stringify({ tags: ["spam", "t1"] }));
  });

  it("writes the header even when the export starts empty, and only once", async () => {
    const out = join(dir, "events.csv");
    expect((await run([...common(), "--out", out])).code).toBe(0);
    expect(readFileSync(out, "utf8")).toBe(`${EXPORT_COLUMN_NAMES.join(",")}\r\n`);
    stub.add(3);
    expect((await run([...common(), "--out", out])).code).toBe(0);
    expect(readFileSync(out, "utf8")).toBe(await csvOf(stub.events));
  });
});

describe("export CLI: Parquet", () => {
  it("writes one part file per page, with typed columns, readable by DuckDB; reruns add parts", async () => {
    stub.add(23);
    const out = join(dir, "lake");
    const r = await run([...common(), "--format", "parquet", "--out", out]);
    expect(r.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual([
      "part-000001.parquet",
      "part-000002.parquet",
      "part-000003.parquet",
    ]);
    expect(readState(`${out}.state.json`)).toMatchObject({
      format: "parquet",
      parts: 3,
      events: 23,
      bytes: 0,
    });

    const glob = `${out}/*.parquet`;
    const [count] = await query(
      `select count(*)::int c, count(distinct id)::int d from read_parquet('${glob}')`,
    );
    expect(count).toEqual({ c: 23, d: 23 });
    const rows = await query(
      `select id, sequence, epoch_ms(received_at)::bigint::varchar r, epoch_ms(occurred_at)::bigint::varchar o,
              content_text, message, data, author_display_name, channel_integration_id
       from read_parquet('${glob}') order by sequence`,
    );
    expect(rows.map((row) => row.id)).toEqual(stub.events.map((e) => e.id));
    expect(rows.map((row) => row.r)).toEqual(stub.events.map((e) => String(Date.parse(e.received_at))));
    expect(rows[0]?.o).toBe(String(Date.parse(stub.events[0]?.occurred_at ?? "")));
    expect(rows[0]?.content_text).toBe('Hello, "world" 0\nsecond line 🎉');
    expect(rows[0]?.author_display_name).toBe('Ana "A" Núñez, #0');
    expect(JSON.parse(String(rows[0]?.message))).toEqual(
      (stub.events[0] as unknown as { message: unknown }).message,
    );
    expect(rows[1]?.content_text).toBeNull();
    expect(rows[0]?.channel_integration_id).toBeNull();
    expect(JSON.parse(String(rows[1]?.data))).toEqual({ tags: ["spam", "t1"] });

    const types = await query(
      `select column_name, column_type from (describe select * from read_parquet('${glob}'))`,
    );
    const typeOf = Object.fromEntries(types.map((t) => [t.column_name, t.column_type]));
    expect(typeOf.received_at).toBe("TIMESTAMP WITH TIME ZONE");
    expect(typeOf.occurred_at).toBe("TIMESTAMP WITH TIME ZONE");
    expect(typeOf.id).toBe("VARCHAR");
    expect(typeOf.data).toBe("JSON");
    expect(Object.keys(typeOf)).toEqual([...EXPORT_COLUMN_NAMES]);

    const again = await run([...common(), "--format", "parquet", "--out", out]);
    expect(again.stdout).toMatch(/^0 events added/);
    expect(readdirSync(out)).toHaveLength(3);

    stub.add(4);
    expect((await run([...common(), "--format", "parquet", "--out", out])).code).toBe(0);
    expect(readdirSync(out)).toContain("part-000004.parquet");
    const [after] = await query(
      `select count(*)::int c, count(distinct id)::int d from read_parquet('${glob}')`,
    );
    expect(after).toEqual({ c: 27, d: 27 });
  });
});

describe("export CLI: crashes and resume", () => {
  it("drops a page appended after the last saved state (crash before the state save) and resumes", async () => {
    stub.add(30);
    const out = join(dir, "events.ndjson");
    const crash = await run([...common(), "--out", out], {
      hooks: {
        beforeSaveState: (page) => {
          if (page === 2) throw new Error("simulated crash");
        },
      },
    });
    expect(crash.code).toBe(1);
    expect(crash.stderr).toMatch(/simulated crash/);
    const state = readState(`${out}.state.json`);
    expect(state.events).toBe(10);
    expect(statSync(out).size).toBeGreaterThan(state.bytes);
    expect(readFileSync(out, "utf8")).toBe(ndjsonOf(stub.events.slice(0, 20)));

    const resume = await run([...common(), "--out", out]);
    expect(resume.code).toBe(0);
    expect(resume.stderr).toMatch(/resuming from .*10 events already exported/);
    expect(resume.stderr).toMatch(/dropped \d+ bytes/);
    expect(resume.stdout).toMatch(/^20 events added/);
    expect(readFileSync(out, "utf8")).toBe(ndjsonOf(stub.events));
    expect(readState(`${out}.state.json`).events).toBe(30);
  });

  it("resumes after a crash during the very first page", async () => {
    stub.add(15);
    const out = join(dir, "events.ndjson");
    const crash = await run([...common(), "--out", out], {
      hooks: {
        beforeSaveState: () => {
          throw new Error("simulated crash");
        },
      },
    });
    expect(crash.code).toBe(1);
    expect(readFileSync(out, "utf8")).toBe(ndjsonOf(stub.events.slice(0, 10)));
    expect(readState(`${out}.state.json`)).toMatchObject({ cursor: null, bytes: 0, events: 0 });

    const resume = await run([...common(), "--out", out]);
    expect(resume.code).toBe(0);
    expect(resume.stderr).toMatch(/dropped \d+ bytes/);
    expect(readFileSync(out, "utf8")).toBe(ndjsonOf(stub.events));
    expect(stub.requests.filter((r) => r.url.searchParams.has("start_time"))).toHaveLength(2);
  });

  it("continues from the cursor after a run that stopped between pages (--max-pages)", async () => {
    stub.add(25);
    const out = join(dir, "events.csv");
    const partial = await run([...common(), "--out", out, "--max-pages", "1"]);
    expect(partial.code).toBe(0);
    expect(readState(`${out}.state.json`).events).toBe(10);
    const count = stub.requests.length;

    const resume = await run([...common(), "--out", out]);
    expect(resume.code).toBe(0);
    expect(stub.requests[count]?.url.searchParams.get("cursor")).toBe(
      Buffer.from("pos:10").toString("base64url"),
    );
    expect(stub.requests[count]?.url.searchParams.has("start_time")).toBe(false);
    expect(readFileSync(out, "utf8")).toBe(await csvOf(stub.events));
  });

  it("replaces a part written after the last saved state (crash between rename and state save)", async () => {
    stub.add(30);
    const out = join(dir, "lake");
    const crash = await run([...common(), "--format", "parquet", "--out", out], {
      hooks: {
        beforeSaveState: (page) => {
          if (page === 2) throw new Error("simulated crash");
        },
      },
    });
    expect(crash.code).toBe(1);
    expect(readState(`${out}.state.json`).parts).toBe(1);
    expect(readdirSync(out).sort()).toEqual(["part-000001.parquet", "part-000002.parquet"]);
    // A stale leftover of an older crash, too.
    writeFileSync(join(out, "part-000009.parquet"), "not parquet");
    writeFileSync(join(out, ".part-000003.parquet.tmp"), "half written");

    const resume = await run([...common(), "--format", "parquet", "--out", out]);
    expect(resume.code).toBe(0);
    expect(resume.stderr).toMatch(/removed part-000002\.parquet, part-000009\.parquet/);
    expect(readdirSync(out).sort()).toEqual([
      "part-000001.parquet",
      "part-000002.parquet",
      "part-000003.parquet",
    ]);
    const [count] = await query(
      `select count(*)::int c, count(distinct id)::int d from read_parquet('${out}/*.parquet')`,
    );
    expect(count).toEqual({ c: 30, d: 30 });
  });

  it("refuses an output without a state file, but starts into an empty one", async () => {
    stub.add(3);
    const out = join(dir, "events.ndjson");
    writeFileSync(out, '{"sequence":"x"}\n');
    const refused = await run([...common(), "--out", out]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/already exists and there is no state file.*refuses to append/);
    expect(readFileSync(out, "utf8")).toBe('{"sequence":"x"}\n');
    expect(stub.requests).toHaveLength(0);

    writeFileSync(out, "");
    expect((await run([...common(), "--out", out])).code).toBe(0);
    expect(readFileSync(out, "utf8")).toBe(ndjsonOf(stub.events));
  });

  it("refuses an output shorter than its state says", async () => {
    stub.add(5);
    const out = join(dir, "events.ndjson");
    expect((await run([...common(), "--out", out])).code).toBe(0);
    writeFileSync(out, "");
    const r = await run([...common(), "--out", out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/changed outside the exporter/);
  });

  it("exits 2 when the state belongs to another URL or format", async () => {
    stub.add(5);
    const out = join(dir, "events.ndjson");
    expect((await run([...common(), "--out", out])).code).toBe(0);

    const format = await run([...common(), "--format", "csv", "--out", out]);
    expect(format.code).toBe(2);
    expect(format.stderr).toMatch(/belongs to an export of .* as ndjson, but this run asks for .* as csv/);

    const url = await run(["--url", "http://127.0.0.1:1/other", "--out", out]);
    expect(url.code).toBe(2);
    expect(url.stderr).toMatch(/choose another --out \(or --state\)/);
    expect(readFileSync(out, "utf8")).toBe(ndjsonOf(stub.events));
  });
});

describe("export CLI: failures", () => {
  it("retries 429 (honouring Retry-After), 503, truncated and cut bodies, resets and disorder, writing each event once", async () => {
    stub.add(40);
    stub.faults = [
      { kind: "429", retryAfter: "1" },
      null,
      { kind: "503" },
      { kind: "truncate" },
      { kind: "reset-mid" },
      null,
      { kind: "reset-before" },
      { kind: "cut" },
      { kind: "reorder" },
      null,
    ];
    const out = join(dir, "events.ndjson");
    const r = await run([...common(), "--out", out]);
    expect(r.stderr).not.toMatch(/gave up/);
    expect(r.code).toBe(0);
    expect(readFileSync(out, "utf8")).toBe(ndjsonOf(stub.events));
    expect(r.stderr).toMatch(/page 1: HTTP 429: Slow down\.; retrying in 1\.0 s \(attempt 2 of 9\)/);
    expect(r.stderr).toMatch(/page 2: HTTP 503: Try again later\.; retrying/);
    expect(r.stderr).toMatch(/page 2: truncated body: last event .*, X-Last-Sequence is/);
    expect(r.stderr).toMatch(/page 2: network error/);
    expect(r.stderr).toMatch(/page 3: network error/);
    expect(r.stderr).toMatch(/page 3: truncated body: the last line has no newline/);
    expect(r.stderr).toMatch(/page 3: events out of order/);
    expect(r.ms).toBeGreaterThanOrEqual(950);
    expect(readState(`${out}.state.json`).events).toBe(40);
  });

  it("gives up after --max-retries with exit 1, leaving the committed pages consistent", async () => {
    stub.add(25);
    stub.faults = [null, { kind: "503" }, { kind: "503" }, { kind: "503" }];
    const out = join(dir, "events.ndjson");
    const r = await run([...common(), "--out", out, "--max-retries", "2"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/gave up on page 2 after 3 attempts: HTTP 503/);
    expect(r.stderr).toMatch(/10 events added by this run before the failure/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(readFileSync(out, "utf8")).toBe(ndjsonOf(stub.events.slice(0, 10)));

    const again = await run([...common(), "--out", out]);
    expect(again.code).toBe(0);
    expect(readFileSync(out, "utf8")).toBe(ndjsonOf(stub.events));
  });

  it("stops with exit 2 and the problem's detail on 401 and on a bad --since", async () => {
    stub.add(3);
    const out = join(dir, "events.ndjson");
    const unauthorized = await run([...common(), "--out", out], { env: { [KEY_ENV]: "clk_wrong" } });
    expect(unauthorized.code).toBe(2);
    expect(unauthorized.stderr).toMatch(
      /HTTP 401 Unauthorized: The API key is missing, unknown or revoked\./,
    );
    expect(stub.requests).toHaveLength(1);
    expect(unauthorized.stderr).not.toMatch(/run the same command again/);
    // Only the placeholder state of an export that has not committed a page.
    expect(readState(`${out}.state.json`)).toMatchObject({ cursor: null, events: 0, bytes: 0 });

    const badSince = await run(["--url", stub.base, "--since", "yesterday", "--out", out]);
    expect(badSince.code).toBe(2);
    expect(badSince.stderr).toMatch(/HTTP 400 Invalid request: start_time yesterday is not an ISO-8601 time/);
    expect(readFileSync(out, "utf8")).toBe("");

    // Corrected arguments (another --since, even another format) simply start the export.
    const fixed = await run([...common(), "--format", "csv", "--out", out]);
    expect(fixed.code).toBe(0);
    expect(readFileSync(out, "utf8")).toBe(await csvOf(stub.events));
    expect(readState(`${out}.state.json`)).toMatchObject({ format: "csv", since: SINCE, events: 3 });
  });

  it("exits 2 on usage errors", async () => {
    const out = join(dir, "events.ndjson");
    const cases: [string[], Partial<CliIo>, RegExp][] = [
      [["--out", out, "--since", SINCE], {}, /--url is required/],
      [
        ["--url", "http://x", "--out", out, "--since", SINCE],
        { env: {} },
        /API key is required: set CONVERSATION_LOG_API_KEY/,
      ],
      [["--url", "http://x", "--out", out], {}, /--since is required for a new export/],
      [["--url", "http://x", "--out", join(dir, "x"), "--since", SINCE], {}, /--format is required/],
      [
        ["--url", "http://x", "--out", out, "--since", SINCE, "--page-size", "20000"],
        {},
        /--page-size must be an integer from 1 to 10000/,
      ],
      [
        ["--url", "http://x", "--out", out, "--format", "xml"],
        {},
        /--format must be one of ndjson, csv, parquet/,
      ],
      [["--url", "http://x", "--out", out, "--bogus"], {}, /Unknown option '--bogus'/],
    ];
    for (const [args, io, message] of cases) {
      const r = await run(args, io);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    expect((await run(["--help"])).stdout).toMatch(/^usage: npm run export/);
  });

  it("shows one updating progress line on a terminal", async () => {
    stub.add(25);
    const r = await run([...common(), "--out", join(dir, "events.ndjson")], { tty: true });
    expect(r.code).toBe(0);
    const clearLine = "\r\u001b[K";
    const redraws = r.stderr.split(clearLine).slice(1);
    expect(redraws).toHaveLength(3);
    expect(redraws[0]).toMatch(/^exporting: 10 events \(10 in the output\), \d+ ev\/s, 1 pages$/);
    expect(redraws[2]).toMatch(/^exporting: 25 events \(25 in the output\), \d+ ev\/s, 3 pages\n$/);
    expect(r.stderr).not.toMatch(/^page \d/m);
  });
});
