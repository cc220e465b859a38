/**
 * The outbox publisher's logic, with a fake of our own EventPublisher port (EventBridge
 * cannot run here). The EventBridge adapter is tested separately against a stubbed client.
 */
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import type { DynamoDBRecord } from "aws-lambda";
import { describe, expect, it } from "vitest";
import {
  BUS_CONTRACT_VERSION,
  BUS_SOURCE,
  BusDetailSchema,
  type BusEntry,
  entrySize,
} from "#shared/bus/contract.ts";
import { EventBridgePublisher } from "#shared/bus/eventbridge.ts";
import { chunkEntries, MAX_ENTRIES_PER_PUT, MAX_PUT_BYTES, publishRecords } from "#shared/bus/publisher.ts";
import { eventKey } from "#shared/store/dynamo/table-keys.ts";
import { EventBridgeTestDouble } from "../support/eventbridge.ts";

let seq = 0;
function eventRecord(
  overrides: { text?: string; entity?: string; eventName?: "INSERT" | "MODIFY" | "REMOVE" } = {},
): DynamoDBRecord {
  seq += 1;
  const id = `e-${seq}`;
  const event = {
    id,
    type: "MessageReceived",
    conversation_id: "c1",
    occurred_at: "2025-05-23T10:15:30.123Z",
    received_at: "2025-05-23T10:15:31.000Z",
    sequence: `01J${String(seq).padStart(10, "0")}`,
    channel: { type: "web" },
    author: { type: "customer" },
    message: { content: { type: "text", text: overrides.text ?? "hi" } },
  };
  const key = eventKey("acme", "c1", event.occurred_at, id);
  return {
    eventName: overrides.eventName ?? "INSERT",
    dynamodb: {
      SequenceNumber: String(1000 + seq),
      NewImage: {
        pk: { S: key.pk },
        sk: { S: key.sk },
        entity: { S: overrides.entity ?? "event" },
        doc: { S: JSON.stringify(event) },
      },
    },
  };
}

class FakePublisher {
  readonly calls: BusEntry[][] = [];
  constructor(private readonly fail: (entry: BusEntry, call: number) => boolean = () => false) {}
  async put(entries: BusEntry[]) {
    this.calls.push(entries);
    const call = this.calls.length;
    return { failed: entries.flatMap((e, i) => (this.fail(e, call) ? [i] : [])) };
  }
}

const noSleep = async () => undefined;

describe("publishRecords", () => {
  it("publishes each inserted event once, as the versioned bus contract, in chunks of at most 10", async () => {
    const records = Array.from({ length: 23 }, () => eventRecord());
    const publisher = new FakePublisher();
    const result = await publishRecords({ publisher, busName: "bus", sleep: noSleep }, records);
    expect(result.batchItemFailures).toEqual([]);
    expect(publisher.calls.map((c) => c.length)).toEqual([10, 10, 3]);
    const entry = publisher.calls[0]?.[0] as BusEntry;
    expect(entry).toMatchObject({ Source: BUS_SOURCE, DetailType: "MessageReceived", EventBusName: "bus" });
    const detail = BusDetailSchema.parse(JSON.parse(entry.Detail));
    expect(detail).toMatchObject({
      version: BUS_CONTRACT_VERSION,
      tenant_id: "acme",
      event: { conversation_id: "c1" },
    });
  });

  it("skips guards, keys, modifications and removals", async () => {
    const publisher = new FakePublisher();
    await publishRecords({ publisher, busName: "bus", sleep: noSleep }, [
      eventRecord({ entity: "guard" }),
      eventRecord({ eventName: "MODIFY" }),
      eventRecord({ eventName: "REMOVE" }),
      eventRecord(),
    ]);
    expect(publisher.calls.flat()).toHaveLength(1);
  });

  it("keeps each PutEvents call under 256 KB", async () => {
    const records = Array.from({ length: 8 }, () => eventRecord({ text: "x".repeat(60_000) }));
    const publisher = new FakePublisher();
    await publishRecords({ publisher, busName: "bus", sleep: noSleep }, records);
    for (const call of publisher.calls) {
      expect(call.reduce((n, e) => n + entrySize(e), 0)).toBeLessThanOrEqual(MAX_PUT_BYTES);
    }
    expect(publisher.calls.flat()).toHaveLength(8);
    expect(publisher.calls.length).toBeGreaterThan(1);
  });

  it("retries failed entries and succeeds when the bus recovers", async () => {
    const records = Array.from({ length: 5 }, () => eventRecord());
    // The first two calls fail every entry; then the bus recovers.
    const publisher = new FakePublisher((_e, call) => call <= 2);
    const result = await publishRecords({ publisher, busName: "bus", sleep: noSleep }, records);
    expect(result.batchItemFailures).toEqual([]);
    expect(publisher.calls.map((c) => c.length)).toEqual([5, 5, 5]);
  });

  it("reports the records whose entries still fail, so nothing is acknowledged unpublished", async () => {
    const records = Array.from({ length: 4 }, () => eventRecord());
    const bad = JSON.parse(String(records[2]?.dynamodb?.NewImage?.doc?.S)).id as string;
    const publisher = new FakePublisher((e) => e.Detail.includes(`"id":"${bad}"`));
    const result = await publishRecords({ publisher, busName: "bus", attempts: 3, sleep: noSleep }, records);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: records[2]?.dynamodb?.SequenceNumber }]);
  });

  it("treats a thrown PutEvents call as a failure of all its entries", async () => {
    const records = [eventRecord(), eventRecord()];
    const publisher = {
      put: async () => {
        throw new Error("throttled");
      },
    };
    const result = await publishRecords({ publisher, busName: "bus", attempts: 2, sleep: noSleep }, records);
    expect(result.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(
      records.map((r) => r.dynamodb?.SequenceNumber),
    );
  });
});

describe("chunkEntries", () => {
  it("never exceeds 10 entries or 256 KB per chunk, and keeps order", () => {
    const entries: BusEntry[] = Array.from({ length: 37 }, (_, i) => ({
      Source: BUS_SOURCE,
      DetailType: "X",
      Detail: "y".repeat(i % 3 === 0 ? 100_000 : 10),
      EventBusName: "b",
      Time: new Date(0),
    }));
    const chunks = chunkEntries(entries);
    expect(chunks.flat()).toEqual(entries);
    for (const c of chunks) {
      expect(c.length).toBeLessThanOrEqual(MAX_ENTRIES_PER_PUT);
      expect(c.reduce((n, e) => n + entrySize(e), 0)).toBeLessThanOrEqual(MAX_PUT_BYTES);
    }
  });
});

describe("EventBridgePublisher", () => {
  it("reports entries that EventBridge answered with an error code", async () => {
    const client = new EventBridgeClient({
      region: "local",
      credentials: { accessKeyId: "x", secretAccessKey: "y" },
    });
    const double = new EventBridgeTestDouble(client, (input) => ({
      FailedEntryCount: 1,
      Entries: (input.Entries ?? []).map((_, i) =>
        i === 1 ? { ErrorCode: "InternalFailure" } : { EventId: `id-${i}` },
      ),
    }));
    const entries: BusEntry[] = [0, 1, 2].map((i) => ({
      Source: "s",
      DetailType: "T",
      Detail: `{"n":${i}}`,
      EventBusName: "b",
      Time: new Date(0),
    }));
    const out = await new EventBridgePublisher(client).put(entries);
    expect(out).toEqual({ failed: [1] });
    expect(double.sent).toHaveLength(1);
    expect(double.sent[0]).toMatchObject({
      Entries: entries.map((e) => ({ Detail: e.Detail, EventBusName: "b" })),
    });
  });
});
