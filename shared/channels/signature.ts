/**
 * Webhook authentication, in constant time. Pure: no I/O.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";

export function sha256Hex(value: string): string {
  return createHash("sha256").update(value, "utf8").digest("hex");
}

/**
 * Meta's `X-Hub-Signature-256: sha256=<lowercase hex HMAC-SHA256(app secret, raw body)>`.
 * The HMAC is over the exact bytes received: re-serialized JSON would not match.
 */
export function verifyHubSignature(rawBody: Buffer, header: string | undefined, appSecret: string): boolean {
  if (header === undefined) return false;
  const m = /^sha256=([0-9a-fA-F]{64})$/.exec(header.trim());
  if (!m) return false;
  const expected = createHmac("sha256", appSecret).update(rawBody).digest();
  return timingSafeEqual(expected, Buffer.from((m[1] as string).toLowerCase(), "hex"));
}

/**
 * Compares a presented secret with a stored SHA-256 (hex). Hashing first gives both sides
 * the same length, so `timingSafeEqual` never leaks the secret's length either.
 */
export function matchesSha256(presented: string | undefined, storedSha256Hex: string): boolean {
  if (presented === undefined || presented.length === 0) return false;
  const stored = Buffer.from(storedSha256Hex, "hex");
  const given = createHash("sha256").update(presented, "utf8").digest();
  return stored.length === given.length && timingSafeEqual(stored, given);
}
