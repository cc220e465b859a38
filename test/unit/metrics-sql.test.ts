/**
 * The BI SQL of docs/sql/ computes the same metrics as the service's fold. Events are folded
 * with `foldEvents`, written as the export writes them (NDJSON lines, and CSV rows through the
 * export's own CSV dialect), loaded into an in-memory DuckDB through the documented views, and
 * the metrics query's rows are compared with the fold, conversation by conversation.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import {
  type DuckDBConnection,
  DuckDBInstance,
  DuckDBTimestampValue,
  type DuckDBValue,
} from "@duckdb/node-api";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StoredEvent } from "#shared/events/schema.ts";
import { exportRow } from "#shared/export/columns.ts";
import { csvStringifier } from "#shared/export/csv.ts";
import { positionOf } from "#shared/store/events.ts";
import { foldEvents } from "#shared/usecases/conversation-state.ts";
import { metricsColumns } from "../support/metrics.ts";

const sqlFile = (name: string) => readFile(new URL(`../../docs/sql/${name}`, import.meta.url), "utf8");

let connection: DuckDBConnection;
let workDir: string;
let sql: { ndjsonView: string; csvView: string; metrics: string };

beforeAll(async () => {
  const db = await DuckDBInstance.create(":memory:");
  connection = await db.connect();
  workDir = await mkdtemp(join(tmpdir(), "metrics-sql-"));
  sql = {
    ndjsonView: await sqlFile("duckdb-events-ndjson.sql"),
    csvView: await sqlFile("duckdb-events-csv.sql"),
    metrics: await sqlFile("duckdb-metrics.sql"),
  };
});

afterAll(async () => {
  connection?.closeSync();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

const BASE = Date.UTC(2025, 4, 23, 10, 0, 0);

/** A stored event as the log returns it; `ms` is milliseconds after 2025-05-23T10:00:00Z. */
function stored(
  conversationId: string,
  id: string,
  type: string,
  ms: number,
  author: { type: string; id?: string },
): StoredEvent {
  const occurred_at = new Date(BASE + ms).toISOString();
  const isMessage = type === "MessageReceived" || type === "MessageSent";
  return {
    id,
    type,
    conversation_id: conversationId,
    occurred_at,
    received_at: new Date(BASE + 86_400_000 + ms).toISOString(),
    sequence: `01JW${id}`,
    channel: { type: "whatsapp", integration_id: "wa-1" },
    author,
    source: { system: "api" },
    ...(isMessage
      ? { message: { content: { type: "text", text: `"${type}", from ${author.type}\nline 2` } } }
      : type === "ConversationTagged"
        ? { data: { tags: ["vip", "a,b"] } }
        : type === "MessageDelivered"
          ? { data: { message_id: "m-1" } }
          : { data: {} }),
  } as unknown as StoredEvent;
}

const sorted = (events: readonly StoredEvent[]) =>
  [...events].sort((a, b) => (positionOf(a.occurred_at, a.id) < positionOf(b.occurred_at, b.id) ? -1 : 1));

/** The row the metrics query should return for one conversation, from the project's fold. */
function expectedRow(events: readonly StoredEvent[]) {
  const state = foldEvents(undefined, sorted(events));
  // The bot-inclusive variant is the fold's first response with bots counted as agents.
  const asAgents = events.map((e) =>
    e.author.type === "bot" ? ({ ...e, author: { ...e.author, type: "agent" } } as StoredEvent) : e,
  );
  const inclBots = foldEvents(undefined, sorted(asAgents));
  return {
    conversation_id: state.conversation_id,
    ...metricsColumns(state),
    first_response_incl_bots_ms: inclBots.metrics.first_response_ms,
  };
}

const plain = (value: DuckDBValue): unknown =>
  value instanceof DuckDBTimestampValue
    ? new Date(Number(value.micros / 1000n)).toISOString()
    : typeof value === "bigint"
      ? Number(value)
      : value;

async function csvText(events: readonly StoredEvent[]): Promise<string> {
  let text = "";
  for await (const chunk of Readable.from(events.map(exportRow)).pipe(csvStringifier())) text += chunk;
  return text;
}

/** Writes the events in both export formats, loads each through its view and runs the metrics SQL. */
async function metricsFromSql(events: readonly StoredEvent[]) {
  // A fresh directory per run: DuckDB may cache a file it has read under the same name.
  const dir = await mkdtemp(join(workDir, "run-"));
  await writeFile(join(dir, "events.ndjson"), events.map((e) => `${JSON.stringify(e)}\n`).join(""));
  await writeFile(join(dir, "events.csv"), await csvText(events));
  // The views name their files relatively ('events.ndjson'), as a reader would: point DuckDB here.
  await connection.run(`SET file_search_path = '${dir.replaceAll("'", "''")}'`);
  const rows = async (view: string) => {
    await connection.run(view);
    await connection.run(sql.metrics);
    const result = await connection.runAndReadAll(
      "SELECT * FROM conversation_metrics ORDER BY conversation_id",
    );
    return result
      .getRowObjects()
      .map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, plain(v)])));
  };
  return { ndjson: await rows(sql.ndjsonView), csv: await rows(sql.csvView) };
}

function expectedRows(events: readonly StoredEvent[]) {
  const ids = [...new Set(events.map((e) => e.conversation_id))].sort();
  return ids.map((c) => expectedRow(events.filter((e) => e.conversation_id === c)));
}

describe("docs/sql/duckdb-metrics.sql", () => {
  it("computes the worked example of docs/bi.md", async () => {
    const customer = { type: "customer", id: "u1" };
    const agent = { type: "agent", id: "a1" };
    const events = [
      stored("c1", "e1", "ConversationOpened", -2_000, { type: "system" }), // 09:59:58.000
      stored("c1", "e2", "MessageReceived", 0, customer), // 10:00:00.000
      stored("c1", "e3", "MessageSent", 800, { type: "bot", id: "b1" }), // 10:00:00.800
      stored("c1", "e4", "MessageSent", 210_500, agent), // 10:03:30.500
      stored("c1", "e5", "MessageReceived", 300_000, customer), // 10:05:00.000
      stored("c1", "e6", "MessageSent", 360_000, agent), // 10:06:00.000
      stored("c1", "e7", "ConversationClosed", 1_200_000, agent), // 10:20:00.000
    ];
    const hand = {
      conversation_id: "c1",
      first_event_at: "2025-05-23T09:59:58.000Z",
      first_customer_message_at: "2025-05-23T10:00:00.000Z",
      first_response_at: "2025-05-23T10:03:30.500Z",
      first_response_ms: 210_500,
      first_response_incl_bots_ms: 800,
      closed_at: "2025-05-23T10:20:00.000Z",
      resolution_ms: 1_202_000, // 09:59:58 → 10:20:00
      customer_messages: 2,
      agent_messages: 2,
      bot_messages: 1,
      system_messages: 0,
    };
    // Arrival order does not matter: the export is in ingest order, not the log's.
    const { ndjson, csv } = await metricsFromSql([...events].reverse());
    expect(ndjson).toEqual([hand]);
    expect(csv).toEqual([hand]);
    expect(expectedRow(events)).toEqual(hand);
  });

  // Every author type in both message types, status changes, and events that are not messages.
  const KINDS = [
    ["MessageReceived", "customer"],
    ["MessageSent", "customer"],
    ["MessageSent", "agent"],
    ["MessageReceived", "agent"],
    ["MessageSent", "bot"],
    ["MessageSent", "system"],
    ["ConversationOpened", "system"],
    ["ConversationClosed", "agent"],
    ["ConversationReopened", "system"],
    ["ConversationTagged", "system"],
    ["MessageDelivered", "system"],
  ] as const;

  const eventSpec = fc.record({
    kind: fc.nat(KINDS.length - 1),
    // A quarter-second grid over 10 s: many events share a millisecond, so ties are common.
    ms: fc.nat(40).map((k) => k * 250),
    // Ids not in time order, so the (occurred_at, id) tie-break is exercised.
    idKey: fc.nat(999),
  });

  it("equals the fold for every conversation, from NDJSON and from CSV, whatever the order and duplicates", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(eventSpec, { minLength: 1, maxLength: 20 }), { minLength: 1, maxLength: 6 }),
        fc.nat(),
        fc.array(fc.nat(), { maxLength: 5 }),
        async (conversations, seed, repeats) => {
          const events = conversations.flatMap((specs, c) =>
            specs.map(({ kind, ms, idKey }, i) => {
              const [type, authorType] = KINDS[kind] as (typeof KINDS)[number];
              const author = authorType === "system" ? { type: authorType } : { type: authorType, id: "x1" };
              return stored(`conv-${c}`, `e${String(idKey).padStart(3, "0")}-${c}-${i}`, type, ms, author);
            }),
          );
          // Some events exported twice (overlapping runs): still one event each.
          const exported = [...events, ...repeats.map((r) => events[r % events.length] as StoredEvent)];
          // The export interleaves conversations in ingest order: shuffle deterministically.
          const shuffled = exported
            .map((e, i) => ({ e, k: (i * 7919 + seed) % 10_007 }))
            .sort((a, b) => a.k - b.k)
            .map(({ e }) => e);
          const expected = expectedRows(events);
          const { ndjson, csv } = await metricsFromSql(shuffled);
          expect(ndjson).toEqual(expected);
          expect(csv).toEqual(expected);
        },
      ),
      { numRuns: 60 },
    );
  });
});
