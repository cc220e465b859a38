/**
 * DynamoDB adapter of the {@link ChannelIntegrationStore} port: channel integrations and
 * their webhook rejections.
 *
 * An integration is two items written in one transaction (`channelLookupItem` and
 * `channelListingItem` in items.ts):
 * - `CH#{id}`: what the webhook needs, found by the id in the URL alone: the tenant and the
 *   credentials. WhatsApp's app secret is kept as is, because it keys the HMAC; the WhatsApp
 *   verify token and the SunCo webhook secret are only ever compared, so only their SHA-256
 *   is kept (docs/decisions.md).
 * - `T#{tenant}#CH / {id}`: the public view, for `GET /v1/channels`; no credentials.
 */
import { TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
} from "@aws-sdk/lib-dynamodb";
import type {
  ChannelIntegrationStore,
  ChannelRejection,
  PublicChannelIntegration,
  StoredChannelIntegration,
} from "../channel-integrations.ts";
import { channelListingItem, channelLookupItem, channelRejectionItem } from "./items.ts";
import { queryAll } from "./query-pages.ts";
import { channelLookupKey, channelRejectionsPk, tenantChannelKey, tenantChannelsPk } from "./table-keys.ts";

export class DynamoChannelIntegrationStore implements ChannelIntegrationStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(integration: StoredChannelIntegration): Promise<void> {
    await this.db.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: this.tableName,
              Item: channelLookupItem.encode(integration),
              ConditionExpression: "attribute_not_exists(pk)",
            },
          },
          {
            Put: {
              TableName: this.tableName,
              Item: channelListingItem.encode(integration.tenant, integration),
              ConditionExpression: "attribute_not_exists(pk)",
            },
          },
        ],
      }),
    );
  }

  async list(tenant: string): Promise<PublicChannelIntegration[]> {
    const items = await queryAll(this.db, {
      TableName: this.tableName,
      KeyConditionExpression: "pk = :pk",
      ExpressionAttributeValues: { ":pk": tenantChannelsPk(tenant) },
      ConsistentRead: true,
    });
    return items
      .map(channelListingItem.decode)
      .sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id));
  }

  async delete(tenant: string, id: string): Promise<boolean> {
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Delete: {
                TableName: this.tableName,
                Key: tenantChannelKey(tenant, id),
                ConditionExpression: "attribute_exists(pk)",
              },
            },
            {
              // The lookup item must belong to the caller's tenant: an id is no proof of ownership.
              Delete: {
                TableName: this.tableName,
                Key: channelLookupKey(id),
                ConditionExpression: "tenant = :t",
                ExpressionAttributeValues: { ":t": tenant },
              },
            },
          ],
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof TransactionCanceledException) return false;
      throw error;
    }
  }

  async resolve(id: string): Promise<StoredChannelIntegration | undefined> {
    const out = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: channelLookupKey(id), ConsistentRead: true }),
    );
    return out.Item ? channelLookupItem.decode(out.Item) : undefined;
  }

  async recordRejections(tenant: string, rejections: ChannelRejection[]): Promise<void> {
    // Few per request (one per unmappable item); plain puts in parallel are enough.
    await Promise.all(
      rejections.map((r) =>
        this.db.send(
          new PutCommand({ TableName: this.tableName, Item: channelRejectionItem.encode(tenant, r) }),
        ),
      ),
    );
  }

  async listRejections(tenant: string, channelId: string, limit: number): Promise<ChannelRejection[]> {
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: "pk = :pk",
        ExpressionAttributeValues: { ":pk": channelRejectionsPk(tenant, channelId) },
        ConsistentRead: true,
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return (out.Items ?? []).map(channelRejectionItem.decode);
  }
}
