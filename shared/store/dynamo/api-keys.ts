/**
 * DynamoDB adapter of the {@link ApiKeyStore} port.
 *
 * Two items per key, written in one transaction: the lookup item `K#{sha256}` (the only
 * tenant-less key in the table, read by the authorizer) and a listing item under the tenant.
 */
import { type DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { hashKey, isPlausibleKey, newApiKey } from "../../auth/api-keys.ts";
import { isScope } from "../../auth/scopes.ts";
import type { ApiKeyRecord, ApiKeyStore, NewApiKeyInput, ResolvedKey } from "../api-keys.ts";
import { queryAll } from "./query-pages.ts";
import { apiKeyListingKey, apiKeyListingsPk, apiKeyLookupKey } from "./table-keys.ts";

export class DynamoApiKeyStore implements ApiKeyStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(input: NewApiKeyInput): Promise<{ key: string; record: ApiKeyRecord }> {
    const { key, keyHash, record } = newApiKey(input);
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
                ...apiKeyListingKey(input.tenant, record.key_id),
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

  async resolve(key: string): Promise<ResolvedKey | undefined> {
    if (!isPlausibleKey(key)) return undefined;
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
      ExpressionAttributeValues: { ":pk": apiKeyListingsPk(tenant) },
    });
    return items.map((item) => {
      // Only the listed fields: the stored item also holds the key's hash.
      const { key_id, tenant: t, scopes, created_at, revoked, hint, name } = item as unknown as ApiKeyRecord;
      return { key_id, tenant: t, scopes, created_at, revoked, hint, ...(name ? { name } : {}) };
    });
  }

  async revoke(tenant: string, keyId: string): Promise<boolean> {
    const ref = await this.db.send(
      new GetCommand({
        TableName: this.tableName,
        Key: apiKeyListingKey(tenant, keyId),
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
              Key: apiKeyListingKey(tenant, keyId),
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
