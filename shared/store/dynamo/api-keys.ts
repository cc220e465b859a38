/**
 * DynamoDB adapter of the {@link ApiKeyStore} port.
 *
 * Two items per key, written in one transaction: the lookup item `K#{sha256}` (the only
 * tenant-less key in the table, read by the authorizer) and a listing item under the tenant.
 */
import { type DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { hashKey, isPlausibleKey, newApiKey } from "../../auth/api-keys.ts";
import type { ApiKeyRecord, ApiKeyStore, NewApiKeyInput, ResolvedKey } from "../api-keys.ts";
import { apiKeyListingItem, apiKeyLookupItem } from "./items.ts";
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
              Item: apiKeyLookupItem.encode(keyHash, record),
              ConditionExpression: "attribute_not_exists(pk)",
            },
          },
          { Put: { TableName: this.tableName, Item: apiKeyListingItem.encode(keyHash, record) } },
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
    const record = out.Item ? apiKeyLookupItem.decode(out.Item) : undefined;
    if (!record || record.revoked) return undefined;
    return { keyId: record.key_id, tenant: record.tenant, scopes: record.scopes };
  }

  async list(tenant: string): Promise<ApiKeyRecord[]> {
    const items = await queryAll(this.db, {
      TableName: this.tableName,
      KeyConditionExpression: "pk = :pk",
      ExpressionAttributeValues: { ":pk": apiKeyListingsPk(tenant) },
    });
    // Only the record: the listing item also holds the key's hash.
    return items.map((item) => apiKeyListingItem.decode(item).record);
  }

  async revoke(tenant: string, keyId: string): Promise<boolean> {
    const ref = await this.db.send(
      new GetCommand({
        TableName: this.tableName,
        Key: apiKeyListingKey(tenant, keyId),
        ConsistentRead: true,
      }),
    );
    if (!ref.Item) return false;
    const keyHash = apiKeyListingItem.decode(ref.Item).apiKeyHash;
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
