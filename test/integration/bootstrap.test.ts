/**
 * The local bootstrap brings a table persisted by an older version up to the shared
 * definition, so `npm start` on old `.data/` keeps working after an index is added.
 */
import { randomUUID } from "node:crypto";
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import { ensureTable } from "#infra/local/bootstrap.ts";
import { createTableInput } from "#shared/store/dynamo/table.ts";

describe("ensureTable", () => {
  it("creates a missing table, leaves a current one, and adds the indexes an old one lacks", async () => {
    const client = new DynamoDBClient({});
    const name = `bootstrap-${randomUUID().slice(0, 8)}`;
    const full = createTableInput(name);
    const [first, ...rest] = full.GlobalSecondaryIndexes ?? [];
    try {
      // An "old" table: the first index only.
      const used = new Set(
        [...(full.KeySchema ?? []), ...(first?.KeySchema ?? [])].map((k) => k.AttributeName),
      );
      await client.send(
        new CreateTableCommand({
          ...full,
          AttributeDefinitions: full.AttributeDefinitions?.filter((a) => used.has(a.AttributeName)),
          GlobalSecondaryIndexes: first ? [first] : [],
        }),
      );
      const result = await ensureTable(client, name);
      const described = await client.send(new DescribeTableCommand({ TableName: name }));
      const names = (described.Table?.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName).sort();
      expect(result).toBe(rest.length > 0 ? "updated" : "exists");
      expect(names).toEqual((full.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName).sort());
      expect(await ensureTable(client, name)).toBe("exists");
    } finally {
      await client.send(new DeleteTableCommand({ TableName: name })).catch(() => undefined);
      client.destroy();
    }
  });
});
