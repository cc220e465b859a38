/**
 * Starts one DynamoDB Local (in memory) for the whole run and creates the table from the
 * shared definition. Test files use unique tenants, so they never see each other's data.
 */
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { TestProject } from "vitest/node";
import { ensureTable } from "../../infra/local/bootstrap.ts";
import { startDynamoLocal } from "../../infra/local/dynamodb-local.ts";

export const TEST_TABLE = "conversation-log-test";

export default async function setup(project: TestProject) {
  const dynamo = await startDynamoLocal();
  const admin = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: "local",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  await ensureTable(admin, TEST_TABLE);
  admin.destroy();
  project.provide("dynamodbEndpoint", dynamo.endpoint);
  project.provide("tableName", TEST_TABLE);
  return async () => {
    await dynamo.stop();
  };
}

declare module "vitest" {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
    tableName: string;
  }
}
