/**
 * Conversation commands: tag, untag, close, reopen. Each appends one event through the same
 * validation, idempotency and storage as client posts (`appendEvents`), authored by the log
 * (`author.type = system`, `channel.type = api`) unless the body says who and where.
 *
 * Idempotency-Key (docs/decisions.md, "Commands"): the key is reserved with one conditional
 * write that also fixes the event's id and `occurred_at`. Every retry (concurrent, or after a
 * crash anywhere) therefore appends the very same event, which the event store's id guard
 * stores at most once, and answers with it: no window where a crash loses or doubles it.
 */
import { createHash } from "node:crypto";
import * as z from "zod";
import { canonicalJson } from "../cursor.ts";
import { NotFoundError, UnprocessableError } from "../errors.ts";
import { AuthorSchema, ChannelSchema, MetadataSchema, type StoredEvent } from "../events/schema.ts";
import type { IdempotencyStore } from "../store/idempotency.ts";
import { appendEvents, type IngestDeps } from "./ingest.ts";

/** Keys are kept for 24 hours: a client retrying later than that is making a new request. */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;

/** A tag, in a body or in the path. */
export const TagSchema = z
  .string()
  .min(1, "a tag must not be empty")
  .max(128, "a tag is at most 128 characters");

/** Makes retries safe: the same key and request append once and answer alike. */
export const IdempotencyKeySchema = z
  .string()
  .regex(/^[\x21-\x7e]{1,255}$/, "must be 1 to 255 printable ASCII characters without spaces")
  .meta({
    description: "Makes retries safe: the same key and request append once and answer alike",
    example: "6f1c2a9e-tag-vip",
  });

/** What a command body may set besides its own fields: who acted, where, and free metadata. */
const common = {
  author: AuthorSchema.optional().meta({ description: "Default { type: system }" }),
  channel: ChannelSchema.optional().meta({ description: "Default { type: api }" }),
  metadata: MetadataSchema.optional(),
};

export const TagBodySchema = z.strictObject({ tags: z.array(TagSchema).min(1).max(50), ...common }).meta({
  id: "TagCommand",
});
export const CloseBodySchema = z
  .strictObject({ reason: z.string().max(1024).optional(), ...common })
  .meta({ id: "CloseCommand" });
/** Untag and reopen carry nothing of their own; their body is optional. */
export const PlainCommandBodySchema = z.strictObject(common).meta({ id: "Command" });

export type TagBody = z.output<typeof TagBodySchema>;
export type CloseBody = z.output<typeof CloseBodySchema>;
export type PlainCommandBody = z.output<typeof PlainCommandBodySchema>;

/** A validated command: what it does, to which conversation, with what body. */
export type CommandRequest = { conversationId: string; idempotencyKey?: string } & (
  | { kind: "tag"; body: TagBody }
  | { kind: "untag"; tag: string; body: PlainCommandBody }
  | { kind: "close"; body: CloseBody }
  | { kind: "reopen"; body: PlainCommandBody }
);
export type CommandKind = CommandRequest["kind"];

export interface CommandDeps {
  ingest: IngestDeps;
  idempotency: IdempotencyStore;
}

/** The event the command appends, without `id` and `occurred_at`. */
function eventFor(request: CommandRequest): Record<string, unknown> {
  const b = request.body;
  const base = {
    conversation_id: request.conversationId,
    author: b.author ?? { type: "system" },
    channel: b.channel ?? { type: "api" },
    ...(b.metadata ? { metadata: b.metadata } : {}),
  };
  switch (request.kind) {
    case "tag":
      return { type: "ConversationTagged", ...base, data: { tags: [...new Set(request.body.tags)] } };
    case "untag":
      return { type: "ConversationUntagged", ...base, data: { tags: [request.tag] } };
    case "close":
      return {
        type: "ConversationClosed",
        ...base,
        data: request.body.reason === undefined ? {} : { reason: request.body.reason },
      };
    case "reopen":
      return { type: "ConversationReopened", ...base, data: {} };
  }
}

/** Same key, same request: the command, its path parameters and its body (key order aside). */
function fingerprintOf(request: CommandRequest): string {
  const { idempotencyKey: _key, ...rest } = request;
  return createHash("sha256").update(canonicalJson(rest)).digest("base64url");
}

/**
 * Runs a command and returns the appended event. A retry with the same Idempotency-Key
 * returns the event of the first call; the same key with another request is a 422.
 */
export async function runCommand(
  deps: CommandDeps,
  tenant: string,
  request: CommandRequest,
): Promise<StoredEvent> {
  const key = request.idempotencyKey;
  const input = eventFor(request);
  if (!(await deps.ingest.store.conversationExists(tenant, request.conversationId))) {
    throw new NotFoundError(`conversation ${request.conversationId} has no events`);
  }
  const acceptedAtMs = deps.ingest.now();
  let occurredAt = new Date(acceptedAtMs).toISOString();
  let id: string | undefined;
  if (key !== undefined) {
    const fingerprint = fingerprintOf(request);
    // The id is fixed at reservation: retries append the same event, which the store's id
    // guard keeps to one. The accepted time is part of it so a key reused after it expired
    // makes a new event rather than colliding with the old one.
    const mine = {
      fingerprint,
      acceptedAt: occurredAt,
      eventId: `cmd:${createHash("sha256").update(`${key}\u001f${occurredAt}`).digest("hex").slice(0, 32)}`,
    };
    const reservation = await deps.idempotency.reserve(
      tenant,
      key,
      mine,
      Math.floor(acceptedAtMs / 1000) + IDEMPOTENCY_TTL_SECONDS,
    );
    const record = reservation.reserved ? mine : reservation.existing;
    if (record.fingerprint !== fingerprint) {
      throw new UnprocessableError(
        "this Idempotency-Key was already used with a different request (method, path or body); use a new key for a new request",
        { errors: [{ path: "Idempotency-Key", message: "reused with a different request" }] },
      );
    }
    occurredAt = record.acceptedAt;
    id = record.eventId;
  }
  const [result] = await appendEvents(deps.ingest, tenant, [
    { ...(id ? { id } : {}), ...input, occurred_at: occurredAt },
  ]);
  if (!result || result.status === "conflict") {
    // Same key, same request, same id and time: the body is the same, so this cannot happen.
    throw new Error(`command event ${id} conflicts with a stored event`);
  }
  return result.event;
}
