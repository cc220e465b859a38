/**
 * The fan-out half on the local runtime: DynamoDB Local's stream → the exact publish
 * handler (its real EventBridge SDK client pointed at the local bus) → the local bus.
 * Nothing stored is lost, even while PutEvents fails for a while, and a restarted poller
 * resumes from its durable checkpoint.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DynamoDBStreamEvent } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { lambdaContext } from "#infra/local/gateway.ts";
import type { LocalStack } from "#infra/local/stack.ts";
import { startLocalStack } from "#infra/local/stack.ts";
import { StreamPoller } from "#infra/local/stream-poller.ts";
import { BusDetailSchema } from "#shared/bus/contract.ts";
import { aMessage, uniqueId } from "../support/factories.ts";

const KEY = `fanout_${randomUUID()}`;
let stack: LocalStack;

async function until(what: string, check: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function post(events: Record<string, unknown>[]): Promise<void> {
  const res = await fetch(`${stack.url}/v1/events`, {
    method: "POST",
    headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ events }),
  });
  expect(res.status).toBe(200);
}

function busIds(): Set<string> {
  return new Set(stack.bus?.accepted.map((e) => String(BusDetailSchema.parse(e.detail).event.id)));
}

beforeAll(async () => {
  stack = await startLocalStack({
    port: 0,
    dynamodbEndpoint: inject("dynamodbEndpoint"),
    // A table of its own: the poller reads the whole stream from its start.
    tableName: `conversation-log-fanout-${randomUUID().slice(0, 8)}`,
    keys: [{ tenant: "fanout", key: KEY, scopes: ["events:write", "events:read"] }],
    runBus: true,
  });
});
afterAll(async () => {
  await stack.stop();
});

describe("outbox on the local runtime", () => {
  it("publishes every stored event to the bus as the versioned contract, and nothing else", async () => {
    const events = Array.from({ length: 25 }, () =>
      aMessage({ id: uniqueId("fo"), conversation_id: "fan-1" }),
    );
    await post(events);
    await until("all events on the bus", () => events.every((e) => busIds().has(String(e.id))));
    const detail = BusDetailSchema.parse(stack.bus?.accepted[0]?.detail);
    expect(detail).toMatchObject({ version: 1, tenant_id: "fanout" });
    expect(stack.bus?.accepted.every((e) => e.source === "conversation-log")).toBe(true);
    // Guards, bucket-directory and key items never reach the bus.
    expect(stack.bus?.accepted.map((e) => e["detail-type"]).every((t) => t === "MessageReceived")).toBe(true);
  });

  it("loses nothing while PutEvents fails for a while, then recovers", async () => {
    // Prepare: the bus rejects every entry.
    stack.bus?.failPutEvents(true);
    const events = Array.from({ length: 40 }, (_, i) =>
      aMessage({ id: uniqueId("ft"), conversation_id: `fan-${i % 4}` }),
    );
    // Act: ingest succeeds (the outbox decouples it from the bus) while publishing fails.
    await post(events.slice(0, 20));
    await new Promise((r) => setTimeout(r, 1500));
    const duringOutage = events.filter((e) => busIds().has(String(e.id)));
    await post(events.slice(20));
    stack.bus?.failPutEvents(undefined);
    // Assert
    expect(duringOutage).toEqual([]);
    await until("every event after recovery", () => events.every((e) => busIds().has(String(e.id))), 60_000);
  });
});

describe("stream poller checkpoint", () => {
  it("resumes after a restart without losing or re-delivering what was done", async () => {
    // Prepare: a poller of its own on the stack's table, with a durable checkpoint file.
    const dir = mkdtempSync(join(tmpdir(), "poller-"));
    const seen: string[] = [];
    const handler = async (event: DynamoDBStreamEvent) => {
      for (const r of event.Records) seen.push(String(r.dynamodb?.NewImage?.id?.S));
      return { batchItemFailures: [] };
    };
    const make = () =>
      new StreamPoller({
        endpoint: stack.dynamodbEndpoint,
        tableName: stack.tableName,
        handler,
        context: () => lambdaContext("publish", randomUUID()),
        checkpointFile: join(dir, "checkpoints.json"),
      });
    const before = Array.from({ length: 10 }, () =>
      aMessage({ id: uniqueId("cp"), conversation_id: "cp-1" }),
    );
    const after = Array.from({ length: 10 }, () => aMessage({ id: uniqueId("cp"), conversation_id: "cp-1" }));
    try {
      // Act
      const first = make();
      await first.start();
      await post(before);
      await until("first poller sees the first events", () =>
        before.every((e) => seen.includes(String(e.id))),
      );
      await first.stop();
      const countAfterFirst = seen.length;
      await post(after);
      const second = make();
      await second.start();
      await until("second poller sees the new events", () => after.every((e) => seen.includes(String(e.id))));
      await second.stop();
      // Assert: the second poller delivered only what came after the checkpoint.
      const redelivered = seen.slice(countAfterFirst).filter((id) => before.some((e) => e.id === id));
      expect(redelivered).toEqual([]);
      expect(new Set(seen).size).toBe(seen.length);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
