/**
 * Channel integrations and webhooks end to end through the local gateway: admin scope, the
 * Meta handshake, signatures over the raw bytes, re-delivery, tenant from the URL only,
 * rejections kept and inspectable.
 */
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { whatsappConversationId } from "#shared/channels/whatsapp.ts";
import { deriveEventId } from "#shared/usecases/ingest.ts";
import { type Api, startApi } from "../support/http.ts";

let api: Api;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api.stack.stop();
});

type Json = Record<string, unknown>;
const FIXTURES = join(import.meta.dirname, "..", "fixtures");
const fixture = (provider: string, file: string) => readFileSync(join(FIXTURES, provider, file));
const sign = (body: Buffer, secret = "test_app_secret") =>
  `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
const CONV = whatsappConversationId("106540352242922", "16505551234");

async function register(body: Json, key = api.keys.aAdmin): Promise<Json> {
  const res = await api.call("POST", "/v1/channels", { key, body });
  expect(res.status, res.text).toBe(201);
  return res.json;
}
const whatsapp = (key?: string) =>
  register({ type: "whatsapp", app_secret: "test_app_secret", verify_token: "verify-me-please" }, key);
const sunco = (key?: string) =>
  register({ type: "sunco", app_id: "5ebee0975ac5304b664a12fa", webhook_secret: "sunco-secret-1" }, key);
const pathOf = (channel: Json) => new URL(String(channel.webhook_url)).pathname;

async function timeline(conversation: string, key = api.keys.a): Promise<Json[]> {
  const res = await api.call("GET", `/v1/conversations/${conversation}/events`, { key });
  if (res.status === 404) return [];
  expect(res.status, res.text).toBe(200);
  return res.json.events as Json[];
}

async function postWhatsApp(channel: Json, body: Buffer, headers: Record<string, string> = {}) {
  return api.call("POST", pathOf(channel), {
    key: null,
    rawBody: body,
    headers: { "content-type": "application/json", "x-hub-signature-256": sign(body), ...headers },
  });
}

describe("channel integrations (admin)", () => {
  it("creates, lists without secrets, and deletes; other scopes and tenants cannot", async () => {
    const created = await whatsapp();
    expect(created).toEqual({
      id: expect.stringMatching(/^ch_[A-Za-z0-9_-]{43}$/),
      type: "whatsapp",
      webhook_url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/v1\/channels\/whatsapp\/ch_/),
      created_at: expect.stringMatching(/Z$/),
    });
    const list = await api.call("GET", "/v1/channels", { key: api.keys.aAdmin });
    expect(list.status).toBe(200);
    expect(list.text).not.toContain("test_app_secret");
    expect(list.text).not.toContain("verify-me-please");
    expect(list.json.channels).toEqual(expect.arrayContaining([created]));

    expect((await api.call("GET", "/v1/channels", { key: api.keys.a })).status).toBe(403);
    expect((await api.call("GET", "/v1/channels", { key: null })).status).toBe(401);
    const other = await api.call("GET", "/v1/channels", { key: api.keys.bAdmin });
    expect(other.text).not.toContain(String(created.id));
    expect((await api.call("DELETE", `/v1/channels/${created.id}`, { key: api.keys.bAdmin })).status).toBe(
      404,
    );

    expect((await api.call("DELETE", `/v1/channels/${created.id}`, { key: api.keys.aAdmin })).status).toBe(
      204,
    );
    expect((await api.call("DELETE", `/v1/channels/${created.id}`, { key: api.keys.aAdmin })).status).toBe(
      404,
    );
    // A deleted integration's URL is unknown.
    expect((await postWhatsApp(created, fixture("whatsapp", "text.json"))).status).toBe(404);
  });

  it("rejects invalid input with field errors", async () => {
    const res = await api.call("POST", "/v1/channels", {
      key: api.keys.aAdmin,
      body: { type: "whatsapp", app_secret: "short" },
    });
    expect(res.status).toBe(400);
    expect((res.json.errors as { path: string }[]).map((e) => e.path)).toEqual(
      expect.arrayContaining(["app_secret", "verify_token"]),
    );
  });
});

describe("WhatsApp webhook", () => {
  it("answers the handshake with the challenge as text/plain, and 403 otherwise", async () => {
    const channel = await whatsapp();
    const base = pathOf(channel);
    const ok = await api.call(
      "GET",
      `${base}?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=verify-me-please`,
      {
        key: null,
      },
    );
    expect(ok.status).toBe(200);
    expect(ok.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(ok.text).toBe("1158201444");
    for (const q of [
      "hub.mode=subscribe&hub.challenge=1&hub.verify_token=wrong",
      "hub.mode=unsubscribe&hub.challenge=1&hub.verify_token=verify-me-please",
      "hub.mode=subscribe&hub.verify_token=verify-me-please",
      "",
    ]) {
      expect((await api.call("GET", `${base}?${q}`, { key: null })).status, q).toBe(403);
    }
    expect(
      (await api.call("GET", "/v1/channels/whatsapp/ch_unknown?hub.mode=subscribe", { key: null })).status,
    ).toBe(404);
  });

  it("stores a signed message once; re-delivery stores nothing new", async () => {
    const channel = await whatsapp();
    const body = fixture("whatsapp", "text.json");
    const first = await postWhatsApp(channel, body);
    expect(first.status, first.text).toBe(200);
    expect(first.json).toEqual({ created: 1, duplicate: 0, ignored: 0, rejected: 0 });
    const again = await postWhatsApp(channel, body);
    expect(again.json).toEqual({ created: 0, duplicate: 1, ignored: 0, rejected: 0 });
    const events = await timeline(CONV);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      id: deriveEventId("whatsapp", "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA="),
      type: "MessageReceived",
      occurred_at: "2025-06-08T20:59:43.000Z",
      author: { type: "customer", display_name: "Sheena Nelson" },
    });
  });

  it("the README's known signature over text.json's exact bytes is accepted", async () => {
    const channel = await whatsapp(api.keys.bAdmin);
    const res = await postWhatsApp(channel, fixture("whatsapp", "text.json"), {
      "x-hub-signature-256": "sha256=1c041e1c07f50386213ac582d2e17d24d70f1ed42949a6e5a5607057b805b5fc",
    });
    expect(res.status).toBe(200);
    // The tenant is the integration's (B), never anything in the payload.
    expect(await timeline(CONV, api.keys.b)).toHaveLength(1);
  });

  it("401 and nothing stored for a missing, wrong or other-body signature", async () => {
    const channel = await whatsapp();
    const body = fixture("whatsapp", "reaction.json");
    const tampered = Buffer.from(body.toString("utf8").replace("👍", "👎"));
    for (const headers of [
      { "x-hub-signature-256": "" },
      { "x-hub-signature-256": sign(body, "wrong-secret") },
      { "x-hub-signature-256": sign(body) },
    ]) {
      const res = await postWhatsApp(
        channel,
        headers["x-hub-signature-256"] === sign(body) ? tampered : body,
        headers,
      );
      expect(res.status).toBe(401);
      expect(res.headers.get("content-type")).toMatch(/problem\+json/);
    }
    const list = await api.call("GET", `/v1/channels/${channel.id}/rejections`, { key: api.keys.aAdmin });
    expect(list.json.rejections).toEqual([]);
    const ids = (await timeline(CONV)).map((e) => e.id);
    expect(ids).not.toContain(
      deriveEventId("whatsapp", "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA="),
    );
  });

  it("a SunCo URL does not accept WhatsApp posts (404)", async () => {
    const channel = await sunco();
    const res = await api.call("POST", pathOf(channel).replace("/sunco/", "/whatsapp/"), {
      key: null,
      rawBody: fixture("whatsapp", "text.json"),
      headers: { "x-hub-signature-256": sign(fixture("whatsapp", "text.json")) },
    });
    expect(res.status).toBe(404);
  });

  it("one bad item does not lose the others; it is recorded as an inspectable rejection (200)", async () => {
    const channel = await whatsapp(api.keys.bAdmin);
    const doc = JSON.parse(fixture("whatsapp", "document.json").toString()) as {
      entry: { changes: { value: { messages: Json[] } }[] }[];
    };
    const messages = doc.entry[0]?.changes[0]?.value.messages as Json[];
    // Fixtures reuse wamids (text.json's is stored in this tenant already): a fresh one here.
    (messages[0] as Json).id = "wamid.document-once";
    messages.push({ ...messages[0], id: "wamid.bad-time", timestamp: "yesterday" });
    const body = Buffer.from(JSON.stringify(doc));
    const res = await postWhatsApp(channel, body);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ created: 1, rejected: 1 });
    const list = await api.call("GET", `/v1/channels/${channel.id}/rejections`, { key: api.keys.bAdmin });
    expect(list.status).toBe(200);
    expect(list.json.rejections).toEqual([
      expect.objectContaining({
        path: "entry[0].changes[0].value.messages[1]",
        reason: "the mapped event is invalid",
        errors: [expect.objectContaining({ path: expect.stringContaining("occurred_at") })],
        raw: expect.stringContaining("wamid.bad-time"),
      }),
    ]);
    expect(
      (await api.call("GET", `/v1/channels/${channel.id}/rejections`, { key: api.keys.aAdmin })).status,
    ).toBe(404);
    // Malformed JSON with a valid signature: a retry cannot fix it, so 200 and a rejection.
    const junk = Buffer.from("{not json");
    expect((await postWhatsApp(channel, junk)).json).toMatchObject({ created: 0, rejected: 1 });
  });
});

describe("SunCo webhook", () => {
  it("stores every event of a batch with the right secret, once", async () => {
    const channel = await sunco(api.keys.bAdmin);
    const body = fixture("sunco", "conversation_message_text_user_web.json");
    const post = (key: string | undefined) =>
      api.call("POST", pathOf(channel), {
        key: null,
        rawBody: body,
        headers: { "content-type": "application/json", ...(key === undefined ? {} : { "x-api-key": key }) },
      });
    expect((await post(undefined)).status).toBe(401);
    expect((await post("sunco-secret-2")).status).toBe(401);
    expect(await timeline("13f32c6cf7d0d38e6e0eba93", api.keys.b)).toEqual([]);
    const ok = await post("sunco-secret-1");
    expect(ok.status, ok.text).toBe(200);
    expect(ok.json).toEqual({ created: 1, duplicate: 0, ignored: 0, rejected: 0 });
    expect((await post("sunco-secret-1")).json).toMatchObject({ created: 0, duplicate: 1 });
    const events = await timeline("13f32c6cf7d0d38e6e0eba93", api.keys.b);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: "MessageReceived", channel: { type: "web" } });
  });
});
