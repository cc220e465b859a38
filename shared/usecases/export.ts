/**
 * The change feed (incremental export): every stored event of a tenant in ingest order
 * (`sequence`), in pages a BI tool follows with a signed cursor.
 *
 * Sequences are ULIDs stamped right before the write that commits them, so an event whose
 * sequence is older than `now - settle window` is either visible in the `bySequence` index or
 * will never exist. The feed serves only that settled part (below the "horizon"), so a
 * client following cursors never gets an event and later another one with a smaller
 * sequence: no rows lost to a strict `>` checkpoint, none repeated by a time cursor.
 * docs/data-model.md ("Change feed") gives the argument and the window's arithmetic.
 *
 * A page is planned first (which sequences it holds, where it ends, whether the feed is
 * caught up), then its events are streamed: the cursor and the flags go out in headers
 * before the body, and memory stays flat whatever the page size.
 */
import { encodeTime } from "ulid";
import { type CursorCodec, type CursorParam, queryFingerprint } from "../cursor.ts";
import type { StoredEvent } from "../events/schema.ts";
import type { ExportStore } from "../store/events.ts";

export const DEFAULT_EXPORT_PAGE_SIZE = 1000;
export const MAX_EXPORT_PAGE_SIZE = 10_000;
export { DEFAULT_SETTLE_MS } from "../config.ts";

export interface ExportDeps {
  store: ExportStore;
  cursors: CursorCodec;
  /** Milliseconds since the epoch. */
  now: () => number;
  /** Only sequences older than this many milliseconds are served. */
  settleMs: number;
}

/** Cursors of this feed work only here (and only for the tenant they were issued to). */
const FINGERPRINT = queryFingerprint({ feed: "export/events", v: 1 });
/** The largest value of ULID's 16-character random part. */
const MAX_RANDOM = "Z".repeat(16);

/** Where a page of the feed starts: after a cursor, at a time (on `received_at`), or at the beginning. */
export interface ExportRequest {
  cursor?: CursorParam;
  /** UTC ms ISO; ignored with a cursor. */
  start?: string;
  limit: number;
}

export interface ExportPage {
  /** The cursor to continue from: after this page's last event (or where the page began, if empty). */
  afterCursor: string;
  /** The page reached the settle horizon: following `afterCursor` later returns what arrived since. */
  endOfStream: boolean;
  /** Events in the page. */
  count: number;
  /** The `sequence` of the page's last event, so a client can tell a truncated body. */
  lastSequence: string | null;
  /** The page's events, in sequence order, read lazily. */
  events(): AsyncIterable<StoredEvent>;
}

/** The position just before `startMs`: every sequence stamped at or after it sorts above. */
export function positionBefore(startMs: number): string {
  return startMs <= 0 ? "" : `${encodeTime(startMs - 1, 10)}${MAX_RANDOM}`;
}

/** The newest servable position: every sequence stamped before `now - settleMs`. */
export function horizonAt(now: number, settleMs: number): string {
  return positionBefore(now - settleMs);
}

/**
 * Plans one page: reads only sequences (small) from the cursor up to the horizon, to learn
 * where the page ends and whether the feed is caught up.
 */
export async function planExportPage(
  deps: ExportDeps,
  tenant: string,
  request: ExportRequest,
): Promise<ExportPage> {
  const after = request.cursor
    ? deps.cursors.decode(tenant, FINGERPRINT, request.cursor.value, request.cursor.field).p
    : positionBefore(request.start ? Date.parse(request.start) : 0);
  const horizon = horizonAt(deps.now(), deps.settleMs);
  const { limit } = request;

  let count = 0;
  let end = after;
  let endOfStream = true;
  if (after < horizon) {
    // One sequence beyond the page tells whether the feed is caught up.
    for await (const sequence of deps.store.sequencesAfter(tenant, after, horizon, () => limit - count + 1)) {
      if (count === limit) {
        endOfStream = false;
        break;
      }
      count += 1;
      end = sequence;
    }
  }
  return {
    afterCursor: deps.cursors.encode(tenant, FINGERPRINT, end),
    endOfStream,
    count,
    lastSequence: count > 0 ? end : null,
    events: () => (count > 0 ? deps.store.eventsAfter(tenant, after, end, () => count) : empty()),
  };
}

async function* empty(): AsyncGenerator<StoredEvent> {}
