/**
 * DynamoDB adapter of the {@link IdempotencyStore} port: one conditional `PutItem` per
 * reservation. The condition admits a write only where no record lives, or where the
 * record has expired (TTL deletion lags by up to days, so an expired item is treated as
 * absent rather than trusted to be gone). A lost race returns the winner's record in the
 * same call (`ReturnValuesOnConditionCheckFailure`), without another read.
 */
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import type { IdempotencyRecord, IdempotencyStore } from "../idempotency.ts";
import { fromAttributeValues, idempotencyItem } from "./items.ts";
import { TABLE } from "./table.ts";

export class DynamoIdempotencyStore implements IdempotencyStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    /** Seconds since the epoch; injected so tests can age records. */
    private readonly nowSeconds: () => number = () => Math.floor(Date.now() / 1000),
  ) {}

  async reserve(
    tenant: string,
    idempotencyKey: string,
    record: IdempotencyRecord,
    expiresAtSeconds: number,
  ): Promise<{ reserved: true } | { reserved: false; existing: IdempotencyRecord }> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: idempotencyItem.encode(tenant, idempotencyKey, record, expiresAtSeconds),
          ConditionExpression: "attribute_not_exists(pk) OR #ttl < :now",
          ExpressionAttributeNames: { "#ttl": TABLE.ttlAttribute },
          ExpressionAttributeValues: { ":now": this.nowSeconds() },
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      );
      return { reserved: true };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException) || !error.Item) throw error;
      // The exception carries the old item in the low-level attribute-value format.
      return { reserved: false, existing: idempotencyItem.decode(fromAttributeValues(error.Item)) };
    }
  }
}
