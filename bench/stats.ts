/**
 * Measurement helpers: a fixed-concurrency pool, percentiles, CPU accounting.
 */
import { readdirSync, readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";

export interface PoolResult {
  /** Wall time of the whole pool, in milliseconds. */
  ms: number;
  /** Latency of each task, in milliseconds. */
  latencies: number[];
}

/** Runs `count` tasks with at most `concurrency` in flight; each task gets its index. */
export async function runPool(
  count: number,
  concurrency: number,
  task: (index: number) => Promise<void>,
  onDone?: (done: number) => void,
): Promise<PoolResult> {
  let next = 0;
  let done = 0;
  const latencies: number[] = new Array(count).fill(0);
  const start = performance.now();
  const worker = async (): Promise<void> => {
    for (;;) {
      const index = next++;
      if (index >= count) return;
      const t0 = performance.now();
      await task(index);
      latencies[index] = performance.now() - t0;
      done += 1;
      onDone?.(done);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, worker));
  return { ms: performance.now() - start, latencies };
}

/** Nearest-rank percentile of `values` (0 < p <= 100). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}

/** Logs `label: n/total` to stderr at every 25% step. */
export function progress(label: string, total: number): (done: number) => void {
  let lastStep = 0;
  return (done) => {
    const step = Math.floor((done / total) * 4);
    if (step > lastStep) {
      lastStep = step;
      log(`${label}: ${done}/${total}`);
    }
  };
}

const T0 = performance.now();

export function log(message: string): void {
  process.stderr.write(`[bench +${((performance.now() - T0) / 1000).toFixed(0).padStart(3)} s] ${message}\n`);
}

const CLOCK_TICKS_PER_SECOND = 100;

/**
 * CPU time of another process in milliseconds, from `/proc/{pid}/stat` (Linux only;
 * `undefined` elsewhere). Used to see how much of the machine DynamoDB Local takes.
 */
export function processCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime are fields 14 and 15 of the full line: 12 and 13 after the name.
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? (ticks * 1000) / CLOCK_TICKS_PER_SECOND : undefined;
  } catch {
    return undefined;
  }
}

/** The pid of the DynamoDB Local JVM listening on `port`, found through `/proc` (Linux only). */
export function findDynamoLocalPid(port: number): number | undefined {
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return undefined;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      const portAt = args.indexOf("-port");
      if (args.some((a) => a.includes("DynamoDBLocal.jar")) && args[portAt + 1] === String(port)) {
        return Number(entry);
      }
    } catch {
      // The process ended while we looked, or is not ours to read.
    }
  }
  return undefined;
}

export interface CpuSample {
  nodeMs: number;
  javaMs: number | undefined;
}

/** CPU used by this Node process and by the DynamoDB Local JVM so far. */
export function cpuNow(javaPid: number | undefined): CpuSample {
  const { user, system } = process.cpuUsage();
  return { nodeMs: (user + system) / 1000, javaMs: processCpuMs(javaPid) };
}

export function cpuSince(start: CpuSample, javaPid: number | undefined): CpuSample {
  const end = cpuNow(javaPid);
  return {
    nodeMs: end.nodeMs - start.nodeMs,
    javaMs: end.javaMs !== undefined && start.javaMs !== undefined ? end.javaMs - start.javaMs : undefined,
  };
}

/**
 * Puts a section into a BENCHMARKS.md: replaces the one under `heading`, or goes before
 * "## Function bundles" (or "## Explanation", or at the end).
 */
export function spliceSection(markdown: string, heading: string, section: string[]): string {
  const lines = markdown.replace(/\n+$/, "").split("\n");
  const start = lines.indexOf(heading);
  const block = [...section, ""];
  if (start >= 0) {
    let end = lines.findIndex((l, i) => i > start && l.startsWith("## "));
    if (end < 0) end = lines.length;
    lines.splice(start, end - start, ...block);
  } else {
    let at = lines.indexOf("## Function bundles");
    if (at < 0) at = lines.indexOf("## Explanation");
    if (at < 0) lines.push("", ...block);
    else lines.splice(at, 0, ...block);
  }
  return `${lines.join("\n").replace(/\n+$/, "")}\n`;
}
