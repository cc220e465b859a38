/**
 * One page of `GET /v1/export/events` as NDJSON, streamed line by line and checked against
 * the response headers: every line must parse, sequences must strictly increase, the body
 * must end with a newline and its last event must be the one `X-Last-Sequence` names.
 * Anything else is a truncated or damaged body: a {@link RetryableError}, and the caller
 * discards what it wrote of the page.
 */
import type { StoredEvent } from "#shared/events/schema.ts";
import { exponentialBackoff } from "#shared/retry.ts";
import { type Problem, ProblemError, ProtocolError, RetryableError } from "./errors.ts";

export const NDJSON = "application/x-ndjson";
export const USER_AGENT = "conversation-log-export/1";

export interface PageRequest {
  base: string;
  key: string;
  /** First page: `start_time`. */
  since?: string | undefined;
  /** Later pages: the previous page's `X-After-Cursor`. */
  cursor?: string | undefined;
  pageSize: number;
  /** The whole request, body included. */
  timeoutMs: number;
  /** The run's abort signal (Ctrl-C); an abort through it is not retried. */
  signal?: AbortSignal | undefined;
}

export interface PageMeta {
  afterCursor: string;
  endOfStream: boolean;
  count: number;
  /** The page's last sequence, or the one before the page when it is empty. */
  lastSequence: string | undefined;
}

export interface ExportedEvent {
  event: StoredEvent;
  /** The event's line as received, without its newline. */
  line: string;
}

export function exportUrl(request: Pick<PageRequest, "base" | "since" | "cursor" | "pageSize">): URL {
  const base = request.base.endsWith("/") ? request.base : `${request.base}/`;
  const url = new URL("v1/export/events", base);
  if (request.cursor !== undefined) url.searchParams.set("cursor", request.cursor);
  else if (request.since !== undefined) url.searchParams.set("start_time", request.since);
  url.searchParams.set("page[size]", String(request.pageSize));
  return url;
}

/**
 * Fetches one page and hands its events, as they arrive, to `consume` (which writes them
 * out with backpressure). Resolves once the whole page was received, checked and consumed.
 * `previousSequence` is the last sequence already written: the page must continue after it.
 */
export async function fetchPage(
  request: PageRequest,
  previousSequence: string | undefined,
  consume: (events: AsyncIterable<ExportedEvent>) => Promise<void>,
): Promise<PageMeta> {
  const timeout = AbortSignal.timeout(request.timeoutMs);
  const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
  const network = (error: unknown) => networkError(error, request);

  let response: Response;
  try {
    response = await fetch(exportUrl(request), {
      headers: { authorization: `Bearer ${request.key}`, accept: NDJSON, "user-agent": USER_AGENT },
      signal,
    });
  } catch (error) {
    throw network(error);
  }

  if (response.status === 429 || response.status >= 500) {
    const problem = await readProblem(response).catch(() => ({}) as Problem);
    throw new RetryableError(
      `HTTP ${response.status}${problem.detail ? `: ${problem.detail}` : ""}`,
      parseRetryAfter(response.headers.get("retry-after")),
    );
  }
  if (response.status >= 400) {
    let problem: Problem;
    try {
      problem = await readProblem(response);
    } catch (error) {
      throw network(error);
    }
    throw new ProblemError(response.status, problem);
  }
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => undefined);
    throw new ProtocolError(`unexpected HTTP ${response.status} from ${exportUrl(request).origin}`);
  }
  const contentType = response.headers.get("content-type");
  if (contentType && !contentType.toLowerCase().includes("ndjson")) {
    await response.body?.cancel().catch(() => undefined);
    throw new ProtocolError(
      `the server answered ${contentType}, not ${NDJSON}: is --url the Conversation Log API base URL?`,
    );
  }
  const afterCursor = response.headers.get("x-after-cursor");
  const endOfStream = response.headers.get("x-end-of-stream");
  if (!afterCursor || (endOfStream !== "true" && endOfStream !== "false")) {
    await response.body?.cancel().catch(() => undefined);
    throw new ProtocolError("the response has no X-After-Cursor or X-End-Of-Stream header");
  }
  const expectedLast = response.headers.get("x-last-sequence") ?? undefined;

  let count = 0;
  let last = previousSequence;
  async function* events(): AsyncGenerator<ExportedEvent> {
    for await (const line of lines(response.body, network)) {
      let event: StoredEvent;
      try {
        event = JSON.parse(line) as StoredEvent;
      } catch {
        throw new RetryableError(`line ${count + 1} of the page is not JSON (damaged body)`);
      }
      const sequence = (event as { sequence?: unknown } | null)?.sequence;
      if (typeof sequence !== "string") {
        throw new ProtocolError(`line ${count + 1} of the page is not an event with a sequence`);
      }
      if (last !== undefined && !(sequence > last)) {
        throw new RetryableError(`events out of order: sequence ${sequence} came after ${last}`);
      }
      last = sequence;
      count += 1;
      yield { event, line };
    }
  }
  await consume(events());

  if (count > 0 && expectedLast === undefined) {
    throw new ProtocolError("the page has events but no X-Last-Sequence header");
  }
  if (expectedLast !== undefined && (count === 0 || last !== expectedLast)) {
    throw new RetryableError(
      `truncated body: ${count === 0 ? "no events" : `last event ${last}`}, X-Last-Sequence is ${expectedLast}`,
    );
  }
  return { afterCursor, endOfStream: endOfStream === "true", count, lastSequence: last };
}

/**
 * The body's lines, without their "\n", decoded as UTF-8 as chunks arrive (the stream is
 * pulled, so a slow consumer slows the download instead of buffering it). Blank lines are
 * skipped. A body that ends without a final newline was cut: {@link RetryableError}.
 */
export async function* lines(
  body: AsyncIterable<Uint8Array> | null,
  onError: (error: unknown) => Error = (e) => e as Error,
): AsyncGenerator<string> {
  if (!body) return;
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let rest = "";
  const iterator = body[Symbol.asyncIterator]();
  try {
    for (;;) {
      let chunk: IteratorResult<Uint8Array>;
      let text: string;
      try {
        chunk = await iterator.next();
        text = chunk.done ? decoder.decode() : decoder.decode(chunk.value, { stream: true });
      } catch (error) {
        throw onError(error);
      }
      const buffer = rest + text;
      let start = 0;
      for (let nl = buffer.indexOf("\n"); nl !== -1; nl = buffer.indexOf("\n", start)) {
        const line = buffer.slice(start, nl);
        start = nl + 1;
        if (line.trim() !== "") yield line;
      }
      rest = buffer.slice(start);
      if (chunk.done) break;
    }
  } finally {
    // Stops the download when the consumer gives up early (an error, an abort).
    await iterator.return?.().catch(() => undefined);
  }
  if (rest.trim() !== "") throw new RetryableError("truncated body: the last line has no newline");
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Longest `Retry-After` honoured as such; a server asking for more is retried sooner. */
export const MAX_RETRY_AFTER_MS = 5 * 60_000;

/**
 * Exponential backoff with full jitter (a random delay in [0, min(cap, base·2^(attempt-1))]),
 * or the server's `Retry-After` when it gave one.
 */
export function backoffDelay(
  attempt: number,
  options: { baseMs: number; capMs: number; retryAfterMs?: number | undefined },
  random: () => number = Math.random,
): number {
  if (options.retryAfterMs !== undefined) return Math.min(options.retryAfterMs, MAX_RETRY_AFTER_MS);
  const fullJitter = exponentialBackoff({
    baseMs: options.baseMs,
    capMs: options.capMs,
    jitter: "full",
    random,
  });
  return Math.round(fullJitter(attempt));
}

async function readProblem(response: Response): Promise<Problem> {
  const text = await response.text();
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed && typeof parsed === "object") return parsed as Problem;
  } catch {
    // not JSON: a gateway's plain-text or HTML error page
  }
  const snippet = text.replace(/\s+/g, " ").trim().slice(0, 200);
  return snippet ? { detail: snippet } : {};
}

function networkError(error: unknown, request: PageRequest): Error {
  if (request.signal?.aborted) return error as Error;
  if (error instanceof RetryableError || error instanceof ProtocolError) return error;
  const err = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err?.name === "TimeoutError") {
    return new RetryableError(`no complete answer within ${Math.round(request.timeoutMs / 1000)} s`);
  }
  const cause = err?.cause?.code ?? err?.cause?.message;
  return new RetryableError(`network error: ${err?.message ?? String(error)}${cause ? ` (${cause})` : ""}`);
}
