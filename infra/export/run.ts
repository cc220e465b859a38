/**
 * The export loop: fetch a page (with retries), write it, commit it, save the state, until
 * the feed reports end of stream (or forever with `follow`). Exactly once: a page is
 * appended and fsynced before the state that counts it is saved; a run that starts drops
 * whatever the output holds past the saved state.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { retry, retryWith, succeed } from "#shared/retry.ts";
import { backoffDelay, fetchPage, type PageMeta } from "./client.ts";
import { GaveUpError, InterruptedError, RetryableError, UsageError } from "./errors.ts";
import { formatSeconds, Progress, type ProgressStream } from "./progress.ts";
import {
  type ExportFormat,
  type ExportState,
  loadState,
  normalizeBaseUrl,
  STATE_VERSION,
  saveState,
} from "./state.ts";
import { openOutput, type PageWriter } from "./writers.ts";

export interface ExportOptions {
  url: string;
  key: string;
  since?: string | undefined;
  format: ExportFormat;
  out: string;
  statePath: string;
  pageSize: number;
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  timeoutMs: number;
  follow: boolean;
  pollIntervalMs: number;
  /** Stop after this many pages (0: no limit). */
  maxPages: number;
}

export interface ExportHooks {
  /** Called between a page's commit and the state save (tests simulate a crash there). */
  beforeSaveState?: (page: number) => void | Promise<void>;
}

export interface ExportIo {
  stderr: ProgressStream;
  signal?: AbortSignal | undefined;
  random?: () => number;
  hooks?: ExportHooks;
}

export interface ExportResult {
  added: number;
  pages: number;
  total: number;
  elapsedMs: number;
  rate: number;
  /** Stopped by the signal rather than by reaching the end. */
  interrupted: boolean;
}

/** What the run committed so far, kept up to date so a failure can still report it. */
export class RunStats {
  started = false;
  added = 0;
  pages = 0;
  total = 0;
  elapsedMs = 0;
  rate = 0;
}

export async function runExport(
  options: ExportOptions,
  io: ExportIo,
  stats = new RunStats(),
): Promise<ExportResult> {
  const url = normalizeBaseUrl(options.url);
  mkdirSync(dirname(options.statePath), { recursive: true });
  let state = loadState(options.statePath);
  // A state without a cursor is the placeholder of an export that never committed a page:
  // nothing to continue, so it may be restarted with other arguments.
  if (state && state.cursor !== null && (state.url !== url || state.format !== options.format)) {
    throw new UsageError(
      `the state file ${options.statePath} belongs to an export of ${state.url} as ${state.format}, but this run asks for ${url} as ${options.format}. Run with the original --url and --format to continue it, or choose another --out (or --state) for a new export.`,
    );
  }
  if (state?.cursor === null)
    state = { ...state, url, format: options.format, since: options.since ?? state.since };
  const since = state?.since ?? options.since;
  if (!since) {
    throw new UsageError(
      `--since is required for a new export (no state file at ${options.statePath}); e.g. --since 2025-01-01T00:00:00Z`,
    );
  }

  const progress = new Progress(io.stderr);
  if (state?.cursor) {
    const sinceNote =
      options.since !== undefined && options.since !== state.since
        ? `; --since ${options.since} is ignored`
        : "";
    progress.note(`resuming from ${options.statePath} (${state.events} events already exported${sinceNote})`);
  }
  const writer = await openOutput(options.format, options.out, state, (m) => progress.note(m));
  if (!state || state.cursor === null) {
    // Saved before the first byte is written, so that a crash during the first page leaves
    // a state to resume from rather than an output the next run must refuse.
    state = {
      version: STATE_VERSION,
      url,
      format: options.format,
      since,
      cursor: null,
      events: 0,
      bytes: 0,
      parts: 0,
      last_sequence: null,
      updated_at: new Date().toISOString(),
    };
    saveState(options.statePath, state);
  }
  stats.started = true;
  stats.total = state.events;
  const update = () => {
    stats.added = progress.events;
    stats.pages = progress.pages;
    stats.elapsedMs = progress.elapsedSeconds() * 1000;
    stats.rate = progress.rate();
  };

  let interrupted = false;
  let polled = false;
  try {
    for (;;) {
      const sentCursor = state.cursor;
      let page: PageMeta;
      try {
        page = await fetchWithRetry(options, io, writer, state, progress);
      } catch (error) {
        if (error instanceof InterruptedError) {
          interrupted = true;
          break;
        }
        throw error;
      }
      const position = await writer.commit();
      const changed =
        page.count > 0 ||
        page.afterCursor !== state.cursor ||
        position.bytes !== state.bytes ||
        position.parts !== state.parts;
      if (changed) {
        await io.hooks?.beforeSaveState?.(progress.pages + 1);
        state = {
          ...state,
          cursor: page.afterCursor,
          events: state.events + page.count,
          bytes: position.bytes,
          parts: position.parts,
          last_sequence: page.lastSequence ?? null,
          updated_at: new Date().toISOString(),
        };
        saveState(options.statePath, state);
      }
      // While following, polls that bring nothing are counted but not printed.
      progress.page(page.count, state.events, { quiet: options.follow && page.count === 0 && polled });
      stats.total = state.events;
      update();

      if (options.maxPages > 0 && progress.pages >= options.maxPages) break;
      const caughtUp = page.endOfStream || (page.count === 0 && page.afterCursor === sentCursor);
      if (caughtUp) {
        if (!options.follow) break;
        polled = true;
        try {
          await sleep(options.pollIntervalMs, undefined, { signal: io.signal });
        } catch {
          interrupted = true;
          break;
        }
      }
      if (io.signal?.aborted) {
        interrupted = true;
        break;
      }
    }
  } finally {
    progress.finish();
    update();
    await writer.close();
  }
  return {
    added: stats.added,
    pages: stats.pages,
    total: stats.total,
    elapsedMs: stats.elapsedMs,
    rate: stats.rate,
    interrupted,
  };
}

/** One page, written through `writer`; retried (after dropping the partial write) on retryable failures. */
async function fetchWithRetry(
  options: ExportOptions,
  io: ExportIo,
  writer: PageWriter,
  state: ExportState,
  progress: Progress,
): Promise<PageMeta> {
  const attempts = options.maxRetries + 1;
  const result = await retry(
    async () => {
      if (io.signal?.aborted) throw new InterruptedError("interrupted");
      try {
        return succeed(
          await fetchPage(
            {
              base: options.url,
              key: options.key,
              ...(state.cursor !== null ? { cursor: state.cursor } : { since: state.since ?? undefined }),
              pageSize: options.pageSize,
              timeoutMs: options.timeoutMs,
              signal: io.signal,
            },
            state.last_sequence ?? undefined,
            (events) => writer.writeEvents(events),
          ),
        );
      } catch (error) {
        await writer.abort();
        if (io.signal?.aborted) throw new InterruptedError("interrupted");
        // Anything but a RetryableError (a 4xx, a protocol error) is thrown at once.
        if (!(error instanceof RetryableError)) throw error;
        return retryWith(error);
      }
    },
    {
      attempts,
      // Full jitter, or the server's Retry-After when it gave one.
      delayMs: (attempt, error) =>
        backoffDelay(
          attempt,
          { baseMs: options.baseDelayMs, capMs: options.maxDelayMs, retryAfterMs: error.retryAfterMs },
          io.random,
        ),
      onRetry: ({ attempt, delayMs, failure }) =>
        progress.note(
          `page ${progress.pages + 1}: ${failure.message}; retrying in ${formatSeconds(delayMs)} (attempt ${attempt + 1} of ${attempts})`,
        ),
      // Ctrl-C cuts a wait short.
      sleep: async (ms) => {
        try {
          await sleep(ms, undefined, { signal: io.signal });
        } catch {
          throw new InterruptedError("interrupted");
        }
      },
    },
  );
  if (result.ok) return result.value;
  throw new GaveUpError(
    `gave up on page ${progress.pages + 1} after ${result.attempts} attempts: ${result.failure.message}`,
  );
}
