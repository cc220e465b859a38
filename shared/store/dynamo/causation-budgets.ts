/**
 * DynamoDB adapter of the {@link CausationBudgetStore} port: one item per causation tree,
 * `T#{tenant}#CB#{root event id}`, holding a string set per kind of the action ids that hold
 * a slot. A reservation is one conditional `UpdateItem`: it adds the action's id when the set
 * is below the limit or already holds it, so concurrent and repeated reservations never
 * overspend. The item expires with DynamoDB TTL ({@link BUDGET_TTL_SECONDS}).
 */
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { BUDGET_TTL_SECONDS, type BudgetKind, type CausationBudgetStore } from "../causation-budgets.ts";
import { TABLE } from "./table.ts";
import { causationBudgetKey } from "./table-keys.ts";

const ATTRIBUTE: Record<BudgetKind, string> = { events: "ev", webhooks: "wh" };

export class DynamoCausationBudgetStore implements CausationBudgetStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => number = Date.now,
  ) {}

  #expires(): number {
    return Math.floor(this.now() / 1000) + BUDGET_TTL_SECONDS;
  }

  async reserve(
    tenant: string,
    rootEventId: string,
    kind: BudgetKind,
    actionId: string,
    limit: number,
  ): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: causationBudgetKey(tenant, rootEventId),
          UpdateExpression: "ADD #set :id SET #entity = :entity, #ttl = if_not_exists(#ttl, :ttl)",
          ConditionExpression: "attribute_not_exists(#set) OR size(#set) < :limit OR contains(#set, :one)",
          ExpressionAttributeNames: {
            "#set": ATTRIBUTE[kind],
            "#entity": "entity",
            "#ttl": TABLE.ttlAttribute,
          },
          ExpressionAttributeValues: {
            ":id": new Set([actionId]),
            ":one": actionId,
            ":limit": limit,
            ":entity": "causation-budget",
            ":ttl": this.#expires(),
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async markExhausted(tenant: string, rootEventId: string): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: causationBudgetKey(tenant, rootEventId),
          UpdateExpression: "SET exhausted_at = :at, #entity = :entity, #ttl = if_not_exists(#ttl, :ttl)",
          ConditionExpression: "attribute_not_exists(exhausted_at)",
          ExpressionAttributeNames: { "#entity": "entity", "#ttl": TABLE.ttlAttribute },
          ExpressionAttributeValues: {
            ":at": new Date(this.now()).toISOString(),
            ":entity": "causation-budget",
            ":ttl": this.#expires(),
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
