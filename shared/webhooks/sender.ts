/**
 * Outbound webhooks, signed the Standard Webhooks way (`webhook-id`, `webhook-timestamp`,
 * `webhook-signature: v1,<base64 HMAC-SHA256>`) with the maintained `standardwebhooks`
 * package, sent with a per-attempt timeout and retried with exponential backoff.
 *
 * The id is the caller's (deterministic per trigger, event and action) and stays the same
 * across attempts and re-deliveries, so receivers can dedupe; the timestamp and signature are
 * fresh per attempt, because verifiers reject timestamps older than five minutes.
 */
import { BlockList, isIP } from "node:net";
import { Webhook } from "standardwebhooks";
import { exponentialBackoff, retry, retryWith, succeed } from "../retry.ts";

export interface WebhookRequest {
  url: string;
  /** `webhook-id`: the receiver's idempotency key. */
  id: string;
  /** The exact bytes that are signed and sent. */
  payload: string;
  /** `whsec_<base64>`. */
  secret: string;
}

export interface DeliveryResult {
  ok: boolean;
  attempts: number;
  /** HTTP status of the last attempt, when there was an answer. */
  lastStatus?: number;
  lastError?: string;
}

export interface WebhookSender {
  send(request: WebhookRequest): Promise<DeliveryResult>;
}

export interface HttpWebhookSenderOptions {
  /** Attempts in all, the first included (at least 1). Default 3. */
  attempts?: number;
  /** Per attempt. Default 5000. */
  timeoutMs?: number;
  /** Wait before the second attempt; doubles each time. Default 1000. */
  backoffMs?: number;
  /**
   * Whether loopback and link-local hosts may be called. Off in Lambda, where 127.0.0.1:9001
   * is the Lambda Runtime API and 169.254.0.0/16 holds platform endpoints: a tenant's URL must
   * never reach them. On for the local runtime and tests, whose receivers listen on loopback.
   */
  allowLoopback?: boolean;
}

/**
 * Addresses a tenant's webhook must never reach from Lambda: loopback (the Runtime API),
 * link-local (platform endpoints), unspecified, private and carrier-grade NAT ranges, and
 * their IPv6 counterparts. `BlockList` also matches IPv4-mapped IPv6 (`::ffff:127.0.0.1`).
 */
const BLOCKED = new BlockList();
for (const [net, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.168.0.0", 16],
] as const) {
  BLOCKED.addSubnet(net, prefix, "ipv4");
}
for (const [net, prefix] of [
  ["::", 128],
  ["::1", 128],
  ["fe80::", 10],
  ["fc00::", 7],
] as const) {
  BLOCKED.addSubnet(net, prefix, "ipv6");
}

/** Literal local, link-local, private or unspecified hosts (names that resolve there are not caught). */
export function isLocalHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  const family = isIP(h);
  if (family === 4) return BLOCKED.check(h, "ipv4");
  if (family === 6) return BLOCKED.check(h, "ipv6");
  return false;
}

/** The most of a receiver's response body a delivery reads. */
export const MAX_RESPONSE_BYTES = 64 * 1024;

/** Reads up to `limit` bytes of a response body, then cancels the rest; returns the bytes read. */
export async function drain(res: Response, limit: number): Promise<number> {
  if (!res.body) return 0;
  const reader = res.body.getReader();
  let read = 0;
  try {
    while (read < limit) {
      const chunk = await reader.read();
      if (chunk.done) return read;
      read += chunk.value.byteLength;
    }
    await reader.cancel();
  } catch {
    // A body cut short is no concern of the delivery's outcome.
  }
  return read;
}

export class HttpWebhookSender implements WebhookSender {
  readonly #attempts: number;
  readonly #timeoutMs: number;
  /** Before attempt n ≥ 2: backoffMs·2^(n-2), no jitter (1 s, then 2 s by default). */
  readonly #backoff: (attempt: number) => number;
  readonly #allowLoopback: boolean;

  constructor(options: HttpWebhookSenderOptions = {}) {
    this.#attempts = options.attempts ?? 3;
    this.#timeoutMs = options.timeoutMs ?? 5000;
    this.#backoff = exponentialBackoff({ baseMs: options.backoffMs ?? 1000, jitter: "none" });
    this.#allowLoopback = options.allowLoopback ?? false;
  }

  async send(request: WebhookRequest): Promise<DeliveryResult> {
    const url = new URL(request.url);
    if (!this.#allowLoopback && isLocalHost(url.hostname)) {
      return {
        ok: false,
        attempts: 0,
        lastError: `refused: ${url.hostname} is a loopback or link-local host`,
      };
    }
    const signer = new Webhook(request.secret);
    // Any non-2xx answer and any network error or timeout is retried; the last failure is the result.
    const result = await retry(
      async (attempt) => {
        const delivery = await this.#attempt(url, request, signer, attempt);
        return delivery.ok ? succeed(delivery) : retryWith(delivery);
      },
      { attempts: this.#attempts, delayMs: this.#backoff },
    );
    return result.ok ? result.value : result.failure;
  }

  /** One signed POST; the timestamp and signature are fresh per attempt. */
  async #attempt(
    url: URL,
    request: WebhookRequest,
    signer: Webhook,
    attempt: number,
  ): Promise<DeliveryResult> {
    const now = new Date();
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "user-agent": "conversation-log-webhooks/1",
          "webhook-id": request.id,
          "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
          "webhook-signature": signer.sign(request.id, now, request.payload),
        },
        body: request.payload,
        // A redirect could point a signed payload anywhere; receivers give their final URL.
        redirect: "manual",
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      // The body is not needed, but must be consumed so the connection is released: at most
      // 64 KB of it, so a receiver cannot make a delivery read without end.
      await drain(res, MAX_RESPONSE_BYTES);
      if (res.status >= 200 && res.status < 300)
        return { ok: true, attempts: attempt, lastStatus: res.status };
      return { ok: false, attempts: attempt, lastStatus: res.status, lastError: `HTTP ${res.status}` };
    } catch (error) {
      const message =
        error instanceof Error && error.name === "TimeoutError"
          ? `timed out after ${this.#timeoutMs} ms`
          : error instanceof Error
            ? `${error.message}${error.cause instanceof Error ? `: ${error.cause.message}` : ""}`
            : String(error);
      return { ok: false, attempts: attempt, lastError: message };
    }
  }
}
