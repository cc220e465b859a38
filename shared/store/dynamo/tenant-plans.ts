/**
 * DynamoDB adapter of the {@link TenantPlanStore} port: one item per tenant, `PLAN#{tenant}`,
 * outside the tenant namespace so that the authorizers' read grant (`PLAN#*`) reaches no
 * tenant data.
 */
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { TenantPlan, TenantPlanStore } from "../tenant-plans.ts";
import { tenantPlanItem } from "./items.ts";
import { tenantPlanKey } from "./table-keys.ts";

export class DynamoTenantPlanStore implements TenantPlanStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(tenant: string): Promise<TenantPlan | undefined> {
    const out = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: tenantPlanKey(tenant), ConsistentRead: true }),
    );
    return out.Item ? tenantPlanItem.decode(out.Item) : undefined;
  }

  async create(plan: TenantPlan): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: tenantPlanItem.encode(plan),
          ConditionExpression: "attribute_not_exists(pk)",
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async setTier(tenant: string, tier: string, updatedAt: string): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: tenantPlanKey(tenant),
          UpdateExpression: "SET tier = :tier, updated_at = :at",
          ConditionExpression: "attribute_exists(pk)",
          ExpressionAttributeValues: { ":tier": tier, ":at": updatedAt },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
