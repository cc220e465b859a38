/**
 * The event-pattern matcher against adversarial inputs (`npm run bench -- --only matcher`):
 * every case is a pattern that `validatePattern` accepts, at or near the matcher's documented
 * limits, against an event of about 256 KB (EventBridge's own event size limit), built to make
 * that pattern as slow as possible. Each case is timed over many evaluations of one compiled
 * pattern (compiling is not timed; it happens once per trigger version). The target is
 * {@link TARGET_MS} per evaluation, at the p99 of each case: when a case misses it, the run
 * fails (exit code 1), and so does `npm run bench`.
 *
 * bench/run.ts bundles this file as the functions are bundled (infra/bundling.ts) and runs it
 * in a process of its own; it prints the results as JSON on its last line. To look into some
 * cases only: BENCH_MATCHER_CASES=or-expansion,dotted-names.
 */
import { cpus, loadavg, platform, release } from "node:os";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import {
  compilePattern,
  MAX_LIST_VALUES,
  MAX_MATCH_WORK,
  MAX_PATTERN_COMBINATIONS,
  MAX_PATTERN_DEPTH,
  MAX_PATTERN_VALUES,
  MAX_STRING_LENGTH,
  MAX_WILDCARDS,
  validatePattern,
} from "#shared/bus/event-pattern.ts";
import { percentile, spliceSection } from "./stats.ts";

/** Every evaluation of a valid pattern against a 256 KB event must take less than this. */
export const TARGET_MS = 50;
/** Evaluations per case: enough for a p99 that is not just the maximum. */
const MIN_RUNS = 100;
const MAX_RUNS = 300;
/** The size every case's event is built to (JSON, UTF-8 bytes). */
export const EVENT_BYTES = 256 * 1024;

export interface MatcherCase {
  id: string;
  /** What the case throws at the matcher. */
  label: string;
  pattern: Record<string, unknown>;
  event: Record<string, unknown>;
}

export interface CaseResult {
  id: string;
  label: string;
  patternChars: number;
  eventBytes: number;
  runs: number;
  /** Wall time per evaluation, ms. */
  p50: number;
  p99: number;
  max: number;
  matched: boolean;
  /** The evaluation needed more than MAX_MATCH_WORK: the event does not match. */
  overBudget: boolean;
  /** Work units of one evaluation (see MAX_MATCH_WORK). */
  work: number;
}

export interface MatcherBenchResults {
  date: string;
  runtimeMs: number;
  machine: { cpu: string; cores: number; node: string; platform: string };
  load: { start: number[]; end: number[] };
  targetMs: number;
  budget: number;
  cases: CaseResult[];
  /** The two cases the tenant-safety issue measured, on the matcher before the rewrite. */
  before: { id: string; ms: number; commit: string }[];
}

/**
 * Measured once, on 2026-12-03 on the benchmark machine (AMD EPYC × 2, Node.js v20.20.2, load
 * average about 1), with this file's own two cases against the matcher of commit abfb64b
 * (before the linear rewrite), bundled by esbuild, one evaluation each: they are not measured
 * again on each run, as each takes seconds.
 */
export const BEFORE: MatcherBenchResults["before"] = [
  { id: "suffix-ignore-case", ms: 7703, commit: "abfb64b" },
  { id: "cidr-ipv6-32k", ms: 8564, commit: "abfb64b" },
];

const bytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value));

/** `event` with a `padding` string that brings its JSON to {@link EVENT_BYTES}. */
function padded(event: Record<string, unknown>): Record<string, unknown> {
  const missing = EVENT_BYTES - bytes({ ...event, padding: "" });
  return missing > 0 ? { ...event, padding: "z".repeat(missing) } : event;
}

/** As many copies of `make(i)` as fit in `budget` bytes of JSON (with commas). */
function fill<T>(budget: number, make: (i: number) => T): T[] {
  const out: T[] = [];
  let used = 2;
  for (let i = 0; ; i++) {
    const item = make(i);
    const size = bytes(item) + 1;
    if (used + size > budget) return out;
    out.push(item);
    used += size;
  }
}

/** Room for the main field of a case: the event's size less a little for the envelope. */
const ROOM = EVENT_BYTES - 200;

export function matcherCases(): MatcherCase[] {
  const long = (char: string, last: string) => char.repeat(MAX_STRING_LENGTH - 1) + last;
  const text = "A".repeat(ROOM);
  const cidrs = Array.from({ length: 20 }, (_, i) => ({ cidr: `2001:db8:${(i + 1).toString(16)}::/48` }));
  const half = MAX_PATTERN_COMBINATIONS / 2;
  const cases: MatcherCase[] = [
    {
      id: "suffix-ignore-case",
      label: `\`suffix\` + \`equals-ignore-case\`, a ${MAX_STRING_LENGTH}-character operand ("a…ab"), against one 256 KB string of "A" (the issue's case)`,
      pattern: { detail: { text: [{ suffix: { "equals-ignore-case": long("a", "b") } }] } },
      event: { detail: { text } },
    },
    {
      id: "suffix-ignore-case-reversed",
      label: `\`suffix\` + \`equals-ignore-case\` "ba…a" (read back to its first character before failing), against one 256 KB string of "A"`,
      pattern: {
        detail: { text: [{ suffix: { "equals-ignore-case": `b${"a".repeat(MAX_STRING_LENGTH - 1)}` } }] },
      },
      event: { detail: { text } },
    },
    {
      id: "prefix-ignore-case",
      label: `\`prefix\` + \`equals-ignore-case\`, a ${MAX_STRING_LENGTH}-character operand ("a…ab"), against one 256 KB string of "A"`,
      pattern: { detail: { text: [{ prefix: { "equals-ignore-case": long("a", "b") } }] } },
      event: { detail: { text } },
    },
    {
      id: "equals-ignore-case-list",
      label: `a list of ${MAX_LIST_VALUES} \`equals-ignore-case\` values of ${MAX_STRING_LENGTH} characters ("a…a" + a distinct last letter), against 256 KB of strings of "A" of that length`,
      pattern: {
        detail: {
          text: Array.from({ length: MAX_LIST_VALUES }, (_, i) => ({
            "equals-ignore-case": long("a", String.fromCharCode(0x100 + i)),
          })),
        },
      },
      event: { detail: { text: fill(ROOM, () => "A".repeat(MAX_STRING_LENGTH)) } },
    },
    {
      id: "equals-ignore-case-sharp-s",
      label: `\`equals-ignore-case\` "ß" × ${MAX_STRING_LENGTH} (whose upper case "SS" is longer), against 256 KB of "SS…S!" strings`,
      pattern: { detail: { text: [{ "equals-ignore-case": "ß".repeat(MAX_STRING_LENGTH) }] } },
      event: { detail: { text: fill(ROOM, () => `${"SS".repeat(MAX_STRING_LENGTH - 1)}S!`) } },
    },
    {
      id: "cidr-ipv6-32k",
      label: `20 IPv6 \`cidr\` values against a 32 KB text of ":" that an end customer controls (the issue's case)`,
      pattern: { detail: { ip: cidrs } },
      event: padded({ detail: { ip: `${":".repeat(32 * 1024)}x` } }),
    },
    {
      id: "cidr-ipv6-256k",
      label: `20 IPv6 \`cidr\` values against one 256 KB IPv6 literal of leading zeros ("000…0::1", valid to Java)`,
      pattern: { detail: { ip: cidrs } },
      event: { detail: { ip: `${"0".repeat(ROOM)}::1` } },
    },
    {
      id: "exact-ip-list",
      label: `${MAX_LIST_VALUES} exact IPv4 and IPv6 addresses against 256 KB of almost-addresses ("1:2:3:4:5:6:7:8:9")`,
      pattern: {
        detail: {
          ip: Array.from({ length: MAX_LIST_VALUES }, (_, i) =>
            i % 2 === 0 ? `10.0.${i >> 8}.${i & 255}` : `2001:db8::${i.toString(16)}`,
          ),
        },
      },
      event: { detail: { ip: fill(ROOM, (i) => `1:2:3:4:5:6:7:8:${i.toString(16)}`) } },
    },
    {
      id: "wildcard-stars",
      label: `one \`wildcard\` with ${MAX_WILDCARDS} "*" whose pieces each occur only near the end, against one 256 KB string`,
      pattern: {
        detail: {
          text: [
            { wildcard: `x*${Array.from({ length: MAX_WILDCARDS - 1 }, (_, i) => `a${i}b`).join("*")}*y` },
          ],
        },
      },
      event: {
        detail: {
          text: `x${"a".repeat(ROOM - 200)}${Array.from({ length: MAX_WILDCARDS - 1 }, (_, i) => `a${i}b`).join("")}z`,
        },
      },
    },
    {
      id: "wildcard-list",
      label: `a list of ${MAX_LIST_VALUES} \`wildcard\` values with ${MAX_WILDCARDS} "*" each ("*aab…*"), against one 256 KB string of "a": each value's first search reads the whole string (indexOf's worst case)`,
      pattern: {
        detail: {
          text: Array.from({ length: MAX_LIST_VALUES }, (_, i) => ({
            wildcard: `${"*aab".repeat(MAX_WILDCARDS - 1)}${i}*`,
          })),
        },
      },
      event: { detail: { text: "a".repeat(ROOM) } },
    },
    {
      id: "anything-but-prefix-list",
      label: `\`anything-but\` a list of ${MAX_LIST_VALUES} prefixes, against 256 KB of short strings that each start with the last one`,
      pattern: {
        detail: {
          tags: [{ "anything-but": { prefix: Array.from({ length: MAX_LIST_VALUES }, (_, i) => `p${i}-`) } }],
        },
      },
      event: { detail: { tags: fill(ROOM, (i) => `p${MAX_LIST_VALUES - 1}-${i}`) } },
    },
    {
      id: "or-expansion",
      label: `"$or" expanded to ${half} branches of two fields of one array element (${MAX_PATTERN_VALUES} values), against 256 KB of array elements where each branch finds both values, never in one element`,
      pattern: {
        detail: { items: { $or: Array.from({ length: half }, (_, i) => ({ k: [`k${i}`], v: [`v${i}`] })) } },
      },
      event: {
        detail: { items: fill(ROOM, (i) => ({ k: `k${i % half}`, v: `v${(i + 1) % half}` })) },
      },
    },
    {
      id: "or-operators",
      label: `"$or" expanded to ${MAX_PATTERN_COMBINATIONS} branches, each a distinct \`prefix\` on one field, against 256 KB of strings that none starts with`,
      pattern: {
        detail: {
          $or: Array.from({ length: MAX_PATTERN_COMBINATIONS }, (_, i) => ({ tags: [{ prefix: `t${i}:` }] })),
        },
      },
      event: { detail: { tags: fill(ROOM, (i) => `t${i}`) } },
    },
    {
      id: "deep-nesting",
      label: `two fields ${MAX_PATTERN_DEPTH} names deep, each level of the event an array, 256 KB of leaves at the bottom where each field passes but never both in one element`,
      pattern: deepPattern(MAX_PATTERN_DEPTH - 1, { leaf: [{ "equals-ignore-case": "x" }], other: ["y"] }),
      event: deepEvent(MAX_PATTERN_DEPTH - 1),
    },
    {
      id: "max-values",
      label: `${MAX_PATTERN_VALUES} match values (${MAX_PATTERN_VALUES / 4} per list: \`prefix\`, \`suffix\`, \`numeric\`, exact) on four fields of one array element, against 256 KB of elements that fail two of them`,
      pattern: {
        detail: {
          rows: {
            a: Array.from({ length: MAX_PATTERN_VALUES / 4 }, (_, i) => ({ prefix: `a${i}-` })),
            b: Array.from({ length: MAX_PATTERN_VALUES / 4 }, (_, i) => ({ suffix: `-b${i}` })),
            c: Array.from({ length: MAX_PATTERN_VALUES / 4 }, (_, i) => ({ numeric: ["=", i + 0.5] })),
            d: Array.from({ length: MAX_PATTERN_VALUES / 4 }, (_, i) => `d${i}`),
          },
        },
      },
      event: {
        detail: { rows: fill(ROOM, (i) => ({ a: `a${i % 250}-`, b: "x", c: i, d: `d${i % 250}` })) },
      },
    },
    {
      id: "interleaved-arrays",
      label: `array consistency across two arrays whose fields interleave in name order ("x", "x-a", "x-a.c", "x.b"), 256 KB of elements, each field present but "x" and "x.b" never in one element`,
      pattern: {
        x: [{ exists: true }],
        "x-a": [{ exists: true }],
        "x-a.c": ["c"],
        "x.b": [{ exists: true }],
      },
      event: interleavedEvent(),
    },
    {
      id: "dotted-names",
      label: `three fields reached both through "a" → "b.c" and through "a.b" → "c" (dotted keys), in two 128 KB arrays: every pair of elements is a candidate, none matches`,
      pattern: { a: { b: { c: [{ exists: true }], d: [{ exists: true }], e: ["yes"] } } },
      event: dottedEvent(),
    },
  ];
  for (const c of cases) {
    const issues = validatePattern(c.pattern);
    if (issues.length > 0) throw new Error(`case ${c.id}: the pattern is not valid: ${issues.join("; ")}`);
    const size = bytes(c.event);
    if (size > EVENT_BYTES || size < EVENT_BYTES * 0.9)
      throw new Error(`case ${c.id}: the event is ${size} bytes`);
  }
  return cases;
}

function deepPattern(depth: number, leaf: Record<string, unknown>): Record<string, unknown> {
  let pattern = leaf;
  for (let i = 0; i < depth; i++) pattern = { n: pattern };
  return pattern;
}

/** `n` nested `depth` deep, each level an array of two objects, leaves spread to 256 KB. */
function deepEvent(depth: number): Record<string, unknown> {
  // "leaf" passes only where "other" fails, and the other way round.
  const leaves = fill(ROOM - depth * 40, (i) =>
    i % 2 === 0 ? { leaf: "X", other: "n" } : { leaf: `v${i}`, other: "y" },
  );
  let level: unknown = leaves;
  for (let i = 0; i < depth; i++) level = [{ n: level }, { n: [{ leaf: "x", other: "n" }] }];
  return { n: level };
}

/** "x" mixes leaves and objects; "x-a" too: the pattern's names alternate between the two arrays. */
function interleavedEvent(): Record<string, unknown> {
  const half = Math.floor(ROOM / 2);
  return {
    x: fill(half, (i) => (i % 2 === 0 ? `x${i}` : { b: `b${i}` })),
    "x-a": fill(half, (i) => (i % 2 === 0 ? `a${i}` : { c: "c" })),
  };
}

/** `a.b.c`, `a.b.d` and `a.b.e` reached through "a" → "b.c" in one array and "a.b" → "c" in another. */
function dottedEvent(): Record<string, unknown> {
  const half = Math.floor(ROOM / 2);
  // An element holds one of c, d and e = "yes": picking c and d from different arrays leaves
  // both arrays' elements chosen, and neither holds e.
  const element = (i: number) => (i % 3 === 0 ? { c: i } : i % 3 === 1 ? { d: i } : { e: "yes" });
  return {
    a: fill(half, (i) => Object.fromEntries(Object.entries(element(i)).map(([k, v]) => [`b.${k}`, v]))),
    "a.b": fill(half, element),
  };
}

function measureCase(c: MatcherCase): CaseResult {
  const compiled = compilePattern(c.pattern);
  const first = compiled.measure(c.event);
  for (let i = 0; i < 3; i++) compiled.matches(c.event);
  const times: number[] = [];
  const started = performance.now();
  // At least MIN_RUNS evaluations, and up to 3 s or MAX_RUNS of them. No forced collection in
  // between: a full collection shrinks V8's young generation, which then makes the next
  // evaluation pay for many small collections that a running process would not.
  while (times.length < MIN_RUNS || (times.length < MAX_RUNS && performance.now() - started < 3000)) {
    const t0 = performance.now();
    compiled.matches(c.event);
    times.push(performance.now() - t0);
  }
  return {
    id: c.id,
    label: c.label,
    patternChars: JSON.stringify(c.pattern).length,
    eventBytes: bytes(c.event),
    runs: times.length,
    p50: percentile(times, 50),
    p99: percentile(times, 99),
    max: Math.max(...times),
    matched: first.matches,
    overBudget: first.overBudget,
    work: first.work,
  };
}

export function measureMatcher(): MatcherBenchResults {
  const started = performance.now();
  const loadStart = loadavg();
  const date = new Date().toISOString();
  const only = process.env.BENCH_MATCHER_CASES?.split(",").filter(Boolean);
  const cases = matcherCases()
    .filter((c) => !only?.length || only.includes(c.id))
    .map((c) => {
      const result = measureCase(c);
      process.stderr.write(
        `${c.id}: p50 ${ms(result.p50)} ms, p99 ${ms(result.p99)} ms, max ${ms(result.max)} ms, work ${int(result.work)}${result.overBudget ? " (over the budget)" : ""}, matches ${result.matched}\n`,
      );
      return result;
    });
  return {
    date,
    runtimeMs: performance.now() - started,
    machine: {
      cpu: cpus()[0]?.model.trim() ?? "unknown",
      cores: cpus().length,
      node: process.version,
      platform: `${platform()} ${release()} (${process.arch})`,
    },
    load: { start: loadStart, end: loadavg() },
    targetMs: TARGET_MS,
    budget: MAX_MATCH_WORK,
    cases,
    before: BEFORE,
  };
}

/** The slowest case, by its p99. */
export function worstCase(r: MatcherBenchResults): CaseResult | undefined {
  return [...r.cases].sort((a, b) => b.p99 - a.p99)[0];
}

/**
 * The cases that miss the target. It applies to each case's p99: the maximum of a few hundred
 * evaluations on a shared two-core machine also measures other processes and the collection of
 * earlier evaluations' garbage; it is reported beside it.
 */
export function overTarget(r: MatcherBenchResults): CaseResult[] {
  return r.cases.filter((c) => c.p99 >= r.targetMs);
}

/** The slowest single evaluation of the run. */
export function slowestEvaluation(r: MatcherBenchResults): CaseResult | undefined {
  return [...r.cases].sort((a, b) => b.max - a.max)[0];
}

// --- BENCHMARKS.md ---

export const MATCHER_HEADING = "## Event pattern matcher";

const ms = (n: number): string => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
const int = (n: number): string => Math.round(n).toLocaleString("en-US");

export function renderMatcher(r: MatcherBenchResults): string[] {
  const worst = worstCase(r);
  const slowest = slowestEvaluation(r);
  const over = overTarget(r);
  const after = (id: string) => r.cases.find((c) => c.id === id);
  const out = [
    MATCHER_HEADING,
    "",
    `Measured on **${r.date}** (UTC) by \`npm run bench\` (this section alone: \`npm run bench -- --only matcher\`, ${(r.runtimeMs / 1000).toFixed(1)} s) on ${r.machine.cpu} × ${r.machine.cores}, Node.js ${r.machine.node}, ${r.machine.platform}; load average ${r.load.start.map((l) => l.toFixed(2)).join(" / ")} at start, ${r.load.end.map((l) => l.toFixed(2)).join(" / ")} at end.`,
    "",
    `**Target:** any pattern that \`validatePattern\` accepts is evaluated against a 256 KB event in under **${r.targetMs} ms**, at the p99 of each case below. Each case is such a pattern, at or near the matcher's limits (\`shared/bus/event-pattern.ts\`: ${MAX_PATTERN_DEPTH} names deep, ${MAX_PATTERN_COMBINATIONS} \`$or\` combinations, ${MAX_PATTERN_VALUES} match values and ${MAX_LIST_VALUES} per list, ${MAX_STRING_LENGTH}-character strings, ${MAX_WILDCARDS} \`*\` per wildcard), against an event built to make it slow. The matcher is bundled as the functions are (\`infra/bundling.ts\`) and runs in a process of its own; one compiled pattern is evaluated ${MIN_RUNS} to ${MAX_RUNS} times (up to 3 s) after 3 untimed evaluations, and compiling is not timed. *Work* is what one evaluation cost in the matcher's units; an evaluation that would pass the budget of ${int(r.budget)} units stops there and does not match (**over**): the cases marked so are built to need far more.`,
    "",
    "| Case | pattern (chars) | event (bytes) | evaluations | p50 (ms) | p99 (ms) | max (ms) | work | matches |",
    "|---|--:|--:|--:|--:|--:|--:|--:|:-:|",
    ...r.cases.map(
      (c) =>
        `| \`${c.id}\`: ${c.label} | ${int(c.patternChars)} | ${int(c.eventBytes)} | ${c.runs} | ${ms(c.p50)} | ${c.p99 >= r.targetMs ? `**${ms(c.p99)}**` : ms(c.p99)} | ${ms(c.max)} | ${int(c.work)}${c.overBudget ? " (**over**)" : ""} | ${c.matched ? "yes" : "no"} |`,
    ),
    "",
    worst
      ? `**Worst case: p99 ${ms(worst.p99)} ms** (\`${worst.id}\`): ${over.length === 0 ? `under the ${r.targetMs} ms target, **met**.` : `**over the ${r.targetMs} ms target in ${over.length} case(s): not met** (${over.map((c) => c.id).join(", ")}).`}${slowest ? ` The slowest single evaluation took ${ms(slowest.max)} ms (\`${slowest.id}\`); maxima include garbage collection of earlier evaluations and the other processes sharing the machine's ${r.machine.cores} cores.` : ""}`
      : "No cases ran.",
    "",
    "Before and after, for the two cases the tenant-safety issue measured (before: the matcher of the commit shown, bundled the same way, one evaluation of the same inputs on the same machine):",
    "",
    "| Case | before (ms) | after, p50 (ms) | after, max (ms) |",
    "|---|--:|--:|--:|",
    ...r.before.map((b) => {
      const a = after(b.id);
      return `| \`${b.id}\` (${b.commit}) | ${int(b.ms)} | ${a ? ms(a.p50) : "n/a"} | ${a ? ms(a.max) : "n/a"} |`;
    }),
  ];
  const busiest = Math.max(r.load.start[0] ?? 0, r.load.end[0] ?? 0);
  if (busiest > r.machine.cores) {
    out.push(
      "",
      `> The machine was busy with other work during this run (1-minute load average ${(r.load.start[0] ?? 0).toFixed(2)} at start, ${(r.load.end[0] ?? 0).toFixed(2)} at end, on ${r.machine.cores} cores): the figures include that noise.`,
    );
  }
  return out;
}

/** Puts the matcher section into a BENCHMARKS.md (see {@link spliceSection}). */
export function spliceMatcherSection(markdown: string, section: string[]): string {
  return spliceSection(markdown, MATCHER_HEADING, section);
}

export function matcherSummary(r: MatcherBenchResults): string {
  const worst = worstCase(r);
  const over = overTarget(r);
  return `matcher (${r.cases.length} adversarial cases, 256 KB events): worst p99 ${worst ? `${ms(worst.p99)} ms (${worst.id})` : "n/a"}; target < ${r.targetMs} ms: ${over.length === 0 ? "met" : `NOT met (${over.map((c) => c.id).join(", ")})`}`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const results = measureMatcher();
  process.stderr.write(`${matcherSummary(results)}\n`);
  process.stdout.write(`${JSON.stringify(results)}\n`);
  if (overTarget(results).length > 0) process.exitCode = 1;
}
