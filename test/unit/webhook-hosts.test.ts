/**
 * The webhook sender refuses hosts a tenant must never reach from Lambda, however the
 * address is spelled (URL parsing normalizes IPv4-mapped IPv6 to hex).
 */
import { describe, expect, it } from "vitest";
import { drain, isLocalHost, MAX_RESPONSE_BYTES } from "#shared/webhooks/sender.ts";

const host = (url: string) => new URL(url).hostname;

describe("isLocalHost", () => {
  it.each([
    "http://127.0.0.1:9001/",
    "http://localhost/",
    "http://a.localhost/",
    "https://[::1]/",
    "https://[::ffff:127.0.0.1]:9443/x",
    "https://[::ffff:169.254.169.254]/latest",
    "https://169.254.169.254/",
    "https://[fe90::1]/",
    "https://[fd00::1]/",
    "https://10.0.0.5/",
    "https://192.168.1.1/",
    "https://0.0.0.0/",
  ])("refuses %s", (url) => {
    expect(isLocalHost(host(url))).toBe(true);
  });

  it.each(["https://example.com/hook", "https://8.8.8.8/", "https://[2001:db8::1]/"])("allows %s", (url) => {
    expect(isLocalHost(host(url))).toBe(false);
  });
});

describe("reading a receiver's answer", () => {
  it("stops after 64 KB of an endless body", async () => {
    // Prepare: a body that never ends.
    let pulled = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 1;
        controller.enqueue(new Uint8Array(16 * 1024));
      },
    });
    // Act
    const read = await drain(new Response(endless), MAX_RESPONSE_BYTES);
    // Assert
    expect(read).toBeGreaterThanOrEqual(MAX_RESPONSE_BYTES);
    expect(read).toBeLessThan(MAX_RESPONSE_BYTES + 32 * 1024);
    expect(pulled).toBeLessThan(10);
  });

  it("reads a short body to its end", async () => {
    expect(await drain(new Response("ok"), MAX_RESPONSE_BYTES)).toBe(2);
  });
});
