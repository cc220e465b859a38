-- The `events` view over an NDJSON export: one stored event per line, exactly as the API returns
-- it (GET /v1/export/events with Accept: application/x-ndjson). The view has the columns of the
-- CSV/Parquet export (shared/export/columns.ts), in the same order, so every query in
-- docs/bi.md runs on any of the three formats. Nested objects stay JSON: read them with ->>.
--
-- Point read_ndjson at your files: a path, a glob ('export/*.ndjson') or a list. A relative
-- path resolves against the working directory, or against DuckDB's file_search_path.
-- The column list is explicit: fields it does not name are skipped, so a new event field in a
-- later export never breaks the view, and timestamps are typed whatever the sample holds.
CREATE OR REPLACE VIEW events AS
SELECT
  sequence,
  received_at,
  occurred_at,
  id,
  conversation_id,
  type,
  channel ->> '$.type' AS channel_type,
  channel ->> '$.integration_id' AS channel_integration_id,
  author ->> '$.type' AS author_type,
  author ->> '$.id' AS author_id,
  author ->> '$.display_name' AS author_display_name,
  message ->> '$.content.type' AS content_type,
  message ->> '$.content.text' AS content_text,
  message,
  data,
  channel,
  author,
  recipients,
  source ->> '$.system' AS source_system,
  source ->> '$.event_id' AS source_event_id,
  metadata,
  caused_by
FROM read_ndjson(
  'events.ndjson',
  columns = {
    sequence: 'VARCHAR',
    received_at: 'TIMESTAMP',
    occurred_at: 'TIMESTAMP',
    id: 'VARCHAR',
    conversation_id: 'VARCHAR',
    type: 'VARCHAR',
    channel: 'JSON',
    author: 'JSON',
    recipients: 'JSON',
    source: 'JSON',
    message: 'JSON',
    data: 'JSON',
    metadata: 'JSON',
    caused_by: 'JSON'
  }
);
