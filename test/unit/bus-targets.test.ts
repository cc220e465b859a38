/**
 * Bus targets treat a malformed bus event one way (docs/architecture.md, "Bus targets"): both
 * handlers behind the bus rules reject a detail that breaks the bus contract with
 * MalformedBusEventError, logged once with the bus event id, before touching the table.
 */
import type { Context, EventBridgeEvent } from "aws-lambda";
import { afterEach, describe, expect, it, vi } from "vitest";
import { BUS_CONTRACT_VERSION, BUS_SOURCE } from "#shared/bus/contract.ts";
import { BUS_RULES } from "#shared/bus/rules.ts";
import { MalformedBusEventError, parseBusDetail } from "#shared/bus/target.ts";
import { storedExample } from "#shared/events/examples.ts";
import { BUS_TARGET_FUNCTIONS } from "#shared/function-registry.ts";
import { logger } from "#shared/logger.ts";

type BusTargetHandler = (event: EventBridgeEvent<string, unknown>, context: Context) => Promise<unknown>;

function busEvent(detail: unknown): EventBridgeEvent<string, unknown> {
  return {
    id: "bus-event-1",
    version: "0",
    account: "000000000000",
    time: "2025-05-23T10:15:31Z",
    region: "local",
    resources: [],
    source: BUS_SOURCE,
    "detail-type": "MessageReceived",
    detail,
  };
}

const MALFORMED: [string, unknown][] = [
  [
    "an event that is not a stored event",
    { version: BUS_CONTRACT_VERSION, tenant_id: "acme", event: { id: "e1" } },
  ],
  ["another contract version", { version: 2, tenant_id: "acme", event: storedExample("MessageReceived") }],
  ["no detail at all", undefined],
];

afterEach(() => vi.restoreAllMocks());

describe("parseBusDetail", () => {
  it("returns a detail that keeps the contract", () => {
    const detail = {
      version: BUS_CONTRACT_VERSION,
      tenant_id: "acme",
      event: storedExample("MessageReceived"),
    };
    expect(parseBusDetail(busEvent(detail))).toEqual(detail);
  });

  it.each(MALFORMED)(
    "throws MalformedBusEventError for %s, with the issues, logged once",
    (_what, detail) => {
      const errors = vi.spyOn(logger, "error");
      let thrown: unknown;
      try {
        parseBusDetail(busEvent(detail));
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(MalformedBusEventError);
      const error = thrown as MalformedBusEventError;
      expect(error.eventId).toBe("bus-event-1");
      expect(error.issues.length).toBeGreaterThan(0);
      expect(error.message).toContain("bus-event-1");
      expect(errors).toHaveBeenCalledTimes(1);
      expect(errors).toHaveBeenCalledWith("bus event detail does not match the contract", {
        id: "bus-event-1",
        issues: error.issues,
      });
    },
  );
});

describe("every bus target", () => {
  /** The handler of each bus target, as the runtime loads it (a new target fails the first test). */
  const handlers: Record<string, () => Promise<{ handler: BusTargetHandler }>> = {
    "functions/state.ts": () => import("#functions/state.ts"),
    "functions/trigger-engine.ts": () => import("#functions/trigger-engine.ts"),
  };
  const targets = [...new Set(BUS_RULES.map((rule) => rule.target))].map((name) => [
    name,
    BUS_TARGET_FUNCTIONS[name].entry,
  ]);

  it("are the handlers this test loads", () => {
    expect(targets.map(([, entry]) => entry).sort()).toEqual(Object.keys(handlers).sort());
  });

  it.each(targets)("%s rejects a malformed detail with MalformedBusEventError", async (_name, entry) => {
    const load = handlers[entry as string];
    if (!load) throw new Error(`no handler loader for ${entry}`);
    const { handler } = await load();
    for (const [, detail] of MALFORMED) {
      const errors = vi.spyOn(logger, "error");
      await expect(handler(busEvent(detail), {} as Context)).rejects.toBeInstanceOf(MalformedBusEventError);
      expect(errors).toHaveBeenCalledTimes(1);
      expect(errors).toHaveBeenCalledWith(
        "bus event detail does not match the contract",
        expect.objectContaining({ id: "bus-event-1" }),
      );
      errors.mockRestore();
    }
  });
});
