/**
 * Lambda entry point: the trigger engine, a bus rule target (`shared/bus/rules.ts`). It
 * receives one EventBridge event and throws only when appending action events failed, or when
 * the event's detail breaks the bus contract or is not an event the log stored
 * (docs/architecture.md, "Bus targets").
 */
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import type { EventBridgeEvent } from "aws-lambda";
import { attributeBusDetail, parseBusDetail } from "#shared/bus/target.ts";
import { loadAutomationLimits, loadSecretCipher, loadTableName } from "#shared/config.ts";
import { logger } from "#shared/logger.ts";
import { DynamoCausationBudgetStore } from "#shared/store/dynamo/causation-budgets.ts";
import { createDocumentClient } from "#shared/store/dynamo/client.ts";
import { DynamoEventStore } from "#shared/store/dynamo/events.ts";
import { DynamoTriggerRunStore } from "#shared/store/dynamo/trigger-runs.ts";
import { DynamoTriggerStore } from "#shared/store/dynamo/triggers.ts";
import { defaultIngestDeps } from "#shared/usecases/ingest.ts";
import { runTriggers, type TriggerEngineDeps } from "#shared/usecases/trigger-engine.ts";
import { HttpWebhookSender } from "#shared/webhooks/sender.ts";

const db = createDocumentClient();
const tableName = loadTableName();
const deps: TriggerEngineDeps = {
  ingest: defaultIngestDeps(new DynamoEventStore(db, tableName)),
  triggers: new DynamoTriggerStore(db, tableName),
  runs: new DynamoTriggerRunStore(db, tableName),
  budgets: new DynamoCausationBudgetStore(db, tableName),
  // In Lambda, loopback is the Runtime API: only the local runtime may call loopback receivers.
  webhooks: new HttpWebhookSender({ allowLoopback: process.env.AWS_LAMBDA_FUNCTION_NAME === undefined }),
  secrets: await loadSecretCipher(),
  now: Date.now,
  limits: loadAutomationLimits(),
};

export const handler = middy<EventBridgeEvent<string, unknown>>()
  .use(injectLambdaContext(logger))
  .handler(async (busEvent) => {
    // A detail that breaks the contract throws MalformedBusEventError (docs/architecture.md, "Bus targets").
    const detail = parseBusDetail(busEvent);
    // A detail that is not an event the log stored throws UnattributableBusEventError: the
    // engine acts on stored events only (docs/architecture.md, "Bus targets").
    await attributeBusDetail(deps.ingest.store, busEvent, detail);
    const report = await runTriggers(deps, detail);
    if (report.fired.length > 0) logger.info("triggers fired", { event_id: detail.event.id, ...report });
  });
