/**
 * Every key of the DynamoDB table (partition and sort keys, index keys) is built and parsed
 * here, and nowhere else. These are table keys; API keys are `shared/auth/api-keys.ts`.
 *
 * | item | pk | sk |
 * |---|---|---|
 * | event | `T#{tenant}#C#{conversation}` | `E#{occurred_at}#{id}` |
 * | event id guard | `T#{tenant}#I#{id}` | `I` |
 * | time bucket directory | `T#{tenant}#TB` | `{yyyy-mm}` |
 * | sequence bucket directory | `T#{tenant}#SB` | `{yyyy-mm}` |
 * | conversation state | `T#{tenant}#C#{conversation}` | `S` |
 * | Idempotency-Key record | `T#{tenant}#IK#{sha256(Idempotency-Key)}` | `IK` |
 * | API key (lookup) | `K#{sha256(API key)}` | `K` |
 * | API key (tenant listing) | `T#{tenant}#KEYS` | `{API key id}` |
 * | tenant rate plan (usage key) | `PLAN#{tenant}` | `PLAN` |
 * | trigger | `T#{tenant}#TRG` | `{trigger id}` |
 * | trigger count | `T#{tenant}#TRGN` | `N` |
 * | trigger run | `T#{tenant}#TRUN#{trigger id}` | `{event received_at}#{event id}` |
 * | causation budget | `T#{tenant}#CB#{root event id}` | `CB` |
 * | webhook delivery failure | `T#{tenant}#WHF` | `{failed_at}#{webhook id}` |
 * | channel integration (webhook lookup) | `CH#{channel id}` | `CH` |
 * | channel integration (tenant listing) | `T#{tenant}#CH` | `{channel id}` |
 * | channel webhook rejection | `T#{tenant}#CHR#{channel id}` | `{rejection id}` |
 *
 * Index `byTime`: `tpk = T#{tenant}#M#{yyyy-mm}#{shard}`, `tsk = {occurred_at}#{id}`.
 * Index `byUpdated`: `upk = T#{tenant}#U#{status}#{shard}`, `usk = {updated_at}#{conversation}`.
 * Index `bySequence`: `spk = T#{tenant}#Q#{yyyy-mm}#{shard}`, `ssk = {sequence}`.
 * Every tenant-data partition key starts with `T#{tenant}#`, so IAM `dynamodb:LeadingKeys`
 * can confine a role to one tenant.
 */
import { createHash } from "node:crypto";
import { decodeTime } from "ulid";
import { TENANT_PATTERN } from "../../tenant.ts";
import { parsePosition, positionOf } from "../events.ts";

/** Shards per time bucket of the `byTime` index (see docs/data-model.md for the arithmetic). */
export const TIME_SHARDS = 4;

/** The primary key of an item: partition key and sort key. */
export interface TableKey {
  pk: string;
  sk: string;
}

function assertTenant(tenant: string): void {
  if (!TENANT_PATTERN.test(tenant)) throw new Error(`invalid tenant id ${JSON.stringify(tenant)}`);
}

export function tenantPrefix(tenant: string): string {
  assertTenant(tenant);
  return `T#${tenant}#`;
}

/** The tenant of a tenant-data partition key (`T#{tenant}#…`). */
export function tenantOfPk(pk: string): string {
  const end = pk.indexOf("#", 2);
  if (!pk.startsWith("T#") || end < 0) throw new Error(`not a tenant key: ${pk}`);
  return pk.slice(2, end);
}

export function conversationPk(tenant: string, conversationId: string): string {
  return `${tenantPrefix(tenant)}C#${conversationId}`;
}

/** Sort-key prefix shared by all event items of a conversation. */
export const EVENT_SK_PREFIX = "E#";

export function eventKey(tenant: string, conversationId: string, occurredAt: string, id: string): TableKey {
  return { pk: conversationPk(tenant, conversationId), sk: eventSk(occurredAt, id) };
}

export function eventSk(occurredAt: string, id: string): string {
  return `${EVENT_SK_PREFIX}${positionOf(occurredAt, id)}`;
}

export function parseEventSk(sk: string): { occurredAt: string; id: string } {
  if (!sk.startsWith(EVENT_SK_PREFIX)) throw new Error(`not an event sort key: ${sk}`);
  return parsePosition(sk.slice(EVENT_SK_PREFIX.length));
}

export function guardKey(tenant: string, id: string): TableKey {
  return { pk: `${tenantPrefix(tenant)}I#${id}`, sk: "I" };
}

/** UTC month of a normalized timestamp: the `byTime` bucket. */
export function timeBucket(occurredAt: string): string {
  return occurredAt.slice(0, 7);
}

/** Deterministic shard of an event id, so a retried write lands on the same index partition. */
export function timeShard(id: string): number {
  return hashShard(id, TIME_SHARDS);
}

/** A stable shard in `0..shards-1` for a value: the first 32 bits of its SHA-256. */
function hashShard(value: string, shards: number): number {
  return createHash("sha256").update(value).digest().readUInt32BE(0) % shards;
}

export function timeIndexPk(tenant: string, bucket: string, shard: number): string {
  return `${tenantPrefix(tenant)}M#${bucket}#${shard}`;
}

export function timeIndexKey(tenant: string, occurredAt: string, id: string): { tpk: string; tsk: string } {
  return { tpk: timeIndexPk(tenant, timeBucket(occurredAt), timeShard(id)), tsk: positionOf(occurredAt, id) };
}

export function bucketDirectoryPk(tenant: string): string {
  return `${tenantPrefix(tenant)}TB`;
}

/** Every month bucket from the one holding `fromIso` to the one holding `toIso`, inclusive. */
export function bucketsBetween(fromIso: string, toIso: string): string[] {
  const out: string[] = [];
  let year = Number(fromIso.slice(0, 4));
  let month = Number(fromIso.slice(5, 7));
  const last = timeBucket(toIso);
  for (;;) {
    const bucket = `${String(year).padStart(4, "0")}-${String(month).padStart(2, "0")}`;
    if (bucket > last) return out;
    out.push(bucket);
    month += 1;
    if (month > 12) {
      month = 1;
      year += 1;
    }
  }
}

/** Sort key of a conversation's folded state item, beside its events (`E#…` sort after it). */
export const STATE_SK = "S";

/** The folded state item of a conversation: in the conversation's own partition. */
export function conversationStateKey(tenant: string, conversationId: string): TableKey {
  return { pk: conversationPk(tenant, conversationId), sk: STATE_SK };
}

/** Shards per status of the `byUpdated` index (the same arithmetic as `byTime`). */
export const UPDATED_SHARDS = 4;

/** Deterministic shard of a conversation, so its state item stays on one index partition per status. */
export function updatedShard(conversationId: string): number {
  return hashShard(conversationId, UPDATED_SHARDS);
}

export function updatedIndexPk(tenant: string, status: string, shard: number): string {
  return `${tenantPrefix(tenant)}U#${status}#${shard}`;
}

/** `byUpdated` keys of a state item: one partition per status and shard, ordered by `{updated_at}#{conversation}`. */
export function updatedIndexKey(
  tenant: string,
  status: string,
  conversationId: string,
  updatedAt: string,
): { upk: string; usk: string } {
  return {
    upk: updatedIndexPk(tenant, status, updatedShard(conversationId)),
    usk: positionOf(updatedAt, conversationId),
  };
}

/**
 * An Idempotency-Key record, scoped to the tenant. The client's Idempotency-Key is hashed: it
 * may hold any printable character (`#` included) and up to 255 of them.
 */
export function idempotencyRecordKey(tenant: string, idempotencyKey: string): TableKey {
  return {
    pk: `${tenantPrefix(tenant)}IK#${createHash("sha256").update(idempotencyKey, "utf8").digest("base64url")}`,
    sk: "IK",
  };
}

/** The item the authorizer resolves a presented API key by: keyed by the key's SHA-256 alone. */
export function apiKeyLookupKey(apiKeyHash: string): TableKey {
  return { pk: `K#${apiKeyHash}`, sk: "K" };
}

/** All of a tenant's API keys share one partition: the key CLI lists them with one Query. */
export function apiKeyListingsPk(tenant: string): string {
  return `${tenantPrefix(tenant)}KEYS`;
}

export function apiKeyListingKey(tenant: string, apiKeyId: string): TableKey {
  return { pk: apiKeyListingsPk(tenant), sk: apiKeyId };
}

/**
 * A tenant's rate plan and usage key, read by the authorizers: outside the `T#` namespace,
 * so their grant (`PLAN#*`) reaches no tenant data.
 */
export function tenantPlanKey(tenant: string): TableKey {
  assertTenant(tenant);
  return { pk: `PLAN#${tenant}`, sk: "PLAN" };
}

/** All of a tenant's triggers share one partition: the engine loads them with one Query. */
export function triggersPk(tenant: string): string {
  return `${tenantPrefix(tenant)}TRG`;
}

export function triggerKey(tenant: string, triggerId: string): TableKey {
  return { pk: triggersPk(tenant), sk: triggerId };
}

/** How many triggers the tenant has: the one item that enforces the per-tenant maximum. */
export function triggerCountKey(tenant: string): TableKey {
  return { pk: `${tenantPrefix(tenant)}TRGN`, sk: "N" };
}

/** One trigger's runs share a partition, newest first in a reverse Query. */
export function triggerRunsPk(tenant: string, triggerId: string): string {
  return `${tenantPrefix(tenant)}TRUN#${triggerId}`;
}

export function triggerRunKey(tenant: string, triggerId: string, position: string): TableKey {
  return { pk: triggerRunsPk(tenant, triggerId), sk: position };
}

/** The budget of one causation tree, by its root (depth-0) event. */
export function causationBudgetKey(tenant: string, rootEventId: string): TableKey {
  return { pk: `${tenantPrefix(tenant)}CB#${rootEventId}`, sk: "CB" };
}

export function webhookFailuresPk(tenant: string): string {
  return `${tenantPrefix(tenant)}WHF`;
}

/** Failures sort by time, so the newest are one reverse Query away. */
export function webhookFailureKey(tenant: string, failedAt: string, webhookId: string): TableKey {
  return { pk: webhookFailuresPk(tenant), sk: `${failedAt}#${webhookId}` };
}

/**
 * A channel integration found by its webhook id alone: the provider's request carries no
 * tenant, so this item (outside the tenant namespace, like API keys) names it.
 */
export function channelLookupKey(channelId: string): TableKey {
  return { pk: `CH#${channelId}`, sk: "CH" };
}

/** All of a tenant's channel integrations share one partition: `GET /v1/channels` is one Query. */
export function tenantChannelsPk(tenant: string): string {
  return `${tenantPrefix(tenant)}CH`;
}

export function tenantChannelKey(tenant: string, channelId: string): TableKey {
  return { pk: tenantChannelsPk(tenant), sk: channelId };
}

export function channelRejectionsPk(tenant: string, channelId: string): string {
  return `${tenantPrefix(tenant)}CHR#${channelId}`;
}

/** Rejection ids are ULIDs, so a channel's rejections sort by time. */
export function channelRejectionKey(tenant: string, channelId: string, rejectionId: string): TableKey {
  return { pk: channelRejectionsPk(tenant, channelId), sk: rejectionId };
}

/** Shards per month bucket of the `bySequence` index (the same arithmetic as `byTime`). */
export const SEQUENCE_SHARDS = 4;

/** UTC month of a sequence (a ULID: its first 10 characters are the ingest time in ms). */
export function sequenceBucket(sequence: string): string {
  return new Date(decodeTime(sequence)).toISOString().slice(0, 7);
}

export function sequenceIndexPk(tenant: string, bucket: string, shard: number): string {
  return `${tenantPrefix(tenant)}Q#${bucket}#${shard}`;
}

/** `bySequence` keys of an event: the shard follows the id, like `byTime`, so a retry lands on the same partition. */
export function sequenceIndexKey(tenant: string, sequence: string, id: string): { spk: string; ssk: string } {
  return {
    spk: sequenceIndexPk(tenant, sequenceBucket(sequence), hashShard(id, SEQUENCE_SHARDS)),
    ssk: sequence,
  };
}

/** The months holding sequences, so the change feed skips empty ones. */
export function sequenceDirectoryPk(tenant: string): string {
  return `${tenantPrefix(tenant)}SB`;
}
