/**
 * The port of conversation states, the projector's output and the conversation list's input.
 * The DynamoDB adapter is `dynamo/conversation-states.ts`.
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
