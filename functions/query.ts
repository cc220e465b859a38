/**
 * Lambda entry point: timeline and time-range reads.
 */

import type { APIGatewayProxyEvent } from "aws-lambda";
import { loadConfig } from "#shared/config.ts";
import { CursorCodec } from "#shared/cursor.ts";
import { httpFunction, json } from "#shared/http/handler.ts";
import { queryParams, requestUrl } from "#shared/http/request.ts";
import { createDocumentClient } from "#shared/store/client.ts";
import { DynamoEventStore } from "#shared/store/event-store.ts";
import { type EventPage, getTimeline, listEvents } from "#shared/usecases/query.ts";

const config = await loadConfig();
const deps = {
  store: new DynamoEventStore(createDocumentClient(), config.tableName),
  cursors: new CursorCodec(config.cursorSecret),
};

/** Renders cursor parameters as absolute links that keep every other query parameter. */
function withLinks(event: APIGatewayProxyEvent, page: EventPage) {
  const link = (cursor: Record<string, string> | null) => {
    if (!cursor) return null;
    const url = requestUrl(event);
    const params = queryParams(event);
    delete params["page[after]"];
    delete params["page[before]"];
    for (const [k, v] of Object.entries({ ...params, ...cursor })) url.searchParams.set(k, v);
    return url.toString();
  };
  return { ...page, links: { next: link(page.links.next), prev: link(page.links.prev) } };
}

export const handler = httpFunction("query", {
  "GET /v1/events": async (event, caller) =>
    json(200, withLinks(event, await listEvents(deps, caller.tenant, queryParams(event)))),
  "GET /v1/conversations/{conversation_id}/events": async (event, caller) => {
    const id = event.pathParameters?.conversation_id ?? "";
    return json(200, withLinks(event, await getTimeline(deps, caller.tenant, id, queryParams(event))));
  },
});
