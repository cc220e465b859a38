/**
 * The first step of every bus target (a Lambda handler behind a bus rule): read the bus
 * event's `detail` by the bus contract. A detail that breaks the contract is handled one way
 * by all targets (docs/architecture.md, "Bus targets"): logged once at error level, with the
 * bus event's id and the schema's issues, then thrown as a {@link MalformedBusEventError}, so
 * it is a function error that alarms and that failed-delivery handling keeps (the local bus's
 * dead-letter list), never a silent drop.
 */
import type { EventBridgeEvent } from "aws-lambda";
import { logger } from "../logger.ts";
import { type BusDetail, BusDetailSchema } from "./contract.ts";

/** A bus event whose detail does not match the bus contract: no retry can make it processable. */
export class MalformedBusEventError extends Error {
  override name = "MalformedBusEventError";

  constructor(
    /** The EventBridge event id. */
    readonly eventId: string | undefined,
    /** `path: message` per schema issue. */
    readonly issues: string[],
  ) {
    super(`bus event ${eventId ?? "(without id)"} does not match the bus contract: ${issues.join("; ")}`);
  }
}

/** The detail of a delivered bus event, checked against the contract; throws {@link MalformedBusEventError}. */
export function parseBusDetail(event: Pick<EventBridgeEvent<string, unknown>, "id" | "detail">): BusDetail {
  const parsed = BusDetailSchema.safeParse(event.detail);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
  logger.error("bus event detail does not match the contract", { id: event.id, issues });
  throw new MalformedBusEventError(event.id, issues);
}
