/** `/v1/triggers`: tenant automations. */
import * as z from "zod";
import { CreatedTriggerSchema, TriggerInputSchema, TriggerSchema } from "../../triggers/schema.ts";
import {
  createTrigger,
  DEFAULT_TRIGGER_PAGE,
  deleteTrigger,
  getTrigger,
  listTriggers,
  MAX_TRIGGER_PAGE,
  replaceTrigger,
  TRIGGER_ID_PATTERN,
  type TriggerDeps,
} from "../../usecases/triggers.ts";
import { empty, json, jsonBody, noContent, ok, problem, routesOf } from "../contract.ts";
import { TRIGGER_EXAMPLE, TRIGGER_INPUT_EXAMPLE } from "../examples.ts";
import { issuedId, pageSize } from "../params.ts";

const TriggerId = issuedId(TRIGGER_ID_PATTERN, "trigger", TRIGGER_EXAMPLE.id);
const triggerPath = z.object({ trigger_id: TriggerId });

export const TriggerListQuery = z.strictObject({
  "page[size]": pageSize(MAX_TRIGGER_PAGE, DEFAULT_TRIGGER_PAGE),
  "page[after]": z
    .string()
    .regex(TRIGGER_ID_PATTERN, "must be a trigger id (meta.after_cursor of the previous page)")
    .optional()
    .meta({ description: "Continue after this trigger: meta.after_cursor of the previous page" }),
});

const triggerBody = jsonBody(TriggerInputSchema, {
  expects: "a JSON trigger { name, enabled, when, actions }",
  examples: {
    spam: { summary: "Close conversations tagged spam, and notify", value: TRIGGER_INPUT_EXAMPLE },
  },
});
const invalid = problem("Invalid trigger: each field error names its path, e.g. when.data.tags");
const missing = problem("No such trigger in the caller's tenant");
const one = (description: string) =>
  ok(description, z.object({ trigger: TriggerSchema }), { trigger: TRIGGER_EXAMPLE });

export const TRIGGER_ROUTES = routesOf<TriggerDeps>("triggers")((route) => [
  route({
    operationId: "createTrigger",
    method: "POST",
    path: "/v1/triggers",
    tag: "Triggers",
    scope: "automations:write",
    summary: "Create a trigger",
    description:
      "`when` is an EventBridge event pattern matched against the event itself. The trigger applies to " +
      "every event stored after this call returned. `webhook_secret` (Standard Webhooks) is shown only here.",
    request: { body: triggerBody },
    responses: {
      201: ok("Created", z.object({ trigger: CreatedTriggerSchema }), {
        trigger: { ...TRIGGER_EXAMPLE, webhook_secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw0QMHZqgDaBE=" },
      }),
      400: invalid,
    },
    handle: async ({ body, caller }, deps) =>
      json(201, { trigger: await createTrigger(deps, caller.tenant, body) }),
  }),
  route({
    operationId: "listTriggers",
    method: "GET",
    path: "/v1/triggers",
    tag: "Triggers",
    scope: "automations:write",
    summary: "The tenant's triggers",
    description: `In creation order; page[size] 1..${MAX_TRIGGER_PAGE}, default ${DEFAULT_TRIGGER_PAGE}; page[after] = meta.after_cursor.`,
    request: { query: TriggerListQuery },
    responses: {
      200: ok(
        "A page of triggers",
        z.object({
          triggers: z.array(TriggerSchema),
          meta: z.object({ has_more: z.boolean(), after_cursor: z.string().nullable() }),
        }),
        { triggers: [TRIGGER_EXAMPLE], meta: { has_more: false, after_cursor: TRIGGER_EXAMPLE.id } },
      ),
      400: problem("Invalid parameter"),
    },
    handle: async ({ query, caller }, deps) => {
      const after = query["page[after]"];
      return json(
        200,
        await listTriggers(deps, caller.tenant, { limit: query["page[size]"], ...(after ? { after } : {}) }),
      );
    },
  }),
  route({
    operationId: "getTrigger",
    method: "GET",
    path: "/v1/triggers/{trigger_id}",
    tag: "Triggers",
    scope: "automations:write",
    summary: "One trigger",
    request: { path: triggerPath },
    responses: { 200: one("The trigger"), 404: missing },
    handle: async ({ path, caller }, deps) =>
      json(200, { trigger: await getTrigger(deps, caller.tenant, path.trigger_id) }),
  }),
  route({
    operationId: "replaceTrigger",
    method: "PUT",
    path: "/v1/triggers/{trigger_id}",
    tag: "Triggers",
    scope: "automations:write",
    summary: "Replace a trigger",
    description: "Replaces the definition; id, created_at and the signing secret stay.",
    request: { path: triggerPath, body: triggerBody },
    responses: { 200: one("The replaced trigger"), 400: invalid, 404: missing },
    handle: async ({ path, body, caller }, deps) =>
      json(200, { trigger: await replaceTrigger(deps, caller.tenant, path.trigger_id, body) }),
  }),
  route({
    operationId: "deleteTrigger",
    method: "DELETE",
    path: "/v1/triggers/{trigger_id}",
    tag: "Triggers",
    scope: "automations:write",
    summary: "Delete a trigger",
    request: { path: triggerPath },
    responses: { 204: noContent("Deleted"), 404: missing },
    handle: async ({ path, caller }, deps) => {
      await deleteTrigger(deps, caller.tenant, path.trigger_id);
      return empty();
    },
  }),
]);
