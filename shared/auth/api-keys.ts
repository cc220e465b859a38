/**
 * API keys: shown once at creation, stored only as a SHA-256 hash, each bound to one tenant
 * and a set of scopes. What a key is (its format, its hash, what a new one must satisfy) is
 * here; storing and resolving them is the `ApiKeyStore` port (`shared/store/api-keys.ts`),
 * used by the authorizer, the local runtime and the API-key CLI.
 */
import { createHash, randomBytes } from "node:crypto";
import { ulid } from "ulid";
import { ValidationError } from "../errors.ts";
import type { ApiKeyRecord, NewApiKeyInput } from "../store/api-keys.ts";
import { TENANT_PATTERN } from "../tenant.ts";
import { isScope, SCOPES, type Scope } from "./scopes.ts";

export const KEY_PREFIX = "clk_";
/** Keys are 32 random bytes: guessing one is not a practical attack, so SHA-256 needs no salt or stretching. */
const KEY_BYTES = 32;
const MIN_KEY_LENGTH = 16;
const MAX_KEY_LENGTH = 256;

export function hashKey(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}

export function generateKey(): string {
  return `${KEY_PREFIX}${randomBytes(KEY_BYTES).toString("base64url")}`;
}

/** Whether a presented key could be one of ours at all (cheap: before any lookup). */
export function isPlausibleKey(key: string): boolean {
  return key.length >= MIN_KEY_LENGTH && key.length <= MAX_KEY_LENGTH;
}

function validate(tenant: string, scopes: readonly string[]): Scope[] {
  if (!TENANT_PATTERN.test(tenant)) {
    throw new ValidationError(`tenant must match ${TENANT_PATTERN} (lower-case letters, digits, _ and -)`);
  }
  const bad = scopes.filter((s) => !isScope(s));
  if (bad.length > 0 || scopes.length === 0) {
    throw new ValidationError(
      `scopes must be a non-empty subset of: ${SCOPES.join(", ")}; got ${bad.join(", ") || "none"}`,
    );
  }
  return [...new Set(scopes as Scope[])];
}

/**
 * A new key, checked and ready to store: the key in clear (generated unless given), its hash
 * and its record. Throws a ValidationError for a bad tenant, scopes or key.
 */
export function newApiKey(input: NewApiKeyInput): { key: string; keyHash: string; record: ApiKeyRecord } {
  const scopes = validate(input.tenant, input.scopes);
  const key = input.key ?? generateKey();
  if (key.length < MIN_KEY_LENGTH) {
    throw new ValidationError(`an API key must be at least ${MIN_KEY_LENGTH} characters`);
  }
  const record: ApiKeyRecord = {
    key_id: `key_${ulid()}`,
    tenant: input.tenant,
    scopes,
    created_at: new Date().toISOString(),
    revoked: false,
    hint: key.slice(-4),
    ...(input.name ? { name: input.name } : {}),
  };
  return { key, keyHash: hashKey(key), record };
}
