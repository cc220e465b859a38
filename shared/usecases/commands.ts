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
import { NotFoundError, UnprocessableError, ValidationError } from "../errors.ts";
import { AuthorSchema, ChannelSchema, MetadataSchema, type StoredEvent } from "../events/schema.ts";
import { zodErrors } from "../events/validate.ts";
import type { IdempotencyStore } from "../store/idempotency.ts";
import { appendEvents, type IngestDeps } from "./ingest.ts";
import { checkConversationId } from "./query.ts";

/** Keys are kept for 24 hours: a client retrying later than that is making a new request. */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;
const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

const tag = z.string().min(1, "a tag must not be empty").max(128, "a tag is at most 128 characters");

/** What a command body may set besides its own fields: who acted, where, and free metadata. */
const common = {
  author: AuthorSchema.optional().meta({ description: "Default { type: system }" }),
  channel: ChannelSchema.optional().meta({ description: "Default { type: api }" }),
  metadata: MetadataSchema.optional(),
};

export const TagBodySchema = z.strictObject({ tags: z.array(tag).min(1).max(50), ...common }).meta({
  id: "TagCommand",
});
export const CloseBodySchema = z
  .strictObject({ reason: z.string().max(1024).optional(), ...common })
  .meta({ id: "CloseCommand" });
/** Untag and reopen carry nothing of their own; their body is optional. */
export const PlainCommandBodySchema = z.strictObject(common).meta({ id: "Command" });

export type CommandKind = "tag" | "untag" | "close" | "reopen";

export interface CommandRequest {
  kind: CommandKind;
  conversationId: string;
  /** The `{tag}` path parameter of untag. */
  tag?: string;
  /** The parsed JSON body; `undefined` when none was sent. */
  body: unknown;
  idempotencyKey?: string;
}

export interface CommandDeps {
  ingest: IngestDeps;
  idempotency: IdempotencyStore;
}

function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const parsed = schema.safeParse(body ?? {});
  if (!parsed.success) {
    const errors = zodErrors(parsed.error, "", body);
    throw new ValidationError(errors.map((e) => `${e.path}: ${e.message}`).join("; "), { errors });
  }
  return parsed.data;
}

/** The event the command appends, without `id` and `occurred_at`. */
function eventFor(request: CommandRequest): Record<string, unknown> {
  const base = (b: z.output<typeof PlainCommandBodySchema>) => ({
    conversation_id: request.conversationId,
    author: b.author ?? { type: "system" },
    channel: b.channel ?? { type: "api" },
    ...(b.metadata ? { metadata: b.metadata } : {}),
  });
  switch (request.kind) {
    case "tag": {
      const b = parseBody(TagBodySchema, request.body);
      return { type: "ConversationTagged", ...base(b), data: { tags: [...new Set(b.tags)] } };
    }
    case "untag": {
      const t = tag.safeParse(request.tag);
      if (!t.success) {
        throw new ValidationError(`tag: ${t.error.issues[0]?.message}`, {
          errors: [{ path: "tag", message: t.error.issues[0]?.message ?? "invalid" }],
        });
      }
      return {
        type: "ConversationUntagged",
        ...base(parseBody(PlainCommandBodySchema, request.body)),
        data: { tags: [t.data] },
      };
    }
    case "close": {
      const b = parseBody(CloseBodySchema, request.body);
      return {
        type: "ConversationClosed",
        ...base(b),
        data: b.reason === undefined ? {} : { reason: b.reason },
      };
    }
    case "reopen":
      return {
        type: "ConversationReopened",
        ...base(parseBody(PlainCommandBodySchema, request.body)),
        data: {},
      };
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
  checkConversationId(request.conversationId);
  const key = request.idempotencyKey;
  if (key !== undefined && !IDEMPOTENCY_KEY_PATTERN.test(key)) {
    throw new ValidationError("Idempotency-Key must be 1 to 255 printable ASCII characters without spaces", {
      errors: [{ path: "Idempotency-Key", message: "invalid header" }],
    });
  }
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
