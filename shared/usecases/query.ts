/**
 * Read use cases: a conversation's timeline and the tenant-wide time range, with signed,
 * query-bound cursors that never skip or repeat an event.
 */
import { type CursorCodec, type CursorParam, queryFingerprint } from "../cursor.ts";
import { NotFoundError } from "../errors.ts";
import type { StoredEvent } from "../events/schema.ts";
import type { ConversationStateStore } from "../store/conversation-states.ts";
import { type EventFilters, type EventStore, positionOf, type RangeQuery } from "../store/events.ts";
import { type Conversation, type FoldedState, foldEvents, toConversation } from "./conversation-state.ts";

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;
/**
 * A read examines at most this many events per event returned (and at most
 * {@link MAX_READ_PER_REQUEST}): a filter that matches little answers with what it found and a
 * cursor that resumes the scan, as DynamoDB itself does, instead of reading until it fills the
 * page or the function times out.
 */
export const READ_FACTOR = 10;
export const MAX_READ_PER_REQUEST = 10_000;

export interface QueryDeps {
  store: EventStore;
  cursors: CursorCodec;
}

/** What a page of events is asked for, whatever the transport. */
export interface EventRange {
  limit: number;
  /** Order of `occurred_at` (then id) in the page. */
  sort: "asc" | "desc";
  /** Continue after (or before) a cursor of a previous page; never both. */
  after?: CursorParam;
  before?: CursorParam;
  /** Inclusive lower bound on `occurred_at`, UTC ms ISO. */
  start?: string;
  /** Exclusive upper bound. */
  end?: string;
  filters: EventFilters;
}

export interface EventPage {
  events: StoredEvent[];
  meta: { has_more: boolean; after_cursor: string | null; before_cursor: string | null };
  /** Cursors of the next and previous pages, where there are any; the HTTP layer makes links of them. */
  cursors: { next: string | null; prev: string | null };
}

async function page(
  deps: QueryDeps,
  tenant: string,
  scope: Record<string, unknown>,
  range: EventRange,
  read: (q: RangeQuery) => Promise<{ items: StoredEvent[]; hasMore: boolean; resumeAt?: string }>,
): Promise<EventPage> {
  const sortAsc = range.sort === "asc";
  const { filters } = range;
  const fingerprint = queryFingerprint({
    ...scope,
    sort: range.sort,
    start: range.start,
    end: range.end,
    filters,
  });
  const backward = range.before !== undefined;
  const cursor = backward ? range.before : range.after;
  const after = cursor ? deps.cursors.decode(tenant, fingerprint, cursor.value, cursor.field).p : undefined;
  const travelAsc = backward ? !sortAsc : sortAsc;

  const result = await read({
    direction: travelAsc ? "asc" : "desc",
    limit: range.limit,
    maxRead: Math.min(READ_FACTOR * range.limit, MAX_READ_PER_REQUEST),
    filters,
    ...(after ? { after } : {}),
    ...(range.start ? { from: range.start } : {}),
    ...(range.end ? { to: range.end } : {}),
  });
  const events = backward ? [...result.items].reverse() : result.items;
  const first = events[0];
  const last = events[events.length - 1];
  const encode = (e: StoredEvent) =>
    deps.cursors.encode(tenant, fingerprint, positionOf(e.occurred_at, e.id));
  // An empty page keeps the position it was asked from, so a client can poll for what comes next.
  // Where the read stopped for its budget (the scan's own position, past what it returned).
  const resumed = result.resumeAt ? deps.cursors.encode(tenant, fingerprint, result.resumeAt) : undefined;
  const afterCursor =
    !backward && resumed ? resumed : last ? encode(last) : !backward && cursor ? cursor.value : null;
  const beforeCursor =
    backward && resumed ? resumed : first ? encode(first) : backward && cursor ? cursor.value : null;
  const moreForward = backward ? events.length > 0 : result.hasMore;
  const moreBackward = backward ? result.hasMore : cursor !== undefined && events.length > 0;
  return {
    events,
    meta: { has_more: result.hasMore, after_cursor: afterCursor, before_cursor: beforeCursor },
    cursors: {
      next: moreForward && afterCursor ? afterCursor : null,
      prev: moreBackward && beforeCursor ? beforeCursor : null,
    },
  };
}

/** `GET /v1/conversations/{conversation_id}/events` */
export async function getTimeline(
  deps: QueryDeps,
  tenant: string,
  conversationId: string,
  range: EventRange,
): Promise<EventPage> {
  const result = await page(
    deps,
    tenant,
    { route: "timeline", conversation_id: conversationId },
    range,
    (q) => deps.store.queryTimeline(tenant, conversationId, q),
  );
  if (result.events.length === 0 && !(await deps.store.conversationExists(tenant, conversationId))) {
    throw new NotFoundError(`conversation ${conversationId} has no events`);
  }
  return result;
}

/** `GET /v1/events`: every conversation of the tenant in a time range (`start` required). */
export async function listEvents(
  deps: QueryDeps,
  tenant: string,
  range: EventRange & { start: string },
): Promise<EventPage> {
  return page(deps, tenant, { route: "events" }, range, (q) => deps.store.queryByTime(tenant, q));
}

export interface ConversationQueryDeps extends QueryDeps {
  states: ConversationStateStore;
}

/**
 * `GET /v1/conversations/{conversation_id}`: the projected state. Before the projector
 * has written a conversation's first state (its first events are a bus hop away), the
 * state is folded from the timeline on read, so a conversation with events is never a 404.
 */
export async function getConversation(
  deps: ConversationQueryDeps,
  tenant: string,
  conversationId: string,
): Promise<Conversation> {
  const stored = await deps.states.getState(tenant, conversationId);
  if (stored) return toConversation(stored.state, stored.updatedAt);
  let state: FoldedState | undefined;
  let updatedAt = "";
  for await (const events of deps.states.eventsAfter(tenant, conversationId)) {
    state = foldEvents(state, events);
    for (const e of events) if (e.received_at > updatedAt) updatedAt = e.received_at;
  }
  if (!state) throw new NotFoundError(`conversation ${conversationId} has no events`);
  // Not projected yet: the last time the log changed this conversation is its newest receipt.
  return toConversation(state, updatedAt);
}

export const CONVERSATION_STATUSES = ["closed", "open"] as const;
export type ConversationStatus = (typeof CONVERSATION_STATUSES)[number];

export interface ConversationListRequest {
  limit: number;
  after?: CursorParam;
  /** Inclusive lower bound on `updated_at`. */
  since?: string;
  /** Statuses to list; all when absent. */
  statuses?: ConversationStatus[];
}

export interface ConversationPage {
  conversations: Conversation[];
  meta: { has_more: boolean; after_cursor: string | null };
  /** The cursor of the next page, when there is one; the HTTP layer makes a link of it. */
  cursors: { next: string | null };
}

/**
 * `GET /v1/conversations`: states in (`updated_at`, `conversation_id`) order, ascending, so a
 * client can sync incrementally by following cursors. Forward paging only: a state that
 * changes moves to the end of the order, where a client following cursors meets it again.
 */
export async function listConversations(
  deps: ConversationQueryDeps,
  tenant: string,
  request: ConversationListRequest,
): Promise<ConversationPage> {
  const statuses = request.statuses ?? [...CONVERSATION_STATUSES];
  const fingerprint = queryFingerprint({
    route: "conversations",
    statuses,
    since: request.since,
  });
  const cursor = request.after;
  const after = cursor ? deps.cursors.decode(tenant, fingerprint, cursor.value, cursor.field).p : undefined;
  const result = await deps.states.listByUpdated(tenant, {
    statuses,
    limit: request.limit,
    ...(after ? { after } : {}),
    ...(request.since ? { since: request.since } : {}),
  });
  const last = result.items[result.items.length - 1];
  // An empty page keeps the position it was asked from, so a client can poll for what comes next.
  const afterCursor = last
    ? deps.cursors.encode(tenant, fingerprint, positionOf(last.updated_at, last.conversation_id))
    : (cursor?.value ?? null);
  return {
    conversations: result.items,
    meta: { has_more: result.hasMore, after_cursor: afterCursor },
    cursors: { next: result.hasMore && afterCursor ? afterCursor : null },
  };
}
