/**
 * Lambda entry point: the outbox publisher on the table's stream.
 */
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import type { DynamoDBStreamEvent } from "aws-lambda";
import { EventBridgePublisher } from "#shared/bus/eventbridge.ts";
import { publishRecords } from "#shared/bus/publisher.ts";
import { loadBusName } from "#shared/config.ts";
import { logger } from "#shared/logger.ts";

const deps = { publisher: new EventBridgePublisher(), busName: loadBusName() };

export const handler = middy<DynamoDBStreamEvent>()
  .use(injectLambdaContext(logger))
  .handler(async (event) => {
    const result = await publishRecords(deps, event.Records);
    if (result.batchItemFailures.length > 0) {
      logger.warn("records left unpublished; Lambda retries them", {
        failed: result.batchItemFailures.length,
      });
    }
    return result;
  });
