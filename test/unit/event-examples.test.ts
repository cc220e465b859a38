/**
 * The documented examples (shared/events/examples.ts): exactly one per event type and per
 * content type, each valid as a client would post it, and each stored form valid as the API
 * returns it.
 */
import { describe, expect, it } from "vitest";
import {
  CONTENT_EXAMPLES,
  EVENT_EXAMPLES,
  EXAMPLE_RECEIVE_DELAY_MS,
  storedExample,
} from "#shared/events/examples.ts";
import { CONTENT_TYPES, EVENT_TYPES, StoredEventSchema } from "#shared/events/schema.ts";
import { validateEventInput } from "#shared/events/validate.ts";
import { normalizeTimestamp } from "#shared/time.ts";

const UTC_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

describe("event examples", () => {
  it("has exactly one example per event type, keyed by its type", () => {
    expect(Object.keys(EVENT_EXAMPLES).sort()).toEqual([...EVENT_TYPES].sort());
    for (const type of EVENT_TYPES) expect(EVENT_EXAMPLES[type].type).toBe(type);
  });

  it("has exactly one example per content type, keyed by its type", () => {
    expect(Object.keys(CONTENT_EXAMPLES).sort()).toEqual([...CONTENT_TYPES].sort());
    for (const type of CONTENT_TYPES) expect(CONTENT_EXAMPLES[type].type).toBe(type);
  });

  it.each(EVENT_TYPES.map((t) => [t]))("the %s example validates", (type) => {
    const result = validateEventInput(EVENT_EXAMPLES[type]);
    expect(result.ok ? [] : result.errors).toEqual([]);
  });

  it.each(CONTENT_TYPES.map((t) => [t]))("the %s content example validates in a message", (type) => {
    // Prepare
    const { message: _message, ...received } = EVENT_EXAMPLES.MessageReceived;
    // Act
    const result = validateEventInput({ ...received, message: { content: CONTENT_EXAMPLES[type] } });
    // Assert
    expect(result.ok ? [] : result.errors).toEqual([]);
  });

  it("gives every example its own id", () => {
    const ids = EVENT_TYPES.map((t) => EVENT_EXAMPLES[t].id);
    expect(new Set(ids).size).toBe(EVENT_TYPES.length);
  });

  it("shows more than one occurred_at input form, every one in UTC after normalization", () => {
    const forms = new Set(EVENT_TYPES.map((t) => typeof EVENT_EXAMPLES[t].occurred_at));
    expect(forms).toEqual(new Set(["string", "number"]));
    expect(EVENT_TYPES.some((t) => /[+-]\d{2}:\d{2}$/.test(String(EVENT_EXAMPLES[t].occurred_at)))).toBe(
      true,
    );
  });

  it("cannot be changed by a consumer", () => {
    expect(Object.isFrozen(EVENT_EXAMPLES.MessageSent.message.content)).toBe(true);
    expect(Object.isFrozen(CONTENT_EXAMPLES.carousel.items)).toBe(true);
  });
});

describe("storedExample", () => {
  it.each(EVENT_TYPES.map((t) => [t]))("gives %s as the API returns it", (type) => {
    // Act
    const stored = storedExample(type);
    // Assert
    expect(StoredEventSchema.safeParse(stored).success).toBe(true);
    expect(stored.id).toBe(EVENT_EXAMPLES[type].id);
    expect(stored.type).toBe(type);
    expect(stored.occurred_at).toMatch(UTC_MS);
    const input = normalizeTimestamp(EVENT_EXAMPLES[type].occurred_at);
    expect(input.ok && input.value).toBe(stored.occurred_at);
    expect(stored.received_at).toMatch(UTC_MS);
    expect(Date.parse(stored.received_at) - Date.parse(stored.occurred_at)).toBe(EXAMPLE_RECEIVE_DELAY_MS);
    expect(stored.sequence).toMatch(ULID);
    expect(Object.keys(stored).slice(0, 6)).toEqual([
      "id",
      "type",
      "conversation_id",
      "occurred_at",
      "received_at",
      "sequence",
    ]);
  });

  it("is deterministic, with sequences that sort like received_at", () => {
    expect(EVENT_TYPES.map((t) => storedExample(t))).toEqual(EVENT_TYPES.map((t) => storedExample(t)));
    const stored = EVENT_TYPES.map((t) => storedExample(t));
    const byReceipt = [...stored].sort((a, b) => a.received_at.localeCompare(b.received_at));
    const bySequence = [...stored].sort((a, b) => a.sequence.localeCompare(b.sequence));
    expect(bySequence.map((e) => e.id)).toEqual(byReceipt.map((e) => e.id));
    expect(new Set(stored.map((e) => e.sequence)).size).toBe(EVENT_TYPES.length);
  });
});
