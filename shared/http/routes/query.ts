/** Reads: one conversation's timeline, every conversation in a time range, conversation states. */
import * as z from "zod";
import { AUTHOR_TYPES, CHANNEL_TYPES, EVENT_TYPES, StoredEventSchema } from "../../events/schema.ts";
import { ConversationSchema } from "../../usecases/conversation-state.ts";
import {
  CONVERSATION_STATUSES,
  type ConversationQueryDeps,
  DEFAULT_PAGE_SIZE,
  type EventPage,
  type EventRange,
  getConversation,
  getTimeline,
  listConversations,
  listEvents,
  MAX_PAGE_SIZE,
} from "../../usecases/query.ts";
import { json, ok, problem, routesOf } from "../contract.ts";
import { CONVERSATION_EXAMPLE, EVENT_PAGE_EXAMPLE } from "../examples.ts";
import type { Links } from "../links.ts";
import { ConversationIdParam, commaList, cursor, pageSize, requiredTimestamp, timestamp } from "../params.ts";

const eventListShape = {
  "page[size]": pageSize(MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE),
  "page[after]": cursor("page[after]", "Continue forward: meta.after_cursor of a previous page"),
  "page[before]": cursor("page[before]", "Continue backward: meta.before_cursor of a previous page"),
  sort: z
    .enum(["occurred_at", "-occurred_at"], { error: () => "sort must be occurred_at or -occurred_at" })
    .optional()
    .meta({ description: "occurred_at (default) or -occurred_at" }),
  start_time: timestamp("Inclusive lower bound on occurred_at (ISO-8601 with offset, or unix s/ms)"),
  end_time: timestamp("Exclusive upper bound on occurred_at"),
  "filter[type]": commaList(EVENT_TYPES, "filter[type]"),
  "filter[channel]": commaList(CHANNEL_TYPES, "filter[channel]"),
  "filter[author_type]": commaList(AUTHOR_TYPES, "filter[author_type]"),
};

function checkRange(
  q: { "page[after]"?: unknown; "page[before]"?: unknown; start_time?: string; end_time?: string },
  ctx: z.RefinementCtx,
): void {
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
}

/** Query parameters of the event-list routes; unknown parameters are rejected, not ignored. */
export const EventListQuery = z.strictObject(eventListShape).superRefine(checkRange);

/** `GET /v1/events` reads every conversation, so it needs a start. */
const EventListQueryWithStart = z
  .strictObject({
    ...eventListShape,
    start_time: requiredTimestamp(
      "Inclusive lower bound on occurred_at (ISO-8601 with offset, or unix s/ms)",
    ),
  })
  .superRefine(checkRange);

/** The use case's request, from the query's HTTP syntax. */
export function eventRange(q: z.output<typeof EventListQuery>): EventRange {
  const filters = {
    ...(q["filter[type]"] ? { type: q["filter[type]"] } : {}),
    ...(q["filter[channel]"] ? { channel: q["filter[channel]"] } : {}),
    ...(q["filter[author_type]"] ? { author_type: q["filter[author_type]"] } : {}),
  };
  return {
    limit: q["page[size]"],
    sort: q.sort === "-occurred_at" ? "desc" : "asc",
    filters,
    ...(q["page[after]"] ? { after: q["page[after]"] } : {}),
    ...(q["page[before]"] ? { before: q["page[before]"] } : {}),
    ...(q.start_time ? { start: q.start_time } : {}),
    ...(q.end_time ? { end: q.end_time } : {}),
  };
}

export const EventPageSchema = z
  .object({
    events: z.array(StoredEventSchema),
    meta: z.object({
      has_more: z.boolean().meta({ description: "More events lie in the direction of travel" }),
      after_cursor: z.string().nullable(),
      before_cursor: z.string().nullable(),
    }),
    links: z.object({ next: z.string().nullable(), prev: z.string().nullable() }),
  })
  .meta({ id: "EventPage" });

export const ConversationListQuery = z.strictObject({
  "page[size]": pageSize(MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE),
  "page[after]": cursor("page[after]", "Continue: meta.after_cursor of a previous page"),
  updated_since: timestamp("Inclusive lower bound on updated_at"),
  "filter[status]": commaList(CONVERSATION_STATUSES, "filter[status]"),
});

const ConversationPageSchema = z
  .object({
    conversations: z.array(ConversationSchema),
    meta: z.object({ has_more: z.boolean(), after_cursor: z.string().nullable() }),
    links: z.object({ next: z.string().nullable() }),
  })
  .meta({ id: "ConversationPage" });

const conversationPath = z.object({ conversation_id: ConversationIdParam });

/** A page of events with its links: the next and previous pages, every other parameter kept. */
function withLinks(page: EventPage, links: Links) {
  const { cursors, ...rest } = page;
  return {
    ...rest,
    links: {
      next: cursors.next ? links.self({ "page[after]": cursors.next, "page[before]": null }) : null,
      prev: cursors.prev ? links.self({ "page[before]": cursors.prev, "page[after]": null }) : null,
    },
  };
}

const notFound = problem("The conversation has no events in the caller's tenant");

export const QUERY_ROUTES = routesOf<ConversationQueryDeps>("query")((route) => [
  route({
    operationId: "listEvents",
    method: "GET",
    path: "/v1/events",
    tag: "Events",
    scope: "events:read",
    summary: "All conversations' events in a time range",
    description: `Every conversation of the tenant, by occurred_at. start_time is required; page[size] 1..${MAX_PAGE_SIZE}, default ${DEFAULT_PAGE_SIZE}. Follow links.next for more.`,
    request: { query: EventListQueryWithStart },
    responses: {
      200: ok("A page of events", EventPageSchema, EVENT_PAGE_EXAMPLE("/v1/events")),
      400: problem("Invalid parameter or cursor"),
    },
    handle: async ({ query, caller, links }, deps) => {
      const range = { ...eventRange(query), start: query.start_time };
      return json(200, withLinks(await listEvents(deps, caller.tenant, range), links));
    },
  }),
  route({
    operationId: "getConversationEvents",
    method: "GET",
    path: "/v1/conversations/{conversation_id}/events",
    tag: "Events",
    scope: "events:read",
    summary: "One conversation's timeline",
    description:
      "Ordered by (occurred_at, id). Read-your-writes: an event acknowledged by POST /v1/events is here at once.",
    request: { path: conversationPath, query: EventListQuery },
    responses: {
      200: ok(
        "A page of the timeline",
        EventPageSchema,
        EVENT_PAGE_EXAMPLE(`/v1/conversations/${CONVERSATION_EXAMPLE.conversation_id}/events`),
      ),
      400: problem("Invalid conversation id, parameter or cursor"),
      404: notFound,
    },
    handle: async ({ path, query, caller, links }, deps) =>
      json(
        200,
        withLinks(await getTimeline(deps, caller.tenant, path.conversation_id, eventRange(query)), links),
      ),
  }),
  route({
    operationId: "listConversations",
    method: "GET",
    path: "/v1/conversations",
    tag: "Conversations",
    scope: "events:read",
    summary: "Conversation states by last update",
    description: `Ordered by (updated_at, conversation_id), ascending: follow links.next to sync. page[size] 1..${MAX_PAGE_SIZE}.`,
    request: { query: ConversationListQuery },
    responses: {
      200: ok("A page of conversations", ConversationPageSchema, {
        conversations: [CONVERSATION_EXAMPLE],
        meta: { has_more: false, after_cursor: null },
        links: { next: null },
      }),
      400: problem("Invalid parameter or cursor"),
    },
    handle: async ({ query, caller, links }, deps) => {
      const page = await listConversations(deps, caller.tenant, conversationListRequest(query));
      const { cursors, ...rest } = page;
      const next = cursors.next ? links.self({ "page[after]": cursors.next }) : null;
      return json(200, { ...rest, links: { next } });
    },
  }),
  route({
    operationId: "getConversation",
    method: "GET",
    path: "/v1/conversations/{conversation_id}",
    tag: "Conversations",
    scope: "events:read",
    summary: "One conversation's current state",
    request: { path: conversationPath },
    responses: {
      200: ok(
        "The state, folded from the conversation's events",
        z.object({ conversation: ConversationSchema }),
        { conversation: CONVERSATION_EXAMPLE },
      ),
      400: problem("Invalid conversation id"),
      404: notFound,
    },
    handle: async ({ path, caller }, deps) =>
      json(200, { conversation: await getConversation(deps, caller.tenant, path.conversation_id) }),
  }),
]);

/** The use case's request, from the query's HTTP syntax. */
export function conversationListRequest(q: z.output<typeof ConversationListQuery>) {
  return {
    limit: q["page[size]"],
    ...(q["page[after]"] ? { after: q["page[after]"] } : {}),
    ...(q.updated_since ? { since: q.updated_since } : {}),
    ...(q["filter[status]"] ? { statuses: q["filter[status]"] } : {}),
  };
}
