/**
 * Lambda entry point: timeline, time-range and conversation-state reads.
 */

import type { APIGatewayProxyEvent } from "aws-lambda";
import { loadConfig } from "#shared/config.ts";
import { CursorCodec } from "#shared/cursor.ts";
import { httpFunction, json } from "#shared/http/handler.ts";
import { queryParams, requestUrl } from "#shared/http/request.ts";
import { createDocumentClient } from "#shared/store/dynamo/client.ts";
import { DynamoConversationStateStore } from "#shared/store/dynamo/conversation-states.ts";
import { DynamoEventStore } from "#shared/store/dynamo/events.ts";
import {
  type EventPage,
  getConversation,
  getTimeline,
  listConversations,
  listEvents,
} from "#shared/usecases/query.ts";

const config = await loadConfig();
const db = createDocumentClient();
const deps = {
  store: new DynamoEventStore(db, config.tableName),
  states: new DynamoConversationStateStore(db, config.tableName),
  cursors: new CursorCodec(config.cursorSecret),
};

/** Renders cursor parameters as an absolute link that keeps every other query parameter. */
function link(event: APIGatewayProxyEvent, cursor: Record<string, string> | null): string | null {
  if (!cursor) return null;
  const url = requestUrl(event);
  const params = queryParams(event);
  delete params["page[after]"];
  delete params["page[before]"];
  for (const [k, v] of Object.entries({ ...params, ...cursor })) url.searchParams.set(k, v);
  return url.toString();
}

function withLinks(event: APIGatewayProxyEvent, page: EventPage) {
  return { ...page, links: { next: link(event, page.links.next), prev: link(event, page.links.prev) } };
}

export const handler = httpFunction("query", {
  "GET /v1/events": async (event, caller) =>
    json(200, withLinks(event, await listEvents(deps, caller.tenant, queryParams(event)))),
  "GET /v1/conversations/{conversation_id}/events": async (event, caller) => {
    const id = event.pathParameters?.conversation_id ?? "";
    return json(200, withLinks(event, await getTimeline(deps, caller.tenant, id, queryParams(event))));
  },
  "GET /v1/conversations": async (event, caller) => {
    const page = await listConversations(deps, caller.tenant, queryParams(event));
    return json(200, { ...page, links: { next: link(event, page.links.next) } });
  },
  "GET /v1/conversations/{conversation_id}": async (event, caller) => {
    const id = event.pathParameters?.conversation_id ?? "";
    return json(200, { conversation: await getConversation(deps, caller.tenant, id) });
  },
});
