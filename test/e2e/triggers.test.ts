/**
 * `/v1/triggers` end to end through the local gateway: authorizer scopes, validation
 * problems with field paths, tenant isolation, the secret shown once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Api, startApi } from "../support/http.ts";

let api: Api;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api.stack.stop();
});

const spamTrigger = {
  name: "close spam",
  enabled: true,
  when: { type: ["ConversationTagged"], data: { tags: ["spam"] } },
  actions: [{ type: "close", reason: "spam" }],
};

type Json = Record<string, unknown>;
const asAutomation = (body?: unknown) => ({
  key: api.keys.aAutomations,
  ...(body === undefined ? {} : { body }),
});

async function create(body: unknown = spamTrigger): Promise<Json> {
  const res = await api.call("POST", "/v1/triggers", asAutomation(body));
  expect(res.status, res.text).toBe(201);
  return res.json.trigger as Json;
}

function fieldErrors(res: { json: Json }): { path: string; message: string }[] {
  return res.json.errors as { path: string; message: string }[];
}

describe("POST /v1/triggers", () => {
  it("answers 201 with the trigger and a Standard Webhooks secret shown only there", async () => {
    const res = await api.call(
      "POST",
      "/v1/triggers",
      asAutomation({ ...spamTrigger, actions: [{ type: "webhook", url: "https://example.com/hook" }] }),
    );
    expect(res.status).toBe(201);
    const trigger = res.json.trigger as Json;
    expect(trigger).toMatchObject({
      id: expect.stringMatching(/^trg_[0-9A-Z]{26}$/),
      name: "close spam",
      enabled: true,
      when: spamTrigger.when,
      actions: [{ type: "webhook", url: "https://example.com/hook" }],
      created_at: expect.stringMatching(/Z$/),
    });
    expect(trigger.updated_at).toBe(trigger.created_at);
    expect(String(trigger.webhook_secret)).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);

    const read = await api.call("GET", `/v1/triggers/${trigger.id}`, asAutomation());
    expect(read.status).toBe(200);
    expect(read.text).not.toContain("whsec_");
    const list = await api.call("GET", "/v1/triggers", asAutomation());
    expect(list.text).not.toContain("whsec_");
  });

  it("defaults enabled to true", async () => {
    const { enabled: _e, ...rest } = spamTrigger;
    expect((await create(rest)).enabled).toBe(true);
  });

  it("rejects an invalid pattern with a 400 that says what is wrong, at its path under when", async () => {
    const res = await api.call(
      "POST",
      "/v1/triggers",
      asAutomation({
        ...spamTrigger,
        when: { type: ["ConversationTagged"], data: { tags: [{ prefix: 5 }] } },
      }),
    );
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(fieldErrors(res)).toEqual([
      {
        path: "when.data.tags",
        message: '"prefix" must be a string or {"equals-ignore-case": "<string>"} (got the number 5)',
      },
    ]);
    expect(String(res.json.detail)).toContain("when.data.tags");

    const notList = await api.call(
      "POST",
      "/v1/triggers",
      asAutomation({ ...spamTrigger, when: { type: "X" } }),
    );
    expect(notList.status).toBe(400);
    expect(fieldErrors(notList)[0]).toMatchObject({
      path: "when.type",
      message: expect.stringContaining("must be a list of match values"),
    });
    const empty = await api.call("POST", "/v1/triggers", asAutomation({ ...spamTrigger, when: {} }));
    expect(fieldErrors(empty)).toEqual([
      { path: "when", message: "event pattern must not be empty: name at least one field to match" },
    ]);
  });

  it("rejects unknown action types, unknown fields, missing fields and non-https webhooks", async () => {
    const res = await api.call(
      "POST",
      "/v1/triggers",
      asAutomation({
        name: "x",
        when: { type: ["MessageReceived"] },
        actions: [
          { type: "delete_everything" },
          { type: "webhook", url: "http://example.com/hook" },
          { type: "add_tags", tags: ["a"], colour: "red" },
        ],
        owner: "me",
      }),
    );
    expect(res.status).toBe(400);
    expect(fieldErrors(res)).toEqual(
      expect.arrayContaining([
        { path: "actions[0].type", message: "must be one of: add_tags, close, reopen, webhook" },
        {
          path: "actions[1].url",
          message: "must use https (http is allowed only for localhost and 127.0.0.1)",
        },
        { path: "actions[2].colour", message: expect.stringContaining("unknown field") },
        { path: "owner", message: expect.stringContaining("unknown field") },
      ]),
    );
    const missing = await api.call("POST", "/v1/triggers", asAutomation({ name: "x" }));
    expect(fieldErrors(missing)).toEqual(
      expect.arrayContaining([
        { path: "when", message: "is required" },
        { path: "actions", message: "is required" },
      ]),
    );
    const local = await api.call(
      "POST",
      "/v1/triggers",
      asAutomation({ ...spamTrigger, actions: [{ type: "webhook", url: "http://127.0.0.1:9/hook" }] }),
    );
    expect(local.status).toBe(201);
  });

  it("needs the automations:write scope (403), and a key at all (401)", async () => {
    const res = await api.call("POST", "/v1/triggers", { key: api.keys.a, body: spamTrigger });
    expect(res.status).toBe(403);
    expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect((await api.call("GET", "/v1/triggers", { key: api.keys.a })).status).toBe(403);
    expect((await api.call("GET", "/v1/triggers", { key: null })).status).toBe(401);
  });
});

describe("GET, PUT, DELETE /v1/triggers/{trigger_id}", () => {
  it("reads, replaces (keeping id and created_at) and deletes a trigger", async () => {
    const created = await create();
    await new Promise((r) => setTimeout(r, 5));
    const replacement = {
      name: "tag spam",
      enabled: false,
      when: { type: ["MessageReceived"] },
      actions: [{ type: "add_tags", tags: ["triaged"] }, { type: "reopen" }],
    };
    const put = await api.call("PUT", `/v1/triggers/${created.id}`, asAutomation(replacement));
    expect(put.status).toBe(200);
    const replaced = put.json.trigger as Json;
    expect(replaced).toMatchObject({ id: created.id, created_at: created.created_at, ...replacement });
    expect(String(replaced.updated_at) > String(created.updated_at)).toBe(true);
    expect(replaced).not.toHaveProperty("webhook_secret");

    const got = await api.call("GET", `/v1/triggers/${created.id}`, asAutomation());
    expect(got.json.trigger).toEqual(replaced);

    const badPut = await api.call(
      "PUT",
      `/v1/triggers/${created.id}`,
      asAutomation({ ...replacement, when: [] }),
    );
    expect(badPut.status).toBe(400);

    const del = await api.call("DELETE", `/v1/triggers/${created.id}`, asAutomation());
    expect(del.status).toBe(204);
    expect(del.text).toBe("");
    expect((await api.call("GET", `/v1/triggers/${created.id}`, asAutomation())).status).toBe(404);
    expect((await api.call("DELETE", `/v1/triggers/${created.id}`, asAutomation())).status).toBe(404);
    expect((await api.call("PUT", `/v1/triggers/${created.id}`, asAutomation(replacement))).status).toBe(404);
  });

  it("answers 404 for another tenant's trigger, on every method, and leaves it untouched", async () => {
    const mine = await create();
    const other = { key: api.keys.bAutomations };
    expect((await api.call("GET", `/v1/triggers/${mine.id}`, other)).status).toBe(404);
    expect((await api.call("PUT", `/v1/triggers/${mine.id}`, { ...other, body: spamTrigger })).status).toBe(
      404,
    );
    expect((await api.call("DELETE", `/v1/triggers/${mine.id}`, other)).status).toBe(404);
    const list = await api.call("GET", "/v1/triggers", other);
    expect((list.json.triggers as Json[]).map((t) => t.id)).not.toContain(mine.id);
    expect((await api.call("GET", `/v1/triggers/${mine.id}`, asAutomation())).status).toBe(200);
  });

  it("answers 404 for an id that could not exist", async () => {
    expect((await api.call("GET", "/v1/triggers/nope", asAutomation())).status).toBe(404);
  });
});

describe("GET /v1/triggers", () => {
  it("lists every trigger in creation order, paged", async () => {
    const before = await api.call("GET", "/v1/triggers?page[size]=100", asAutomation());
    const existing = (before.json.triggers as Json[]).map((t) => t.id);
    const made: unknown[] = [];
    for (let i = 0; i < 3; i++) made.push((await create({ ...spamTrigger, name: `t${i}` })).id);
    const all = [...existing, ...made];

    const seen: unknown[] = [];
    let after: string | null = null;
    for (;;) {
      const query: string = `page[size]=2${after ? `&page[after]=${after}` : ""}`;
      const page = await api.call("GET", `/v1/triggers?${query}`, asAutomation());
      expect(page.status).toBe(200);
      const ids = (page.json.triggers as Json[]).map((t) => t.id);
      expect(ids.length).toBeLessThanOrEqual(2);
      seen.push(...ids);
      const meta = page.json.meta as { has_more: boolean; after_cursor: string | null };
      if (!meta.has_more) break;
      after = meta.after_cursor;
    }
    expect(seen).toEqual(all);
  });

  it("rejects unknown parameters and out-of-range sizes", async () => {
    const res = await api.call("GET", "/v1/triggers?page[size]=0&pagesize=3", asAutomation());
    expect(res.status).toBe(400);
    expect(
      fieldErrors(res)
        .map((e) => e.path)
        .sort(),
    ).toEqual(["page[size]", "pagesize"]);
  });
});
