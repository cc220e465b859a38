/**
 * The flattened row of an exported event: one definition for the CSV feed, the CLI's
 * Parquet files, the Glue table of the data lake and docs/bi.md. The column order is part of
 * the contract: new columns are only ever appended.
 *
 * Scalars get their own column. Nested objects and arrays (the message, `data`,
 * recipients, metadata, …) are JSON text in one cell, so the row never loses a field the
 * event has, whatever its type.
 */
import type { StoredEvent } from "../events/schema.ts";

export type ColumnType = "string" | "timestamp" | "json";

export interface ExportColumn {
  name: string;
  type: ColumnType;
  description: string;
  value: (event: StoredEvent) => string | null;
}

const json = (value: unknown): string | null => (value === undefined ? null : JSON.stringify(value));
const text = (value: unknown): string | null =>
  value === undefined || value === null ? null : typeof value === "string" ? value : String(value);

type Loose = StoredEvent & {
  message?: { content?: { type?: string; text?: string } };
  data?: unknown;
};

export const EXPORT_COLUMNS: readonly ExportColumn[] = [
  {
    name: "sequence",
    type: "string",
    description: "Ingest position (ULID); the order of the export",
    value: (e) => e.sequence,
  },
  {
    name: "received_at",
    type: "timestamp",
    description: "When the log stored the event (UTC, ms)",
    value: (e) => e.received_at,
  },
  {
    name: "occurred_at",
    type: "timestamp",
    description: "When the event happened (UTC, ms)",
    value: (e) => e.occurred_at,
  },
  { name: "id", type: "string", description: "Event id, unique per tenant", value: (e) => e.id },
  {
    name: "conversation_id",
    type: "string",
    description: "Conversation id",
    value: (e) => e.conversation_id,
  },
  {
    name: "type",
    type: "string",
    description: "Event type ([docs/events.md](events.md) catalogue)",
    value: (e) => e.type,
  },
  { name: "channel_type", type: "string", description: "channel.type", value: (e) => e.channel.type },
  {
    name: "channel_integration_id",
    type: "string",
    description: "channel.integration_id",
    value: (e) => text(e.channel.integration_id),
  },
  { name: "author_type", type: "string", description: "author.type", value: (e) => e.author.type },
  { name: "author_id", type: "string", description: "author.id", value: (e) => text(e.author.id) },
  {
    name: "author_display_name",
    type: "string",
    description: "author.display_name",
    value: (e) => text(e.author.display_name),
  },
  {
    name: "content_type",
    type: "string",
    description: "message.content.type, for message events",
    value: (e) => text((e as Loose).message?.content?.type),
  },
  {
    name: "content_text",
    type: "string",
    description: "message.content.text, when the content has text",
    value: (e) => text((e as Loose).message?.content?.text),
  },
  {
    name: "message",
    type: "json",
    description: "The whole message object (message events)",
    value: (e) => json((e as Loose).message),
  },
  {
    name: "data",
    type: "json",
    description: "The type-specific `data` object (other events)",
    value: (e) => json((e as Loose).data),
  },
  { name: "channel", type: "json", description: "The whole channel object", value: (e) => json(e.channel) },
  { name: "author", type: "json", description: "The whole author object", value: (e) => json(e.author) },
  { name: "recipients", type: "json", description: "recipients", value: (e) => json(e.recipients) },
  {
    name: "source_system",
    type: "string",
    description: "source.system",
    value: (e) => text(e.source?.system),
  },
  {
    name: "source_event_id",
    type: "string",
    description: "source.event_id",
    value: (e) => text(e.source?.event_id),
  },
  { name: "metadata", type: "json", description: "metadata", value: (e) => json(e.metadata) },
  {
    name: "caused_by",
    type: "json",
    description: "caused_by (events the log appended itself)",
    value: (e) => json(e.caused_by),
  },
];

export const EXPORT_COLUMN_NAMES: readonly string[] = EXPORT_COLUMNS.map((c) => c.name);

/** One event as a row of cells, in {@link EXPORT_COLUMNS} order; `null` is an empty cell. */
export function exportRow(event: StoredEvent): (string | null)[] {
  return EXPORT_COLUMNS.map((c) => c.value(event));
}
