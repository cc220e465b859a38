/**
 * The conversation-state projector: keeps each conversation's stored state equal to
 * `foldEvents(undefined, timeline)`, whatever order events arrive in and however often the
 * bus delivers them. See docs/data-model.md ("Conversation state") for the argument.
 *
 * For one delivered event:
 * - after the state's position (the common case): fold only the timeline after it;
 * - at or before it (a late arrival, or a re-delivery), or no state yet: read the whole
 *   timeline; if every event up to the state's position was already counted, the event is
 *   covered and nothing is written; otherwise refold from scratch;
 * - a state written before a field was added to the fold (see `hasCurrentShape`) is refolded
 *   from scratch, whatever the event's position;
 * - write with an optimistic condition on the version read (`event_count`, which grows with
 *   every write), and on a lost race re-read and recompute.
 */
import { StoreUnavailableError } from "../errors.ts";
import { exponentialBackoff, retry, retryWith, succeed } from "../retry.ts";
import type { ConversationStateStore } from "../store/conversation-states.ts";
import { positionOf } from "../store/events.ts";
import { type FoldedState, foldEvents, hasCurrentShape } from "./conversation-state.ts";

export interface ProjectorDeps {
  states: ConversationStateStore;
  /** Milliseconds since the epoch: stamps `updated_at`. */
  now: () => number;
}

/**
 * - `incremental`, `refolded`: the state was written;
 * - `covered`: the event was already counted (a re-delivery, or folded by a neighbour's projection);
 * - `no-events`: the timeline does not hold the event (nothing to project).
 */
export type ProjectionOutcome = "incremental" | "refolded" | "covered" | "no-events";

/** Enough to absorb a burst of events of one conversation projected at once. */
const MAX_ATTEMPTS = 12;
/** After losing the race n times: a random wait up to 5·2^min(n, 6) ms (full jitter, capped at 320 ms). */
const LOST_RACE_BACKOFF = exponentialBackoff({ baseMs: 10, capMs: 320, jitter: "full" });

export async function projectEvent(
  deps: ProjectorDeps,
  tenant: string,
  event: { conversation_id: string; occurred_at: string; id: string },
): Promise<ProjectionOutcome> {
  const conversationId = event.conversation_id;
  const position = positionOf(event.occurred_at, event.id);
  const result = await retry(
    async () => {
      const outcome = await projectOnce(deps, tenant, conversationId, position);
      return outcome === "lost-race" ? retryWith(outcome) : succeed(outcome);
    },
    { attempts: MAX_ATTEMPTS, delayMs: LOST_RACE_BACKOFF },
  );
  if (result.ok) return result.value;
  throw new StoreUnavailableError(`conversation ${conversationId} is too contended to project now; retry`);
}

/** One read, fold and conditional write; `lost-race` when another writer got there first. */
async function projectOnce(
  deps: ProjectorDeps,
  tenant: string,
  conversationId: string,
  position: string,
): Promise<ProjectionOutcome | "lost-race"> {
  const { states } = deps;
  const stored = await states.getState(tenant, conversationId);
  let next: FoldedState | undefined;
  let outcome: ProjectionOutcome;
  const current = stored && hasCurrentShape(stored.state) ? stored : undefined;
  if (current && position > current.state.position) {
    next = current.state;
    for await (const page of states.eventsAfter(tenant, conversationId, current.state.position)) {
      next = foldEvents(next, page);
    }
    if (next === current.state) return "no-events";
    outcome = "incremental";
  } else {
    // Every event up to the state's position that the state did not count arrived after
    // it was computed: if there is none, this event is covered.
    let atOrBefore = 0;
    for await (const page of states.eventsAfter(tenant, conversationId)) {
      if (current)
        atOrBefore += page.filter((e) => positionOf(e.occurred_at, e.id) <= current.state.position).length;
      next = foldEvents(next, page);
    }
    if (!next) return "no-events";
    if (current && atOrBefore === current.state.event_count) return "covered";
    outcome = "refolded";
  }
  const now = new Date(deps.now()).toISOString();
  // Never move backwards, even if this container's clock is behind the last writer's.
  const updatedAt = stored && stored.updatedAt > now ? stored.updatedAt : now;
  return (await states.putState(tenant, next, updatedAt, stored?.state.event_count)) ? outcome : "lost-race";
}
