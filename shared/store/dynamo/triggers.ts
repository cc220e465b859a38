/**
 * DynamoDB adapter of the {@link TriggerStore} port: triggers and webhook delivery failures.
 *
 * A trigger is one item under `T#{tenant}#TRG` (`triggerItem` in items.ts): its definition
 * as a JSON string (`doc`, so a pattern's numbers and nulls round-trip exactly), its
 * timestamps, and the webhook signing secret. The secret is stored as is (the engine needs it in clear to sign):
 * the table is encrypted at rest, only roles confined to tenant data can reach the item, and
 * the API never returns it after the create call (docs/decisions.md).
 */
import { ConditionalCheckFailedException, TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import type {
  DeliveryFailure,
  StoredTrigger,
  TriggerDefinition,
  TriggerPage,
  TriggerStore,
} from "../triggers.ts";
import { triggerItem, webhookFailureItem } from "./items.ts";
import { queryAll } from "./query-pages.ts";
import { triggerCountKey, triggerKey, triggersPk, webhookFailuresPk } from "./table-keys.ts";

/** Whether a transaction was cancelled by the condition of its item at `index`. */
function cancelledBy(error: unknown, index: number): boolean {
  return (
    error instanceof TransactionCanceledException &&
    error.CancellationReasons?.[index]?.Code === "ConditionalCheckFailed"
  );
}

export class DynamoTriggerStore implements TriggerStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(tenant: string, trigger: StoredTrigger, max: number): Promise<boolean> {
    await this.#ensureCount(tenant);
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: triggerItem.encode(tenant, trigger),
                ConditionExpression: "attribute_not_exists(pk)",
              },
            },
            {
              Update: {
                TableName: this.tableName,
                Key: triggerCountKey(tenant),
                UpdateExpression: "SET n = n + :one",
                ConditionExpression: "n < :max",
                ExpressionAttributeValues: { ":one": 1, ":max": max },
              },
            },
          ],
        }),
      );
      return true;
    } catch (error) {
      if (cancelledBy(error, 1)) return false;
      throw error;
    }
  }

  /**
   * The count item, created on a tenant's first write since counting began: it starts at the
   * number of triggers the tenant already has.
   */
  async #ensureCount(tenant: string): Promise<void> {
    const found = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: triggerCountKey(tenant), ConsistentRead: true }),
    );
    if (found.Item) return;
    const existing = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: "pk = :pk",
        ExpressionAttributeValues: { ":pk": triggersPk(tenant) },
        ConsistentRead: true,
        Select: "COUNT",
      }),
    );
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...triggerCountKey(tenant), entity: "trigger-count", n: existing.Count ?? 0 },
          ConditionExpression: "attribute_not_exists(pk)",
        }),
      );
    } catch (error) {
      // Another writer created it first: its count stands.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async get(tenant: string, id: string): Promise<StoredTrigger | undefined> {
    const out = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: triggerKey(tenant, id), ConsistentRead: true }),
    );
    return out.Item ? triggerItem.decode(out.Item) : undefined;
  }

  async list(tenant: string, options: { limit: number; after?: string }): Promise<TriggerPage> {
    const items: StoredTrigger[] = [];
    let start: Record<string, unknown> | undefined = options.after
      ? { ...triggerKey(tenant, options.after) }
      : undefined;
    // One more than asked tells whether another page exists without a second round trip.
    do {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: "pk = :pk",
          ExpressionAttributeValues: { ":pk": triggersPk(tenant) },
          ConsistentRead: true,
          Limit: options.limit + 1 - items.length,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      items.push(...(out.Items ?? []).map(triggerItem.decode));
      start = out.LastEvaluatedKey;
    } while (start && items.length <= options.limit);
    return { items: items.slice(0, options.limit), hasMore: items.length > options.limit };
  }

  async all(tenant: string): Promise<StoredTrigger[]> {
    // One Query in practice; more pages only past 1 MB of triggers.
    const items = await queryAll(this.db, {
      TableName: this.tableName,
      KeyConditionExpression: "pk = :pk",
      ExpressionAttributeValues: { ":pk": triggersPk(tenant) },
      // A trigger must apply to every event stored after its create call returned.
      ConsistentRead: true,
    });
    return items.map(triggerItem.decode);
  }

  async replace(
    tenant: string,
    id: string,
    definition: TriggerDefinition,
    updatedAt: string,
  ): Promise<StoredTrigger | undefined> {
    const { doc, updated_at } = triggerItem.replacement(definition, updatedAt);
    try {
      const out = await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: triggerKey(tenant, id),
          // created_at, the id and the secret survive a replace.
          UpdateExpression: "SET #doc = :doc, updated_at = :u",
          ConditionExpression: "attribute_exists(pk)",
          ExpressionAttributeNames: { "#doc": "doc" },
          ExpressionAttributeValues: { ":doc": doc, ":u": updated_at },
          ReturnValues: "ALL_NEW",
        }),
      );
      return out.Attributes ? triggerItem.decode(out.Attributes) : undefined;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  async delete(tenant: string, id: string): Promise<boolean> {
    await this.#ensureCount(tenant);
    try {
      await this.db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Delete: {
                TableName: this.tableName,
                Key: triggerKey(tenant, id),
                ConditionExpression: "attribute_exists(pk)",
              },
            },
            {
              Update: {
                TableName: this.tableName,
                Key: triggerCountKey(tenant),
                UpdateExpression: "SET n = n - :one",
                ExpressionAttributeValues: { ":one": 1 },
              },
            },
          ],
        }),
      );
      return true;
    } catch (error) {
      if (cancelledBy(error, 0)) return false;
      throw error;
    }
  }

  async recordFailure(tenant: string, failure: DeliveryFailure): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: webhookFailureItem.encode(tenant, failure),
      }),
    );
  }

  async listFailures(tenant: string): Promise<DeliveryFailure[]> {
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: "pk = :pk",
        ExpressionAttributeValues: { ":pk": webhookFailuresPk(tenant) },
        ConsistentRead: true,
        ScanIndexForward: false,
      }),
    );
    return (out.Items ?? []).map(webhookFailureItem.decode);
  }
}
