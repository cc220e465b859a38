/**
 * Test data factories: valid events by default, overridden per test.
 */
import { randomUUID } from "node:crypto";

export type Json = Record<string, unknown>;

/** A tenant id no other test uses. */
export function uniqueTenant(prefix = "t"): string {
  return `${prefix}-${randomUUID().slice(0, 12)}`;
}

export function uniqueId(prefix = "id"): string {
  return `${prefix}-${randomUUID()}`;
}

/** A valid `MessageReceived` event as a client would post it. */
export function aMessage(overrides: Json = {}): Json {
  return {
    id: uniqueId("evt"),
    type: "MessageReceived",
    conversation_id: "conv-1",
    occurred_at: "2025-05-23T10:15:30.123Z",
    channel: { type: "web" },
    author: { type: "customer", id: "cust-1" },
    message: { content: { type: "text", text: "Hello" } },
    ...overrides,
  };
}

/** A valid non-message event of the given type with its data. */
export function anEvent(type: string, data: Json, overrides: Json = {}): Json {
  return {
    id: uniqueId("evt"),
    type,
    conversation_id: "conv-1",
    occurred_at: "2025-05-23T10:15:30.123Z",
    channel: { type: "api" },
    author: { type: "system" },
    data,
    ...overrides,
  };
}
