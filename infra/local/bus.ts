/**
 * The local stand-in for the EventBridge bus.
 *
 * - It answers the EventBridge `PutEvents` API over HTTP (AWS JSON 1.1), so the exact publish
 *   handler, with its real SDK client pointed here by `AWS_ENDPOINT_URL_EVENTBRIDGE`, publishes
 *   to it unchanged.
 * - Each accepted entry becomes an EventBridge event; every rule of the shared rule table
 *   (`shared/bus/rules.ts`) whose pattern matches, by the same EventBridge-compatible matcher,
 *   delivers it to its target handler, asynchronously, with retries and backoff like an
 *   EventBridge target's retry policy. Deliveries that exhaust their retries go to a local
 *   dead-letter list, never silently away.
 * - Tests can make `PutEvents` fail for a while (`failPutEvents`) to prove that nothing is lost.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Context, EventBridgeEvent } from "aws-lambda";
import { compilePattern } from "#shared/bus/event-pattern.ts";
import type { BusRule } from "#shared/bus/rules.ts";
import { logger } from "#shared/logger.ts";
import { exponentialBackoff, retry, retryWith, succeed } from "#shared/retry.ts";

export type BusTargetHandler = (
  event: EventBridgeEvent<string, unknown>,
  context: Context,
) => Promise<unknown>;

export interface LocalBusOptions {
  rules: readonly BusRule[];
  targets: Record<string, BusTargetHandler>;
  context: (target: string) => Context;
  /** Attempts per delivery before it goes to the dead-letter list (EventBridge default is 185). */
  maxAttempts?: number;
  /** Backoff base in ms. */
  backoffMs?: number;
  /** Deliveries in flight per target, like a Lambda target's concurrency. */
  concurrency?: number;
}

interface PutEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  EventBusName?: string;
  Time?: number | string;
  Resources?: string[];
}

export interface DeadLetter {
  rule: string;
  event: EventBridgeEvent<string, unknown>;
  error: string;
}

export class LocalBus {
  /** Every event the bus accepted, in order. */
  readonly accepted: EventBridgeEvent<string, unknown>[] = [];
  readonly deadLetters: DeadLetter[] = [];
  #server: Server | undefined;
  #failing: ((entry: PutEntry) => boolean) | undefined;
  #inFlight = new Set<Promise<void>>();
  /** Deliveries waiting for a free slot of their target, in arrival order. */
  readonly #queue: { rule: BusRule; event: EventBridgeEvent<string, unknown> }[] = [];
  readonly #active = new Map<string, number>();
  #paused = false;
  #failingTargets: ((target: string) => boolean) | undefined;
  readonly #rules: { rule: BusRule; matches: (event: unknown) => boolean }[];

  constructor(private readonly options: LocalBusOptions) {
    this.#rules = options.rules.map((rule) => {
      const compiled = compilePattern(rule.pattern);
      return { rule, matches: (event: unknown) => compiled.matches(event) };
    });
    for (const { rule } of this.#rules) {
      if (!options.targets[rule.target])
        throw new Error(`bus rule ${rule.name}: no target handler ${rule.target}`);
    }
  }

  /** Starts the PutEvents endpoint on a free loopback port; returns its URL. */
  async start(): Promise<string> {
    const server = createServer((req, res) => {
      this.#handle(req, res).catch((error: unknown) => {
        res.writeHead(500, { "content-type": "application/x-amz-json-1.1" });
        res.end(JSON.stringify({ __type: "InternalException", message: String(error) }));
      });
    });
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", () => ok()));
    this.#server = server;
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** Makes PutEvents fail every entry the predicate selects (or all), until cleared with undefined. */
  failPutEvents(predicate: ((entry: PutEntry) => boolean) | true | undefined): void {
    this.#failing = predicate === true ? () => true : predicate;
  }

  /** Makes deliveries to the selected targets fail (as if the function threw) until cleared with undefined. */
  failDeliveries(predicate: ((target: string) => boolean) | undefined): void {
    this.#failingTargets = predicate;
  }

  /** Holds deliveries to targets (events are still accepted and queued), e.g. to time the publisher alone. */
  pauseDeliveries(): void {
    this.#paused = true;
  }

  resumeDeliveries(): void {
    this.#paused = false;
    this.#pump();
  }

  /** Resolves when every accepted event has been delivered or dead-lettered. */
  async idle(): Promise<void> {
    while (this.#inFlight.size > 0 || (this.#queue.length > 0 && !this.#paused)) {
      await Promise.allSettled([...this.#inFlight]);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  async stop(): Promise<void> {
    await this.idle();
    const server = this.#server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((ok) => server.close(() => ok()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const target = String(req.headers["x-amz-target"] ?? "");
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/x-amz-json-1.1" });
      res.end(JSON.stringify(body));
    };
    if (target !== "AWSEvents.PutEvents") {
      return reply(400, { __type: "UnknownOperationException", message: `${target} is not emulated` });
    }
    const { Entries = [] } = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { Entries?: PutEntry[] };
    const results = Entries.map((entry) => {
      if (this.#failing?.(entry)) return { ErrorCode: "InternalFailure", ErrorMessage: "injected failure" };
      const event = this.#toEvent(entry);
      this.accepted.push(event);
      this.#route(event);
      return { EventId: event.id };
    });
    reply(200, { FailedEntryCount: results.filter((r) => "ErrorCode" in r).length, Entries: results });
  }

  #toEvent(entry: PutEntry): EventBridgeEvent<string, unknown> {
    const time =
      typeof entry.Time === "number" ? new Date(entry.Time * 1000) : new Date(entry.Time ?? Date.now());
    return {
      version: "0",
      id: randomUUID(),
      "detail-type": entry.DetailType ?? "",
      source: entry.Source ?? "",
      account: "000000000000",
      time: time.toISOString().replace(/\.\d{3}Z$/, "Z"),
      region: "local",
      resources: entry.Resources ?? [],
      detail: JSON.parse(entry.Detail ?? "{}") as unknown,
    };
  }

  #route(event: EventBridgeEvent<string, unknown>): void {
    for (const { rule, matches } of this.#rules) {
      if (matches(event)) this.#queue.push({ rule, event });
    }
    this.#pump();
  }

  /** Starts queued deliveries while their target has a free slot. */
  #pump(): void {
    if (this.#paused) return;
    const limit = this.options.concurrency ?? 4;
    for (let i = 0; i < this.#queue.length; ) {
      const item = this.#queue[i] as { rule: BusRule; event: EventBridgeEvent<string, unknown> };
      const active = this.#active.get(item.rule.target) ?? 0;
      if (active >= limit) {
        i++;
        continue;
      }
      this.#queue.splice(i, 1);
      this.#active.set(item.rule.target, active + 1);
      const delivery = this.#deliver(item.rule, item.event).finally(() => {
        this.#inFlight.delete(delivery);
        this.#active.set(item.rule.target, (this.#active.get(item.rule.target) ?? 1) - 1);
        this.#pump();
      });
      this.#inFlight.add(delivery);
    }
  }

  async #deliver(rule: BusRule, event: EventBridgeEvent<string, unknown>): Promise<void> {
    const handler = this.options.targets[rule.target] as BusTargetHandler;
    const result = await retry(
      async () => {
        try {
          if (this.#failingTargets?.(rule.target))
            throw new Error(`injected failure of target ${rule.target}`);
          await handler(event, this.options.context(rule.target));
          return succeed(undefined);
        } catch (error) {
          // Whatever the handler threw, like an EventBridge target: retried, then dead-lettered.
          return retryWith(error);
        }
      },
      {
        attempts: Math.max(1, this.options.maxAttempts ?? 8),
        // After failed attempt n: backoffMs·2^(n-1), no jitter.
        delayMs: exponentialBackoff({ baseMs: this.options.backoffMs ?? 100, jitter: "none" }),
      },
    );
    if (result.ok) return;
    this.deadLetters.push({ rule: rule.name, event, error: String(result.failure) });
    logger.error("bus delivery failed; dead-lettered", {
      rule: rule.name,
      eventId: event.id,
      error: String(result.failure),
    });
  }
}
