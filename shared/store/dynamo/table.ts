/**
 * The one definition of the DynamoDB table. The local bootstrap creates it with
 * `CreateTable` ({@link createTableInput}) and the CDK app builds it from the same object,
 * so the two runtimes cannot drift. See docs/data-model.md for the design.
 */
import type { CreateTableCommandInput } from "@aws-sdk/client-dynamodb";

export const TABLE = {
  /** Base name; a deployment prefixes the stage (`conversation-log-prod`). */
  baseName: "conversation-log",
  partitionKey: "pk",
  sortKey: "sk",
  /** DynamoDB stream view: the outbox publisher needs the new image. */
  streamViewType: "NEW_AND_OLD_IMAGES",
  /** DynamoDB TTL attribute (epoch seconds): expiring items such as Idempotency-Key records. */
  ttlAttribute: "ttl",
  indexes: {
    /** All conversations of a tenant by time: pk `T#{tenant}#M#{yyyy-mm}#{shard}`, sk `{occurred_at}#{id}`. */
    byTime: { name: "byTime", partitionKey: "tpk", sortKey: "tsk" },
    /** Conversation states by last update: pk `T#{tenant}#U#{status}#{shard}`, sk `{updated_at}#{conversation}`. */
    byUpdated: { name: "byUpdated", partitionKey: "upk", sortKey: "usk" },
    /** The change feed (export) by ingest order: pk `T#{tenant}#Q#{yyyy-mm}#{shard}`, sk `{sequence}`. */
    bySequence: { name: "bySequence", partitionKey: "spk", sortKey: "ssk" },
  },
} as const;

export type TableIndexName = keyof typeof TABLE.indexes;

/** Every key attribute is a string. */
function attributeNames(): string[] {
  const names: string[] = [TABLE.partitionKey, TABLE.sortKey];
  for (const idx of Object.values(TABLE.indexes)) names.push(idx.partitionKey, idx.sortKey);
  return names;
}

/** `CreateTable` input for the local runtime and tests (on-demand, stream on). */
export function createTableInput(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: attributeNames().map((AttributeName) => ({ AttributeName, AttributeType: "S" })),
    KeySchema: [
      { AttributeName: TABLE.partitionKey, KeyType: "HASH" },
      { AttributeName: TABLE.sortKey, KeyType: "RANGE" },
    ],
    GlobalSecondaryIndexes: Object.values(TABLE.indexes).map((idx) => ({
      IndexName: idx.name,
      KeySchema: [
        { AttributeName: idx.partitionKey, KeyType: "HASH" },
        { AttributeName: idx.sortKey, KeyType: "RANGE" },
      ],
      Projection: { ProjectionType: "ALL" },
    })),
    StreamSpecification: { StreamEnabled: true, StreamViewType: TABLE.streamViewType },
  };
}
