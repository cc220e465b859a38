/**
 * The export CLI's HTTP pieces in isolation: the request URL, backoff with full jitter,
 * Retry-After, and the NDJSON line splitter (chunk boundaries, UTF-8, truncation).
 */
import { describe, expect, it } from "vitest";
import { backoffDelay, exportUrl, lines, MAX_RETRY_AFTER_MS, parseRetryAfter } from "#infra/export/client.ts";
import { RetryableError } from "#infra/export/errors.ts";

async function* chunks(...parts: (string | Uint8Array)[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield typeof p === "string" ? new TextEncoder().encode(p) : p;
}

async function collect(source: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const line of source) out.push(line);
  return out;
}

describe("exportUrl", () => {
  it("keeps the base path (a stage), encodes start_time and page[size], prefers the cursor", () => {
    const first = exportUrl({
      base: "https://h.example/prod",
      since: "2025-05-23T12:00:00+02:00",
      pageSize: 500,
    });
    expect(first.pathname).toBe("/prod/v1/export/events");
    expect(first.searchParams.get("start_time")).toBe("2025-05-23T12:00:00+02:00");
    expect(first.search).toContain("start_time=2025-05-23T12%3A00%3A00%2B02%3A00");
    expect(first.searchParams.get("page[size]")).toBe("500");
    const next = exportUrl({ base: "https://h.example/prod/", since: "x", cursor: "abc", pageSize: 10 });
    expect(next.pathname).toBe("/prod/v1/export/events");
    expect(next.searchParams.get("cursor")).toBe("abc");
    expect(next.searchParams.has("start_time")).toBe(false);
  });
});

describe("backoffDelay", () => {
  it("draws uniformly below base·2^(attempt-1), capped", () => {
    const options = { baseMs: 500, capMs: 30_000 };
    expect(backoffDelay(1, options, () => 0.999_999)).toBe(500);
    expect(backoffDelay(3, options, () => 0.5)).toBe(1000);
    expect(backoffDelay(20, options, () => 0.999_999)).toBe(30_000);
    expect(backoffDelay(4, options, () => 0)).toBe(0);
  });

  it("uses Retry-After when the server gave one, within a sane limit", () => {
    expect(backoffDelay(1, { baseMs: 500, capMs: 30_000, retryAfterMs: 7000 }, () => 0)).toBe(7000);
    expect(backoffDelay(1, { baseMs: 500, capMs: 30_000, retryAfterMs: 86_400_000 }, () => 0)).toBe(
      MAX_RETRY_AFTER_MS,
    );
  });
});

describe("parseRetryAfter", () => {
  it("reads delta-seconds and HTTP dates", () => {
    const now = Date.parse("2025-05-23T10:00:00Z");
    expect(parseRetryAfter("3", now)).toBe(3000);
    expect(parseRetryAfter("Fri, 23 May 2025 10:00:05 GMT", now)).toBe(5000);
    expect(parseRetryAfter("Fri, 23 May 2025 09:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

describe("lines", () => {
  it("splits across chunk boundaries, multi-byte characters included, and skips blank lines", async () => {
    const emoji = new TextEncoder().encode('{"t":"🎉"}\n');
    const result = await collect(
      lines(chunks('{"a":1}\n{"b"', ":2}\n\n", emoji.slice(0, 7), emoji.slice(7), '{"c":3}\n')),
    );
    expect(result).toEqual(['{"a":1}', '{"b":2}', '{"t":"🎉"}', '{"c":3}']);
  });

  it("rejects a body whose last line has no newline (truncated)", async () => {
    await expect(collect(lines(chunks('{"a":1}\n{"b":')))).rejects.toBeInstanceOf(RetryableError);
  });

  it("maps a failing body stream through onError", async () => {
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield new TextEncoder().encode('{"a":1}\n');
      throw new Error("socket hang up");
    }
    const source = lines(failing(), (e) => new RetryableError(`network error: ${(e as Error).message}`));
    await expect(collect(source)).rejects.toThrow("network error: socket hang up");
  });

  it("yields nothing for an empty page", async () => {
    expect(await collect(lines(chunks()))).toEqual([]);
    expect(await collect(lines(null))).toEqual([]);
  });
});
