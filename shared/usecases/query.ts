/**
 * Read use cases: a conversation's timeline and the tenant-wide time range, with signed,
 * query-bound cursors that never skip or repeat an event.
 */
import * as z from "zod";
import { type CursorCodec, queryFingerprint } from "../cursor.ts";
import { NotFoundError, ValidationError } from "../errors.ts";
import {
  AUTHOR_TYPES,
  type AuthorType,
  CHANNEL_TYPES,
  type ChannelType,
  EVENT_TYPES,
  type EventType,
  IdSchema,
  type StoredEvent,
  toUtcMillis,
} from "../events/schema.ts";
import { type FieldError, zodErrors } from "../events/validate.ts";
import type { ConversationStateStore } from "../store/conversation-states.ts";
import { type EventFilters, type EventStore, positionOf } from "../store/events.ts";
import { type Conversation, type FoldedState, foldEvents, toConversation } from "./conversation-state.ts";

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

export interface QueryDeps {
  store: EventStore;
  cursors: CursorCodec;
}

const list = <T extends readonly [string, ...string[]]>(values: T, param: string) =>
  z
    .string()
    .transform((raw, ctx) => {
      const parts = [
        ...new Set(
          raw
            .split(",")
            .map((s) => s.trim())
            .filter((s) => s.length > 0),
        ),
      ];
      const bad = parts.filter((p) => !(values as readonly string[]).includes(p));
      if (parts.length === 0 || bad.length > 0) {
        ctx.addIssue({
          code: "custom",
          message: `${param} takes a comma-separated list of: ${values.join(", ")}${bad.length ? `; unknown: ${bad.join(", ")}` : ""}`,
        });
        return z.NEVER;
      }
      return parts.sort() as unknown as T[number][];
    })
    .optional();

const timestamp = z.string().transform(toUtcMillis).optional();

/** An optional `page[size]` query parameter from 1 to `max`. */
export const pageSizeParam = (max: number) =>
  z
    .string()
    .regex(/^\d+$/, `page[size] must be a whole number from 1 to ${max}`)
    .transform(Number)
    .pipe(
      z.number().int().min(1, "page[size] must be at least 1").max(max, `page[size] must be at most ${max}`),
    )
    .optional();

const pageSize = pageSizeParam(MAX_PAGE_SIZE);

/** Query parameters of the event-list routes; unknown parameters are rejected, not ignored. */
export const EventListParamsSchema = z
  .strictObject({
    "page[size]": pageSize,
    "page[after]": z.string().min(1).optional(),
    "page[before]": z.string().min(1).optional(),
    sort: z
      .enum(["occurred_at", "-occurred_at"], { error: () => "sort must be occurred_at or -occurred_at" })
      .optional(),
    start_time: timestamp,
    end_time: timestamp,
    "filter[type]": list(EVENT_TYPES, "filter[type]"),
    "filter[channel]": list(CHANNEL_TYPES, "filter[channel]"),
    "filter[author_type]": list(AUTHOR_TYPES, "filter[author_type]"),
  })
  .superRefine((q, ctx) => {
    if (q["page[after]"] && q["page[before]"]) {
      ctx.addIssue({
        code: "custom",
        path: ["page[before]"],
        message: "page[after] and page[before] are mutually exclusive",
      });
    }
    if (q.start_time && q.end_time && q.start_time >= q.end_time) {
      ctx.addIssue({ code: "custom", path: ["end_time"], message: "end_time must be after start_time" });
    }
  });

export type EventListParams = z.output<typeof EventListParamsSchema>;

export interface EventPage {
  events: StoredEvent[];
  meta: { has_more: boolean; after_cursor: string | null; before_cursor: string | null };
  /** Cursor parameters for the next and previous pages; the HTTP layer turns them into links. */
  links: { next: { "page[after]": string } | null; prev: { "page[before]": string } | null };
}

function parseParams(raw: Record<string, string | undefined>): EventListParams {
  return parseWith(EventListParamsSchema, raw);
}

/** Parses query parameters with a strict schema: every problem a field error, unknown parameters named. */
export function parseWith<S extends z.ZodType>(
  schema: S,
  raw: Record<string, string | undefined>,
): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const errors: FieldError[] = zodErrors(parsed.error, "", raw).map((e) =>
      e.message.startsWith("unknown field") ? { ...e, message: "unknown query parameter" } : e,
    );
    throw new ValidationError(errors.map((e) => `${e.path}: ${e.message}`).join("; "), { errors });
  }
  return parsed.data;
}

async function page(
  deps: QueryDeps,
  tenant: string,
  scope: Record<string, unknown>,
  params: EventListParams,
  read: (q: Parameters<EventStore["queryByTime"]>[1]) => Promise<{ items: StoredEvent[]; hasMore: boolean }>,
): Promise<EventPage> {
  const sortAsc = (params.sort ?? "occurred_at") === "occurred_at";
  const filters: EventFilters = {
    ...(params["filter[type]"] ? { type: params["filter[type]"] as EventType[] } : {}),
    ...(params["filter[channel]"] ? { channel: params["filter[channel]"] as ChannelType[] } : {}),
    ...(params["filter[author_type]"] ? { author_type: params["filter[author_type]"] as AuthorType[] } : {}),
  };
  const fingerprint = queryFingerprint({
    ...scope,
    sort: sortAsc ? "asc" : "desc",
    start: params.start_time,
    end: params.end_time,
    filters,
  });
  const backward = params["page[before]"] !== undefined;
  const cursorParam = backward ? "page[before]" : "page[after]";
  const cursor = params[cursorParam];
  const after = cursor ? deps.cursors.decode(tenant, fingerprint, cursor, cursorParam).p : undefined;
  const limit = params["page[size]"] ?? DEFAULT_PAGE_SIZE;
  const travelAsc = backward ? !sortAsc : sortAsc;

  const result = await read({
    direction: travelAsc ? "asc" : "desc",
    limit,
    filters,
    ...(after ? { after } : {}),
    ...(params.start_time ? { from: params.start_time } : {}),
    ...(params.end_time ? { to: params.end_time } : {}),
  });
  const events = backward ? [...result.items].reverse() : result.items;
  const first = events[0];
  const last = events[events.length - 1];
  const encode = (e: StoredEvent) =>
    deps.cursors.encode(tenant, fingerprint, positionOf(e.occurred_at, e.id));
  // An empty page keeps the position it was asked from, so a client can poll for what comes next.
  const afterCursor = last ? encode(last) : !backward && cursor ? cursor : null;
  const beforeCursor = first ? encode(first) : backward && cursor ? cursor : null;
  const moreForward = backward ? events.length > 0 : result.hasMore;
  const moreBackward = backward ? result.hasMore : cursor !== undefined && events.length > 0;
  return {
    events,
    meta: { has_more: result.hasMore, after_cursor: afterCursor, before_cursor: beforeCursor },
    links: {
      next: moreForward && afterCursor ? { "page[after]": afterCursor } : null,
      prev: moreBackward && beforeCursor ? { "page[before]": beforeCursor } : null,
    },
  };
}

/** `GET /v1/conversations/{conversation_id}/events` */
export async function getTimeline(
  deps: QueryDeps,
  tenant: string,
  conversationId: string,
  rawParams: Record<string, string | undefined>,
): Promise<EventPage> {
  checkConversationId(conversationId);
  const params = parseParams(rawParams);
  const result = await page(
    deps,
    tenant,
    { route: "timeline", conversation_id: conversationId },
    params,
    (q) => deps.store.queryTimeline(tenant, conversationId, q),
  );
  if (result.events.length === 0 && !(await deps.store.conversationExists(tenant, conversationId))) {
    throw new NotFoundError(`conversation ${conversationId} has no events`);
  }
  return result;
}

/** `GET /v1/events` */
export async function listEvents(
  deps: QueryDeps,
  tenant: string,
  rawParams: Record<string, string | undefined>,
): Promise<EventPage> {
  const params = parseParams(rawParams);
  if (!params.start_time) {
    throw new ValidationError("start_time is required: this route reads every conversation in a time range", {
      errors: [{ path: "start_time", message: "is required" }],
    });
  }
  return page(deps, tenant, { route: "events" }, params, (q) => deps.store.queryByTime(tenant, q));
}

export function checkConversationId(conversationId: string): void {
  const id = IdSchema.safeParse(conversationId);
  if (!id.success) {
    throw new ValidationError(`conversation_id ${id.error.issues[0]?.message}`, {
      errors: [{ path: "conversation_id", message: id.error.issues[0]?.message ?? "invalid" }],
    });
  }
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
  checkConversationId(conversationId);
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

const STATUSES = ["closed", "open"] as const;

/** Query parameters of `GET /v1/conversations`; unknown parameters are rejected, not ignored. */
export const ConversationListParamsSchema = z.strictObject({
  "page[size]": pageSize,
  "page[after]": z.string().min(1).optional(),
  updated_since: timestamp,
  "filter[status]": list(STATUSES, "filter[status]"),
});

export interface ConversationPage {
  conversations: Conversation[];
  meta: { has_more: boolean; after_cursor: string | null };
  /** Cursor parameters for the next page; the HTTP layer turns them into a link. */
  links: { next: { "page[after]": string } | null };
}

/**
 * `GET /v1/conversations`: states in (`updated_at`, `conversation_id`) order, ascending, so a
 * client can sync incrementally by following `page[after]`. Forward paging only: a state that
 * changes moves to the end of the order, where a client following cursors meets it again.
 */
export async function listConversations(
  deps: ConversationQueryDeps,
  tenant: string,
  rawParams: Record<string, string | undefined>,
): Promise<ConversationPage> {
  const params = parseWith(ConversationListParamsSchema, rawParams);
  const statuses = (params["filter[status]"] ?? [...STATUSES]) as ("open" | "closed")[];
  const fingerprint = queryFingerprint({
    route: "conversations",
    statuses,
    since: params.updated_since,
  });
  const cursor = params["page[after]"];
  const after = cursor ? deps.cursors.decode(tenant, fingerprint, cursor, "page[after]").p : undefined;
  const result = await deps.states.listByUpdated(tenant, {
    statuses,
    limit: params["page[size]"] ?? DEFAULT_PAGE_SIZE,
    ...(after ? { after } : {}),
    ...(params.updated_since ? { since: params.updated_since } : {}),
  });
  const last = result.items[result.items.length - 1];
  // An empty page keeps the position it was asked from, so a client can poll for what comes next.
  const afterCursor = last
    ? deps.cursors.encode(tenant, fingerprint, positionOf(last.updated_at, last.conversation_id))
    : (cursor ?? null);
  return {
    conversations: result.items,
    meta: { has_more: result.hasMore, after_cursor: afterCursor },
    links: { next: result.hasMore && afterCursor ? { "page[after]": afterCursor } : null },
  };
}
