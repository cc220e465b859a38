/**
 * The one retry loop (`shared/retry.ts`): how many attempts it makes, what it waits between
 * them, when it stops and what it returns; and the backoff schedules its callers use.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import type { BusEntry } from "#shared/bus/contract.ts";
import { publishRecords } from "#shared/bus/publisher.ts";
import { storedExample } from "#shared/events/examples.ts";
import {
  exponentialBackoff,
  type RetryDecision,
  retry,
  retryWith,
  stopWith,
  succeed,
} from "#shared/retry.ts";
import { eventKey } from "#shared/store/dynamo/table-keys.ts";

/** A sleep that records what it was asked to wait, and waits nothing. */
function recorder() {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
}

/** An attempt function that answers from a script and records the attempt numbers it saw. */
function scripted<T, F>(...answers: RetryDecision<T, F>[]) {
  const seen: number[] = [];
  const attempt = (n: number) => {
    seen.push(n);
    const answer = answers[n - 1];
    if (!answer) throw new Error(`attempt ${n} was not expected`);
    return answer;
  };
  return { seen, attempt };
}

describe("retry", () => {
  it("returns the first success without waiting", async () => {
    const { waits, sleep } = recorder();
    const { seen, attempt } = scripted(succeed("ok"));
    const result = await retry(attempt, { attempts: 5, delayMs: () => 100, sleep });
    expect(result).toEqual({ ok: true, value: "ok", attempts: 1 });
    expect(seen).toEqual([1]);
    expect(waits).toEqual([]);
  });

  it("retries until an attempt succeeds, waiting the delay of each failed attempt", async () => {
    const { waits, sleep } = recorder();
    const { seen, attempt } = scripted<string, string>(retryWith("a"), retryWith("b"), succeed("ok"));
    const result = await retry(attempt, { attempts: 5, delayMs: (n) => n * 10, sleep });
    expect(result).toEqual({ ok: true, value: "ok", attempts: 3 });
    expect(seen).toEqual([1, 2, 3]);
    expect(waits).toEqual([10, 20]);
  });

  it("gives up after the last attempt, without a wait after it, and returns the last failure", async () => {
    const { waits, sleep } = recorder();
    const { seen, attempt } = scripted<string, string>(
      retryWith("first"),
      retryWith("second"),
      retryWith("third"),
    );
    const result = await retry(attempt, { attempts: 3, delayMs: (n) => n, sleep });
    expect(result).toEqual({ ok: false, failure: "third", attempts: 3, reason: "exhausted" });
    expect(seen).toEqual([1, 2, 3]);
    expect(waits).toEqual([1, 2]);
  });

  it("stops at a failure no retry can fix", async () => {
    const { waits, sleep } = recorder();
    const { seen, attempt } = scripted<string, string>(retryWith("busy"), stopWith("forbidden"));
    const result = await retry(attempt, { attempts: 5, delayMs: () => 7, sleep });
    expect(result).toEqual({ ok: false, failure: "forbidden", attempts: 2, reason: "stopped" });
    expect(seen).toEqual([1, 2]);
    expect(waits).toEqual([7]);
  });

  it("passes each failure to delayMs and onRetry (a server's Retry-After, say)", async () => {
    const { waits, sleep } = recorder();
    const { attempt } = scripted<string, { retryAfterMs: number }>(
      retryWith({ retryAfterMs: 300 }),
      retryWith({ retryAfterMs: 40 }),
      succeed("ok"),
    );
    const notes: unknown[] = [];
    await retry(attempt, {
      attempts: 3,
      delayMs: (_n, failure) => failure.retryAfterMs,
      sleep,
      onRetry: (info) => notes.push(info),
    });
    expect(waits).toEqual([300, 40]);
    expect(notes).toEqual([
      { attempt: 1, delayMs: 300, failure: { retryAfterMs: 300 } },
      { attempt: 2, delayMs: 40, failure: { retryAfterMs: 40 } },
    ]);
  });

  it("lets an exception through at once, unretried", async () => {
    const { waits, sleep } = recorder();
    let calls = 0;
    const failing = async (): Promise<RetryDecision<never, never>> => {
      calls += 1;
      throw new Error("not retryable");
    };
    await expect(retry(failing, { attempts: 4, delayMs: () => 1, sleep })).rejects.toThrow("not retryable");
    expect(calls).toBe(1);
    expect(waits).toEqual([]);
  });

  it("makes exactly one attempt when given one, and refuses fewer", async () => {
    const { seen, attempt } = scripted<string, string>(retryWith("only"));
    expect(await retry(attempt, { attempts: 1, delayMs: () => 1, sleep: async () => undefined })).toEqual({
      ok: false,
      failure: "only",
      attempts: 1,
      reason: "exhausted",
    });
    expect(seen).toEqual([1]);
    await expect(retry(attempt, { attempts: 0, delayMs: () => 1 })).rejects.toBeInstanceOf(RangeError);
  });
});

describe("exponentialBackoff", () => {
  it("doubles from the base after each failed attempt, up to the cap", () => {
    const delay = exponentialBackoff({ baseMs: 100, capMs: 500, jitter: "none" });
    expect([1, 2, 3, 4, 5].map(delay)).toEqual([100, 200, 400, 500, 500]);
  });

  it("has no cap unless given one", () => {
    const delay = exponentialBackoff({ baseMs: 1000, jitter: "none" });
    expect([1, 2, 3, 10].map(delay)).toEqual([1000, 2000, 4000, 512_000]);
  });

  it("full jitter: a random share of the doubled delay", () => {
    const delay = exponentialBackoff({ baseMs: 10, capMs: 320, jitter: "full", random: () => 0.5 });
    expect([1, 2, 6, 7, 12].map(delay)).toEqual([5, 10, 160, 160, 160]);
    expect(exponentialBackoff({ baseMs: 10, jitter: "full", random: () => 0 })(3)).toBe(0);
  });

  it("extra jitter: the doubled delay plus a random extra", () => {
    const delay = exponentialBackoff({ baseMs: 50, jitter: { extraMs: 25 }, random: () => 0.4 });
    expect([1, 2, 3].map(delay)).toEqual([60, 110, 210]);
  });
});

describe("a call site's schedule: the outbox publisher", () => {
  afterEach(() => vi.restoreAllMocks());

  function insertRecord(n: number) {
    const event = { ...storedExample("MessageReceived"), id: `e-${n}` };
    const key = eventKey("acme", event.conversation_id, event.occurred_at, event.id);
    return {
      eventName: "INSERT" as const,
      dynamodb: {
        SequenceNumber: String(n),
        NewImage: {
          pk: { S: key.pk },
          sk: { S: key.sk },
          entity: { S: "event" },
          doc: { S: JSON.stringify(event) },
        },
      },
    };
  }

  it("waits 50·2^(n-2) ms plus up to 25 ms before attempt n, and retries only the failed entries", async () => {
    vi.spyOn(Math, "random").mockReturnValue(0.5);
    const { waits, sleep } = recorder();
    const calls: BusEntry[][] = [];
    // Entry e-2 fails three times, then goes through; e-1 goes through at once.
    const publisher = {
      put: async (entries: BusEntry[]) => {
        calls.push(entries);
        return {
          failed: entries.flatMap((e, i) =>
            e.Detail.includes('"id":"e-2"') && calls.length <= 3 ? [i] : [],
          ),
        };
      },
    };
    const result = await publishRecords({ publisher, busName: "bus", sleep }, [
      insertRecord(1),
      insertRecord(2),
    ]);
    expect(result.batchItemFailures).toEqual([]);
    expect(calls.map((c) => c.length)).toEqual([2, 1, 1, 1]);
    expect(waits).toEqual([50 + 12.5, 100 + 12.5, 200 + 12.5]);
  });

  it("reports what still fails after the last attempt, without waiting after it", async () => {
    const { waits, sleep } = recorder();
    const publisher = { put: async (entries: BusEntry[]) => ({ failed: entries.map((_, i) => i) }) };
    const result = await publishRecords({ publisher, busName: "bus", sleep, attempts: 3 }, [insertRecord(7)]);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: "7" }]);
    expect(waits).toHaveLength(2);
  });
});
