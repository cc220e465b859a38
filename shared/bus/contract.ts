/**
 * The bus event: a versioned contract, defined once. Consumers (triggers, webhooks, the data
 * lake, customers' own rules) match on `source` and `detail-type` and read `detail`.
 *
 * Compatible changes (new optional fields) keep `version`; anything else is a new version.
 * `test/unit/bus-contract.test.ts` fails on an incompatible change.
 *
 * @example
 * { "source": "conversation-log", "detail-type": "ConversationTagged",
 *   "detail": { "version": 1, "tenant_id": "acme", "event": { "id": "…", "type": "ConversationTagged", … } } }
 */
import * as z from "zod";
import { type StoredEvent, StoredEventSchema } from "../events/schema.ts";

export const BUS_SOURCE = "conversation-log";
export const BUS_CONTRACT_VERSION = 1;

export const BusDetailSchema = z
  .strictObject({
    version: z.literal(BUS_CONTRACT_VERSION),
    tenant_id: z.string(),
    event: StoredEventSchema,
  })
  .meta({ id: "BusEventDetail" });

export type BusDetail = z.infer<typeof BusDetailSchema>;

/** A `PutEvents` entry, in the SDK's field names. */
export interface BusEntry {
  Source: string;
  DetailType: string;
  Detail: string;
  EventBusName: string;
  Time: Date;
}

export function toBusEntry(busName: string, tenant: string, event: StoredEvent): BusEntry {
  const detail: BusDetail = { version: BUS_CONTRACT_VERSION, tenant_id: tenant, event };
  return {
    Source: BUS_SOURCE,
    DetailType: event.type,
    Detail: JSON.stringify(detail),
    EventBusName: busName,
    // The bus event's time is when the log stored it; occurred_at is inside the detail.
    Time: new Date(event.received_at),
  };
}

/**
 * Size of an entry as EventBridge counts it against the 256 KB `PutEvents` limit: the UTF-8
 * bytes of Source, DetailType, Detail and resources, plus 14 bytes for Time.
 */
export function entrySize(entry: BusEntry): number {
  return (
    Buffer.byteLength(entry.Source, "utf8") +
    Buffer.byteLength(entry.DetailType, "utf8") +
    Buffer.byteLength(entry.Detail, "utf8") +
    14
  );
}
