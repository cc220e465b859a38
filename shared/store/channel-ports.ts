/**
 * The port of channel integrations and webhook rejections: what the use cases depend on.
 * The DynamoDB adapter is `channel-store.ts`; keeping them apart keeps the SDK out of modules
 * (like the OpenAPI document) that only need the types and limits.
 */
export type ChannelType = "whatsapp" | "sunco";

/** What `GET /v1/channels` shows. */
export interface PublicChannel {
  id: string;
  type: ChannelType;
  created_at: string;
  phone_number_id?: string;
  app_id?: string;
}

export type ChannelCredentials =
  | { type: "whatsapp"; app_secret: string; verify_token_sha256: string }
  | { type: "sunco"; webhook_secret_sha256: string };

export interface StoredChannel extends PublicChannel {
  tenant: string;
  credentials: ChannelCredentials;
}

/** One provider item the adapter could not store, kept for inspection. */
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

export interface ChannelRepository {
  create(channel: StoredChannel): Promise<void>;
  list(tenant: string): Promise<PublicChannel[]>;
  /** Whether an integration of this tenant was deleted. */
  delete(tenant: string, id: string): Promise<boolean>;
  /** The integration behind a webhook URL, with its tenant and credentials. */
  resolve(id: string): Promise<StoredChannel | undefined>;
  recordRejections(tenant: string, rejections: ChannelRejection[]): Promise<void>;
  /** Newest first, at most `limit`. */
  listRejections(tenant: string, channelId: string, limit: number): Promise<ChannelRejection[]>;
}
