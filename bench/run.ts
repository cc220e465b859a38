/**
 * `npm run bench`: the project and the raw SDK side by side, in one run, on one DynamoDB
 * Local, and `BENCHMARKS.md` from the numbers.
 *
 *   BENCH_CONCURRENCY=16   requests in flight per side
 *   BENCH_SINGLE=3000      timed single-event requests per side
 *   BENCH_BATCHES=120      timed batches of 100 per side
 *   BENCH_TIMELINE=10000   events in the timeline conversation
 *   BENCH_BACKLOG=5000     stream records drained by the publisher
 *   BENCH_TRIGGER_SAMPLES=50  ingest → trigger action samples
 *   BENCH_EXPORT_EVENTS=100000  events in the export benchmark's log (see bench/export.ts)
 *
 * `npm run bench -- --only export` (or BENCH_ONLY=export) runs only the export section and
 * updates only that section of BENCHMARKS.md; `--only matcher` does the same for the event
 * pattern matcher's adversarial benchmark (bench/matcher.ts, a few minutes of CPU, no database),
 * which fails the run when any case misses its target.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { type DynamoDBDocumentClient, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { build } from "esbuild";
import { BUNDLING } from "#infra/bundling.ts";
import { startLocalStack } from "#infra/local/stack.ts";
import { createDocumentClient } from "#shared/store/dynamo/client.ts";
import { TABLE } from "#shared/store/dynamo/table.ts";
import { conversationPk, EVENT_SK_PREFIX } from "#shared/store/dynamo/table-keys.ts";
import { bundleReport } from "./bundles.ts";
import { type ExportBenchResults, exportSummary, renderExport, spliceExportSection } from "./export.ts";
import type { FanoutResults } from "./fanout.ts";
import { describeMachine } from "./machine.ts";
import {
  type MatcherBenchResults,
  matcherSummary,
  overTarget,
  renderMatcher,
  spliceMatcherSection,
} from "./matcher.ts";
import {
  type BenchConfig,
  type BenchResults,
  type IngestRun,
  type Mode,
  renderReport,
  type ScalingRow,
  type Side,
  summary,
  type TimelineRun,
} from "./report.ts";
import {
  type CpuSample,
  cpuNow,
  cpuSince,
  findDynamoLocalPid,
  log,
  percentile,
  progress,
  runPool,
} from "./stats.ts";
import {
  benchEvent,
  eventRange,
  GatewayClient,
  itemBytes,
  type Json,
  RawWriter,
  rawEventItem,
  rawGuardItem,
} from "./workload.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const TENANT = "bench";

function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`${name} must be a positive integer, got ${raw}`);
  return value;
}

const CONFIG: BenchConfig = {
  concurrency: intFromEnv("BENCH_CONCURRENCY", 16),
  single: intFromEnv("BENCH_SINGLE", 3000),
  batches: intFromEnv("BENCH_BATCHES", 120),
  batchSize: 100,
  rounds: 4,
  warmupCycles: 3,
  warmupSingle: 250,
  warmupBatches: 5,
  conversations: 50,
  timelineEvents: intFromEnv("BENCH_TIMELINE", 10_000),
  samples: { 100: 200, 1000: 50 },
  warmupSamples: 5,
};

type Request = () => Promise<void>;

interface Sides {
  gateway: GatewayClient;
  raw: RawWriter;
  javaPid: number | undefined;
}

const SIDE_TAG: Record<Side, string> = { gateway: "g", raw: "r", rawTx: "x" };

/**
 * `count` requests of one side and mode, payloads prepared up front so that only the request
 * path is timed. `prefix` keeps every event id of the run unique.
 */
function requests(side: Side, mode: Mode, prefix: string, count: number, sides: Sides): Request[] {
  const per = mode === "single" ? 1 : CONFIG.batchSize;
  const tag = `${prefix}${SIDE_TAG[side]}${mode === "single" ? "s" : "b"}`;
  return Array.from({ length: count }, (_, r) => {
    const events = eventRange(tag, r * per, per, CONFIG.conversations);
    if (side === "gateway") {
      if (mode === "single") {
        const body = JSON.stringify(events[0]);
        return () => sides.gateway.postOne(body);
      }
      const body = JSON.stringify({ events });
      return () => sides.gateway.postBatch(body, per);
    }
    if (side === "raw") {
      const items = events.map((e: Json) => rawEventItem(`RAW#${TENANT}`, e));
      if (mode === "single") {
        const item = items[0] as Record<string, unknown>;
        return () => sides.raw.putOne(item);
      }
      return () => sides.raw.putBatch(items);
    }
    const pairs = events.map((e: Json) => {
      const event = rawEventItem(`RAWTX#${TENANT}`, e);
      return { guard: rawGuardItem(`RAWTX#${TENANT}`, event), event };
    });
    return () => sides.raw.transact(pairs);
  });
}

function run(tasks: Request[], onDone?: (done: number) => void) {
  return runPool(tasks.length, CONFIG.concurrency, (i) => (tasks[i] as Request)(), onDone);
}

/**
 * Untimed: every side and mode, several times over. DynamoDB Local's JVM (and Node's JIT)
 * get markedly faster over the first thousands of requests; without this, whichever side
 * ran first would pay for it.
 */
async function warmUp(sides: Sides, order: Side[]): Promise<void> {
  for (let cycle = 0; cycle < CONFIG.warmupCycles; cycle++) {
    log(`warm-up cycle ${cycle + 1}/${CONFIG.warmupCycles}`);
    for (const mode of ["single", "batch"] as const) {
      for (const side of order) {
        const count = mode === "single" ? CONFIG.warmupSingle : CONFIG.warmupBatches;
        await run(requests(side, mode, `w${cycle}`, count, sides));
      }
    }
  }
}

function emptyRun(side: Side, mode: Mode): IngestRun {
  return {
    side,
    mode,
    events: 0,
    requests: 0,
    ms: 0,
    latencies: [],
    cpu: { nodeMs: 0, javaMs: 0 },
    roundRates: [],
  };
}

function addCpu(a: CpuSample, b: CpuSample): CpuSample {
  return {
    nodeMs: a.nodeMs + b.nodeMs,
    javaMs: a.javaMs !== undefined && b.javaMs !== undefined ? a.javaMs + b.javaMs : undefined,
  };
}

/**
 * Measures every side in rounds, in ABC order then CBA and so on, so that a table that grows,
 * a JVM that keeps warming up, or a neighbour's load does not favour one side.
 */
async function measureIngest(mode: Mode, sides: Sides, order: Side[]): Promise<Record<Side, IngestRun>> {
  const per = mode === "single" ? 1 : CONFIG.batchSize;
  const total = mode === "single" ? CONFIG.single : CONFIG.batches;
  const timed = Object.fromEntries(
    order.map((side) => [side, requests(side, mode, "", total, sides)]),
  ) as Record<Side, Request[]>;
  const runs = Object.fromEntries(order.map((s) => [s, emptyRun(s, mode)])) as Record<Side, IngestRun>;
  const rounds = CONFIG.rounds;
  for (let round = 0; round < rounds; round++) {
    for (const side of round % 2 === 0 ? order : [...order].reverse()) {
      const from = Math.floor((total * round) / rounds);
      const to = Math.floor((total * (round + 1)) / rounds);
      const tasks = timed[side].slice(from, to);
      if (tasks.length === 0) continue;
      const label = `${mode} ingest, ${side}, round ${round + 1}/${rounds}`;
      const cpu0 = cpuNow(sides.javaPid);
      const result = await run(tasks);
      const cpu = cpuSince(cpu0, sides.javaPid);
      const r = runs[side];
      r.events += tasks.length * per;
      r.requests += tasks.length;
      r.ms += result.ms;
      r.latencies.push(...result.latencies);
      r.cpu = addCpu(r.cpu, cpu);
      r.roundRates.push((tasks.length * per) / (result.ms / 1000));
      log(
        `${label}: ${tasks.length} requests of ${per} in ${(result.ms / 1000).toFixed(1)} s, ${((tasks.length * per) / (result.ms / 1000)).toFixed(0)} events/s`,
      );
    }
  }
  return runs;
}

/**
 * How each kind of write scales with the number of calls in flight on this DynamoDB Local,
 * straight from the SDK: what the database itself allows, under both sides' numbers.
 */
async function probeScaling(sides: Sides): Promise<ScalingRow[]> {
  const kinds: { call: ScalingRow["call"]; per: number; low: [number, number]; high: [number, number] }[] = [
    { call: "PutItem", per: 1, low: [1, 400], high: [CONFIG.concurrency, 800] },
    { call: "TransactWriteItems", per: 1, low: [1, 200], high: [CONFIG.concurrency, 400] },
    // Each batch request in flight is two transactions of 50 in flight.
    { call: "TransactWriteItems", per: 50, low: [1, 12], high: [2 * CONFIG.concurrency, 64] },
  ];
  const rows: ScalingRow[] = [];
  for (const [k, kind] of kinds.entries()) {
    const measure = async ([inFlight, calls]: [number, number], tag: string) => {
      const tasks: Request[] = Array.from({ length: calls }, (_, c) => {
        const events = eventRange(`p${k}${tag}`, c * kind.per, kind.per, CONFIG.conversations);
        const items = events.map((e: Json) => rawEventItem(`RAWP#${TENANT}`, e));
        if (kind.call === "PutItem") return () => sides.raw.putOne(items[0] as Record<string, unknown>);
        const pairs = items.map((event) => ({ guard: rawGuardItem(`RAWP#${TENANT}`, event), event }));
        return () => sides.raw.transact(pairs);
      });
      const cpu0 = cpuNow(sides.javaPid);
      const result = await runPool(calls, inFlight, (i) => (tasks[i] as Request)());
      const cpu = cpuSince(cpu0, sides.javaPid);
      const events = calls * kind.per;
      return {
        inFlight,
        eventsPerSecond: events / (result.ms / 1000),
        javaMsPerEvent: cpu.javaMs === undefined ? undefined : cpu.javaMs / events,
      };
    };
    const low = await measure(kind.low, "l");
    const high = await measure(kind.high, "h");
    rows.push({ call: kind.call, eventsPerCall: kind.per, low, high });
    log(
      `scaling probe, ${kind.call} of ${kind.per}: ${low.eventsPerSecond.toFixed(0)} events/s with ${low.inFlight} in flight, ${high.eventsPerSecond.toFixed(0)} with ${high.inFlight}`,
    );
  }
  return rows;
}

/** Walks the timeline through the gateway, page after page, starting over at the end. */
class GatewayWalker {
  #next: string | undefined;
  constructor(
    private readonly gateway: GatewayClient,
    private readonly first: string,
  ) {}

  /** One page; `last` when it had no next link (the walk starts over). */
  async step(): Promise<{ ms: number; count: number; bytes: number; ids: string[]; last: boolean }> {
    const path = this.#next ?? this.first;
    const t0 = performance.now();
    const { body, bytes } = await this.gateway.get(path);
    const ms = performance.now() - t0;
    const page = body as {
      events?: { id: string }[];
      links?: { next?: string | null };
      meta?: { has_more?: boolean; after_cursor?: string | null };
    };
    const events = page.events ?? [];
    if (page.links?.next) this.#next = page.links.next;
    else if (page.meta?.has_more && page.meta.after_cursor)
      this.#next = `${this.first}&page%5Bafter%5D=${encodeURIComponent(page.meta.after_cursor)}`;
    else this.#next = undefined;
    return { ms, count: events.length, bytes, ids: events.map((e) => e.id), last: this.#next === undefined };
  }
}

/** The raw SDK equivalent: one strongly consistent `Query` of the same partition per page. */
class RawWalker {
  #start: Record<string, unknown> | undefined;
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly pk: string,
    private readonly size: number,
  ) {}

  async step(): Promise<{ ms: number; count: number }> {
    for (;;) {
      const t0 = performance.now();
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: `${TABLE.partitionKey} = :pk AND begins_with(${TABLE.sortKey}, :e)`,
          ExpressionAttributeValues: { ":pk": this.pk, ":e": EVENT_SK_PREFIX },
          ConsistentRead: true,
          Limit: this.size,
          ExclusiveStartKey: this.#start,
        }),
      );
      const ms = performance.now() - t0;
      const count = out.Items?.length ?? 0;
      this.#start = out.LastEvaluatedKey;
      // DynamoDB may end a walk with an empty page; that is not a page of the timeline.
      if (count > 0) return { ms, count };
    }
  }
}

async function measureTimeline(
  gateway: GatewayClient,
  db: DynamoDBDocumentClient,
  tableName: string,
  javaPid: number | undefined,
): Promise<TimelineRun> {
  const conversation = `timeline-${randomBytes(4).toString("hex")}`;
  const total = CONFIG.timelineEvents;
  const batches = Math.ceil(total / CONFIG.batchSize);
  const bodies = Array.from({ length: batches }, (_, b) => {
    const count = Math.min(CONFIG.batchSize, total - b * CONFIG.batchSize);
    const events = Array.from({ length: count }, (_, k) => {
      const n = b * CONFIG.batchSize + k;
      // Ten events share each timestamp: ties are ordered by id.
      const author = ["customer", "agent", "bot"][n % 3] as string;
      return {
        id: `tl-${String(n).padStart(5, "0")}`,
        type: author === "customer" ? "MessageReceived" : "MessageSent",
        conversation_id: conversation,
        occurred_at: new Date(
          Date.parse("2025-06-01T09:00:00.000Z") + Math.floor(n / 10) * 1000,
        ).toISOString(),
        channel: { type: "web" },
        author: { type: author, id: `${author}-1` },
        message: { content: { type: "text", text: `Message number ${n} of a long conversation.` } },
      };
    });
    return { body: JSON.stringify({ events }), count };
  });
  log(`timeline: ingesting ${total} events into ${conversation} (${batches} batches)`);
  const cpu0 = cpuNow(javaPid);
  const ingest = await runPool(
    batches,
    CONFIG.concurrency,
    (i) => {
      const { body, count } = bodies[i] as { body: string; count: number };
      return gateway.postBatch(body, count);
    },
    progress("timeline ingest", batches),
  );
  const ingestCpu = cpuSince(cpu0, javaPid);

  // A full walk first (untimed): every event exactly once, in order. Also warms the path.
  const verify = new GatewayWalker(gateway, `/v1/conversations/${conversation}/events?page%5Bsize%5D=1000`);
  const seen: string[] = [];
  for (;;) {
    const page = await verify.step();
    seen.push(...page.ids);
    if (page.last) break;
    if (seen.length > 2 * total) throw new Error("the timeline walk does not end");
  }
  const distinct = new Set(seen).size;
  const ordered = seen.every((id, i) => i === 0 || (seen[i - 1] as string) < id);
  log(`timeline: verification walk returned ${seen.length} events, ${distinct} distinct, ordered=${ordered}`);

  const pk = conversationPk(TENANT, conversation);
  const sizes: TimelineRun["sizes"] = [];
  for (const size of [100, 1000]) {
    const samples = CONFIG.samples[size] ?? 50;
    const gw = new GatewayWalker(gateway, `/v1/conversations/${conversation}/events?page%5Bsize%5D=${size}`);
    const raw = new RawWalker(db, tableName, pk, size);
    for (let i = 0; i < CONFIG.warmupSamples; i++) {
      await gw.step();
      await raw.step();
    }
    const gwMs: number[] = [];
    const rawMs: number[] = [];
    let bytes = 0;
    let gwEvents = 0;
    let rawEvents = 0;
    log(`timeline: page[size]=${size}, ${samples} samples per side`);
    // Alternate the sides page by page so both see the same machine state.
    for (let i = 0; i < samples; i++) {
      const g = await gw.step();
      gwMs.push(g.ms);
      bytes += g.bytes;
      gwEvents += g.count;
      const r = await raw.step();
      rawMs.push(r.ms);
      rawEvents += r.count;
    }
    sizes.push({
      size,
      samples,
      gateway: { p50: percentile(gwMs, 50), p99: percentile(gwMs, 99), mean: mean(gwMs) },
      raw: { p50: percentile(rawMs, 50), p99: percentile(rawMs, 99), mean: mean(rawMs) },
      meanPageBytes: bytes / samples,
      meanGatewayEvents: gwEvents / samples,
      meanRawEvents: rawEvents / samples,
    });
  }
  return {
    conversation,
    events: total,
    ingest: { events: total, requests: batches, ms: ingest.ms, cpu: ingestCpu },
    verification: { returned: seen.length, distinct, ordered },
    sizes,
  };
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
}

/**
 * The export section, in a process of its own: the export handler reads EXPORT_SETTLE_MS
 * once, at load, and a second local stack in one process would reuse the first one's clients.
 */
function measureExportSection(): ExportBenchResults {
  log("export: change feed throughput and the CLI's peak memory");
  const out = execFileSync(process.execPath, ["--import", "tsx", join(ROOT, "bench", "export.ts")], {
    cwd: ROOT,
    env: {
      ...process.env,
      // Set before the child loads anything: the logger and the handlers read them at import.
      POWERTOOLS_LOG_LEVEL: "SILENT",
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      BENCH_EXPORT_EVENTS: String(intFromEnv("BENCH_EXPORT_EVENTS", 100_000)),
      BENCH_EXPORT_CONCURRENCY: String(intFromEnv("BENCH_EXPORT_CONCURRENCY", 16)),
      BENCH_EXPORT_SETTLE_MS: String(intFromEnv("BENCH_EXPORT_SETTLE_MS", 1000)),
    },
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 64 * 1024 * 1024,
  });
  const json = out.toString().trim().split("\n").pop() ?? "{}";
  // The raw figures, for a look beyond the report (.bench/ is not committed).
  mkdirSync(join(ROOT, ".bench"), { recursive: true });
  writeFileSync(join(ROOT, ".bench", "export.json"), `${json}\n`);
  return JSON.parse(json) as ExportBenchResults;
}

/**
 * The matcher section, in a process of its own, from the matcher bundled as the functions are
 * (infra/bundling.ts: minified ESM), so that it measures the code that runs in Lambda.
 */
async function measureMatcherSection(): Promise<MatcherBenchResults> {
  log("matcher: adversarial patterns against 256 KB events");
  const outfile = join(ROOT, ".bench", "matcher.mjs");
  mkdirSync(dirname(outfile), { recursive: true });
  await build({
    entryPoints: [join(ROOT, "bench", "matcher.ts")],
    absWorkingDir: ROOT,
    bundle: true,
    platform: "node",
    format: BUNDLING.format,
    minify: BUNDLING.minify,
    target: BUNDLING.target,
    mainFields: [...BUNDLING.mainFields],
    external: [...BUNDLING.external],
    banner: { js: BUNDLING.banner },
    outfile,
    logLevel: "error",
  });
  const child = spawnSync(process.execPath, [outfile], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 16 * 1024 * 1024,
  });
  const json = child.stdout.toString().trim().split("\n").pop() ?? "";
  if (!json.startsWith("{")) throw new Error(`the matcher benchmark failed (exit code ${child.status})`);
  writeFileSync(join(ROOT, ".bench", "matcher.json"), `${json}\n`);
  return JSON.parse(json) as MatcherBenchResults;
}

const SECTIONS = ["export", "matcher"] as const;
type Section = (typeof SECTIONS)[number];

/** `--only <section>` on the command line, or BENCH_ONLY. */
function onlySection(): Section | undefined {
  const args = process.argv.slice(2);
  const at = args.indexOf("--only");
  const only = at >= 0 ? args[at + 1] : args.find((a) => a.startsWith("--only="))?.slice("--only=".length);
  const value = only ?? process.env.BENCH_ONLY;
  if (value === undefined || value === "") return undefined;
  if (!(SECTIONS as readonly string[]).includes(value)) {
    throw new Error(`--only supports: ${SECTIONS.join(", ")} (got ${value})`);
  }
  return value as Section;
}

function readBenchmarks(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "# Benchmarks\n";
  }
}

/** Runs the matcher section alone and updates only its part of BENCHMARKS.md. */
async function matcherOnly(): Promise<void> {
  const results = await measureMatcherSection();
  const file = join(ROOT, "BENCHMARKS.md");
  writeFileSync(file, spliceMatcherSection(readBenchmarks(file), renderMatcher(results)));
  log("updated the matcher section of BENCHMARKS.md");
  process.stdout.write(`${matcherSummary(results)}\n`);
  failOnMatcherTarget(results);
}

/** The matcher's target is a hard one: the run fails when a case misses it. */
function failOnMatcherTarget(results: MatcherBenchResults): void {
  const over = overTarget(results);
  if (over.length > 0) {
    throw new Error(
      `matcher: ${over.map((c) => c.id).join(", ")} took ${results.targetMs} ms or more (p99); see BENCHMARKS.md`,
    );
  }
}

/** Runs the export section alone and updates only its part of BENCHMARKS.md. */
function exportOnly(): void {
  const results = measureExportSection();
  const file = join(ROOT, "BENCHMARKS.md");
  writeFileSync(file, spliceExportSection(readBenchmarks(file), renderExport(results)));
  log("updated the export section of BENCHMARKS.md");
  process.stdout.write(`${exportSummary(results)}\n`);
}

async function main(): Promise<void> {
  const only = onlySection();
  if (only === "export") return exportOnly();
  if (only === "matcher") return matcherOnly();
  process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
  const started = performance.now();
  const loadStart = loadavg();
  const date = new Date();
  const key = randomBytes(24).toString("base64url");

  log("starting DynamoDB Local and the local gateway");
  const stack = await startLocalStack({
    port: 0,
    inMemory: true,
    // The benchmark measures the service, not the tenant rate plan: no bucket is ever empty.
    keys: [
      {
        tenant: TENANT,
        key,
        scopes: ["events:write", "events:read"],
        plan: { rate: 1_000_000, burst: 1_000_000 },
      },
    ],
  });
  // Ctrl-C or a kill: stop DynamoDB Local before leaving, so no java is left behind.
  const interrupt = (signal: NodeJS.Signals) => {
    log(`${signal}: stopping the stack`);
    stack.stop().finally(() => process.exit(130));
  };
  process.once("SIGINT", interrupt);
  process.once("SIGTERM", interrupt);
  const db = createDocumentClient();
  let results:
    | Pick<BenchResults, "single" | "batch" | "scaling" | "timeline" | "javaCpuMeasured">
    | undefined;
  try {
    const javaPid = findDynamoLocalPid(Number(new URL(stack.dynamodbEndpoint).port));
    log(`gateway ${stack.url}, DynamoDB Local ${stack.dynamodbEndpoint} (pid ${javaPid ?? "unknown"})`);
    const sides: Sides = {
      gateway: new GatewayClient(stack.url, key),
      raw: new RawWriter(db, stack.tableName),
      javaPid,
    };
    const order: Side[] = ["gateway", "raw", "rawTx"];
    await warmUp(sides, order);
    const single = await measureIngest("single", sides, order);
    const batch = await measureIngest("batch", sides, order);
    const scaling = await probeScaling(sides);
    const timeline = await measureTimeline(sides.gateway, db, stack.tableName, javaPid);
    results = { single, batch, scaling, timeline, javaCpuMeasured: javaPid !== undefined };
  } finally {
    process.removeListener("SIGINT", interrupt);
    process.removeListener("SIGTERM", interrupt);
    db.destroy();
    log("stopping the stack");
    await stack.stop();
  }

  log("fan-out: publisher throughput and ingest → trigger latency");
  // A process of its own: the handlers bind to one stack's DynamoDB Local at load.
  const fanout = JSON.parse(
    execFileSync(process.execPath, ["--import", "tsx", join(ROOT, "bench", "fanout.ts")], {
      cwd: ROOT,
      env: {
        ...process.env,
        BENCH_BACKLOG: String(intFromEnv("BENCH_BACKLOG", 5000)),
        BENCH_TRIGGER_SAMPLES: String(intFromEnv("BENCH_TRIGGER_SAMPLES", 50)),
      },
      stdio: ["ignore", "pipe", "inherit"],
      maxBuffer: 16 * 1024 * 1024,
    })
      .toString()
      .trim()
      .split("\n")
      .pop() ?? "{}",
  ) as FanoutResults;

  const exportResults = measureExportSection();
  const matcherResults = await measureMatcherSection();

  log("bundling functions/*.ts with esbuild");
  const bundles = await bundleReport(ROOT);
  if (!results) throw new Error("no results");
  const sample = rawEventItem(`T#${TENANT}`, benchEvent("evt-000001", "conv-1", 0, 0));
  const full: BenchResults = {
    ...results,
    itemBytes: { event: itemBytes(sample), guard: itemBytes(rawGuardItem(`T#${TENANT}`, sample)) },
    bundles,
    fanout,
    machine: describeMachine(ROOT),
    date: date.toISOString(),
    config: CONFIG,
    runtimeMs: performance.now() - started,
    load: { start: loadStart, end: loadavg() },
  };
  writeFileSync(
    join(ROOT, "BENCHMARKS.md"),
    spliceMatcherSection(
      spliceExportSection(renderReport(full), renderExport(exportResults)),
      renderMatcher(matcherResults),
    ),
  );
  log(`wrote BENCHMARKS.md in ${(full.runtimeMs / 1000).toFixed(0)} s`);
  process.stdout.write(
    `${summary(full)}\n${exportSummary(exportResults)}\n${matcherSummary(matcherResults)}\n`,
  );
  failOnMatcherTarget(matcherResults);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
