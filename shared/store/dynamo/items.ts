/**
 * Every item of the table is encoded and decoded here, one codec per entity (the idea of
 * dynamodb-toolbox's entities, without the dependency): `encode` lays an entity out as an
 * item (its table keys from table-keys.ts, the `entity` discriminator, its attributes) and
 * `decode` reads it back through typed readers, so a malformed item fails with an error that
 * names the entity and the attribute instead of passing through a cast. docs/data-model.md
 * lists the items.
 *
 * The readers only check types (a `typeof` per attribute): cheap enough for every read path.
 * Values were validated when they were written; a wrong type here means the item was written
 * by something else, or by hand. Documents stored as JSON strings (an event, a conversation
 * state) are the exception: they are written only from validated values, by the codecs below,
 * and are parsed without a per-field check, because they are on the hottest read paths.
 */
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { isScope } from "../../auth/scopes.ts";
import type { StoredEvent } from "../../events/schema.ts";
import { SEAL_ALGORITHMS, type StoredSecret } from "../../secrets/cipher.ts";
import type { TriggerAction } from "../../triggers/schema.ts";
import { type Conversation, type FoldedState, toConversation } from "../../usecases/conversation-state.ts";
import type { ApiKeyRecord } from "../api-keys.ts";
import {
  type ChannelRejection,
  INTEGRATION_TYPES,
  type IntegrationCredentials,
  type PublicChannelIntegration,
  REJECTION_TTL_SECONDS,
  type StoredChannelIntegration,
} from "../channel-integrations.ts";
import type { StoredState } from "../conversation-states.ts";
import { type PreparedEvent, positionOf } from "../events.ts";
import type { IdempotencyRecord } from "../idempotency.ts";
import type { TenantPlan } from "../tenant-plans.ts";
import { RUN_STATUSES, RUN_TTL_SECONDS, runPosition, type TriggerRun } from "../trigger-runs.ts";
import type { DeliveryFailure, StoredTrigger, TriggerDefinition } from "../triggers.ts";
import { TABLE } from "./table.ts";
import {
  apiKeyListingKey,
  apiKeyLookupKey,
  channelLookupKey,
  channelRejectionKey,
  conversationStateKey,
  eventKey,
  guardKey,
  idempotencyRecordKey,
  sequenceIndexKey,
  tenantChannelKey,
  tenantPlanKey,
  timeIndexKey,
  triggerKey,
  triggerRunKey,
  updatedIndexKey,
  webhookFailureKey,
} from "./table-keys.ts";

export type Item = Record<string, unknown>;

/** An item that does not have the shape its entity's codec writes. */
export class MalformedItemError extends Error {
  override name = "MalformedItemError";
}

/** Reads the attributes of one item of one entity (`trigger`, `api key lookup`, …). */
export class ItemReader {
  constructor(
    /** Names the entity in errors. */
    readonly entity: string,
    readonly item: Item,
  ) {}

  #fail(name: string, expected: string): never {
    const value = this.item[name];
    const got = value === undefined ? "nothing" : Array.isArray(value) ? "a list" : `a ${typeof value}`;
    throw new MalformedItemError(
      `${this.entity} item: attribute "${name}" should be ${expected}, got ${got}`,
    );
  }

  str(name: string): string {
    const value = this.item[name];
    return typeof value === "string" ? value : this.#fail(name, "a string");
  }

  optStr(name: string): string | undefined {
    const value = this.item[name];
    return value === undefined || typeof value === "string" ? value : this.#fail(name, "a string or absent");
  }

  num(name: string): number {
    const value = this.item[name];
    return typeof value === "number" ? value : this.#fail(name, "a number");
  }

  optNum(name: string): number | undefined {
    const value = this.item[name];
    return value === undefined || typeof value === "number" ? value : this.#fail(name, "a number or absent");
  }

  bool(name: string): boolean {
    const value = this.item[name];
    return typeof value === "boolean" ? value : this.#fail(name, "a boolean");
  }

  /** A string that must be one of `values`. */
  oneOf<const V extends string>(name: string, values: readonly V[]): V {
    const value = this.item[name];
    return typeof value === "string" && (values as readonly string[]).includes(value)
      ? (value as V)
      : this.#fail(name, `one of ${values.map((v) => JSON.stringify(v)).join(", ")}`);
  }

  strList(name: string): string[] {
    const value = this.item[name];
    if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
      return this.#fail(name, "a list of strings");
    }
    return value;
  }

  /** A nested map, read with its own reader. */
  map(name: string): ItemReader {
    const value = this.item[name];
    if (typeof value !== "object" || value === null || Array.isArray(value)) return this.#fail(name, "a map");
    return new ItemReader(`${this.entity} ${name}`, value as Item);
  }

  /** An optional list of maps, each read with its own reader. */
  optMapList(name: string): ItemReader[] | undefined {
    const value = this.item[name];
    if (value === undefined) return undefined;
    if (!Array.isArray(value)) return this.#fail(name, "a list of maps or absent");
    return value.map((v, i) => {
      if (typeof v !== "object" || v === null || Array.isArray(v)) return this.#fail(name, "a list of maps");
      return new ItemReader(`${this.entity} ${name}[${i}]`, v as Item);
    });
  }

  /** A list of anything (its elements are the caller's to read). */
  list(name: string): unknown[] {
    const value = this.item[name];
    return Array.isArray(value) ? value : this.#fail(name, "a list");
  }

  /** A map of anything, as a plain object. */
  record(name: string): Item {
    return this.map(name).item;
  }

  /**
   * A secret (shared/secrets/cipher.ts): a map `{ v, alg, kid, ct }` when sealed, or a string
   * when written before secrets were sealed (legacy plaintext, still read).
   */
  secret(name: string): StoredSecret {
    const value = this.item[name];
    if (typeof value === "string") return value;
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      return this.#fail(name, "a sealed secret (a map) or a legacy string");
    }
    const sealed = this.map(name);
    const v = sealed.num("v");
    if (v !== 1)
      throw new MalformedItemError(`${this.entity} item: secret "${name}" has unknown version ${v}`);
    return { v, alg: sealed.oneOf("alg", SEAL_ALGORITHMS), kid: sealed.str("kid"), ct: sealed.str("ct") };
  }

  /** A JSON object stored as a string attribute, parsed, with its own reader. */
  doc(name: string): ItemReader {
    let parsed: unknown;
    try {
      parsed = JSON.parse(this.str(name));
    } catch (error) {
      if (error instanceof MalformedItemError) throw error;
      throw new MalformedItemError(`${this.entity} item: attribute "${name}" is not JSON`);
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw new MalformedItemError(`${this.entity} item: attribute "${name}" is not a JSON object`);
    }
    return new ItemReader(`${this.entity} ${name}`, parsed as Item);
  }
}

/**
 * An item in DynamoDB's low-level attribute-value form (`{ S: "…" }`), as a condition-check
 * failure carries the old item (the document client leaves those unconverted), made plain.
 * Covers the types our items use: strings, numbers, booleans, null, lists and maps.
 */
export function fromAttributeValues(item: Record<string, AttributeValue>): Item {
  const out: Item = {};
  for (const [name, value] of Object.entries(item)) out[name] = plainValue(value);
  return out;
}

function plainValue(value: AttributeValue): unknown {
  if (value.S !== undefined) return value.S;
  if (value.N !== undefined) return Number(value.N);
  if (value.BOOL !== undefined) return value.BOOL;
  if (value.NULL !== undefined) return null;
  if (value.L !== undefined) return value.L.map(plainValue);
  if (value.M !== undefined) return fromAttributeValues(value.M);
  throw new MalformedItemError(`unsupported attribute value type: ${Object.keys(value).join(", ")}`);
}

// --- Events -------------------------------------------------------------------------------

/** An event: its keys (table, `byTime`, `bySequence`), the attributes filters need, and the event as JSON. */
export const eventItem = {
  entity: "event",
  encode(tenant: string, { event, hash }: PreparedEvent): Item {
    return {
      ...eventKey(tenant, event.conversation_id, event.occurred_at, event.id),
      ...timeIndexKey(tenant, event.occurred_at, event.id),
      ...sequenceIndexKey(tenant, event.sequence, event.id),
      entity: "event",
      id: event.id,
      cid: event.conversation_id,
      type: event.type,
      ch: event.channel.type,
      aut: event.author.type,
      seq: event.sequence,
      h: hash,
      doc: JSON.stringify(event),
    };
  },
  /**
   * The event exactly as accepted. The hottest read path (every timeline page, the change
   * feed, the projector's refolds), so `doc` is parsed, not re-validated: `encode` wrote it
   * from an event the ingest path had validated.
   */
  decode(item: Item): StoredEvent {
    return JSON.parse(new ItemReader("event", item).str("doc")) as StoredEvent;
  },
  /** The content hash of a stored event item; "" (a conflict with any body) if it has none. */
  hashOf(item: Item): string {
    return new ItemReader("event", item).optStr("h") ?? "";
  },
};

/** The id guard of an event: one per `(tenant, id)`, whatever the event's time or conversation. */
export const guardItem = {
  entity: "guard",
  encode(tenant: string, { event, hash }: PreparedEvent): Item {
    return {
      ...guardKey(tenant, event.id),
      entity: "guard",
      h: hash,
      cid: event.conversation_id,
      pos: positionOf(event.occurred_at, event.id),
    };
  },
  decode(item: Item): { hash: string; conversationId: string; position: string } {
    const r = new ItemReader("event id guard", item);
    return { hash: r.str("h"), conversationId: r.str("cid"), position: r.str("pos") };
  },
};

/** A month in a directory (of `occurred_at` months or of sequence months): read by its sort key. */
export const directoryEntryItem = {
  entity: "bucket",
  encode(directoryPk: string, bucket: string): Item {
    return { pk: directoryPk, sk: bucket, entity: "bucket" };
  },
  decode(item: Item): string {
    return new ItemReader("directory entry", item).str("sk");
  },
};

// --- Conversation states --------------------------------------------------------------------

/** A conversation's folded state, beside its events, with its `byUpdated` keys and the state as JSON. */
export const conversationStateItem = {
  entity: "state",
  encode(tenant: string, state: FoldedState, updatedAt: string): Item {
    return {
      ...conversationStateKey(tenant, state.conversation_id),
      ...updatedIndexKey(tenant, state.status, state.conversation_id, updatedAt),
      entity: "state",
      cid: state.conversation_id,
      pos: state.position,
      // The version: it grows with every write, so the optimistic write conditions on it.
      event_count: state.event_count,
      updated_at: updatedAt,
      doc: JSON.stringify(toConversation(state, updatedAt)),
    };
  },
  decode(item: Item): StoredState {
    const r = new ItemReader("conversation state", item);
    const { updated_at, ...rest } = conversationOf(r);
    return { state: { ...rest, position: r.str("pos") }, updatedAt: updated_at };
  },
  /** Just the conversation: what the conversation list returns. */
  conversation(item: Item): Conversation {
    return conversationOf(new ItemReader("conversation state", item));
  },
};

/** Like an event's `doc`, written by `encode` from the fold's own output: parsed, not re-validated. */
function conversationOf(r: ItemReader): Conversation {
  return JSON.parse(r.str("doc")) as Conversation;
}

// --- Idempotency-Key records ----------------------------------------------------------------

export const idempotencyItem = {
  entity: "idempotency",
  encode(tenant: string, idempotencyKey: string, record: IdempotencyRecord, expiresAtSeconds: number): Item {
    return {
      ...idempotencyRecordKey(tenant, idempotencyKey),
      entity: "idempotency",
      fp: record.fingerprint,
      accepted_at: record.acceptedAt,
      eid: record.eventId,
      [TABLE.ttlAttribute]: expiresAtSeconds,
    };
  },
  decode(item: Item): IdempotencyRecord {
    const r = new ItemReader("Idempotency-Key record", item);
    return { fingerprint: r.str("fp"), acceptedAt: r.str("accepted_at"), eventId: r.str("eid") };
  },
};

// --- API keys ---------------------------------------------------------------------------------

function apiKeyAttributes(record: ApiKeyRecord): Item {
  return {
    key_id: record.key_id,
    tenant: record.tenant,
    scopes: record.scopes,
    created_at: record.created_at,
    revoked: record.revoked,
    hint: record.hint,
    ...(record.name ? { name: record.name } : {}),
  };
}

function readApiKey(r: ItemReader): ApiKeyRecord {
  const name = r.optStr("name");
  return {
    key_id: r.str("key_id"),
    tenant: r.str("tenant"),
    scopes: r.strList("scopes").filter(isScope),
    created_at: r.str("created_at"),
    revoked: r.bool("revoked"),
    hint: r.str("hint"),
    ...(name ? { name } : {}),
  };
}

/** What the authorizer resolves a presented key by: keyed by the key's hash, outside any tenant. */
export const apiKeyLookupItem = {
  entity: "apikey",
  encode(apiKeyHash: string, record: ApiKeyRecord): Item {
    return { ...apiKeyLookupKey(apiKeyHash), entity: "apikey", ...apiKeyAttributes(record) };
  },
  decode(item: Item): ApiKeyRecord {
    return readApiKey(new ItemReader("API key lookup", item));
  },
};

/** A key in its tenant's listing, with the hash that finds its lookup item (to revoke it). */
export const apiKeyListingItem = {
  entity: "apikey-ref",
  encode(apiKeyHash: string, record: ApiKeyRecord): Item {
    return {
      ...apiKeyListingKey(record.tenant, record.key_id),
      entity: "apikey-ref",
      key_hash: apiKeyHash,
      ...apiKeyAttributes(record),
    };
  },
  decode(item: Item): { record: ApiKeyRecord; apiKeyHash: string } {
    const r = new ItemReader("API key listing", item);
    return { record: readApiKey(r), apiKeyHash: r.str("key_hash") };
  },
};

// --- Tenant rate plans ----------------------------------------------------------------------

/** A tenant's rate plan tier and the usage key its requests are metered by. */
export const tenantPlanItem = {
  entity: "tenant-plan",
  encode(plan: TenantPlan): Item {
    return {
      ...tenantPlanKey(plan.tenant),
      entity: "tenant-plan",
      tenant: plan.tenant,
      tier: plan.tier,
      usage_key: plan.usageKey,
      usage_key_id: plan.usageKeyId,
      updated_at: plan.updatedAt,
    };
  },
  decode(item: Item): TenantPlan {
    const r = new ItemReader("tenant plan", item);
    return {
      tenant: r.str("tenant"),
      tier: r.str("tier"),
      usageKey: r.str("usage_key"),
      usageKeyId: r.str("usage_key_id"),
      updatedAt: r.str("updated_at"),
    };
  },
};

// --- Triggers and webhook delivery failures --------------------------------------------------

/** The definition as one JSON string, so a pattern's numbers, nulls and key order round-trip exactly. */
function definitionDoc(definition: TriggerDefinition): string {
  return JSON.stringify({
    name: definition.name,
    enabled: definition.enabled,
    when: definition.when,
    actions: definition.actions,
  });
}

export const triggerItem = {
  entity: "trigger",
  encode(tenant: string, trigger: StoredTrigger): Item {
    return {
      ...triggerKey(tenant, trigger.id),
      entity: "trigger",
      id: trigger.id,
      doc: definitionDoc(trigger),
      secret: trigger.secret,
      created_at: trigger.created_at,
      updated_at: trigger.updated_at,
    };
  },
  /** The attributes a replace sets: the definition and `updated_at` (the id, `created_at` and secret stay). */
  replacement(definition: TriggerDefinition, updatedAt: string): { doc: string; updated_at: string } {
    return { doc: definitionDoc(definition), updated_at: updatedAt };
  },
  decode(item: Item): StoredTrigger {
    const r = new ItemReader("trigger", item);
    const definition = r.doc("doc");
    return {
      id: r.str("id"),
      name: definition.str("name"),
      enabled: definition.bool("enabled"),
      when: definition.record("when"),
      // Each action was validated by TriggerActionSchema when the definition was written.
      actions: definition.list("actions") as TriggerAction[],
      created_at: r.str("created_at"),
      updated_at: r.str("updated_at"),
      secret: r.secret("secret"),
    };
  },
};

export const webhookFailureItem = {
  entity: "webhook-failure",
  encode(tenant: string, failure: DeliveryFailure): Item {
    return {
      ...webhookFailureKey(tenant, failure.failed_at, failure.webhook_id),
      entity: "webhook-failure",
      webhook_id: failure.webhook_id,
      trigger_id: failure.trigger_id,
      event_id: failure.event_id,
      action_index: failure.action_index,
      url: failure.url,
      status: failure.status,
      attempts: failure.attempts,
      ...(failure.last_status !== undefined ? { last_status: failure.last_status } : {}),
      last_error: failure.last_error,
      failed_at: failure.failed_at,
    };
  },
  decode(item: Item): DeliveryFailure {
    const r = new ItemReader("webhook delivery failure", item);
    const lastStatus = r.optNum("last_status");
    return {
      webhook_id: r.str("webhook_id"),
      trigger_id: r.str("trigger_id"),
      event_id: r.str("event_id"),
      action_index: r.num("action_index"),
      url: r.str("url"),
      status: r.oneOf("status", ["failed"]),
      attempts: r.num("attempts"),
      ...(lastStatus !== undefined ? { last_status: lastStatus } : {}),
      last_error: r.str("last_error"),
      failed_at: r.str("failed_at"),
    };
  },
};

/** A trigger run: one item per (trigger, event), expiring after {@link RUN_TTL_SECONDS}. */
export const triggerRunItem = {
  entity: "trigger-run",
  encode(tenant: string, run: TriggerRun): Item {
    return {
      ...triggerRunKey(tenant, run.trigger_id, runPosition(run)),
      entity: "trigger-run",
      id: run.id,
      trigger_id: run.trigger_id,
      event_id: run.event_id,
      event_type: run.event_type,
      depth: run.depth,
      root_event_id: run.root_event_id,
      at: run.at,
      event_received_at: run.event_received_at,
      actions: run.actions.map((a) => ({ ...a })),
      [TABLE.ttlAttribute]: Math.floor(Date.parse(run.at) / 1000) + RUN_TTL_SECONDS,
    };
  },
  decode(item: Item): TriggerRun {
    const r = new ItemReader("trigger run", item);
    return {
      id: r.str("id"),
      trigger_id: r.str("trigger_id"),
      event_id: r.str("event_id"),
      event_type: r.str("event_type"),
      depth: r.num("depth"),
      root_event_id: r.str("root_event_id"),
      at: r.str("at"),
      event_received_at: r.str("event_received_at"),
      actions: (r.optMapList("actions") ?? []).map((a) => {
        const reason = a.optStr("reason");
        const eventId = a.optStr("event_id");
        const webhookId = a.optStr("webhook_id");
        const httpStatus = a.optNum("http_status");
        return {
          index: a.num("index"),
          type: a.str("type"),
          status: a.oneOf("status", RUN_STATUSES),
          ...(reason !== undefined ? { reason } : {}),
          ...(eventId !== undefined ? { event_id: eventId } : {}),
          ...(webhookId !== undefined ? { webhook_id: webhookId } : {}),
          ...(httpStatus !== undefined ? { http_status: httpStatus } : {}),
        };
      }),
    };
  },
};

// --- Channel integrations and their rejections -----------------------------------------------

/** The public view of an integration: no credentials, optional ids only when set. */
export function publicIntegration(integration: PublicChannelIntegration): PublicChannelIntegration {
  return {
    id: integration.id,
    type: integration.type,
    created_at: integration.created_at,
    ...(integration.phone_number_id ? { phone_number_id: integration.phone_number_id } : {}),
    ...(integration.app_id ? { app_id: integration.app_id } : {}),
  };
}

function readPublicIntegration(r: ItemReader): PublicChannelIntegration {
  const phoneNumberId = r.optStr("phone_number_id");
  const appId = r.optStr("app_id");
  return {
    id: r.str("id"),
    type: r.oneOf("type", INTEGRATION_TYPES),
    created_at: r.str("created_at"),
    ...(phoneNumberId ? { phone_number_id: phoneNumberId } : {}),
    ...(appId ? { app_id: appId } : {}),
  };
}

function readCredentials(r: ItemReader): IntegrationCredentials {
  const type = r.oneOf("type", INTEGRATION_TYPES);
  return type === "whatsapp"
    ? { type, app_secret: r.secret("app_secret"), verify_token_sha256: r.str("verify_token_sha256") }
    : { type, webhook_secret_sha256: r.str("webhook_secret_sha256") };
}

/** What a webhook needs, found by the id in its URL alone: the tenant and the credentials. */
export const channelLookupItem = {
  entity: "channel",
  encode(integration: StoredChannelIntegration): Item {
    return {
      ...channelLookupKey(integration.id),
      entity: "channel",
      tenant: integration.tenant,
      credentials: integration.credentials,
      ...publicIntegration(integration),
    };
  },
  decode(item: Item): StoredChannelIntegration {
    const r = new ItemReader("channel integration lookup", item);
    return {
      ...readPublicIntegration(r),
      tenant: r.str("tenant"),
      credentials: readCredentials(r.map("credentials")),
    };
  },
};

/** An integration in its tenant's listing: the public view only. */
export const channelListingItem = {
  entity: "channel-listing",
  encode(tenant: string, integration: PublicChannelIntegration): Item {
    return {
      ...tenantChannelKey(tenant, integration.id),
      entity: "channel-listing",
      ...publicIntegration(integration),
    };
  },
  decode(item: Item): PublicChannelIntegration {
    return readPublicIntegration(new ItemReader("channel integration listing", item));
  },
};

/** A webhook item an integration could not store; DynamoDB TTL removes it after a while. */
export const channelRejectionItem = {
  entity: "channel-rejection",
  encode(tenant: string, rejection: ChannelRejection): Item {
    return {
      ...channelRejectionKey(tenant, rejection.channel_id, rejection.id),
      entity: "channel-rejection",
      id: rejection.id,
      channel_id: rejection.channel_id,
      received_at: rejection.received_at,
      path: rejection.path,
      reason: rejection.reason,
      ...(rejection.errors ? { errors: rejection.errors } : {}),
      raw: rejection.raw,
      [TABLE.ttlAttribute]: Math.floor(Date.parse(rejection.received_at) / 1000) + REJECTION_TTL_SECONDS,
    };
  },
  decode(item: Item): ChannelRejection {
    const r = new ItemReader("channel rejection", item);
    const errors = r.optMapList("errors")?.map((e) => ({ path: e.str("path"), message: e.str("message") }));
    return {
      id: r.str("id"),
      channel_id: r.str("channel_id"),
      received_at: r.str("received_at"),
      path: r.str("path"),
      reason: r.str("reason"),
      ...(errors ? { errors } : {}),
      raw: r.str("raw"),
    };
  },
};
