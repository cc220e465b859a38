/**
 * Pure parts of triggers: derived ids, webhook URL rules, pattern error paths.
 */
import { describe, expect, it } from "vitest";
import { ID_PATTERN } from "#shared/events/schema.ts";
import { patternErrors, TriggerInputSchema } from "#shared/triggers/schema.ts";
import { actionEventId, webhookMessageId } from "#shared/usecases/trigger-engine.ts";

describe("derived ids", () => {
  it("are deterministic, distinct per (trigger, event, action) and valid event ids", () => {
    const a = actionEventId("trg_1", "evt-1", 0);
    expect(a).toBe(actionEventId("trg_1", "evt-1", 0));
    expect(a).toMatch(ID_PATTERN);
    const others = [
      actionEventId("trg_1", "evt-1", 1),
      actionEventId("trg_2", "evt-1", 0),
      actionEventId("trg_1", "evt-2", 0),
      // Delimiters cannot make two inputs collide.
      actionEventId("trg_1e", "vt-1", 0),
    ];
    expect(new Set([a, ...others]).size).toBe(5);
    expect(webhookMessageId("trg_1", "evt-1", 0)).toMatch(/^msg_[0-9a-f]{40}$/);
    expect(webhookMessageId("trg_1", "evt-1", 0).slice(4)).not.toBe(a.slice(4));
  });
});

describe("trigger input", () => {
  const base = { name: "t", when: { type: ["MessageReceived"] } };
  it.each([
    ["https://example.com/h", true],
    ["http://localhost:8080/h", true],
    ["http://127.0.0.1:9/h", true],
    ["http://example.com/h", false],
    ["ftp://example.com/h", false],
    ["https://user:pw@example.com/h", false],
    ["not a url", false],
  ])("webhook url %s accepted: %s", (url, ok) => {
    expect(TriggerInputSchema.safeParse({ ...base, actions: [{ type: "webhook", url }] }).success).toBe(ok);
  });

  it("places pattern problems under when, at the field's path", () => {
    expect(patternErrors({ data: { tags: "spam" } })).toEqual([
      {
        path: "when.data.tags",
        message: 'must be a list of match values (e.g. ["value"]) or a nested object (got the string "spam")',
      },
    ]);
    expect(patternErrors({ type: ["x"] })).toEqual([]);
    expect(patternErrors({ type: ["x".repeat(5000)] })[0]?.message).toMatch(/at most 4096/);
  });
});
