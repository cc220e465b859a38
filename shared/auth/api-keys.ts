/**
 * API keys: shown once at creation, stored only as a SHA-256 hash, each bound to one
 * tenant and a set of scopes. Used by the authorizer, the local runtime and the key CLI.
 *
 * Two items per key, written in one transaction: the lookup item `K#{sha256}` (the only
 * tenant-less key in the table, read by the authorizer) and a listing item under the tenant.
 */
import { createHash, randomBytes } from "node:crypto";
import { type DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { ulid } from "ulid";
import { ValidationError } from "../errors.ts";
import { apiKeyLookupKey, TENANT_PATTERN, tenantApiKeyKey, tenantPrefix } from "../store/keys.ts";
import { queryAll } from "../store/query-pages.ts";
import { isScope, SCOPES, type Scope } from "./scopes.ts";

export const KEY_PREFIX = "clk_";
/** Keys are 32 random bytes: guessing one is not a practical attack, so SHA-256 needs no salt or stretching. */
const KEY_BYTES = 32;

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

export interface ResolvedKey {
  keyId: string;
  tenant: string;
  scopes: Scope[];
}

export function hashKey(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}

export function generateKey(): string {
  return `${KEY_PREFIX}${randomBytes(KEY_BYTES).toString("base64url")}`;
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

export class ApiKeyStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * Creates a key (or stores a given one, for seeding local keys) and returns it in clear:
   * the only time it is ever visible.
   */
  async create(input: { tenant: string; scopes: readonly string[]; name?: string; key?: string }): Promise<{
    key: string;
    record: ApiKeyRecord;
  }> {
    const scopes = validate(input.tenant, input.scopes);
    const key = input.key ?? generateKey();
    if (key.length < 16) throw new ValidationError("an API key must be at least 16 characters");
    const keyHash = hashKey(key);
    const record: ApiKeyRecord = {
      key_id: `key_${ulid()}`,
      tenant: input.tenant,
      scopes,
      created_at: new Date().toISOString(),
      revoked: false,
      hint: key.slice(-4),
      ...(input.name ? { name: input.name } : {}),
    };
    await this.db.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: this.tableName,
              Item: { ...apiKeyLookupKey(keyHash), entity: "apikey", ...record },
              ConditionExpression: "attribute_not_exists(pk)",
            },
          },
          {
            Put: {
              TableName: this.tableName,
              Item: {
                ...tenantApiKeyKey(input.tenant, record.key_id),
                entity: "apikey-ref",
                key_hash: keyHash,
                ...record,
              },
            },
          },
        ],
      }),
    );
    return { key, record };
  }

  /** Resolves a presented key to its tenant and scopes; undefined when unknown or revoked. */
  async resolve(key: string): Promise<ResolvedKey | undefined> {
    if (key.length < 16 || key.length > 256) return undefined;
    const out = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: apiKeyLookupKey(hashKey(key)), ConsistentRead: true }),
    );
    const item = out.Item as (ApiKeyRecord & Record<string, unknown>) | undefined;
    if (!item || item.revoked) return undefined;
    return { keyId: item.key_id, tenant: item.tenant, scopes: item.scopes.filter(isScope) };
  }

  async list(tenant: string): Promise<ApiKeyRecord[]> {
    const items = await queryAll(this.db, {
      TableName: this.tableName,
      KeyConditionExpression: "pk = :pk",
      ExpressionAttributeValues: { ":pk": `${tenantPrefix(tenant)}KEYS` },
    });
    return items.map((item) => {
      // Only the listed fields: the stored item also holds the key's hash.
      const { key_id, tenant: t, scopes, created_at, revoked, hint, name } = item as unknown as ApiKeyRecord;
      return { key_id, tenant: t, scopes, created_at, revoked, hint, ...(name ? { name } : {}) };
    });
  }

  /** Revokes a key of the tenant; returns false when the tenant has no such key. */
  async revoke(tenant: string, keyId: string): Promise<boolean> {
    const ref = await this.db.send(
      new GetCommand({
        TableName: this.tableName,
        Key: tenantApiKeyKey(tenant, keyId),
        ConsistentRead: true,
      }),
    );
    const keyHash = ref.Item?.key_hash;
    if (typeof keyHash !== "string") return false;
    await this.db.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: this.tableName,
              Key: apiKeyLookupKey(keyHash),
              UpdateExpression: "SET revoked = :t",
              ExpressionAttributeValues: { ":t": true },
            },
          },
          {
            Update: {
              TableName: this.tableName,
              Key: tenantApiKeyKey(tenant, keyId),
              UpdateExpression: "SET revoked = :t",
              ExpressionAttributeValues: { ":t": true },
            },
          },
        ],
      }),
    );
    return true;
  }
}
