/**
 * validateEventInput against the event contract (docs/events.md): one valid example per event type
 * and per content type, strictness at every level, size limits, log-owned fields, and error
 * paths a person can act on.
 */
import { describe, expect, it } from "vitest";
import { CONTENT_EXAMPLES, EVENT_EXAMPLES } from "#shared/events/examples.ts";
import {
  CONTENT_TYPES,
  EVENT_TYPES,
  LOG_OWNED_FIELDS,
  MAX_EVENT_BYTES,
  MAX_METADATA_BYTES,
} from "#shared/events/schema.ts";
import { type FieldError, formatPath, validateEventInput } from "#shared/events/validate.ts";
import { aMessage, anEvent, type Json } from "../support/factories.ts";

function errorsOf(raw: unknown, prefix?: string): FieldError[] {
  const result = validateEventInput(raw, prefix);
  if (result.ok) throw new Error(`expected ${JSON.stringify(raw).slice(0, 200)} to be rejected`);
  return result.errors;
}

function accepted(raw: unknown): Record<string, unknown> {
  const result = validateEventInput(raw);
  if (!result.ok) throw new Error(`expected the event to be accepted: ${JSON.stringify(result.errors)}`);
  return result.value as unknown as Record<string, unknown>;
}

const paths = (errors: FieldError[]) => errors.map((e) => e.path);

/**
 * One valid example per event type (`message` for message events, `data` for the others) and
 * per content type: the documented examples (shared/events/examples.ts).
 */
const VALID_BY_TYPE: Record<(typeof EVENT_TYPES)[number], Json> = EVENT_EXAMPLES;
const VALID_CONTENT: Record<(typeof CONTENT_TYPES)[number], Json> = CONTENT_EXAMPLES;

describe("validateEventInput: the catalog", () => {
  it("has one example for every event type and every content type", () => {
    expect(Object.keys(VALID_BY_TYPE).sort()).toEqual([...EVENT_TYPES].sort());
    expect(Object.keys(VALID_CONTENT).sort()).toEqual([...CONTENT_TYPES].sort());
  });

  it.each(EVENT_TYPES.map((t) => [t]))("accepts a valid %s", (type) => {
    // Prepare
    const raw = VALID_BY_TYPE[type];
    // Act
    const value = accepted(raw);
    // Assert
    expect(value.type).toBe(type);
    const payload = "message" in raw ? "message" : "data";
    expect(value[payload]).toEqual(raw[payload]);
  });

  it.each(CONTENT_TYPES.map((t) => [t]))("accepts %s message content", (type) => {
    // Prepare
    const raw = aMessage({ message: { content: VALID_CONTENT[type] } });
    // Act
    const value = accepted(raw);
    // Assert
    expect(value.message).toEqual({ content: VALID_CONTENT[type] });
  });

  it("accepts MessageRead without message_id, ControlPassed without from, reaction without emoji", () => {
    expect(validateEventInput(anEvent("MessageRead", {})).ok).toBe(true);
    expect(validateEventInput(anEvent("ControlPassed", { to: { type: "integration", id: "zd" } })).ok).toBe(
      true,
    );
    expect(
      validateEventInput(aMessage({ message: { content: { type: "reaction", message_id: "m1" } } })).ok,
    ).toBe(true);
  });

  it("accepts an event without id (the log derives or generates one)", () => {
    // Prepare
    const { id: _id, ...withoutId } = aMessage();
    // Act / Assert
    expect(accepted(withoutId).id).toBeUndefined();
  });

  it("normalizes occurred_at to UTC with milliseconds", () => {
    expect(accepted(aMessage({ occurred_at: "2025-05-23T12:15:30.1239+02:00" })).occurred_at).toBe(
      "2025-05-23T10:15:30.123Z",
    );
    expect(accepted(aMessage({ occurred_at: 1748000130 })).occurred_at).toBe("2025-05-23T11:35:30.000Z");
    expect(accepted(aMessage({ occurred_at: "1748000130123" })).occurred_at).toBe("2025-05-23T11:35:30.123Z");
  });

  it("rejects an unknown event type, listing the valid ones", () => {
    // Act
    const errors = errorsOf(aMessage({ type: "MessageExploded" }));
    // Assert
    expect(errors).toHaveLength(1);
    expect(errors[0]?.path).toBe("type");
    expect(errors[0]?.message).toContain("MessageReceived");
  });

  it("rejects an unknown content type, listing the valid ones", () => {
    const errors = errorsOf(aMessage({ message: { content: { type: "hologram" } } }));
    expect(errors[0]?.path).toBe("message.content.type");
    expect(errors[0]?.message).toContain("form_response");
  });

  it.each([
    ["an out-of-range rating", anEvent("ConversationRated", { score: 6 }), "data.score"],
    ["a fractional rating", anEvent("ConversationRated", { score: 4.5 }), "data.score"],
    ["empty tags", anEvent("ConversationTagged", { tags: [] }), "data.tags"],
    ["a bad priority", anEvent("ConversationOpened", { priority: "meh" }), "data.priority"],
    [
      "a bad transfer type",
      anEvent("ConversationTransferred", { from: { type: "bot", id: "b" }, to: { type: "agent", id: "a" } }),
      "data.from.type",
    ],
    [
      "a latitude beyond 90",
      aMessage({ message: { content: { type: "location", latitude: 91, longitude: 0 } } }),
      "message.content.latitude",
    ],
    [
      "an empty carousel",
      aMessage({ message: { content: { type: "carousel", items: [] } } }),
      "message.content.items",
    ],
    [
      "11 carousel items",
      aMessage({
        message: {
          content: { type: "carousel", items: Array.from({ length: 11 }, (_, i) => ({ title: `t${i}` })) },
        },
      }),
      "message.content.items",
    ],
    [
      "a bad action type",
      aMessage({
        message: { content: { type: "text", text: "x", actions: [{ type: "dance", text: "x" }] } },
      }),
      "message.content.actions[0].type",
    ],
    ["empty text", aMessage({ message: { content: { type: "text", text: "" } } }), "message.content.text"],
    [
      "an attachment without media_type",
      aMessage({
        message: { content: { type: "text", text: "x" }, attachments: [{ media_url: "https://x" }] },
      }),
      "message.attachments[0].media_type",
    ],
    ["a bad channel type", aMessage({ channel: { type: "pigeon" } }), "channel.type"],
    ["a bad author type", aMessage({ author: { type: "alien" } }), "author.type"],
    ["a bad source system", aMessage({ source: { system: "WhatsApp!" } }), "source.system"],
    ["a non-scalar metadata value", aMessage({ metadata: { nested: { a: 1 } } }), "metadata.nested"],
  ])("rejects %s at %s", (_what, raw, path) => {
    expect(paths(errorsOf(raw))).toContain(path);
  });
});

describe("validateEventInput: unknown fields", () => {
  it.each([
    ["the envelope", aMessage({ bogus: 1 }), "bogus"],
    ["channel", aMessage({ channel: { type: "web", bogus: 1 } }), "channel.bogus"],
    ["author", aMessage({ author: { type: "customer", bogus: 1 } }), "author.bogus"],
    [
      "a recipient",
      aMessage({ recipients: [{ type: "agent" }, { type: "agent", bogus: 1 }] }),
      "recipients[1].bogus",
    ],
    ["source", aMessage({ source: { system: "api", bogus: 1 } }), "source.bogus"],
    ["message", aMessage({ message: { content: { type: "text", text: "x" }, bogus: 1 } }), "message.bogus"],
    [
      "message.content",
      aMessage({ message: { content: { type: "text", text: "x", bogus: 1 } } }),
      "message.content.bogus",
    ],
    [
      "an action",
      aMessage({
        message: { content: { type: "text", text: "x", actions: [{ type: "reply", text: "y", bogus: 1 }] } },
      }),
      "message.content.actions[0].bogus",
    ],
    [
      "an attachment",
      aMessage({
        message: {
          content: { type: "text", text: "x" },
          attachments: [{ media_url: "https://x", media_type: "image/png", bogus: 1 }],
        },
      }),
      "message.attachments[0].bogus",
    ],
    ["data", anEvent("ConversationClosed", { reason: "done", bogus: 1 }), "data.bogus"],
    ["empty data", anEvent("ConversationReopened", { bogus: 1 }), "data.bogus"],
    [
      "nested data",
      anEvent("ConversationAssigned", { assignee: { type: "agent", id: "a", bogus: 1 } }),
      "data.assignee.bogus",
    ],
    [
      "data.participant",
      anEvent("AgentJoined", { participant: { type: "agent", id: "a", bogus: 1 } }),
      "data.participant.bogus",
    ],
  ])("rejects an unknown field in %s with path %s", (_where, raw, path) => {
    // Act
    const errors = errorsOf(raw);
    // Assert
    expect(errors).toContainEqual({ path, message: expect.stringContaining("unknown field") });
  });

  it("names every unknown field, not only the first", () => {
    expect(paths(errorsOf(aMessage({ foo: 1, bar: 2 })))).toEqual(expect.arrayContaining(["foo", "bar"]));
  });

  it("accepts arbitrary keys in the free-form maps", () => {
    // Prepare
    const raw = aMessage({
      metadata: { "any key": "v", "x-crm.id": 42, flag: true, ünïcödé: "ok" },
      channel: {
        type: "whatsapp",
        integration_id: "int-1",
        metadata: {
          business_phone_number: "+15550001",
          phone_number_id: "1234",
          customer_phone_number: "+15550002",
          nested: { deep: [1, "two", { three: null }] },
        },
      },
      author: { type: "customer", id: "c1", external_ids: { whatsapp: "16505551234", "zendesk.user": "99" } },
      recipients: [{ type: "agent", external_ids: { slack: "U123" } }],
    });
    // Act
    const value = accepted(raw);
    // Assert
    expect(value.metadata).toEqual(raw.metadata);
    expect(value.channel).toEqual(raw.channel);
    expect(value.author).toEqual(raw.author);
  });
});

describe("validateEventInput: sizes", () => {
  it("accepts metadata of exactly 4 KB and rejects one byte more", () => {
    // Prepare: {"a":"…","b":"…"} is 15 bytes of JSON around the two values (each at most 2,048 chars).
    const atLimit = { a: "a".repeat(2048), b: "b".repeat(MAX_METADATA_BYTES - 15 - 2048) };
    const overLimit = { ...atLimit, b: `${atLimit.b}b` };
    expect(Buffer.byteLength(JSON.stringify(atLimit))).toBe(MAX_METADATA_BYTES);
    // Act
    const ok = validateEventInput(aMessage({ metadata: atLimit }));
    const errors = errorsOf(aMessage({ metadata: overLimit }));
    // Assert
    expect(ok.ok).toBe(true);
    expect(errors).toEqual([{ path: "metadata", message: expect.stringContaining("4 KB") }]);
  });

  it("rejects channel.metadata over 4 KB", () => {
    const errors = errorsOf(aMessage({ channel: { type: "web", metadata: { blob: "x".repeat(5000) } } }));
    expect(errors).toContainEqual({ path: "channel.metadata", message: expect.stringContaining("4 KB") });
  });

  it("accepts a large event under 64 KB", () => {
    // Prepare: 20,000 three-byte characters are ~60 KB of UTF-8.
    const raw = aMessage({ message: { content: { type: "text", text: "€".repeat(20_000) } } });
    // Act / Assert
    expect(Buffer.byteLength(JSON.stringify(raw))).toBeLessThan(MAX_EVENT_BYTES);
    expect(validateEventInput(raw).ok).toBe(true);
  });

  it("rejects an event over 64 KB that is otherwise valid, saying so", () => {
    // Prepare: within the 32,768-character text limit, but ~96 KB of UTF-8.
    const raw = aMessage({ message: { content: { type: "text", text: "€".repeat(32_768) } } });
    // Act
    const errors = errorsOf(raw);
    // Assert
    expect(errors).toHaveLength(1);
    expect(errors[0]?.path).toBe("(root)");
    expect(errors[0]?.message).toContain("64 KB");
  });
});

describe("validateEventInput: log-owned and required fields", () => {
  it.each(LOG_OWNED_FIELDS.map((f) => [f]))("rejects %s sent by a client", (field) => {
    // Prepare
    const value = field === "caused_by" ? { event_id: "e0", depth: 1 } : "2025-05-23T10:15:30.123Z";
    // Act
    const errors = errorsOf(aMessage({ [field]: value }));
    // Assert
    expect(errors).toEqual([{ path: field, message: expect.stringContaining("is set by the log") }]);
  });

  it("names every log-owned field sent", () => {
    const errors = errorsOf(aMessage({ received_at: "x", sequence: "y", caused_by: {} }));
    expect(paths(errors).sort()).toEqual(["caused_by", "received_at", "sequence"]);
  });

  it.each([["type"], ["conversation_id"], ["occurred_at"], ["channel"], ["author"]])(
    "says %s is required when it is missing",
    (field) => {
      // Prepare
      const raw = aMessage();
      delete raw[field];
      // Act
      const errors = errorsOf(raw);
      // Assert
      expect(errors).toContainEqual({ path: field, message: "is required" });
    },
  );

  it("says nested required fields are required", () => {
    expect(errorsOf(aMessage({ channel: {} }))).toContainEqual({
      path: "channel.type",
      message: "is required",
    });
    expect(errorsOf(anEvent("MessageDelivered", {}))).toContainEqual({
      path: "data.message_id",
      message: "is required",
    });
    expect(errorsOf(aMessage({ message: { content: { type: "image" } } }))).toContainEqual({
      path: "message.content.media_url",
      message: "is required",
    });
  });

  it("rejects a message event without message", () => {
    // Prepare
    const raw = aMessage();
    delete raw.message;
    // Act / Assert
    expect(errorsOf(raw)).toContainEqual({ path: "message", message: "is required" });
  });

  it("rejects a message event that carries data instead of message", () => {
    // Prepare
    const { message: _message, ...rest } = aMessage();
    // Act
    const errors = errorsOf({ ...rest, data: { text: "hi" } });
    // Assert
    expect(paths(errors)).toEqual(expect.arrayContaining(["data", "message"]));
  });

  it("rejects a non-message event that carries message instead of data", () => {
    // Prepare
    const { data: _data, ...rest } = anEvent("ConversationClosed", { reason: "done" });
    // Act
    const errors = errorsOf({ ...rest, message: { content: { type: "text", text: "hi" } } });
    // Assert
    expect(errors).toContainEqual({ path: "message", message: expect.stringContaining("unknown field") });
    expect(errors).toContainEqual({ path: "data", message: "is required" });
  });

  it.each([
    ["a space", "evt 1"],
    ["a slash", "evt/1"],
    ["a hash", "evt#1"],
    ["an empty string", ""],
    ["129 characters", "a".repeat(129)],
    ["a non-ASCII letter", "évt"],
  ])("rejects an id with %s", (_what, id) => {
    const errors = errorsOf(aMessage({ id }));
    expect(errors).toContainEqual({ path: "id", message: expect.stringContaining("A-Z a-z 0-9") });
  });

  it("accepts ids of 128 pattern characters, and conversation ids follow the same rule", () => {
    expect(validateEventInput(aMessage({ id: `${"a".repeat(120)}._:-AZ09` })).ok).toBe(true);
    expect(paths(errorsOf(aMessage({ conversation_id: "conv 1" })))).toEqual(["conversation_id"]);
  });

  it("rejects a bad occurred_at with the timestamp's reason", () => {
    expect(errorsOf(aMessage({ occurred_at: "2025-05-23T10:15:30" }))).toContainEqual({
      path: "occurred_at",
      message: expect.stringContaining("ambiguous"),
    });
  });

  it.each([
    ["an array", []],
    ["a string", "event"],
    ["a number", 42],
    ["null", null],
  ])("rejects %s as an event", (_what, raw) => {
    expect(errorsOf(raw)).toEqual([{ path: "(root)", message: "an event must be a JSON object" }]);
  });
});

describe("validateEventInput: batch prefix", () => {
  it("prefixes every path with the item's position", () => {
    expect(errorsOf(aMessage({ occurred_at: "2025-05-23" }), "events[3]")).toContainEqual({
      path: "events[3].occurred_at",
      message: expect.stringContaining("ambiguous"),
    });
    expect(
      paths(errorsOf(aMessage({ message: { content: { type: "text", text: "x", bogus: 1 } } }), "events[0]")),
    ).toEqual(["events[0].message.content.bogus"]);
    expect(paths(errorsOf(aMessage({ sequence: "1" }), "events[7]"))).toEqual(["events[7].sequence"]);
    expect(paths(errorsOf("nope", "events[2]"))).toEqual(["events[2]"]);
  });

  it("formats zod paths with dots and brackets", () => {
    expect(formatPath(["message", "content", "items", 2, "title"])).toBe("message.content.items[2].title");
    expect(formatPath([], "events[1]")).toBe("events[1]");
    expect(formatPath([])).toBe("(root)");
    expect(formatPath(["occurred_at"], "events[9]")).toBe("events[9].occurred_at");
  });
});
