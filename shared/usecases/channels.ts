/**
 * Channel integrations (docs/api.md "Channel integrations"): admin CRUD, and the webhook use cases
 * that authenticate a provider request, map it, and append through the ingest path.
 * Knows nothing of Lambda or DynamoDB.
 */
import { randomBytes } from "node:crypto";
import { monotonicFactory } from "ulid";
import * as z from "zod";
import type { Mapping } from "../channels/mapped.ts";
import { matchesSha256, sha256Hex, verifyHubSignature } from "../channels/signature.ts";
import { mapSunco } from "../channels/sunco.ts";
import { mapWhatsApp } from "../channels/whatsapp.ts";
import { ForbiddenError, NotFoundError, UnauthorizedError } from "../errors.ts";
import { validateEventInput } from "../events/validate.ts";
import { openStoredSecret, type SecretCipher, type SecretContext } from "../secrets/cipher.ts";
import {
  type ChannelIntegrationStore,
  type ChannelRejection,
  type IntegrationType,
  MAX_RAW_CHARS,
  type PublicChannelIntegration,
  type StoredChannelIntegration,
} from "../store/channel-integrations.ts";
import { appendEvents, type IngestDeps } from "./ingest.ts";

/** `ch_` + 32 random bytes in base64url: the webhook URL is the capability, so it must be unguessable. */
export const CHANNEL_ID_PATTERN = /^ch_[A-Za-z0-9_-]{43}$/;
export const MAX_REJECTIONS_PAGE = 100;

const secret = (what: string) => z.string().min(8, `${what} must be at least 8 characters`).max(512);

export const ChannelIntegrationInputSchema = z
  .discriminatedUnion(
    "type",
    [
      z.strictObject({
        type: z.literal("whatsapp"),
        app_secret: secret("app_secret"),
        verify_token: secret("verify_token"),
        phone_number_id: z
          .string()
          .regex(/^\d{1,32}$/, "must be digits")
          .optional(),
      }),
      z.strictObject({
        type: z.literal("sunco"),
        app_id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must be a SunCo app id"),
        webhook_secret: secret("webhook_secret"),
      }),
    ],
    { error: () => "type must be one of: whatsapp, sunco" },
  )
  .meta({ id: "ChannelIntegrationInput" });

export const ChannelIntegrationSchema = z
  .object({
    id: z.string().regex(CHANNEL_ID_PATTERN),
    type: z.enum(["whatsapp", "sunco"]),
    webhook_url: z.string().meta({ format: "uri" }),
    created_at: z.string().meta({ format: "date-time" }),
    phone_number_id: z.string().optional(),
    app_id: z.string().optional(),
  })
  .meta({ id: "ChannelIntegration" });
export type ChannelIntegration = z.infer<typeof ChannelIntegrationSchema>;

export const RejectionSchema = z
  .object({
    id: z.string(),
    channel_id: z.string(),
    received_at: z.string().meta({ format: "date-time" }),
    path: z.string(),
    reason: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    raw: z.string(),
  })
  .meta({ id: "ChannelRejection" });

export const WebhookResultSchema = z
  .object({
    created: z.number().int(),
    duplicate: z.number().int(),
    ignored: z.number().int(),
    rejected: z.number().int(),
  })
  .meta({ id: "WebhookResult" });
export type WebhookResult = z.infer<typeof WebhookResultSchema>;

export interface ChannelIntegrationDeps {
  integrations: ChannelIntegrationStore;
  ingest: IngestDeps;
  /** Seals app secrets at create (`channels` function), opens them to verify (`channel-webhooks`). */
  secrets: SecretCipher;
  now: () => number;
  newChannelId: () => string;
  newRejectionId: () => string;
}

export function defaultChannelIntegrationDeps(
  integrations: ChannelIntegrationStore,
  ingest: IngestDeps,
  secrets: SecretCipher,
): ChannelIntegrationDeps {
  const ulid = monotonicFactory();
  return {
    integrations,
    ingest,
    secrets,
    now: Date.now,
    newChannelId: () => `ch_${randomBytes(32).toString("base64url")}`,
    newRejectionId: () => ulid(),
  };
}

/** `{base}/v1/channels/{type}/{id}`; `base` is the API's public root (stage prefix included). */
export function webhookUrl(base: string, channel: PublicChannelIntegration): string {
  return `${base.replace(/\/+$/, "")}/v1/channels/${channel.type}/${channel.id}`;
}

const view = (base: string, c: PublicChannelIntegration): ChannelIntegration => ({
  ...c,
  webhook_url: webhookUrl(base, c),
});

export type ChannelIntegrationInput = z.output<typeof ChannelIntegrationInputSchema>;

/** The encryption context of a tenant's WhatsApp app secrets. */
const appSecretContext = (tenant: string): SecretContext => ({ tenant, purpose: "whatsapp-app-secret" });

export async function createChannel(
  deps: ChannelIntegrationDeps,
  tenant: string,
  input: ChannelIntegrationInput,
  base: string,
): Promise<ChannelIntegration> {
  const common = { id: deps.newChannelId(), tenant, created_at: new Date(deps.now()).toISOString() };
  const channel: StoredChannelIntegration =
    input.type === "whatsapp"
      ? {
          ...common,
          type: "whatsapp",
          ...(input.phone_number_id ? { phone_number_id: input.phone_number_id } : {}),
          credentials: {
            type: "whatsapp",
            // Sealed for this tenant: the table never holds it in clear.
            app_secret: await deps.secrets.seal(input.app_secret, appSecretContext(tenant)),
            verify_token_sha256: sha256Hex(input.verify_token),
          },
        }
      : {
          ...common,
          type: "sunco",
          app_id: input.app_id,
          credentials: { type: "sunco", webhook_secret_sha256: sha256Hex(input.webhook_secret) },
        };
  await deps.integrations.create(channel);
  const { tenant: _t, credentials: _c, ...pub } = channel;
  return view(base, pub);
}

export async function listChannels(
  deps: ChannelIntegrationDeps,
  tenant: string,
  base: string,
): Promise<ChannelIntegration[]> {
  return (await deps.integrations.list(tenant)).map((c) => view(base, c));
}

export async function deleteChannel(deps: ChannelIntegrationDeps, tenant: string, id: string): Promise<void> {
  if (!(await deps.integrations.delete(tenant, id))) {
    throw new NotFoundError(`no channel ${id}`);
  }
}

/** The channel's rejection records, newest first, at most `limit`. */
export async function listRejections(
  deps: ChannelIntegrationDeps,
  tenant: string,
  id: string,
  limit: number,
): Promise<ChannelRejection[]> {
  // The listing item proves the channel is this tenant's (or was: rejections outlive a delete
  // only until their TTL, and are then unreachable through the API anyway).
  if (!(await deps.integrations.list(tenant)).some((c) => c.id === id)) {
    throw new NotFoundError(`no channel ${id}`);
  }
  return deps.integrations.listRejections(tenant, id, limit);
}

async function resolve(
  deps: ChannelIntegrationDeps,
  type: IntegrationType,
  id: string,
): Promise<StoredChannelIntegration> {
  const channel = await deps.integrations.resolve(id);
  // Another type's id is as unknown as a missing one: the URL names the provider.
  if (!channel || channel.type !== type) throw new NotFoundError(`no ${type} channel at this URL`);
  return channel;
}

/** Meta's verification handshake: the challenge back only for the right token. */
export async function whatsappHandshake(
  deps: ChannelIntegrationDeps,
  id: string,
  params: { mode?: string; verifyToken?: string; challenge?: string },
): Promise<string> {
  const channel = await resolve(deps, "whatsapp", id);
  const { challenge } = params;
  const ok =
    params.mode === "subscribe" &&
    channel.credentials.type === "whatsapp" &&
    matchesSha256(params.verifyToken, channel.credentials.verify_token_sha256) &&
    challenge !== undefined &&
    challenge.length > 0 &&
    challenge.length <= 256;
  if (!ok) throw new ForbiddenError("verification failed: wrong hub.mode, hub.verify_token or hub.challenge");
  return challenge as string;
}

/** A provider request: the integration its URL names, the exact bytes, and the credential it carried. */
export interface WebhookDelivery {
  id: string;
  rawBody: Buffer;
  /** `X-Hub-Signature-256` (WhatsApp) or `X-API-Key` (SunCo). */
  credential: string | undefined;
}

/** The integration a WhatsApp request is for, once its signature over the body checks out. */
export async function authenticateWhatsApp(
  deps: ChannelIntegrationDeps,
  request: WebhookDelivery,
): Promise<StoredChannelIntegration> {
  const channel = await resolve(deps, "whatsapp", request.id);
  const unauthorized = () =>
    new UnauthorizedError("X-Hub-Signature-256 is missing or does not match the body");
  // No signature, nothing to check: the secret is not even opened.
  if (channel.credentials.type !== "whatsapp" || !request.credential) throw unauthorized();
  // Opened for the tenant the lookup item names: a sealed secret copied from another
  // tenant's integration does not open (SecretOpenError, a 500 that alarms).
  const appSecret = await openStoredSecret(
    deps.secrets,
    channel.credentials.app_secret,
    appSecretContext(channel.tenant),
  );
  if (!verifyHubSignature(request.rawBody, request.credential, appSecret)) throw unauthorized();
  return channel;
}

/** The integration a SunCo request is for, once its secret checks out. */
export async function authenticateSunco(
  deps: ChannelIntegrationDeps,
  request: WebhookDelivery,
): Promise<StoredChannelIntegration> {
  const channel = await resolve(deps, "sunco", request.id);
  if (
    channel.credentials.type !== "sunco" ||
    !matchesSha256(request.credential, channel.credentials.webhook_secret_sha256)
  ) {
    throw new UnauthorizedError("X-API-Key is missing or wrong");
  }
  return channel;
}

const MAPPERS: Record<IntegrationType, (body: unknown) => Mapping> = {
  whatsapp: mapWhatsApp,
  sunco: mapSunco,
};

/** Maps and appends an authenticated provider request (see {@link deliver}). */
export function receiveWebhook(
  deps: ChannelIntegrationDeps,
  channel: StoredChannelIntegration,
  rawBody: Buffer,
): Promise<WebhookResult> {
  return deliver(deps, channel, rawBody, MAPPERS[channel.type]);
}

const rawJson = (raw: unknown): string => {
  const text = typeof raw === "string" ? raw : (JSON.stringify(raw) ?? "null");
  return text.length > MAX_RAW_CHARS ? text.slice(0, MAX_RAW_CHARS) : text;
};

/**
 * Maps an authenticated body and appends what maps, item by item: an item that cannot be
 * stored becomes a rejection record and never costs the others. Only a storage fault throws
 * (a 5xx, so the provider retries: that is the one failure a retry can fix).
 */
async function deliver(
  deps: ChannelIntegrationDeps,
  channel: StoredChannelIntegration,
  rawBody: Buffer,
  map: (body: unknown) => Mapping,
): Promise<WebhookResult> {
  const receivedAt = new Date(deps.now()).toISOString();
  const rejections: ChannelRejection[] = [];
  const reject = (path: string, reason: string, raw: unknown, errors?: ChannelRejection["errors"]) =>
    rejections.push({
      id: deps.newRejectionId(),
      channel_id: channel.id,
      received_at: receivedAt,
      path,
      reason,
      ...(errors && errors.length > 0 ? { errors } : {}),
      raw: rawJson(raw),
    });

  let body: unknown;
  try {
    body = JSON.parse(rawBody.toString("utf8"));
  } catch {
    body = undefined;
    reject("(root)", "the body is not valid JSON", rawBody.toString("utf8"));
  }
  const mapping: Mapping = body === undefined ? { events: [], ignored: [], rejected: [] } : map(body);
  for (const r of mapping.rejected) reject(r.path, r.reason, r.raw);

  const valid: unknown[] = [];
  const seen = new Set<string>();
  let duplicate = 0;
  for (const item of mapping.events) {
    const checked = validateEventInput(item.event, item.path);
    if (!checked.ok) {
      reject(item.path, "the mapped event is invalid", item.raw, checked.errors);
      continue;
    }
    // A provider batch may repeat an item (Meta retries merge); one write per id.
    const id = String(item.event.id);
    if (seen.has(id)) {
      duplicate += 1;
      continue;
    }
    seen.add(id);
    valid.push(item.event);
  }

  let created = 0;
  if (valid.length > 0) {
    const results = await appendEvents(deps.ingest, channel.tenant, valid);
    for (const [n, result] of results.entries()) {
      if (result.status === "created") created += 1;
      else if (result.status === "duplicate") duplicate += 1;
      else
        reject(
          `(event ${result.event.id})`,
          "an event with this id is stored with a different body",
          valid[n],
        );
    }
  }
  if (rejections.length > 0) await deps.integrations.recordRejections(channel.tenant, rejections);
  return { created, duplicate, ignored: mapping.ignored.length, rejected: rejections.length };
}
