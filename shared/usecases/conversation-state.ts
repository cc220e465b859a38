/**
 * Conversation state: a pure fold of a conversation's timeline into one summary.
 *
 * The fold is defined over events in the log's total order (`occurred_at`, then `id`), so the
 * state is a function of the SET of stored events, whatever order they arrived in. The
 * projector (`project-state.ts`) keeps the stored state equal to `foldEvents(undefined, timeline)`
 * by folding incrementally when events arrive in order and refolding when one arrives late.
 * Semantics are documented in docs/data-model.md ("Conversation state"); the metrics, and the
 * SQL that computes the same numbers from the export, in docs/bi.md ("Metrics").
 */
import * as z from "zod";
import { AUTHOR_TYPES, CHANNEL_TYPES, type StoredEvent, TimestampOutput } from "../events/schema.ts";
import { positionOf } from "../store/events.ts";

const ParticipantSchema = z.object({
  type: z.enum(AUTHOR_TYPES),
  id: z.string(),
  display_name: z.string().optional(),
});

/**
 * Dashboard metrics (docs/bi.md, "Metrics"). Durations are in milliseconds of `occurred_at`
 * (business time); the message counts are the state's `message_counts`.
 */
const MetricsSchema = z
  .object({
    first_customer_message_at: TimestampOutput.nullable().meta({
      description:
        "occurred_at of the earliest customer message (MessageReceived or MessageSent by a customer)",
    }),
    first_response_ms: z.number().int().positive().nullable().meta({
      description: "first_response_at − first_customer_message_at; null until an agent has answered",
    }),
    resolution_ms: z.number().int().nonnegative().nullable().meta({
      description: "closed_at − first_event_at while the conversation is closed; null while it is open",
    }),
  })
  .meta({ id: "ConversationMetrics", description: "Dashboard metrics; definitions in docs/bi.md" });

/** A conversation's current state, as `GET /v1/conversations/{id}` returns it. */
export const ConversationSchema = z
  .object({
    conversation_id: z.string(),
    status: z.enum(["open", "closed"]),
    channel: z.object({ type: z.enum(CHANNEL_TYPES), integration_id: z.string().optional() }).meta({
      description: "Channel of the latest event not sent through the API (else of the latest event)",
    }),
    participants: z.array(ParticipantSchema).meta({
      description: "Joined and not since left, plus identified customer/agent/bot message authors",
    }),
    tags: z.array(z.string()),
    assignee: z
      .object({ type: z.enum(["agent", "group", "bot"]), id: z.string() })
      .nullable()
      .meta({ description: "From ConversationAssigned, or ConversationTransferred to an agent or group" }),
    message_counts: z
      .object({
        customer: z.number().int(),
        agent: z.number().int(),
        bot: z.number().int(),
        system: z.number().int(),
      })
      .meta({ description: "MessageReceived and MessageSent events by author type" }),
    first_event_at: TimestampOutput,
    last_event_at: TimestampOutput,
    first_response_at: TimestampOutput.nullable().meta({
      description:
        "First agent message (MessageReceived or MessageSent by author type agent; bots excluded) strictly after the first customer message",
    }),
    closed_at: TimestampOutput.nullable().meta({ description: "When it was closed, while it is closed" }),
    event_count: z.number().int(),
    metrics: MetricsSchema,
    updated_at: TimestampOutput.meta({ description: "When the log last changed this state" }),
  })
  .meta({ id: "Conversation" });

export type Conversation = z.infer<typeof ConversationSchema>;
export type Participant = z.infer<typeof ParticipantSchema>;
export type ConversationMetrics = z.infer<typeof MetricsSchema>;

/** The fold's result: the conversation without `updated_at` (a write time), plus the last folded position. */
export type FoldedState = Omit<Conversation, "updated_at"> & {
  /** `{occurred_at}#{id}` of the last folded event: the fold continues strictly after it. */
  position: string;
};

const participantKey = (p: { type: string; id: string }) => `${p.type}\u001f${p.id}`;

function upsertParticipant(list: Participant[], p: Participant): Participant[] {
  const key = participantKey(p);
  const at = list.findIndex((q) => participantKey(q) === key);
  if (at < 0) return [...list, p];
  const merged = {
    ...(list[at] as Participant),
    ...(p.display_name ? { display_name: p.display_name } : {}),
  };
  return list.map((q, i) => (i === at ? merged : q));
}

/** Both are normalized UTC timestamps (`…T…sssZ`), so Date.parse is exact to the millisecond. */
const millisBetween = (from: string, to: string) => Date.parse(to) - Date.parse(from);

function initial(event: StoredEvent): FoldedState {
  return {
    conversation_id: event.conversation_id,
    status: "open",
    channel: { type: event.channel.type },
    participants: [],
    tags: [],
    assignee: null,
    message_counts: { customer: 0, agent: 0, bot: 0, system: 0 },
    first_event_at: event.occurred_at,
    last_event_at: event.occurred_at,
    first_response_at: null,
    closed_at: null,
    event_count: 0,
    metrics: { first_customer_message_at: null, first_response_ms: null, resolution_ms: null },
    position: "",
  };
}

/** Applies one event, which must come strictly after `state.position`. */
function apply(state: FoldedState, event: StoredEvent): FoldedState {
  const s: FoldedState = {
    ...state,
    last_event_at: event.occurred_at,
    event_count: state.event_count + 1,
    position: positionOf(event.occurred_at, event.id),
  };
  // Commands and automations write through the API channel; they should not hide the
  // channel the customer is actually on.
  if (event.channel.type !== "api" || s.channel.type === "api") {
    s.channel = {
      type: event.channel.type,
      ...(event.channel.integration_id ? { integration_id: event.channel.integration_id } : {}),
    };
  }
  switch (event.type) {
    case "MessageReceived":
    case "MessageSent": {
      const author = event.author.type;
      // Both metrics only ever move from null to a value, on the earliest qualifying event in
      // log order, so they depend on the set of events only (docs/bi.md, "Metrics").
      if (author === "customer" && s.metrics.first_customer_message_at === null) {
        s.metrics = { ...s.metrics, first_customer_message_at: event.occurred_at };
      }
      const firstCustomer = s.metrics.first_customer_message_at;
      if (
        author === "agent" &&
        s.first_response_at === null &&
        firstCustomer !== null &&
        // Strictly later: a message of the same millisecond cannot be told apart from one sent before.
        event.occurred_at > firstCustomer
      ) {
        s.first_response_at = event.occurred_at;
        s.metrics = { ...s.metrics, first_response_ms: millisBetween(firstCustomer, event.occurred_at) };
      }
      s.message_counts = { ...s.message_counts, [author]: s.message_counts[author] + 1 };
      if (event.author.id && author !== "system") {
        s.participants = upsertParticipant(s.participants, {
          type: author,
          id: event.author.id,
          ...(event.author.display_name ? { display_name: event.author.display_name } : {}),
        });
      }
      break;
    }
    case "ConversationClosed":
      s.status = "closed";
      s.closed_at = event.occurred_at;
      s.metrics = { ...s.metrics, resolution_ms: millisBetween(s.first_event_at, event.occurred_at) };
      break;
    case "ConversationOpened":
    case "ConversationReopened":
      s.status = "open";
      s.closed_at = null;
      s.metrics = { ...s.metrics, resolution_ms: null };
      break;
    case "ConversationTagged":
      s.tags = [
        ...s.tags,
        ...event.data.tags.filter((t, i, all) => !s.tags.includes(t) && all.indexOf(t) === i),
      ];
      break;
    case "ConversationUntagged":
      s.tags = s.tags.filter((t) => !event.data.tags.includes(t));
      break;
    case "ConversationAssigned":
      s.assignee = { type: event.data.assignee.type, id: event.data.assignee.id };
      break;
    case "ConversationTransferred":
      if (event.data.to.type !== "channel") s.assignee = { type: event.data.to.type, id: event.data.to.id };
      break;
    case "CustomerJoined":
    case "AgentJoined":
    case "BotJoined":
      s.participants = upsertParticipant(s.participants, event.data.participant);
      break;
    case "CustomerLeft":
    case "AgentLeft":
    case "BotLeft": {
      const key = participantKey(event.data.participant);
      s.participants = s.participants.filter((p) => participantKey(p) !== key);
      break;
    }
    default:
      break;
  }
  return s;
}

/**
 * Folds events into a state. `events` must be in the log's order and strictly after
 * `state.position`; anything else is a programming error, so it throws rather than guess.
 */
export function foldEvents(state: FoldedState | undefined, events: readonly StoredEvent[]): FoldedState {
  let s = state;
  for (const event of events) {
    const position = positionOf(event.occurred_at, event.id);
    if (s && position <= s.position) {
      throw new Error(`fold out of order: ${position} is not after ${s.position}`);
    }
    s = apply(s ?? initial(event), event);
  }
  if (!s) throw new Error("cannot fold an empty timeline without a state");
  return s;
}

/**
 * Whether a stored state has every field of today's fold. A state written before a field was
 * added (e.g. `metrics`) cannot be continued incrementally: the projector refolds it.
 */
export function hasCurrentShape(state: FoldedState): boolean {
  return (state as Partial<FoldedState>).metrics !== undefined;
}

/** The public view of a folded state. */
export function toConversation(state: FoldedState, updatedAt: string): Conversation {
  const { position: _position, ...rest } = state;
  return { ...rest, updated_at: updatedAt };
}
