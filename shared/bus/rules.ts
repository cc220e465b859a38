/**
 * Bus rules, defined once: the CDK app creates an EventBridge rule for each on the bus
 * (with retries and a DLQ on the target); the local runtime's in-process bus matches the
 * same patterns with the EventBridge-compatible matcher and calls the same handlers.
 */
import type { BusTargetName } from "../function-registry.ts";
import { BUS_SOURCE } from "./contract.ts";

export interface BusRule {
  /** Rule name suffix; the deployed rule is `conversation-log-{stage}-{name}`. */
  name: string;
  description: string;
  /** An EventBridge event pattern over the bus event. */
  pattern: Record<string, unknown>;
  target: BusTargetName;
}

/** Every event of the log. */
export const ALL_LOG_EVENTS = { source: [BUS_SOURCE] } as const;

export const BUS_RULES: readonly BusRule[] = [
  {
    name: "conversation-state",
    description: "Every log event to the conversation-state projector",
    pattern: ALL_LOG_EVENTS,
    target: "state",
  },
  {
    name: "triggers",
    description: "Every log event to the tenant trigger engine",
    pattern: ALL_LOG_EVENTS,
    target: "triggerEngine",
  },
];

/**
 * The data lake's rule, on AWS only: every log event to Kinesis Data Firehose, which writes it
 * to S3, partitioned by tenant and day, for Athena (`infra/constructs/data-lake.ts`,
 * docs/data-lake.md). It is not in {@link BUS_RULES}, whose targets are Lambda handlers that
 * the local bus runs too. The local runtime has no data lake: locally, BI follows the export
 * feed (GET /v1/export/events, the export CLI) into DuckDB.
 */
export const DATA_LAKE_RULE: Omit<BusRule, "target"> = {
  name: "data-lake",
  description: "Every log event to the data lake (Firehose to S3, queried with Athena)",
  pattern: ALL_LOG_EVENTS,
};

/**
 * The filter of the publisher's event source mapping (Lambda event filtering uses the
 * EventBridge pattern syntax): only inserted event items are published.
 */
export const PUBLISH_STREAM_FILTER = {
  eventName: ["INSERT"],
  dynamodb: { NewImage: { entity: { S: ["event"] } } },
} as const;
