/**
 * The event log's ports: what the use cases read and write events through. The DynamoDB
 * adapter is `dynamo/events.ts` (docs/architecture.md, "Ports and adapters").
 *
 * Also the log's total order, the position `{occurred_at}#{id}`: cursors carry it, the
 * projector compares by it, and the table keys embed it, so it is defined here, once.
 */
import type { AuthorType, ChannelType, EventType, StoredEvent } from "../events/schema.ts";

/** Length of a normalized timestamp (`2025-05-23T10:15:30.123Z`). */
const TIMESTAMP_LENGTH = 24;

/** The total order of the log: `{occurred_at}#{id}` sorts by time, then id. */
export function positionOf(occurredAt: string, id: string): string {
  if (occurredAt.length !== TIMESTAMP_LENGTH) throw new Error(`not a normalized timestamp: ${occurredAt}`);
  return `${occurredAt}#${id}`;
}

export function parsePosition(position: string): { occurredAt: string; id: string } {
  if (position.length <= TIMESTAMP_LENGTH + 1 || position[TIMESTAMP_LENGTH] !== "#")
    throw new Error(`not a position: ${position}`);
  return { occurredAt: position.slice(0, TIMESTAMP_LENGTH), id: position.slice(TIMESTAMP_LENGTH + 1) };
}

export interface PreparedEvent {
  event: StoredEvent;
  /** Hash of the event's client-controlled content: equal hashes mean "same body". */
  hash: string;
}

export type WriteOutcome =
  | { status: "created" }
  | { status: "duplicate"; storedHash: string; conversationId: string; position: string }
  | { status: "conflict"; storedHash: string; conversationId: string; position: string };

export interface EventFilters {
  type?: EventType[];
  channel?: ChannelType[];
  author_type?: AuthorType[];
}

export interface RangeQuery {
  /** Direction of travel. */
  direction: "asc" | "desc";
  /** Exclusive position to continue from, in the direction of travel. */
  after?: string;
  /** Inclusive lower bound on `occurred_at`. */
  from?: string;
  /** Exclusive upper bound on `occurred_at`. */
  to?: string;
  limit: number;
  filters: EventFilters;
  /**
   * How many items the read may examine, matching the filters or not (about: each shard's
   * first read is always made). Unbounded when absent.
   */
  maxRead?: number;
}

export interface Page {
  items: StoredEvent[];
  /** Whether more matching events lie beyond this page in the direction of travel. */
  hasMore: boolean;
  /**
   * Set when the read budget ran out before the page filled: every event up to this position
   * (in the direction of travel) was examined; a next read continues after it.
   */
  resumeAt?: string;
}

export interface EventStore {
  /** Writes events atomically per event, at most once per `(tenant, id)`. Same order as the input. */
  putEvents(tenant: string, events: PreparedEvent[]): Promise<WriteOutcome[]>;
  /** Strongly consistent read of one stored event. */
  getEventAt(tenant: string, conversationId: string, position: string): Promise<StoredEvent | undefined>;
  /** Strongly consistent read of one stored event by its id (through the id guard). */
  getEventById(tenant: string, id: string): Promise<StoredEvent | undefined>;
  /** One conversation's timeline. */
  queryTimeline(tenant: string, conversationId: string, query: RangeQuery): Promise<Page>;
  /** Whether the conversation has at least one event. */
  conversationExists(tenant: string, conversationId: string): Promise<boolean>;
  /** Every conversation of the tenant, by time. */
  queryByTime(tenant: string, query: RangeQuery): Promise<Page>;
}

/**
 * The change feed's reads, in ingest (`sequence`) order. Sequences are ULIDs; `after` is
 * exclusive ("" for the beginning), `upTo` inclusive. `want` is how many more items the
 * reader expects, which sizes the underlying queries.
 */
export interface ExportStore {
  /** Just the sequences: cheap to hold, for finding where a page ends. */
  sequencesAfter(tenant: string, after: string, upTo: string, want: () => number): AsyncIterable<string>;
  eventsAfter(tenant: string, after: string, upTo: string, want: () => number): AsyncIterable<StoredEvent>;
}
