/**
 * Ingest use case: validate → resolve ids → dedupe within the request → write → report.
 * Knows nothing of Lambda or DynamoDB; the store and clock are injected.
 */
import { createHash } from "node:crypto";
import { monotonicFactory } from "ulid";
import * as z from "zod";
import { canonicalJson } from "../cursor.ts";
import { ConflictError, ValidationError } from "../errors.ts";
import { type EventInput, EventInputSchema, type StoredEvent } from "../events/schema.ts";
import { validateEventInput } from "../events/validate.ts";
import type { EventStore, PreparedEvent, WriteOutcome } from "../store/events.ts";

export const MAX_BATCH = 100;

export interface IngestDeps {
  store: EventStore;
  /** Milliseconds since the epoch. */
  now: () => number;
  /**
   * Monotonic, sortable ingest positions. The DynamoDB store stamps `sequence` and
   * `received_at` again right before each write round (the change feed relies on that), so
   * this is the provisional stamp that stores without such a need keep.
   */
  sequence: () => string;
  /** Server ids for events that carry neither an id nor a source event id. */
  newId: () => string;
}

export const BATCH_STATUSES = ["created", "duplicate", "conflict", "rejected"] as const;
export type BatchStatus = (typeof BATCH_STATUSES)[number];

/** One result per input of a batch, in input order. */
export const BatchResultSchema = z
  .object({
    index: z.number().int().meta({ description: "Position of the input in events[]" }),
    id: z.string().nullable().meta({ description: "The event's id (null when a rejected input had none)" }),
    status: z.enum(BATCH_STATUSES),
    errors: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .optional()
      .meta({ description: "Why a rejected input was rejected" }),
  })
  .meta({ id: "BatchResult" });
export type BatchResult = z.infer<typeof BatchResultSchema>;

/** The body of a batch: 1 to {@link MAX_BATCH} events. */
export const BatchBodySchema = z
  .strictObject({ events: z.array(EventInputSchema).min(1).max(MAX_BATCH) })
  .meta({ id: "EventBatch" });

export type IngestResult =
  | { kind: "single"; created: boolean; event: StoredEvent }
  | { kind: "batch"; results: BatchResult[] };

export function defaultIngestDeps(store: EventStore): IngestDeps {
  const ulid = monotonicFactory();
  return { store, now: Date.now, sequence: () => ulid(), newId: () => ulid() };
}

/**
 * An id derived from the source system's own event id. Provider ids may hold characters the
 * id pattern does not allow (WhatsApp's base64 `wamid`), so they are hashed:
 * `{system}:{first 32 hex chars of SHA-256(event_id)}`.
 */
export function deriveEventId(system: string, sourceEventId: string): string {
  return `${system}:${createHash("sha256").update(sourceEventId, "utf8").digest("hex").slice(0, 32)}`;
}

/** Hash of everything the client controls, after normalization: equal hashes are "the same body". */
export function contentHash(event: EventInput & { id: string }): string {
  return createHash("sha256").update(canonicalJson(event)).digest("base64url");
}

function resolveId(input: EventInput, newId: () => string): string {
  if (input.id) return input.id;
  if (input.source?.event_id) return deriveEventId(input.source.system, input.source.event_id);
  return newId();
}

function prepare(
  input: EventInput,
  deps: IngestDeps,
  receivedAt: string,
  causedBy?: CausedBy,
): PreparedEvent {
  const id = resolveId(input, deps.newId);
  const { id: _ignored, type, conversation_id, occurred_at, ...rest } = input;
  const identified = { ...input, id, ...(causedBy ? { caused_by: causedBy } : {}) } as EventInput & {
    id: string;
  };
  const event = {
    id,
    type,
    conversation_id,
    occurred_at,
    received_at: receivedAt,
    sequence: deps.sequence(),
    ...rest,
    ...(causedBy ? { caused_by: causedBy } : {}),
  } as StoredEvent;
  return { event, hash: contentHash(identified) };
}

export interface CausedBy {
  trigger_id?: string;
  event_id: string;
  depth: number;
  /** The depth-0 event at the root of the causation tree (absent on events stored before it was recorded). */
  root_event_id?: string;
}

/** What happened to one event appended by the log itself. */
export interface AppendResult {
  status: "created" | "duplicate" | "conflict";
  event: StoredEvent;
}

/**
 * Appends events the log itself produces (commands, automation actions) through the same
 * validation, idempotency and storage as client posts. Unlike clients, the log may set
 * `caused_by`. Invalid input is a programming error here, reported as a ValidationError.
 * For a duplicate, `event` is the event as first stored.
 */
export async function appendEvents(
  deps: IngestDeps,
  tenant: string,
  inputs: unknown[],
  options: { causedBy?: CausedBy } = {},
): Promise<AppendResult[]> {
  const receivedAt = new Date(deps.now()).toISOString();
  const prepared = inputs.map((raw, i) => {
    const valid = validateEventInput(raw, `events[${i}]`);
    if (!valid.ok) throw new ValidationError("the log produced an invalid event", { errors: valid.errors });
    return prepare(valid.value, deps, receivedAt, options.causedBy);
  });
  const outcomes = await deps.store.putEvents(tenant, prepared);
  return Promise.all(
    outcomes.map(async (outcome, i) => {
      const mine = (prepared[i] as PreparedEvent).event;
      if (outcome.status === "created") return { status: "created" as const, event: mine };
      const stored = await deps.store.getEventAt(tenant, outcome.conversationId, outcome.position);
      return { status: outcome.status, event: stored ?? mine };
    }),
  );
}

/** Splits a request body into one event or a batch, rejecting malformed envelopes whole. */
function envelope(body: unknown): { kind: "single"; item: unknown } | { kind: "batch"; items: unknown[] } {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new ValidationError(
      'the body must be one event object, or { "events": [ ... ] } with 1 to 100 events',
    );
  }
  if (!("events" in body)) return { kind: "single", item: body };
  const extra = Object.keys(body).filter((k) => k !== "events");
  if (extra.length > 0) {
    throw new ValidationError(`a batch body has only "events"; remove: ${extra.join(", ")}`, {
      errors: extra.map((path) => ({ path, message: "unknown field" })),
    });
  }
  const items = (body as { events: unknown }).events;
  if (!Array.isArray(items)) {
    throw new ValidationError('"events" must be an array of event objects', {
      errors: [{ path: "events", message: "must be an array" }],
    });
  }
  if (items.length < 1 || items.length > MAX_BATCH) {
    throw new ValidationError(
      `a batch holds 1 to ${MAX_BATCH} events; this one has ${items.length}. Split it.`,
      {
        errors: [{ path: "events", message: `must hold 1 to ${MAX_BATCH} events` }],
      },
    );
  }
  return { kind: "batch", items };
}

/**
 * Stores one event or a batch. A single invalid event throws {@link ValidationError}; a
 * single conflicting one throws {@link ConflictError}. In a batch, valid items are stored
 * even when others are rejected, and every input gets exactly one result, in order.
 */
export async function ingest(deps: IngestDeps, tenant: string, body: unknown): Promise<IngestResult> {
  const shape = envelope(body);
  const receivedAt = new Date(deps.now()).toISOString();

  if (shape.kind === "single") {
    const valid = validateEventInput(shape.item);
    if (!valid.ok) throw new ValidationError("the event is invalid", { errors: valid.errors });
    const prepared = prepare(valid.value, deps, receivedAt);
    const [outcome] = await deps.store.putEvents(tenant, [prepared]);
    if (!outcome) throw new Error("store returned no outcome");
    if (outcome.status === "created") return { kind: "single", created: true, event: prepared.event };
    if (outcome.status === "conflict") {
      throw new ConflictError(
        `an event with id ${prepared.event.id} is already stored with a different body; events are immutable, so send a new id`,
      );
    }
    const stored = await deps.store.getEventAt(tenant, outcome.conversationId, outcome.position);
    if (!stored) throw new Error(`guard for ${prepared.event.id} points at a missing event`);
    return { kind: "single", created: false, event: stored };
  }

  const results: BatchResult[] = [];
  const toWrite: PreparedEvent[] = [];
  const writeIndex: number[] = [];
  /** Later items repeating an id of this request are decided by the first one's outcome. */
  const repeats: { index: number; first: number; hash: string }[] = [];
  const firstById = new Map<string, number>();

  for (const [index, item] of shape.items.entries()) {
    const valid = validateEventInput(item, `events[${index}]`);
    if (!valid.ok) {
      const id =
        typeof item === "object" && item && "id" in item && typeof item.id === "string" ? item.id : null;
      results.push({ index, id, status: "rejected", errors: valid.errors });
      continue;
    }
    const prepared = prepare(valid.value, deps, receivedAt);
    results.push({ index, id: prepared.event.id, status: "created" });
    const first = firstById.get(prepared.event.id);
    if (first !== undefined) {
      repeats.push({ index, first, hash: prepared.hash });
      continue;
    }
    firstById.set(prepared.event.id, toWrite.length);
    toWrite.push(prepared);
    writeIndex.push(index);
  }

  const outcomes: WriteOutcome[] = toWrite.length > 0 ? await deps.store.putEvents(tenant, toWrite) : [];
  for (const [n, outcome] of outcomes.entries()) {
    (results[writeIndex[n] as number] as BatchResult).status = outcome.status;
  }
  for (const { index, first, hash } of repeats) {
    const outcome = outcomes[first] as WriteOutcome;
    const storedHash =
      outcome.status === "created" ? (toWrite[first] as PreparedEvent).hash : outcome.storedHash;
    (results[index] as BatchResult).status = hash === storedHash ? "duplicate" : "conflict";
  }
  return { kind: "batch", results };
}
