/**
 * The bus event is a versioned contract (shared/bus/contract.ts). Consumers (customers'
 * rules, the data lake, webhooks) rely on version 1 as frozen here: this test fails when a
 * change would break them — a renamed source, a removed field, a newly required field —
 * which must come with a new contract version instead.
 */

import { describe, expect, it } from "vitest";
import * as z from "zod";
import { BUS_CONTRACT_VERSION, BUS_SOURCE, BusDetailSchema, toBusEntry } from "#shared/bus/contract.ts";
import type { StoredEvent } from "#shared/events/schema.ts";

/** Version 1 as published: what a consumer may read. */
const V1 = {
  source: "conversation-log",
  detailRequired: ["event", "tenant_id", "version"],
  eventRequired: [
    "author",
    "channel",
    "conversation_id",
    "id",
    "occurred_at",
    "received_at",
    "sequence",
    "type",
  ],
  eventOptional: ["caused_by", "metadata", "recipients", "source"],
};

/** A v1 detail exactly as a consumer stored it from the bus. */
const V1_EXAMPLE = {
  version: 1,
  tenant_id: "acme",
  event: {
    id: "evt-1",
    type: "ConversationTagged",
    conversation_id: "c1",
    occurred_at: "2025-05-23T10:15:30.123Z",
    received_at: "2025-05-23T10:15:31.000Z",
    sequence: "01JW0000000000000000000000",
    channel: { type: "api" },
    author: { type: "bot", id: "classifier" },
    data: { tags: ["spam"] },
    caused_by: { trigger_id: "trg_1", event_id: "evt-0", depth: 1 },
  },
};

type JsonSchema = {
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  required?: string[];
  properties?: Record<string, JsonSchema>;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
};

function variantsOf(schema: JsonSchema): JsonSchema[] {
  return schema.oneOf ?? schema.anyOf ?? [schema];
}

describe("bus contract v1", () => {
  it("keeps source and version", () => {
    expect(BUS_SOURCE).toBe(V1.source);
    expect(BUS_CONTRACT_VERSION).toBe(1);
  });

  it("still accepts a detail a v1 consumer relies on", () => {
    expect(BusDetailSchema.safeParse(V1_EXAMPLE).success).toBe(true);
  });

  it("requires no field v1 did not, and keeps every v1 field, for every event type", () => {
    const root = z.toJSONSchema(BusDetailSchema, { io: "output", unrepresentable: "any" }) as JsonSchema;
    const deref = (s: JsonSchema): JsonSchema =>
      s.$ref ? (root.$defs?.[s.$ref.split("/").pop() ?? ""] ?? {}) : s;
    const json = deref(root);
    expect([...(json.required ?? [])].sort()).toEqual(V1.detailRequired);
    const event = deref(json.properties?.event as JsonSchema);
    const variants = variantsOf(event);
    expect(variants.length).toBeGreaterThan(20);
    for (const variant of variants) {
      const envelopeRequired = (variant.required ?? []).filter((f) => f !== "message" && f !== "data");
      expect(envelopeRequired.sort()).toEqual(V1.eventRequired);
      for (const field of [...V1.eventRequired, ...V1.eventOptional]) {
        expect(Object.keys(variant.properties ?? {})).toContain(field);
      }
    }
  });

  it("puts the event type in detail-type and the contract in detail", () => {
    const entry = toBusEntry("bus", "acme", V1_EXAMPLE.event as unknown as StoredEvent);
    expect(entry).toMatchObject({ Source: V1.source, DetailType: "ConversationTagged", EventBusName: "bus" });
    expect(JSON.parse(entry.Detail)).toEqual(V1_EXAMPLE);
  });
});
