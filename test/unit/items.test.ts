/**
 * Item codecs (`shared/store/dynamo/items.ts`): each entity round-trips through its item,
 * the item carries its table keys and `entity`, and a malformed item fails with an error that
 * names the entity and the attribute.
 */
import { describe, expect, it } from "vitest";
import { storedExample } from "#shared/events/examples.ts";
import type { ApiKeyRecord } from "#shared/store/api-keys.ts";
import type { ChannelRejection, StoredChannelIntegration } from "#shared/store/channel-integrations.ts";
import {
  apiKeyListingItem,
  apiKeyLookupItem,
  channelListingItem,
  channelLookupItem,
  channelRejectionItem,
  conversationStateItem,
  directoryEntryItem,
  eventItem,
  fromAttributeValues,
  guardItem,
  ItemReader,
  idempotencyItem,
  MalformedItemError,
  tenantPlanItem,
  triggerItem,
  webhookFailureItem,
} from "#shared/store/dynamo/items.ts";
import {
  apiKeyListingKey,
  apiKeyLookupKey,
  channelLookupKey,
  conversationStateKey,
  eventKey,
  guardKey,
  tenantChannelKey,
  tenantPlanKey,
  triggerKey,
} from "#shared/store/dynamo/table-keys.ts";
import { positionOf } from "#shared/store/events.ts";
import type { DeliveryFailure, StoredTrigger } from "#shared/store/triggers.ts";
import { foldEvents } from "#shared/usecases/conversation-state.ts";

const TENANT = "acme";

describe("event and guard items", () => {
  const event = storedExample("MessageReceived");
  const prepared = { event, hash: "h-1" };

  it("lay the event out with its keys, filter attributes and document, and read it back exactly", () => {
    const item = eventItem.encode(TENANT, prepared);
    expect(item).toMatchObject({
      ...eventKey(TENANT, event.conversation_id, event.occurred_at, event.id),
      entity: "event",
      tsk: positionOf(event.occurred_at, event.id),
      ssk: event.sequence,
      type: "MessageReceived",
      ch: event.channel.type,
      aut: event.author.type,
      h: "h-1",
    });
    expect(eventItem.decode(item)).toEqual(event);
    // The document keeps the accepted field order.
    expect(JSON.stringify(eventItem.decode(item))).toBe(JSON.stringify(event));
    expect(eventItem.hashOf(item)).toBe("h-1");
  });

  it("keep the guard's hash, conversation and position", () => {
    const item = guardItem.encode(TENANT, prepared);
    expect(item).toMatchObject({ ...guardKey(TENANT, event.id), entity: "guard" });
    expect(guardItem.decode(item)).toEqual({
      hash: "h-1",
      conversationId: event.conversation_id,
      position: positionOf(event.occurred_at, event.id),
    });
  });

  it("read a guard from the attribute-value form a cancelled transaction returns", () => {
    const old = fromAttributeValues({ h: { S: "h-9" }, cid: { S: "c1" }, pos: { S: "p" }, n: { N: "3" } });
    expect(guardItem.decode(old)).toEqual({ hash: "h-9", conversationId: "c1", position: "p" });
    expect(old.n).toBe(3);
  });

  it("name the attribute when an event item has no document", () => {
    const { doc: _doc, ...item } = eventItem.encode(TENANT, prepared);
    expect(() => eventItem.decode(item)).toThrow(MalformedItemError);
    expect(() => eventItem.decode(item)).toThrow(
      'event item: attribute "doc" should be a string, got nothing',
    );
  });

  it("directory entries are months", () => {
    const item = directoryEntryItem.encode("T#acme#TB", "2025-05");
    expect(item).toEqual({ pk: "T#acme#TB", sk: "2025-05", entity: "bucket" });
    expect(directoryEntryItem.decode(item)).toBe("2025-05");
  });
});

describe("conversation state items", () => {
  it("round-trip the folded state and its write time", () => {
    const state = foldEvents(undefined, [storedExample("MessageReceived")]);
    const updatedAt = "2025-06-01T00:00:00.000Z";
    const item = conversationStateItem.encode(TENANT, state, updatedAt);
    expect(item).toMatchObject({
      ...conversationStateKey(TENANT, state.conversation_id),
      entity: "state",
      event_count: state.event_count,
    });
    expect(conversationStateItem.decode(item)).toEqual({ state, updatedAt });
    expect(conversationStateItem.conversation(item)).toMatchObject({ updated_at: updatedAt, status: "open" });
  });
});

describe("Idempotency-Key items", () => {
  it("round-trip the record, with its expiry in the TTL attribute", () => {
    const record = { fingerprint: "fp", acceptedAt: "2025-05-23T10:15:30.123Z", eventId: "cmd:1" };
    const item = idempotencyItem.encode(TENANT, "retry-42", record, 1_800_000_000);
    expect(item).toMatchObject({ entity: "idempotency", ttl: 1_800_000_000 });
    expect(idempotencyItem.decode(item)).toEqual(record);
    expect(() => idempotencyItem.decode({ ...item, eid: 7 })).toThrow(
      'Idempotency-Key record item: attribute "eid" should be a string, got a number',
    );
  });
});

describe("API key items", () => {
  const record: ApiKeyRecord = {
    key_id: "key_01",
    tenant: TENANT,
    scopes: ["events:read"],
    created_at: "2025-05-23T10:15:30.123Z",
    revoked: false,
    hint: "wxyz",
  };

  it("round-trip the record through the lookup item, never storing the key itself", () => {
    const item = apiKeyLookupItem.encode("hash-1", record);
    expect(item).toMatchObject({ ...apiKeyLookupKey("hash-1"), entity: "apikey" });
    expect(apiKeyLookupItem.decode(item)).toEqual(record);
    expect(apiKeyLookupItem.decode(apiKeyLookupItem.encode("h", { ...record, name: "BI" }))).toEqual({
      ...record,
      name: "BI",
    });
  });

  it("keep the key's hash on the listing item, apart from the record", () => {
    const item = apiKeyListingItem.encode("hash-1", record);
    expect(item).toMatchObject({ ...apiKeyListingKey(TENANT, "key_01"), entity: "apikey-ref" });
    expect(apiKeyListingItem.decode(item)).toEqual({ record, apiKeyHash: "hash-1" });
  });

  it("name the entity and attribute of a malformed key", () => {
    const item = { ...apiKeyLookupItem.encode("h", record), scopes: "events:read" };
    expect(() => apiKeyLookupItem.decode(item)).toThrow(
      'API key lookup item: attribute "scopes" should be a list of strings, got a string',
    );
  });
});

describe("tenant plan items", () => {
  it("round-trip the tier and the usage key, outside the tenant namespace", () => {
    const plan = {
      tenant: TENANT,
      tier: "large",
      usageKey: "clu_0123456789abcdef0123456789abcdef",
      usageKeyId: "a1b2c3d4e5",
      updatedAt: "2025-05-23T10:00:00.000Z",
    };
    const item = tenantPlanItem.encode(plan);
    expect(item).toMatchObject({ ...tenantPlanKey(TENANT), entity: "tenant-plan", usage_key: plan.usageKey });
    expect(tenantPlanItem.decode(item)).toEqual(plan);
    expect(() => tenantPlanItem.decode({ ...item, usage_key: 7 })).toThrow(
      'tenant plan item: attribute "usage_key" should be a string, got a number',
    );
  });
});

describe("trigger and webhook failure items", () => {
  const trigger: StoredTrigger = {
    id: "trg_01",
    name: "Close spam",
    enabled: true,
    when: { type: ["ConversationTagged"], data: { tags: ["spam"] }, n: [{ numeric: [">", 1.5] }] },
    actions: [{ type: "close", reason: "spam" }],
    created_at: "2025-05-23T10:15:30.123Z",
    updated_at: "2025-05-24T10:15:30.123Z",
    secret: "whsec_abc",
  };

  it("round-trip a trigger, its definition as one JSON document", () => {
    const item = triggerItem.encode(TENANT, trigger);
    expect(item).toMatchObject({ ...triggerKey(TENANT, "trg_01"), entity: "trigger", secret: "whsec_abc" });
    expect(typeof item.doc).toBe("string");
    expect(triggerItem.decode(item)).toEqual(trigger);
    const replaced = {
      ...item,
      ...triggerItem.replacement({ ...trigger, enabled: false }, "2025-06-01T00:00:00.000Z"),
    };
    expect(triggerItem.decode(replaced)).toEqual({
      ...trigger,
      enabled: false,
      updated_at: "2025-06-01T00:00:00.000Z",
    });
  });

  it("name the attribute inside the definition when it is malformed", () => {
    const item = {
      ...triggerItem.encode(TENANT, trigger),
      doc: JSON.stringify({ name: "x", enabled: "yes" }),
    };
    expect(() => triggerItem.decode(item)).toThrow(
      'trigger doc item: attribute "enabled" should be a boolean, got a string',
    );
    expect(() => triggerItem.decode({ ...item, doc: "{" })).toThrow(
      'trigger item: attribute "doc" is not JSON',
    );
  });

  it("round-trip a delivery failure, with and without the last status", () => {
    const failure: DeliveryFailure = {
      webhook_id: "msg_1",
      trigger_id: "trg_01",
      event_id: "e1",
      action_index: 1,
      url: "https://example.com/hook",
      status: "failed",
      attempts: 3,
      last_status: 503,
      last_error: "HTTP 503",
      failed_at: "2025-05-23T10:15:30.123Z",
    };
    expect(webhookFailureItem.decode(webhookFailureItem.encode(TENANT, failure))).toEqual(failure);
    const { last_status: _s, ...noAnswer } = failure;
    expect(webhookFailureItem.decode(webhookFailureItem.encode(TENANT, noAnswer))).toEqual(noAnswer);
    expect(() =>
      webhookFailureItem.decode({ ...webhookFailureItem.encode(TENANT, failure), status: "sent" }),
    ).toThrow('webhook delivery failure item: attribute "status" should be one of "failed", got a string');
  });
});

describe("channel integration items", () => {
  const whatsapp: StoredChannelIntegration = {
    id: "ch_1",
    type: "whatsapp",
    created_at: "2025-05-23T10:15:30.123Z",
    phone_number_id: "123",
    tenant: TENANT,
    credentials: { type: "whatsapp", app_secret: "s3cret-app", verify_token_sha256: "ab" },
  };
  const sunco: StoredChannelIntegration = {
    id: "ch_2",
    type: "sunco",
    created_at: "2025-05-23T10:15:30.123Z",
    app_id: "app-1",
    tenant: TENANT,
    credentials: { type: "sunco", webhook_secret_sha256: "cd" },
  };

  it("round-trip the lookup item with its tenant and credentials", () => {
    for (const integration of [whatsapp, sunco]) {
      const item = channelLookupItem.encode(integration);
      expect(item).toMatchObject({ ...channelLookupKey(integration.id), entity: "channel" });
      expect(channelLookupItem.decode(item)).toEqual(integration);
    }
  });

  it("keep credentials out of the listing item", () => {
    const item = channelListingItem.encode(TENANT, whatsapp);
    expect(item).toMatchObject({ ...tenantChannelKey(TENANT, "ch_1"), entity: "channel-listing" });
    expect(item).not.toHaveProperty("credentials");
    const { tenant: _t, credentials: _c, ...pub } = whatsapp;
    expect(channelListingItem.decode(item)).toEqual(pub);
  });

  it("name the nested attribute of malformed credentials", () => {
    const item = { ...channelLookupItem.encode(sunco), credentials: { type: "sunco" } };
    expect(() => channelLookupItem.decode(item)).toThrow(
      'channel integration lookup credentials item: attribute "webhook_secret_sha256" should be a string, got nothing',
    );
  });

  it("round-trip a rejection, with a TTL from its receipt time", () => {
    const rejection: ChannelRejection = {
      id: "01J",
      channel_id: "ch_1",
      received_at: "2025-05-23T10:15:30.123Z",
      path: "entry[0]",
      reason: "the mapped event is invalid",
      errors: [{ path: "occurred_at", message: "required" }],
      raw: "{}",
    };
    const item = channelRejectionItem.encode(TENANT, rejection);
    expect(item.ttl).toBe(Math.floor(Date.parse(rejection.received_at) / 1000) + 30 * 24 * 3600);
    expect(channelRejectionItem.decode(item)).toEqual(rejection);
    const { errors: _e, ...plain } = rejection;
    expect(channelRejectionItem.decode(channelRejectionItem.encode(TENANT, plain))).toEqual(plain);
  });
});

describe("ItemReader", () => {
  it("reads each type, and tells what it found instead", () => {
    const r = new ItemReader("thing", { s: "x", n: 1, b: true, l: ["a"], m: { k: 1 }, bad: [1] });
    expect([r.str("s"), r.num("n"), r.bool("b"), r.strList("l"), r.record("m")]).toEqual([
      "x",
      1,
      true,
      ["a"],
      { k: 1 },
    ]);
    expect(r.optStr("missing")).toBeUndefined();
    expect(() => r.str("n")).toThrow('thing item: attribute "n" should be a string, got a number');
    expect(() => r.num("missing")).toThrow('thing item: attribute "missing" should be a number, got nothing');
    expect(() => r.strList("bad")).toThrow(
      'thing item: attribute "bad" should be a list of strings, got a list',
    );
    expect(() => r.map("l")).toThrow('thing item: attribute "l" should be a map, got a list');
  });
});
