/**
 * The port of channel integrations (a tenant's WhatsApp or SunCo webhook endpoint) and of the
 * webhook items they could not store: what the use cases depend on. The DynamoDB adapter is
 * `dynamo/channel-integrations.ts`; keeping them apart keeps the SDK out of modules (like the
 * OpenAPI document) that only need the types and limits.
 *
 * Not to be confused with an event's channel (`ChannelType` in shared/events/schema.ts: the
 * medium a message went through): an integration is how events of some channels arrive.
 */
import type { StoredSecret } from "../secrets/cipher.ts";

export const INTEGRATION_TYPES = ["whatsapp", "sunco"] as const;
export type IntegrationType = (typeof INTEGRATION_TYPES)[number];

/** What `GET /v1/channels` shows. */
export interface PublicChannelIntegration {
  id: string;
  type: IntegrationType;
  created_at: string;
  phone_number_id?: string;
  app_id?: string;
}

/**
 * What verifies a provider's requests. The WhatsApp app secret keys an HMAC, so it is kept,
 * sealed for `{ tenant, purpose: "whatsapp-app-secret" }`; the verify token and the SunCo
 * secret are only compared, so only their SHA-256 is kept (one-way already: nothing to seal).
 */
export type IntegrationCredentials =
  | { type: "whatsapp"; app_secret: StoredSecret; verify_token_sha256: string }
  | { type: "sunco"; webhook_secret_sha256: string };

export interface StoredChannelIntegration extends PublicChannelIntegration {
  tenant: string;
  credentials: IntegrationCredentials;
}

/** One provider item the integration could not store, kept for inspection. */
export interface ChannelRejection {
  id: string;
  channel_id: string;
  received_at: string;
  /** Where in the webhook body, e.g. `entry[0].changes[0].value.messages[1]`. */
  path: string;
  reason: string;
  errors?: { path: string; message: string }[];
  /** The provider item as JSON, cut at {@link MAX_RAW_CHARS}. */
  raw: string;
}

export const MAX_RAW_CHARS = 16_384;
/** Rejections are diagnostics, not the log: DynamoDB TTL removes them after 30 days. */
export const REJECTION_TTL_SECONDS = 30 * 24 * 3600;

export interface ChannelIntegrationStore {
  create(integration: StoredChannelIntegration): Promise<void>;
  list(tenant: string): Promise<PublicChannelIntegration[]>;
  /** Whether an integration of this tenant was deleted. */
  delete(tenant: string, id: string): Promise<boolean>;
  /** The integration behind a webhook URL, with its tenant and credentials. */
  resolve(id: string): Promise<StoredChannelIntegration | undefined>;
  recordRejections(tenant: string, rejections: ChannelRejection[]): Promise<void>;
  /** Newest first, at most `limit`. */
  listRejections(tenant: string, channelId: string, limit: number): Promise<ChannelRejection[]>;
}
