/**
 * Lambda entry point (bus target): projects one stored event into its conversation's state.
 * EventBridge delivers at least once and in no particular order; the projector makes both harmless.
 */
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import type { EventBridgeEvent } from "aws-lambda";
import { parseBusDetail } from "#shared/bus/target.ts";
import { loadTableName } from "#shared/config.ts";
import type { StoredEvent } from "#shared/events/schema.ts";
import { logger } from "#shared/logger.ts";
import { createDocumentClient } from "#shared/store/dynamo/client.ts";
import { DynamoConversationStateStore } from "#shared/store/dynamo/conversation-states.ts";
import { type ProjectionOutcome, projectEvent } from "#shared/usecases/project-state.ts";

const deps = {
  states: new DynamoConversationStateStore(createDocumentClient(), loadTableName()),
  now: Date.now,
};

export const handler = middy<EventBridgeEvent<string, unknown>, { outcome: ProjectionOutcome }>()
  .use(injectLambdaContext(logger))
  .handler(async (event) => {
    // A detail that breaks the contract throws MalformedBusEventError (docs/architecture.md, "Bus targets").
    const detail = parseBusDetail(event);
    // The schema validated a stored event; its inferred type is loose only because the union is built from a list.
    const stored = detail.event as unknown as StoredEvent;
    const outcome = await projectEvent(deps, detail.tenant_id, stored);
    logger.debug("projected", { outcome, conversation_id: stored.conversation_id });
    return { outcome };
  });
