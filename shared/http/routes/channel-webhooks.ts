/**
 * The providers' webhook routes. Public in the route table: the provider's signature or
 * secret authenticates each request, and the tenant comes only from the integration the
 * URL's id names. Each request counts against that tenant's rate plan (`meteredBy`).
 */
import * as z from "zod";
import { logger } from "../../logger.ts";
import {
  authenticateSunco,
  authenticateWhatsApp,
  CHANNEL_ID_PATTERN,
  type ChannelIntegrationDeps,
  receiveWebhook,
  WebhookResultSchema,
  whatsappHandshake,
} from "../../usecases/channels.ts";
import { json, ok, problem, rawBody, routesOf } from "../contract.ts";
import { CHANNEL_EXAMPLE, SUNCO_WEBHOOK_EXAMPLE, WHATSAPP_WEBHOOK_EXAMPLE } from "../examples.ts";
import { issuedId } from "../params.ts";

const webhookPath = z.object({
  webhook_id: issuedId(CHANNEL_ID_PATTERN, "channel at this URL", CHANNEL_EXAMPLE.id),
});
const unknownWebhook = problem("No channel of this provider at this URL");
const accepted = ok(
  "Accepted: counts of stored, already stored, ignored and rejected items. Rejected items are recorded " +
    "(GET /v1/channels/{channel_id}/rejections) and never make the provider retry.",
  WebhookResultSchema,
  { created: 1, duplicate: 0, ignored: 0, rejected: 0 },
);
const providerJson = z.record(z.string(), z.unknown());

export const CHANNEL_WEBHOOK_ROUTES = routesOf<ChannelIntegrationDeps>("channelWebhooks")((route) => [
  route({
    operationId: "verifyWhatsAppWebhook",
    method: "GET",
    path: "/v1/channels/whatsapp/{webhook_id}",
    tag: "Channels",
    scope: null,
    meteredBy: "channel",
    summary: "Meta's webhook verification handshake",
    request: {
      path: webhookPath,
      // Meta's parameters; anything else Meta adds is ignored.
      query: z.object({
        "hub.mode": z.string().optional().meta({ example: "subscribe" }),
        "hub.verify_token": z.string().optional().meta({ example: "verify-me-please" }),
        "hub.challenge": z.string().optional().meta({ example: "1158201444" }),
      }),
    },
    responses: {
      200: {
        description: "The challenge, echoed",
        content: { "text/plain": { schema: z.string(), example: "1158201444" } },
      },
      403: problem("Wrong mode or verify token"),
      404: unknownWebhook,
    },
    handle: async ({ path, query }, deps) => ({
      status: 200,
      // Plain text with nosniff: the challenge is echoed, so it must never render as markup.
      contentType: "text/plain; charset=utf-8",
      headers: { "x-content-type-options": "nosniff", "cache-control": "no-store" },
      text: await whatsappHandshake(deps, path.webhook_id, {
        mode: query["hub.mode"],
        verifyToken: query["hub.verify_token"],
        challenge: query["hub.challenge"],
      }),
    }),
  }),
  route({
    operationId: "receiveWhatsAppWebhook",
    method: "POST",
    path: "/v1/channels/whatsapp/{webhook_id}",
    tag: "Channels",
    scope: null,
    meteredBy: "channel",
    summary: "WhatsApp Cloud API notifications (X-Hub-Signature-256)",
    request: {
      path: webhookPath,
      headers: z.object({
        "X-Hub-Signature-256": z
          .string()
          .optional()
          .meta({ description: "sha256=<hex HMAC of the raw body>", example: "sha256=1f8a…" }),
      }),
      body: rawBody("application/json", providerJson, {
        message: { summary: "A customer's text message", value: WHATSAPP_WEBHOOK_EXAMPLE },
      }),
    },
    responses: {
      200: accepted,
      401: problem("Missing or wrong signature; nothing stored"),
      404: unknownWebhook,
    },
    handle: async ({ path, headers, body }, deps) => {
      const request = { id: path.webhook_id, rawBody: body, credential: headers["X-Hub-Signature-256"] };
      const channel = await authenticateWhatsApp(deps, request);
      logger.appendKeys({ tenant: channel.tenant });
      return json(200, await receiveWebhook(deps, channel, body));
    },
  }),
  route({
    operationId: "receiveSuncoWebhook",
    method: "POST",
    path: "/v1/channels/sunco/{webhook_id}",
    tag: "Channels",
    scope: null,
    meteredBy: "channel",
    summary: "Sunshine Conversations v2 webhook (X-API-Key)",
    request: {
      path: webhookPath,
      headers: z.object({
        "X-API-Key": z
          .string()
          .optional()
          .meta({ description: "The webhook secret", example: "whsec-sunco-…" }),
      }),
      body: rawBody("application/json", providerJson, {
        message: { summary: "A customer's text message", value: SUNCO_WEBHOOK_EXAMPLE },
      }),
    },
    responses: {
      200: accepted,
      401: problem("Missing or wrong X-API-Key; nothing stored"),
      404: unknownWebhook,
    },
    handle: async ({ path, headers, body }, deps) => {
      const request = { id: path.webhook_id, rawBody: body, credential: headers["X-API-Key"] };
      const channel = await authenticateSunco(deps, request);
      logger.appendKeys({ tenant: channel.tenant });
      return json(200, await receiveWebhook(deps, channel, body));
    },
  }),
]);
