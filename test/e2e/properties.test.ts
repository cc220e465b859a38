/**
 * Property tests through the local gateway:
 * (a) for random event sets (many sharing a timestamp) and random page sizes, forward and
 *     backward cursor walks reproduce the exact (occurred_at, id) order, never skipping or
 *     repeating an event;
 * (b) fuzzed bodies on POST /v1/events never get a 5xx, and a rejected body stores nothing.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoApiKeyStore } from "#shared/store/dynamo/api-keys.ts";
import { createDocumentClient } from "#shared/store/dynamo/client.ts";
import { aMessage, uniqueId, uniqueTenant } from "../support/factories.ts";
import { type Api, startApi } from "../support/http.ts";

let api: Api;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api.stack.stop();
});

type Page = {
  events: { id: string }[];
  meta: { has_more: boolean; after_cursor: string | null; before_cursor: string | null };
};

/** Follows page[after] to the end, then page[before] back to the start; returns both walks. */
async function walk(base: string, size: number): Promise<{ forward: string[]; backward: string[] }> {
  const sep = base.includes("?") ? "&" : "?";
  const get = async (extra: string) =>
    (await api.call("GET", `${base}${sep}page[size]=${size}${extra}`)).json as unknown as Page;
  const forward: string[] = [];
  let page = await get("");
  forward.push(...page.events.map((e) => e.id));
  let guard = 0;
  while (page.meta.has_more) {
    page = await get(`&page[after]=${encodeURIComponent(String(page.meta.after_cursor))}`);
    forward.push(...page.events.map((e) => e.id));
    if (++guard > 500) throw new Error("forward walk does not end");
  }
  // Backward from the last page: each page[before] page comes in the requested sort order.
  const backward: string[] = [...page.events.map((e) => e.id)];
  let cursor = page.meta.before_cursor;
  for (;;) {
    if (!cursor) break;
    const prev = await get(`&page[before]=${encodeURIComponent(cursor)}`);
    backward.unshift(...prev.events.map((e) => e.id));
    if (!prev.meta.has_more) break;
    cursor = prev.meta.before_cursor;
    if (++guard > 1000) throw new Error("backward walk does not end");
  }
  return { forward, backward };
}

let run = 0;

describe("cursor walks reproduce the exact order", () => {
  const eventSet = fc.uniqueArray(
    fc.record({ slot: fc.integer({ min: 0, max: 3 }), id: fc.stringMatching(/^[A-Za-z0-9._:-]{1,12}$/) }),
    { minLength: 1, maxLength: 40, selector: (e) => e.id },
  );

  it("on a conversation timeline, both sort orders", async () => {
    await fc.assert(
      fc.asyncProperty(eventSet, fc.integer({ min: 1, max: 9 }), async (set, size) => {
        const conversation = uniqueId("prop");
        const events = set.map((e) =>
          aMessage({
            id: `${conversation}.${e.id}`,
            conversation_id: conversation,
            occurred_at: `2025-07-0${e.slot + 1}T08:00:00.000Z`,
          }),
        );
        const post = await api.call("POST", "/v1/events", { body: { events } });
        expect(post.status).toBe(200);
        const expected = events
          .map((e) => ({ id: String(e.id), at: String(e.occurred_at) }))
          .sort((a, b) => (a.at === b.at ? (a.id < b.id ? -1 : 1) : a.at < b.at ? -1 : 1))
          .map((e) => e.id);
        const asc = await walk(`/v1/conversations/${conversation}/events`, size);
        expect(asc.forward).toEqual(expected);
        expect(asc.backward).toEqual(expected);
        const desc = await walk(`/v1/conversations/${conversation}/events?sort=-occurred_at`, size);
        expect(desc.forward).toEqual([...expected].reverse());
        expect(desc.backward).toEqual([...expected].reverse());
      }),
      { numRuns: 12 },
    );
  });

  it("on the time range across conversations and month buckets", async () => {
    await fc.assert(
      fc.asyncProperty(eventSet, fc.integer({ min: 1, max: 9 }), async (set, size) => {
        // A year of its own per run keeps runs apart inside the tenant.
        run += 1;
        const year = 2100 + run;
        const events = set.map((e, i) =>
          aMessage({
            id: `r${run}.${e.id}`,
            conversation_id: `c${i % 5}`,
            occurred_at: `${year}-0${e.slot + 1}-28T23:59:59.999Z`,
          }),
        );
        const post = await api.call("POST", "/v1/events", { body: { events } });
        expect(post.status).toBe(200);
        const expected = events
          .map((e) => ({ id: String(e.id), at: String(e.occurred_at) }))
          .sort((a, b) => (a.at === b.at ? (a.id < b.id ? -1 : 1) : a.at < b.at ? -1 : 1))
          .map((e) => e.id);
        const range = `/v1/events?start_time=${year}-01-01T00:00:00Z&end_time=${year + 1}-01-01T00:00:00Z`;
        const asc = await walk(range, size);
        expect(asc.forward).toEqual(expected);
        expect(asc.backward).toEqual(expected);
        const desc = await walk(`${range}&sort=-occurred_at`, size);
        expect(desc.forward).toEqual([...expected].reverse());
      }),
      { numRuns: 10 },
    );
  });
});

describe("fuzzed bodies", () => {
  it("never get a 5xx, and a rejected body stores nothing", async () => {
    // Prepare: a tenant of its own, so "nothing stored" is a count over the whole tenant.
    const tenant = uniqueTenant("fuzz");
    const { key } = await new DynamoApiKeyStore(createDocumentClient(), api.stack.tableName).create({
      tenant,
      scopes: ["events:read", "events:write"],
    });
    const count = async () => {
      let total = 0;
      let after: string | null = null;
      for (;;) {
        const q: string = after ? `&page[after]=${encodeURIComponent(after)}` : "";
        const res = await api.call("GET", `/v1/events?start_time=0&page[size]=1000${q}`, { key });
        const page = res.json as unknown as Page;
        total += page.events.length;
        if (!page.meta.has_more) return total;
        after = page.meta.after_cursor;
      }
    };
    const valid = aMessage();
    const paths = [
      "",
      "type",
      "occurred_at",
      "channel",
      "channel.type",
      "author",
      "author.type",
      "message",
      "message.content",
      "message.content.type",
      "message.content.text",
      "conversation_id",
      "id",
      "metadata",
      "extra",
    ];
    const mutated = fc.tuple(fc.constantFrom(...paths), fc.jsonValue()).map(([path, value]) => {
      const copy = structuredClone(valid) as Record<string, unknown>;
      copy.id = uniqueId("fz");
      if (path === "") return value;
      const parts = path.split(".");
      let node = copy;
      for (const part of parts.slice(0, -1)) {
        if (typeof node[part] !== "object" || node[part] === null) node[part] = {};
        node = node[part] as Record<string, unknown>;
      }
      node[parts[parts.length - 1] as string] = value;
      return copy;
    });
    const body = fc.oneof(
      mutated.map((b) => JSON.stringify(b)),
      mutated.map((b) => JSON.stringify({ events: [b] })),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.string(),
    );

    await fc.assert(
      fc.asyncProperty(body, async (raw) => {
        const before = await count();
        const res = await api.call("POST", "/v1/events", {
          key,
          rawBody: raw,
          headers: { "content-type": "application/json" },
        });
        expect(res.status).toBeLessThan(500);
        const after = await count();
        const results = (res.json.results as { status: string }[] | undefined) ?? [];
        const stored = res.status === 201 ? 1 : results.filter((r) => r.status === "created").length;
        expect(after - before).toBe(stored);
        if (res.status >= 400) expect(res.headers.get("content-type")).toMatch(/problem\+json/);
      }),
      { numRuns: 80 },
    );
  });
});
