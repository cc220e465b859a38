/** `POST /v1/events`: one event or a batch, idempotent by id. */
import * as z from "zod";
import { EventInputSchema, StoredEventSchema } from "../../events/schema.ts";
import {
  BatchBodySchema,
  BatchResultSchema,
  type IngestDeps,
  ingest,
  MAX_BATCH,
} from "../../usecases/ingest.ts";
import { json, jsonBodyValidatedByUseCase, ok, problem, routesOf } from "../contract.ts";
import { EVENT_INPUT_EXAMPLE, STORED_EVENT_EXAMPLE } from "../examples.ts";

const OneEvent = z.object({ event: StoredEventSchema });
const BatchResults = z.object({ results: z.array(BatchResultSchema) }).meta({ id: "BatchResults" });

export const INGEST_ROUTES = routesOf<IngestDeps>("ingest")((route) => [
  route({
    operationId: "postEvents",
    method: "POST",
    path: "/v1/events",
    tag: "Events",
    scope: "events:write",
    summary: "Store one event or a batch of up to 100",
    description:
      `One event, or { "events": [...] } with 1..${MAX_BATCH} events. Body at most 1 MB; an event at most 64 KB. ` +
      "A batch answers item by item: valid items are stored even when others are rejected. " +
      "The same id with the same body is stored once (200 with the stored event); with another body it is a 409.",
    request: {
      body: jsonBodyValidatedByUseCase(z.union([EventInputSchema, BatchBodySchema]), {
        expects: 'a JSON event or { "events": [ ... ] }',
        examples: {
          single: { summary: "One event", value: EVENT_INPUT_EXAMPLE },
          batch: { summary: "A batch", value: { events: [EVENT_INPUT_EXAMPLE] } },
        },
      }),
    },
    responses: {
      200: ok(
        "A batch: one result per input, in order. Or a single event whose id and body were already stored: the stored event",
        z.union([BatchResults, OneEvent]),
        { results: [{ index: 0, id: "msg-1", status: "created" }] },
      ),
      201: ok("Stored", OneEvent, { event: STORED_EVENT_EXAMPLE }),
      400: problem("Invalid event, or a malformed envelope (not an object, not 1 to 100 events)"),
      409: problem("The id is already stored with a different body"),
    },
    handle: async ({ body, caller }, deps) => {
      const result = await ingest(deps, caller.tenant, body);
      if (result.kind === "batch") return json(200, { results: result.results });
      return json(result.created ? 201 : 200, { event: result.event });
    },
  }),
]);
