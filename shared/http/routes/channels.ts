/** `/v1/channels`: channel integrations and their webhook rejections (scope admin). */
import * as z from "zod";
import {
  CHANNEL_ID_PATTERN,
  type ChannelIntegrationDeps,
  ChannelIntegrationInputSchema,
  ChannelIntegrationSchema,
  createChannel,
  deleteChannel,
  listChannels,
  listRejections,
  MAX_REJECTIONS_PAGE,
  RejectionSchema,
} from "../../usecases/channels.ts";
import { empty, json, jsonBody, noContent, ok, problem, routesOf } from "../contract.ts";
import { CHANNEL_EXAMPLE, CHANNEL_INPUT_EXAMPLE, REJECTION_EXAMPLE } from "../examples.ts";
import { issuedId, pageSize } from "../params.ts";

export const ChannelIdParam = issuedId(CHANNEL_ID_PATTERN, "channel", CHANNEL_EXAMPLE.id);
const channelPath = z.object({ channel_id: ChannelIdParam });
const missing = problem("No such channel in the caller's tenant");

export const CHANNEL_ROUTES = routesOf<ChannelIntegrationDeps>("channels")((route) => [
  route({
    operationId: "createChannel",
    method: "POST",
    path: "/v1/channels",
    tag: "Channels",
    scope: "admin",
    summary: "Register a WhatsApp or SunCo channel integration",
    description:
      "The secrets are write-only: never returned after this call. Point the provider at `webhook_url`.",
    request: {
      body: jsonBody(ChannelIntegrationInputSchema, {
        expects: "a JSON channel integration { type, … }",
        examples: { whatsapp: { summary: "A WhatsApp Cloud API number", value: CHANNEL_INPUT_EXAMPLE } },
      }),
    },
    responses: {
      201: ok("Created", ChannelIntegrationSchema, CHANNEL_EXAMPLE),
      400: problem("Invalid channel"),
    },
    // The created channel itself, `{ id, type, webhook_url, created_at }`, as docs/api.md says.
    handle: async ({ body, caller, links }, deps) =>
      json(201, await createChannel(deps, caller.tenant, body, links.base)),
  }),
  route({
    operationId: "listChannels",
    method: "GET",
    path: "/v1/channels",
    tag: "Channels",
    scope: "admin",
    summary: "The tenant's channel integrations",
    request: {},
    responses: {
      200: ok(
        "Every channel of the tenant, oldest first",
        z.object({ channels: z.array(ChannelIntegrationSchema) }),
        {
          channels: [CHANNEL_EXAMPLE],
        },
      ),
    },
    handle: async ({ caller, links }, deps) =>
      json(200, { channels: await listChannels(deps, caller.tenant, links.base) }),
  }),
  route({
    operationId: "deleteChannel",
    method: "DELETE",
    path: "/v1/channels/{channel_id}",
    tag: "Channels",
    scope: "admin",
    summary: "Delete a channel integration (its webhook URL stops working)",
    request: { path: channelPath },
    responses: { 204: noContent("Deleted"), 404: missing },
    handle: async ({ path, caller }, deps) => {
      await deleteChannel(deps, caller.tenant, path.channel_id);
      return empty();
    },
  }),
  route({
    operationId: "listChannelRejections",
    method: "GET",
    path: "/v1/channels/{channel_id}/rejections",
    tag: "Channels",
    scope: "admin",
    summary: "Webhook items the adapter could not store, newest first",
    description: `Kept 30 days. page[size] 1..${MAX_REJECTIONS_PAGE} (default 50).`,
    request: {
      path: channelPath,
      query: z.strictObject({ "page[size]": pageSize(MAX_REJECTIONS_PAGE, 50) }),
    },
    responses: {
      200: ok("Rejections, newest first", z.object({ rejections: z.array(RejectionSchema) }), {
        rejections: [REJECTION_EXAMPLE],
      }),
      400: problem("Invalid parameter"),
      404: missing,
    },
    handle: async ({ path, query, caller }, deps) =>
      json(200, {
        rejections: await listRejections(deps, caller.tenant, path.channel_id, query["page[size]"]),
      }),
  }),
]);
