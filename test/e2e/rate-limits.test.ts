/**
 * Per-tenant rate limits through the local gateway: tenant A on a tiny plan (a LOCAL_API_KEYS
 * plan), tenant B on the stage default. Over its plan A gets 429 rate-limited problems with
 * Retry-After while B is unaffected; channel webhooks draw on their tenant's bucket; buckets
 * are per tenant, not per key; tokens refill.
 *
 * Timing: A's plan refills one token every 2 s, and every assertion about an empty bucket sends
 * more requests at once than could have been refilled meanwhile, so none depends on how fast
 * the machine is. Exact timings are never asserted.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Api, startApi } from "../support/http.ts";

type Json = Record<string, unknown>;
type Answer = Awaited<ReturnType<Api["call"]>>;

/** 0.5 requests/s, bursts of 3. */
const A_PLAN = { rate: 0.5, burst: 3 };

let api: Api;
let channelA: string;
let channelB: string;

const handshake = (path: string) =>
  api.call("GET", `${path}?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=verify-me-please`, {
    key: null,
  });
const listConversations = (key: string) => api.call("GET", "/v1/conversations", { key });
const times = <T>(n: number, f: () => Promise<T>) => Promise.all(Array.from({ length: n }, f));
const statuses = (answers: Answer[]) => answers.map((a) => a.status);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function registerWhatsApp(key: string): Promise<string> {
  const res = await api.call("POST", "/v1/channels", {
    key,
    body: { type: "whatsapp", app_secret: "test_app_secret", verify_token: "verify-me-please" },
  });
  expect(res.status, res.text).toBe(201);
  return new URL(String((res.json as Json).webhook_url)).pathname;
}

function expectRateLimited(answer: Answer): void {
  expect(answer.status).toBe(429);
  expect(answer.headers.get("content-type")).toBe("application/problem+json");
  expect(answer.json).toMatchObject({
    type: "https://conversation-log.dev/problems/rate-limited",
    title: "Too many requests",
    status: 429,
    request_id: answer.headers.get("x-request-id"),
  });
  const retryAfter = answer.headers.get("retry-after") ?? "";
  expect(retryAfter).toMatch(/^\d+$/);
  expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
}

beforeAll(async () => {
  api = await startApi({ plans: { a: A_PLAN, b: null } });
  channelA = await registerWhatsApp(api.keys.aAdmin);
  channelB = await registerWhatsApp(api.keys.bAdmin);
});
afterAll(async () => {
  await api.stack.stop();
});

describe("per-tenant rate limits (local gateway)", () => {
  it("answers tenant A over its plan with 429 rate-limited and Retry-After, while B's requests at the same moment all succeed", async () => {
    // Act: both tenants at once, more than A's burst.
    const [a, b] = await Promise.all([
      times(8, () => listConversations(api.keys.a)),
      times(8, () => listConversations(api.keys.b)),
    ]);
    // Assert
    const limited = a.filter((r) => r.status === 429);
    expect(limited.length, String(statuses(a))).toBeGreaterThanOrEqual(1);
    expect(a.some((r) => r.status === 200)).toBe(true);
    expect(a.every((r) => r.status === 200 || r.status === 429)).toBe(true);
    for (const r of limited) expectRateLimited(r);
    expect(statuses(b)).toEqual(Array(8).fill(200));
  });

  it("counts a channel webhook against its owning tenant's bucket", async () => {
    // Act: A's bucket is empty; a bucket of the channel's own would still hold 3 tokens.
    const [a, b, unknown] = await Promise.all([
      times(3, () => handshake(channelA)),
      times(3, () => handshake(channelB)),
      handshake("/v1/channels/whatsapp/ch_unknown"),
    ]);
    // Assert
    const limited = a.filter((r) => r.status === 429);
    expect(limited.length, String(statuses(a))).toBeGreaterThanOrEqual(1);
    for (const r of limited) expectRateLimited(r);
    expect(statuses(b)).toEqual([200, 200, 200]);
    expect(b[0]?.text).toBe("1158201444");
    // A webhook of no known channel belongs to no tenant: unmetered here, and still a 404.
    expect(unknown.status).toBe(404);
  });

  it("keeps one bucket per tenant, whatever the key", async () => {
    // Act: another key of tenant A, with its own scope; same bucket.
    const other = await times(3, () => listConversations(api.keys.aReadOnly));
    const admin = await api.call("GET", "/v1/channels", { key: api.keys.bAdmin });
    // Assert
    expect(other.filter((r) => r.status === 429).length, String(statuses(other))).toBeGreaterThanOrEqual(1);
    expect(admin.status).toBe(200);
  });

  it("refills: after Retry-After seconds, tenant A is served again", async () => {
    // Prepare: a refusal, for its Retry-After (the bucket is empty; a refill may let one through).
    let refused: Answer | undefined;
    for (let i = 0; i < 5 && !refused; i++) {
      const r = await listConversations(api.keys.a);
      if (r.status === 429) refused = r;
    }
    if (!refused) throw new Error("tenant A was never refused");
    const retryAfter = Number(refused.headers.get("retry-after"));
    // Act
    await sleep(retryAfter * 1000 + 500);
    const again = await listConversations(api.keys.a);
    // Assert
    expect(again.status, again.text).toBe(200);
  });
});
