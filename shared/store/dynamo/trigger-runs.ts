/** DynamoDB adapter of the {@link TriggerRunStore} port (`triggerRunItem` in items.ts). */
import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import type { TriggerRun, TriggerRunPage, TriggerRunStore } from "../trigger-runs.ts";
import { triggerRunItem } from "./items.ts";
import { triggerRunKey, triggerRunsPk } from "./table-keys.ts";

export class DynamoTriggerRunStore implements TriggerRunStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async record(tenant: string, run: TriggerRun): Promise<void> {
    await this.db.send(
      new PutCommand({ TableName: this.tableName, Item: triggerRunItem.encode(tenant, run) }),
    );
  }

  async list(
    tenant: string,
    triggerId: string,
    options: { limit: number; after?: string },
  ): Promise<TriggerRunPage> {
    // One more than asked tells whether another page exists.
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: "pk = :pk",
        ExpressionAttributeValues: { ":pk": triggerRunsPk(tenant, triggerId) },
        ScanIndexForward: false,
        Limit: options.limit + 1,
        ...(options.after ? { ExclusiveStartKey: triggerRunKey(tenant, triggerId, options.after) } : {}),
      }),
    );
    const items = (out.Items ?? []).map(triggerRunItem.decode);
    return { items: items.slice(0, options.limit), hasMore: items.length > options.limit };
  }
}
