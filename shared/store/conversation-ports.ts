/**
 * Ports of the conversation-state and command layers. Use cases depend on these interfaces
 * only; `state-store.ts` and `idempotency-store.ts` are their DynamoDB adapters.
 */
import type { StoredEvent } from "../events/schema.ts";
import type { Conversation, FoldedState } from "../usecases/conversation-state.ts";

export interface StoredState {
  state: FoldedState;
  updatedAt: string;
}

export interface ConversationListQuery {
  /** Statuses to list (one `byUpdated` partition set each). */
  statuses: readonly ("open" | "closed")[];
  /** Inclusive lower bound on `updated_at`. */
  since?: string;
  /** Exclusive position (`{updated_at}#{conversation}`) to continue after. */
  after?: string;
  limit: number;
}

export interface ConversationStateStore {
  /** Strongly consistent read of the stored state; `event_count` is its version. */
  getState(tenant: string, conversationId: string): Promise<StoredState | undefined>;
  /** The timeline strictly after `after` (all of it without), in log order, page by page, strongly consistent. */
  eventsAfter(tenant: string, conversationId: string, after?: string): AsyncIterable<StoredEvent[]>;
  /**
   * Writes the state if the stored version is still `expectedVersion` (`undefined`: no state
   * yet). Returns false when another writer got there first.
   */
  putState(
    tenant: string,
    state: FoldedState,
    updatedAt: string,
    expectedVersion: number | undefined,
  ): Promise<boolean>;
  /** States by (`updated_at`, `conversation_id`), ascending; eventually consistent (a GSI). */
  listByUpdated(
    tenant: string,
    query: ConversationListQuery,
  ): Promise<{ items: Conversation[]; hasMore: boolean }>;
}

/** What an Idempotency-Key holds: the request it was first used with and the event it appends. */
export interface IdempotencyRecord {
  /** Hash of method, route, path parameters and body. */
  fingerprint: string;
  /** When the command was first accepted: the appended event's `occurred_at`. */
  acceptedAt: string;
  /** The appended event's id, fixed at reservation so every retry appends the same event. */
  eventId: string;
}

export interface IdempotencyStore {
  /**
   * Reserves the key with this record unless an unexpired record holds it, which is then
   * returned. Atomic: of concurrent reservations, exactly one wins.
   */
  reserve(
    tenant: string,
    key: string,
    record: IdempotencyRecord,
    expiresAtSeconds: number,
  ): Promise<{ reserved: true } | { reserved: false; existing: IdempotencyRecord }>;
}
