-- The `events` view over a CSV export (GET /v1/export/events with Accept: text/csv): a header
-- row of the columns in shared/export/columns.ts, an empty cell for a missing value, nested
-- objects as JSON text. Every cell is read as text (so an id like 007 stays 007) and the
-- timestamps and JSON columns are typed here, which gives the view of duckdb-events-ndjson.sql.
--
-- Point read_csv at your files: a path, a glob ('export/*.csv') or a list. A relative path
-- resolves against the working directory, or against DuckDB's file_search_path.
CREATE OR REPLACE VIEW events AS
SELECT * REPLACE (
  CAST(received_at AS TIMESTAMP) AS received_at,
  CAST(occurred_at AS TIMESTAMP) AS occurred_at,
  CAST(message AS JSON) AS message,
  CAST(data AS JSON) AS data,
  CAST(channel AS JSON) AS channel,
  CAST(author AS JSON) AS author,
  CAST(recipients AS JSON) AS recipients,
  CAST(metadata AS JSON) AS metadata,
  CAST(caused_by AS JSON) AS caused_by
)
-- allow_quoted_nulls = false: a quoted empty cell ("") is an empty string, an unquoted one NULL.
FROM read_csv('events.csv', header = true, all_varchar = true, allow_quoted_nulls = false);
