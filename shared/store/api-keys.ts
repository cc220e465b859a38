/**
 * The port of API keys: what the authorizer, the local runtime and the API-key CLI store and
 * resolve keys through. The DynamoDB adapter is `dynamo/api-keys.ts`; what a key is (its
 * format, hash and validation) is auth logic, in `shared/auth/api-keys.ts`.
 */
import type { Scope } from "../auth/scopes.ts";

/** An API key as stored and listed: never the key itself, which is shown once at creation. */
export interface ApiKeyRecord {
  key_id: string;
  tenant: string;
  scopes: Scope[];
  created_at: string;
  revoked: boolean;
  /** Last four characters, to tell keys apart in listings. */
  hint: string;
  name?: string;
}

/** What a presented API key grants: the authorizer context. */
export interface ResolvedKey {
  keyId: string;
  tenant: string;
  scopes: Scope[];
}

export interface NewApiKeyInput {
  tenant: string;
  scopes: readonly string[];
  name?: string;
  /** A given key instead of a generated one, for seeding local keys. */
  key?: string;
}

export interface ApiKeyStore {
  /**
   * Creates a key (or stores a given one) and returns it in clear: the only time it is ever
   * visible. Throws a ValidationError for a bad tenant, scopes or key.
   */
  create(input: NewApiKeyInput): Promise<{ key: string; record: ApiKeyRecord }>;
  /** Resolves a presented key to its tenant and scopes; undefined when unknown or revoked. */
  resolve(key: string): Promise<ResolvedKey | undefined>;
  /** A tenant's keys, revoked ones included. */
  list(tenant: string): Promise<ApiKeyRecord[]>;
  /** Revokes a key of the tenant; false when the tenant has no such key. */
  revoke(tenant: string, keyId: string): Promise<boolean>;
}
