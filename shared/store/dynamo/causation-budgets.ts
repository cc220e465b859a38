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

  async reserve(
    tenant: string,
    rootEventId: string,
    kind: BudgetKind,
    actionId: string,
    limit: number,
  ): Promise<boolean> {
    return this.#update(tenant, rootEventId, {
      UpdateExpression: "ADD #set :id SET #entity = :entity, #ttl = if_not_exists(#ttl, :ttl)",
      ConditionExpression: "attribute_not_exists(#set) OR size(#set) < :limit OR contains(#set, :one)",
      names: { "#set": ATTRIBUTE[kind] },
      values: { ":id": new Set([actionId]), ":one": actionId, ":limit": limit },
    });
  }

  markExhausted(tenant: string, rootEventId: string): Promise<boolean> {
    return this.#update(tenant, rootEventId, {
      UpdateExpression: "SET exhausted_at = :at, #entity = :entity, #ttl = if_not_exists(#ttl, :ttl)",
      ConditionExpression: "attribute_not_exists(exhausted_at)",
      names: {},
      values: { ":at": new Date(this.now()).toISOString() },
    });
  }

  /** One conditional update of the tree's item; `false` when its condition does not hold. */
  async #update(
    tenant: string,
    rootEventId: string,
    update: {
      UpdateExpression: string;
      ConditionExpression: string;
      names: Record<string, string>;
      values: Record<string, unknown>;
    },
  ): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: causationBudgetKey(tenant, rootEventId),
          UpdateExpression: update.UpdateExpression,
          ConditionExpression: update.ConditionExpression,
          ExpressionAttributeNames: { ...update.names, "#entity": "entity", "#ttl": TABLE.ttlAttribute },
          ExpressionAttributeValues: {
            ...update.values,
            ":entity": "causation-budget",
            ":ttl": Math.floor(this.now() / 1000) + BUDGET_TTL_SECONDS,
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
