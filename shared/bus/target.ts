/**
 * The first step of every bus target (a Lambda handler behind a bus rule): read the bus
 * event's `detail` by the bus contract. A detail that breaks the contract is handled one way
 * by all targets (docs/architecture.md, "Bus targets"): logged once at error level, with the
 * bus event's id and the schema's issues, then thrown as a {@link MalformedBusEventError}, so
 * it is a function error that alarms and that failed-delivery handling keeps (the local bus's
 * dead-letter list), never a silent drop.
 *
 * A target that acts on the detail (the trigger engine) also attributes it before acting
 * ({@link attributeBusDetail}): the detail's event must be the very event the log stored for
 * that tenant and id. The bus policy already lets only the publisher put the log's events;
 * this is the second wall, for anything that gets past it.
 */
import type { EventBridgeEvent } from "aws-lambda";
import { canonicalJson } from "../cursor.ts";
import type { StoredEvent } from "../events/schema.ts";
import { logger } from "../logger.ts";
import type { EventStore } from "../store/events.ts";
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

/**
 * A bus event whose detail the log cannot attribute: no event with its id is stored for its
 * tenant, or the stored one differs. The log did not publish it (a forged or foreign event).
 */
export class UnattributableBusEventError extends Error {
  override name = "UnattributableBusEventError";

  constructor(
    /** The EventBridge event id. */
    readonly eventId: string | undefined,
    readonly reason: "not-stored" | "differs",
  ) {
    super(
      `bus event ${eventId ?? "(without id)"} does not carry an event the log stored: ${
        reason === "not-stored" ? "no such event for its tenant" : "the stored event differs"
      }`,
    );
  }
}

/**
 * Checks that a parsed detail is attributable: its event is stored under its tenant with its
 * id, and equal to the stored one (same sequence, same content). Otherwise logs at error
 * level, with the bus event's id, tenant and event id, and throws
 * {@link UnattributableBusEventError} before the target acts (docs/architecture.md, "Bus targets").
 * One strongly consistent read by id (the id guard, then the event).
 */
export async function attributeBusDetail(
  store: Pick<EventStore, "getEventById">,
  event: Pick<EventBridgeEvent<string, unknown>, "id">,
  detail: BusDetail,
): Promise<void> {
  // BusDetailSchema validated it as a stored event; its inferred type is erased in schema.ts.
  const claimed = detail.event as StoredEvent;
  const stored = await store.getEventById(detail.tenant_id, claimed.id);
  const reason = !stored
    ? "not-stored"
    : canonicalJson(stored) !== canonicalJson(claimed)
      ? "differs"
      : undefined;
  if (!reason) return;
  logger.error("bus event detail cannot be attributed to a stored event", {
    id: event.id,
    reason,
    tenant: detail.tenant_id,
    event_id: claimed.id,
  });
  throw new UnattributableBusEventError(event.id, reason);
}
