/**
 * DynamoDB adapter of the {@link ConversationStateStore} port.
 *
 * The state item lives in the conversation's own partition (`sk = S`), so the projector's
 * reads and its conditional write stay on one partition. Its `byUpdated` keys put it in one
 * of {@link UPDATED_SHARDS} partitions per status, ordered by `{updated_at}#{conversation}`,
 * so `GET /v1/conversations?filter[status]=open` reads only open conversations.
 */
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  type QueryCommandInput,
} from "@aws-sdk/lib-dynamodb";
import type { StoredEvent } from "../../events/schema.ts";
import type { Conversation, FoldedState } from "../../usecases/conversation-state.ts";
import type { ConversationListQuery, ConversationStateStore, StoredState } from "../conversation-states.ts";
import { conversationStateItem, eventItem } from "./items.ts";
import { mergePage, QueryStream } from "./merge.ts";
import { queryPages } from "./query-pages.ts";
import { TABLE } from "./table.ts";
import {
  conversationPk,
  conversationStateKey,
  EVENT_SK_PREFIX,
  UPDATED_SHARDS,
  updatedIndexPk,
} from "./table-keys.ts";

/** Above every position: positions start with a digit. */
const HIGHEST = "~";

export class DynamoConversationStateStore implements ConversationStateStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async getState(tenant: string, conversationId: string): Promise<StoredState | undefined> {
    const out = await this.db.send(
      new GetCommand({
        TableName: this.tableName,
        Key: conversationStateKey(tenant, conversationId),
        ConsistentRead: true,
      }),
    );
    return out.Item ? conversationStateItem.decode(out.Item) : undefined;
  }

  async *eventsAfter(tenant: string, conversationId: string, after?: string): AsyncIterable<StoredEvent[]> {
    const pages = queryPages(this.db, {
      TableName: this.tableName,
      // BETWEEN rather than `>`: the state item (`S`) sorts after every `E#…` event.
      KeyConditionExpression: "pk = :pk AND sk BETWEEN :lo AND :hi",
      ExpressionAttributeValues: {
        ":pk": conversationPk(tenant, conversationId),
        ":lo": `${EVENT_SK_PREFIX}${after ?? ""}`,
        ":hi": `${EVENT_SK_PREFIX}${HIGHEST}`,
      },
      ProjectionExpression: "tsk, doc",
      ConsistentRead: true,
    });
    for await (const page of pages) {
      const events = page.filter((item) => item.tsk !== after).map(eventItem.decode);
      if (events.length > 0) yield events;
    }
  }

  async putState(
    tenant: string,
    state: FoldedState,
    updatedAt: string,
    expectedVersion: number | undefined,
  ): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: conversationStateItem.encode(tenant, state, updatedAt),
          // Optimistic concurrency: event_count grows with every write, so it is the version.
          ...(expectedVersion === undefined
            ? { ConditionExpression: "attribute_not_exists(pk)" }
            : {
                ConditionExpression: "event_count = :v",
                ExpressionAttributeValues: { ":v": expectedVersion },
              }),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async listByUpdated(
    tenant: string,
    query: ConversationListQuery,
  ): Promise<{ items: Conversation[]; hasMore: boolean }> {
    const { partitionKey, sortKey, name } = TABLE.indexes.byUpdated;
    const streams = query.statuses.flatMap((status) =>
      Array.from({ length: UPDATED_SHARDS }, (_, shard) => {
        const names: Record<string, string> = { "#pk": partitionKey };
        const values: Record<string, unknown> = { ":pk": updatedIndexPk(tenant, status, shard) };
        let condition = "#pk = :pk";
        // A cursor always lies at or after `since` (both are in its signed query), so it alone bounds the read.
        const lower =
          query.after !== undefined
            ? { op: ">", value: query.after }
            : query.since !== undefined
              ? { op: ">=", value: query.since }
              : undefined;
        if (lower) {
          names["#sk"] = sortKey;
          values[":lo"] = lower.value;
          condition += ` AND #sk ${lower.op} :lo`;
        }
        const input: QueryCommandInput = {
          TableName: this.tableName,
          IndexName: name,
          KeyConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ScanIndexForward: true,
        };
        return new QueryStream(this.db, input, (item) => String(item[sortKey]));
      }),
    );
    return mergePage(streams, { direction: "asc", limit: query.limit }, conversationStateItem.conversation);
  }
}
