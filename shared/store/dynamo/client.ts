/**
 * The DynamoDB document client, created once per container. The endpoint comes from the
 * SDK's own configuration (`AWS_ENDPOINT_URL_DYNAMODB` points it at DynamoDB Local), so no
 * handler switches adapters by hand.
 */
import { DynamoDBClient, type DynamoDBClientConfig } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

export function createDocumentClient(config: DynamoDBClientConfig = {}): DynamoDBDocumentClient {
  const client = new DynamoDBClient({ maxAttempts: 5, ...config });
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}
