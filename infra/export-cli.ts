/**
 * `npm run export`: incremental export of the change feed (`GET /v1/export/events`) to
 * NDJSON, CSV or Parquet, resumable and exactly once.
 *
 *   CONVERSATION_LOG_API_KEY=clk_… npm run export -- --url http://127.0.0.1:3000 \
 *     --since 2025-01-01T00:00:00Z --format parquet --out exports/events
 *
 * Running the same command again continues from the state file (`<out>.state.json`) and
 * adds only what arrived since. See USAGE below and the README's "Export CLI" section.
 */
import { realpathSync } from "node:fs";
import { extname } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  GaveUpError,
  InterruptedError,
  ProblemError,
  ProtocolError,
  RetryableError,
  UsageError,
} from "./export/errors.ts";
import { formatSeconds, type ProgressStream } from "./export/progress.ts";
import { type ExportHooks, type ExportOptions, RunStats, runExport } from "./export/run.ts";
import { defaultStatePath, type ExportFormat, FORMATS } from "./export/state.ts";

export const KEY_ENV = "CONVERSATION_LOG_API_KEY";

const USAGE = `usage: npm run export -- --url <base URL> --since <time> --format ndjson|csv|parquet --out <path> [options]

  --url <base>          API base URL, e.g. http://127.0.0.1:3000 or https://…/prod
  --key <key>           API key with the export:read scope; better: set ${KEY_ENV}
                        (a --key argument is visible to other users in ps)
  --since <time>        where a new export starts (received_at): ISO-8601 with offset, or unix
                        seconds/milliseconds (0: from the beginning); ignored when resuming
                        from the state file
  --format <format>     ndjson | csv | parquet (default: from the --out extension .ndjson/.jsonl/.csv)
  --out <path>          output file (ndjson, csv) or directory of part files (parquet)
  --state <file>        state file (default <out>.state.json)
  --page-size <n>       events per request, 1..10000 (default 10000)
  --follow              after catching up, keep polling for new events (Ctrl-C to stop)
  --poll-interval <s>   seconds between polls with --follow (default 30)
  --max-pages <n>       stop after n pages (default: no limit)
  --max-retries <n>     retries of a failing page before giving up (default 8)
  --base-delay <ms>     first retry delay ceiling; doubles per attempt, full jitter (default 500)
  --max-delay <ms>      retry delay cap (default 30000); a Retry-After header is honoured
  --timeout <s>         per-request timeout, body included (default 300)

exit codes: 0 done, 1 gave up after retries or failed, 2 bad usage, rejected request (4xx) or
mismatched state/output`;

export interface CliIo {
  stdout: ProgressStream;
  stderr: ProgressStream;
  env: Record<string, string | undefined>;
  signal?: AbortSignal | undefined;
  random?: () => number;
  hooks?: ExportHooks;
}

function int(
  name: string,
  raw: string | undefined,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
) {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < min || Number(raw) > max) {
    throw new UsageError(
      `--${name} must be an integer ${max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`}, got ${raw}`,
    );
  }
  return Number(raw);
}

function formatFor(out: string): ExportFormat | undefined {
  const ext = extname(out).toLowerCase();
  if (ext === ".ndjson" || ext === ".jsonl") return "ndjson";
  if (ext === ".csv") return "csv";
  return undefined;
}

export function parseOptions(
  argv: string[],
  env: Record<string, string | undefined>,
): ExportOptions | "help" {
  let values: ReturnType<typeof parse>["values"];
  try {
    ({ values } = parse(argv));
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n${USAGE}`);
  }
  if (values.help) return "help";
  if (!values.url) throw new UsageError(`--url is required\n${USAGE}`);
  let url: URL;
  try {
    url = new URL(values.url);
  } catch {
    throw new UsageError(`--url ${values.url} is not a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`--url must be http(s), got ${values.url}`);
  }
  if (url.search || url.hash) throw new UsageError("--url is the API base URL, without a query");
  const key = values.key ?? env[KEY_ENV];
  if (!key) throw new UsageError(`an API key is required: set ${KEY_ENV} (or pass --key)`);
  if (!values.out) throw new UsageError(`--out is required\n${USAGE}`);
  const out = values.out.length > 1 ? values.out.replace(/[\\/]+$/, "") : values.out;
  const format = values.format ?? formatFor(out);
  if (!format) throw new UsageError(`--format is required (${FORMATS.join(", ")})`);
  if (!(FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`--format must be one of ${FORMATS.join(", ")}, got ${format}`);
  }
  return {
    url: values.url,
    key,
    since: values.since,
    format: format as ExportFormat,
    out,
    statePath: values.state ?? defaultStatePath(out),
    pageSize: int("page-size", values["page-size"], 10_000, 1, 10_000),
    maxRetries: int("max-retries", values["max-retries"], 8, 0),
    baseDelayMs: int("base-delay", values["base-delay"], 500, 0),
    maxDelayMs: int("max-delay", values["max-delay"], 30_000, 0),
    timeoutMs: int("timeout", values.timeout, 300, 1) * 1000,
    follow: values.follow ?? false,
    pollIntervalMs: int("poll-interval", values["poll-interval"], 30, 1) * 1000,
    maxPages: int("max-pages", values["max-pages"], 0, 1),
  };
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      url: { type: "string" },
      key: { type: "string" },
      since: { type: "string" },
      format: { type: "string" },
      out: { type: "string" },
      state: { type: "string" },
      "page-size": { type: "string" },
      follow: { type: "boolean" },
      "poll-interval": { type: "string" },
      "max-pages": { type: "string" },
      "max-retries": { type: "string" },
      "base-delay": { type: "string" },
      "max-delay": { type: "string" },
      timeout: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
}

/** Runs the CLI; resolves to the exit code. Never throws for expected failures. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const stats = new RunStats();
  let options: ExportOptions | undefined;
  try {
    const parsed = parseOptions(argv, io.env);
    if (parsed === "help") {
      io.stdout.write(`${USAGE}\n`);
      return 0;
    }
    options = parsed;
    const result = await runExport(
      options,
      {
        stderr: io.stderr,
        signal: io.signal,
        ...(io.random ? { random: io.random } : {}),
        ...(io.hooks ? { hooks: io.hooks } : {}),
      },
      stats,
    );
    const where = `${options.out} holds ${result.total} events (state: ${options.statePath})`;
    io.stdout.write(
      result.added === 0
        ? `0 events added: ${where}\n`
        : `${plural(result.added, "event")} added in ${plural(result.pages, "page")} (${formatSeconds(result.elapsedMs)}, ${Math.round(result.rate)} ev/s): ${where}\n`,
    );
    if (result.interrupted) {
      io.stderr.write("interrupted; run the same command again to continue\n");
      return options.follow ? 0 : 130;
    }
    return 0;
  } catch (error) {
    io.stderr.write(`${describe(error)}\n`);
    if (stats.started && options && exitCode(error) === 1) {
      io.stderr.write(
        `${plural(stats.added, "event")} added by this run before the failure; ${options.out} and ${options.statePath} are consistent: run the same command again to continue\n`,
      );
    }
    return exitCode(error);
  }
}

const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? "" : "s"}`;

function describe(error: unknown): string {
  if (error instanceof UsageError || error instanceof ProblemError || error instanceof GaveUpError) {
    return error.message;
  }
  if (
    error instanceof ProtocolError ||
    error instanceof RetryableError ||
    error instanceof InterruptedError
  ) {
    return `export failed: ${error.message}`;
  }
  return `export failed: ${error instanceof Error ? error.message : String(error)}`;
}

function exitCode(error: unknown): number {
  return error instanceof UsageError || error instanceof ProblemError ? 2 : 1;
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  const controller = new AbortController();
  let signals = 0;
  const stop = () => {
    signals += 1;
    if (signals > 1) process.exit(130);
    controller.abort();
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  main(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    signal: controller.signal,
  }).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`export failed: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
