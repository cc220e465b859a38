-- The view `conversation_metrics`: one row per conversation of the `events` view
-- (duckdb-events-ndjson.sql or duckdb-events-csv.sql) with the numbers GET /v1/conversations/{id}
-- serves as `first_response_at`, `closed_at`, `message_counts` and `metrics`, defined in
-- docs/bi.md ("Metrics"). Times are occurred_at (business time), durations whole milliseconds.
-- test/unit/metrics-sql.test.ts checks it against the service's own fold.
CREATE OR REPLACE VIEW conversation_metrics AS
-- An event loaded twice (overlapping export runs, an at-least-once copy) is one event: the
-- same id is always the same event.
WITH e AS (
  SELECT DISTINCT conversation_id, id, type, author_type, occurred_at
  FROM events
),
messages AS (
  SELECT conversation_id, occurred_at, author_type
  FROM e
  WHERE type IN ('MessageReceived', 'MessageSent')
),
first_customer AS (
  SELECT conversation_id, min(occurred_at) AS first_customer_message_at
  FROM messages
  WHERE author_type = 'customer'
  GROUP BY conversation_id
),
-- Replies strictly after the first customer message: agents only, and (a variant the API does
-- not serve) agents or bots.
first_response AS (
  SELECT
    f.conversation_id,
    min(m.occurred_at) FILTER (WHERE m.author_type = 'agent') AS first_response_at,
    min(m.occurred_at) AS first_response_incl_bots_at
  FROM first_customer AS f
  JOIN messages AS m
    ON m.conversation_id = f.conversation_id
   AND m.occurred_at > f.first_customer_message_at
  WHERE m.author_type IN ('agent', 'bot')
  GROUP BY f.conversation_id
),
-- The latest status event in the log's order (occurred_at, then id) decides open or closed.
last_status AS (
  SELECT conversation_id, type, occurred_at
  FROM (
    SELECT
      conversation_id,
      type,
      occurred_at,
      row_number() OVER (PARTITION BY conversation_id ORDER BY occurred_at DESC, id DESC) AS n
    FROM e
    WHERE type IN ('ConversationOpened', 'ConversationClosed', 'ConversationReopened')
  ) AS s
  WHERE n = 1
),
totals AS (
  SELECT
    conversation_id,
    min(occurred_at) AS first_event_at,
    count(*) FILTER (WHERE type IN ('MessageReceived', 'MessageSent') AND author_type = 'customer') AS customer_messages,
    count(*) FILTER (WHERE type IN ('MessageReceived', 'MessageSent') AND author_type = 'agent') AS agent_messages,
    count(*) FILTER (WHERE type IN ('MessageReceived', 'MessageSent') AND author_type = 'bot') AS bot_messages,
    count(*) FILTER (WHERE type IN ('MessageReceived', 'MessageSent') AND author_type = 'system') AS system_messages
  FROM e
  GROUP BY conversation_id
)
SELECT
  t.conversation_id,
  t.first_event_at,
  f.first_customer_message_at,
  r.first_response_at,
  date_diff('millisecond', f.first_customer_message_at, r.first_response_at) AS first_response_ms,
  date_diff('millisecond', f.first_customer_message_at, r.first_response_incl_bots_at) AS first_response_incl_bots_ms,
  s.occurred_at AS closed_at,
  date_diff('millisecond', t.first_event_at, s.occurred_at) AS resolution_ms,
  t.customer_messages,
  t.agent_messages,
  t.bot_messages,
  t.system_messages
FROM totals AS t
LEFT JOIN first_customer AS f ON f.conversation_id = t.conversation_id
LEFT JOIN first_response AS r ON r.conversation_id = t.conversation_id
LEFT JOIN last_status AS s ON s.conversation_id = t.conversation_id AND s.type = 'ConversationClosed';
