/**
 * Secrets and trust boundaries against the real DynamoDB Local (docs/decisions.md, "Secrets at
 * rest" and "The bus and who may put on it"):
 * - a created channel's and trigger's stored items hold no plaintext secret (the raw items);
 * - a sealed secret moved into another tenant's item does not open: the webhook is refused,
 *   the trigger's webhook is not sent;
 * - legacy plaintext items still verify and sign, and `seal-legacy` seals them in place;
 * - the trigger engine's handler refuses a bus detail it cannot attribute to a stored event.
 */
import { createHmac, randomBytes } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { GetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { Context, EventBridgeEvent } from "aws-lambda";
import { Webhook as SvixWebhook } from "svix";
import { ulid } from "ulid";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toBusEntry } from "#shared/bus/contract.ts";
import { UnattributableBusEventError } from "#shared/bus/target.ts";
import { loadSecretCipher } from "#shared/config.ts";
import type { StoredEvent } from "#shared/events/schema.ts";
import { SecretOpenError } from "#shared/secrets/cipher.ts";
import { DynamoChannelIntegrationStore } from "#shared/store/dynamo/channel-integrations.ts";
import { channelLookupItem, triggerItem } from "#shared/store/dynamo/items.ts";
import { sealLegacySecrets } from "#shared/store/dynamo/legacy-secrets.ts";
import { channelLookupKey, triggerKey } from "#shared/store/dynamo/table-keys.ts";
import {
  authenticateWhatsApp,
  type ChannelIntegrationDeps,
  createChannel,
  defaultChannelIntegrationDeps,
} from "#shared/usecases/channels.ts";
import { defaultIngestDeps, ingest } from "#shared/usecases/ingest.ts";
import { runTriggers } from "#shared/usecases/trigger-engine.ts";
import { automation } from "../support/engine.ts";
import { anEvent, type Json, uniqueId, uniqueTenant } from "../support/factories.ts";
import { createTrigger } from "../support/routes.ts";
import { countingStore } from "../support/store.ts";

const h = countingStore();
// The cipher the handlers load: the same key (SECRETS_KEY, test/support/env.ts).
const secrets = await loadSecretCipher();
const channels: ChannelIntegrationDeps = defaultChannelIntegrationDeps(
  new DynamoChannelIntegrationStore(h.db, h.tableName),
  defaultIngestDeps(h.store),
  secrets,
);
const { triggers, triggerDeps, engine } = automation(h, { backoffMs: 10 });

const APP_SECRET = "meta-app-secret-0123456789";
const sign = (body: Buffer, secret = APP_SECRET) =>
  `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
const BODY = Buffer.from(JSON.stringify({ object: "whatsapp_business_account", entry: [] }));
const tick = () => new Promise((r) => setTimeout(r, 3));

async function rawItem(key: { pk: string; sk: string }): Promise<Record<string, unknown>> {
  const out = await h.db.send(new GetCommand({ TableName: h.tableName, Key: key, ConsistentRead: true }));
  if (!out.Item) throw new Error(`no item ${key.pk} ${key.sk}`);
  return out.Item;
}

async function whatsapp(tenant: string): Promise<string> {
  const created = await createChannel(
    channels,
    tenant,
    { type: "whatsapp", app_secret: APP_SECRET, verify_token: "verify-me-please" },
    "http://localhost",
  );
  return created.id;
}

const delivery = (id: string, credential = sign(BODY)) => ({ id, rawBody: BODY, credential });

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}
let receiver: { server: Server; url: string; received: Received[] };
beforeAll(async () => {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", () => ok()));
  receiver = { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received };
});
afterAll(async () => {
  await new Promise((ok) => receiver.server.close(ok));
});

const hookTrigger = () => ({
  name: "hook on spam",
  when: { type: ["ConversationTagged"], data: { tags: ["spam"] } },
  actions: [{ type: "webhook", url: receiver.url }],
});

async function tagSpam(tenant: string, conversation = uniqueId("c")): Promise<StoredEvent> {
  const result = await ingest(
    engine.ingest,
    tenant,
    anEvent("ConversationTagged", { tags: ["spam"] }, { conversation_id: conversation }),
  );
  if (result.kind !== "single") throw new Error("expected a single event");
  return result.event;
}

/** Runs the engine on a stored event and returns the webhooks the receiver got meanwhile. */
async function fire(tenant: string): Promise<Received[]> {
  await tick();
  const source = await tagSpam(tenant);
  const before = receiver.received.length;
  await runTriggers(engine, { version: 1, tenant_id: tenant, event: source });
  return receiver.received.slice(before);
}

const headersOf = (r: Received) => ({
  "webhook-id": String(r.headers["webhook-id"]),
  "webhook-timestamp": String(r.headers["webhook-timestamp"]),
  "webhook-signature": String(r.headers["webhook-signature"]),
});

describe("secrets at rest", () => {
  it("stores a WhatsApp app secret sealed: the raw item has no plaintext, the webhook still verifies", async () => {
    const tenant = uniqueTenant("sec");
    const id = await whatsapp(tenant);

    const item = await rawItem(channelLookupKey(id));
    expect(JSON.stringify(item)).not.toContain(APP_SECRET);
    expect((item.credentials as Json).app_secret).toEqual({
      v: 1,
      alg: "aes-256-gcm",
      kid: expect.stringMatching(/^local:/),
      ct: expect.any(String),
    });

    await expect(authenticateWhatsApp(channels, delivery(id))).resolves.toMatchObject({ id, tenant });
    await expect(authenticateWhatsApp(channels, delivery(id, sign(BODY, "wrong-secret")))).rejects.toThrow(
      /X-Hub-Signature-256/,
    );
  });

  it("stores a trigger's signing secret sealed: the raw item has no plaintext, webhooks still verify", async () => {
    const tenant = uniqueTenant("sec");
    const trigger = await createTrigger(triggerDeps, tenant, hookTrigger());

    const item = await rawItem(triggerKey(tenant, trigger.id));
    const key = trigger.webhook_secret.slice("whsec_".length);
    expect(JSON.stringify(item)).not.toContain(key);
    expect(item.secret).toMatchObject({ v: 1, alg: "aes-256-gcm" });

    const got = await fire(tenant);
    expect(got).toHaveLength(1);
    const received = got[0] as Received;
    expect(() =>
      new SvixWebhook(trigger.webhook_secret).verify(received.body, headersOf(received)),
    ).not.toThrow();
  });

  it("refuses a sealed app secret moved into another tenant's integration", async () => {
    const [a, b] = [uniqueTenant("sec"), uniqueTenant("sec")];
    const [idA, idB] = [await whatsapp(a), await whatsapp(b)];
    const sealedOfA = ((await rawItem(channelLookupKey(idA))).credentials as Json).app_secret;
    await h.db.send(
      new UpdateCommand({
        TableName: h.tableName,
        Key: channelLookupKey(idB),
        UpdateExpression: "SET credentials.app_secret = :s",
        ExpressionAttributeValues: { ":s": sealedOfA },
      }),
    );
    // B's URL with A's secret in B's item: opened as B's, it does not open, and nothing is stored.
    await expect(authenticateWhatsApp(channels, delivery(idB))).rejects.toBeInstanceOf(SecretOpenError);
    await expect(authenticateWhatsApp(channels, delivery(idA))).resolves.toMatchObject({ tenant: a });
  });

  it("does not send a trigger's webhook when its sealed secret was moved from another tenant", async () => {
    const [a, b] = [uniqueTenant("sec"), uniqueTenant("sec")];
    const triggerA = await createTrigger(triggerDeps, a, hookTrigger());
    const triggerB = await createTrigger(triggerDeps, b, hookTrigger());
    const sealedOfA = (await rawItem(triggerKey(a, triggerA.id))).secret;
    await h.db.send(
      new UpdateCommand({
        TableName: h.tableName,
        Key: triggerKey(b, triggerB.id),
        UpdateExpression: "SET secret = :s",
        ExpressionAttributeValues: { ":s": sealedOfA },
      }),
    );

    expect(await fire(b)).toHaveLength(0);
    const failures = await triggers.listFailures(b);
    expect(failures).toEqual([
      expect.objectContaining({
        trigger_id: triggerB.id,
        attempts: 0,
        last_error: "the trigger's signing secret could not be opened",
      }),
    ]);
  });
});

describe("legacy plaintext secrets", () => {
  it("still verify and sign, and seal-legacy seals them in place, once", async () => {
    const tenant = uniqueTenant("leg");
    // Items as written before secrets were sealed.
    const channelId = `ch_${randomBytes(32).toString("base64url")}`;
    const triggerId = `trg_${ulid()}`;
    await h.db.send(
      new PutCommand({
        TableName: h.tableName,
        Item: channelLookupItem.encode({
          id: channelId,
          tenant,
          type: "whatsapp",
          created_at: new Date().toISOString(),
          credentials: { type: "whatsapp", app_secret: APP_SECRET, verify_token_sha256: "00" },
        }),
      }),
    );
    const at = new Date(Date.now() - 60_000).toISOString();
    const legacySecret = `whsec_${Buffer.alloc(32, 3).toString("base64")}`;
    await h.db.send(
      new PutCommand({
        TableName: h.tableName,
        Item: triggerItem.encode(tenant, {
          id: triggerId,
          ...hookTrigger(),
          enabled: true,
          actions: [{ type: "webhook", url: receiver.url }],
          created_at: at,
          updated_at: at,
          secret: legacySecret,
        }),
      }),
    );
    const verifies = async () => {
      await expect(authenticateWhatsApp(channels, delivery(channelId))).resolves.toMatchObject({ tenant });
      const got = await fire(tenant);
      expect(got).toHaveLength(1);
      const received = got[0] as Received;
      expect(() => new SvixWebhook(legacySecret).verify(received.body, headersOf(received))).not.toThrow();
    };
    await verifies();

    const dry = await sealLegacySecrets(h.db, h.tableName, secrets, { dryRun: true });
    expect(dry.found.triggers).toBeGreaterThanOrEqual(1);
    expect(dry.found.channels).toBeGreaterThanOrEqual(1);
    expect(dry.sealed).toBe(0);
    expect((await rawItem(triggerKey(tenant, triggerId))).secret).toBe(legacySecret);

    const report = await sealLegacySecrets(h.db, h.tableName, secrets);
    expect(report.sealed).toBeGreaterThanOrEqual(2);
    const channelItem = await rawItem(channelLookupKey(channelId));
    const trigger = await rawItem(triggerKey(tenant, triggerId));
    expect(JSON.stringify(channelItem)).not.toContain(APP_SECRET);
    expect(JSON.stringify(trigger)).not.toContain(legacySecret.slice(6));
    expect(trigger.secret).toMatchObject({ v: 1, alg: "aes-256-gcm" });
    await verifies();

    const again = await sealLegacySecrets(h.db, h.tableName, secrets);
    expect(again.found).toEqual({ triggers: 0, channels: 0 });
  });
});

describe("bus targets attribute the detail (trigger engine handler)", () => {
  const busEvent = (detail: unknown): EventBridgeEvent<string, unknown> => ({
    version: "0",
    id: uniqueId("bus"),
    "detail-type": "ConversationTagged",
    source: "conversation-log",
    account: "000000000000",
    time: new Date().toISOString(),
    region: "local",
    resources: [],
    detail,
  });
  const closeSpam = {
    name: "close spam",
    when: { type: ["ConversationTagged"], data: { tags: ["spam"] } },
    actions: [{ type: "close", reason: "spam" }],
  };
  const detailOf = (tenant: string, event: StoredEvent) =>
    JSON.parse(toBusEntry("bus", tenant, event).Detail) as { tenant_id: string; event: Json };

  async function timeline(tenant: string, conversation: string): Promise<string[]> {
    const page = await h.store.queryTimeline(tenant, conversation, {
      direction: "asc",
      limit: 10,
      filters: {},
    });
    return page.items.map((e) => e.type);
  }

  it("acts on a detail that is the stored event", async () => {
    const { handler } = await import("#functions/trigger-engine.ts");
    const tenant = uniqueTenant("bus");
    await createTrigger(triggerDeps, tenant, closeSpam);
    await tick();
    const source = await tagSpam(tenant);
    await handler(busEvent(detailOf(tenant, source)), {} as Context);
    expect(await timeline(tenant, source.conversation_id)).toEqual([
      "ConversationTagged",
      "ConversationClosed",
    ]);
  });

  it.each([
    ["another tenant's stored event, claimed for this tenant", "not-stored"],
    ["an event id the log never stored", "not-stored"],
    ["a stored event with changed content", "differs"],
    ["a stored event with another sequence", "differs"],
  ])("refuses %s, before acting", async (what, reason) => {
    const { handler } = await import("#functions/trigger-engine.ts");
    const [victim, other] = [uniqueTenant("bus"), uniqueTenant("bus")];
    await createTrigger(triggerDeps, victim, closeSpam);
    await tick();
    const conversation = uniqueId("c");
    const stored = await ingest(
      engine.ingest,
      victim,
      anEvent("ConversationTagged", { tags: ["billing"] }, { conversation_id: conversation }),
    );
    if (stored.kind !== "single") throw new Error("expected a single event");
    const foreign = await tagSpam(other, conversation);

    const detail = {
      "another tenant's stored event, claimed for this tenant": {
        ...detailOf(other, foreign),
        tenant_id: victim,
      },
      "an event id the log never stored": {
        ...detailOf(victim, stored.event),
        event: { ...detailOf(victim, stored.event).event, id: uniqueId("never"), data: { tags: ["spam"] } },
      },
      "a stored event with changed content": {
        ...detailOf(victim, stored.event),
        event: { ...detailOf(victim, stored.event).event, data: { tags: ["spam"] } },
      },
      "a stored event with another sequence": {
        ...detailOf(victim, stored.event),
        event: { ...detailOf(victim, stored.event).event, sequence: foreign.sequence },
      },
    }[what];

    const error = await handler(busEvent(detail), {} as Context).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UnattributableBusEventError);
    expect((error as UnattributableBusEventError).reason).toBe(reason);
    expect(await timeline(victim, conversation)).toEqual(["ConversationTagged"]);
  });
});
