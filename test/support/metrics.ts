/**
 * The columns of docs/sql/duckdb-metrics.sql's `conversation_metrics`, as a conversation's
 * state (the fold, or `GET /v1/conversations/{id}`) gives them: what the SQL must equal.
 */
import type { Conversation } from "#shared/usecases/conversation-state.ts";

type MetricsSource = Pick<
  Conversation,
  "first_event_at" | "first_response_at" | "closed_at" | "metrics" | "message_counts"
>;

export function metricsColumns(state: MetricsSource) {
  return {
    first_event_at: state.first_event_at,
    first_customer_message_at: state.metrics.first_customer_message_at,
    first_response_at: state.first_response_at,
    first_response_ms: state.metrics.first_response_ms,
    closed_at: state.closed_at,
    resolution_ms: state.metrics.resolution_ms,
    customer_messages: state.message_counts.customer,
    agent_messages: state.message_counts.agent,
    bot_messages: state.message_counts.bot,
    system_messages: state.message_counts.system,
  };
}
