/**
 * A real DynamoDB Local store for integration tests, with a middleware that counts the
 * commands sent, so tests can assert round trips (one Query per page, no Scan).
 */
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { createDocumentClient } from "#shared/store/dynamo/client.ts";
import { DynamoEventStore } from "#shared/store/dynamo/events.ts";

export interface CountingStore {
  db: DynamoDBDocumentClient;
  store: DynamoEventStore;
  tableName: string;
  counts: Map<string, number>;
  reset(): void;
  count(command: string): number;
}

export function countingStore(): CountingStore {
  const tableName = process.env.TABLE_NAME as string;
  const db = createDocumentClient();
  const counts = new Map<string, number>();
  db.middlewareStack.add(
    (next, context) => async (args) => {
      // Low-level names: the document client sends e.g. QueryCommand, PutItemCommand, TransactWriteItemsCommand.
      const name = String(context.commandName);
      counts.set(name, (counts.get(name) ?? 0) + 1);
      return next(args);
    },
    { step: "initialize", name: "countCommands" },
  );
  return {
    db,
    store: new DynamoEventStore(db, tableName),
    tableName,
    counts,
    reset: () => counts.clear(),
    count: (command) => counts.get(command) ?? 0,
  };
}
