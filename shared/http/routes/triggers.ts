/** `/v1/triggers`: tenant automations. */
import * as z from "zod";
import { DEFAULT_AUTOMATION_LIMITS } from "../../config.ts";
import {
  CreatedTriggerSchema,
  TriggerInputSchema,
  TriggerRunSchema,
  TriggerSchema,
} from "../../triggers/schema.ts";
import {
  createTrigger,
  DEFAULT_RUN_PAGE,
  DEFAULT_TRIGGER_PAGE,
  deleteTrigger,
  getTrigger,
  listTriggerRuns,
  listTriggers,
  MAX_RUN_PAGE,
  MAX_TRIGGER_PAGE,
  replaceTrigger,
  TRIGGER_ID_PATTERN,
  type TriggerDeps,
} from "../../usecases/triggers.ts";
import { empty, json, jsonBody, noContent, ok, problem, routesOf } from "../contract.ts";
import { TRIGGER_EXAMPLE, TRIGGER_INPUT_EXAMPLE, TRIGGER_RUN_EXAMPLE } from "../examples.ts";
import { cursor, issuedId, pageSize } from "../params.ts";

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

const TriggerRunsQuery = z.strictObject({
  "page[size]": pageSize(MAX_RUN_PAGE, DEFAULT_RUN_PAGE),
  "page[after]": cursor("page[after]", "Continue: meta.after_cursor of the previous page"),
});

const triggerBody = jsonBody(TriggerInputSchema, {
  expects: "a JSON trigger { name, enabled, when, actions }",
  examples: {
    spam: { summary: "Close conversations tagged spam, and notify", value: TRIGGER_INPUT_EXAMPLE },
  },
});
const invalid = problem("Invalid trigger: each field error names its path, e.g. when.data.tags");
const missing = problem("No such trigger in the caller's tenant");
const forbidden = problem(
  "The key lacks automations:write, or a scope the trigger's actions need: events:write to tag, close or reopen, events:read for a webhook",
);
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
      403: forbidden,
      422: problem(
        `The tenant already has the most triggers it may have (${DEFAULT_AUTOMATION_LIMITS.triggersPerTenant} by default)`,
      ),
    },
    handle: async ({ body, caller }, deps) =>
      json(201, { trigger: await createTrigger(deps, caller.tenant, body, caller.scopes) }),
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
    responses: { 200: one("The replaced trigger"), 400: invalid, 403: forbidden, 404: missing },
    handle: async ({ path, body, caller }, deps) =>
      json(200, { trigger: await replaceTrigger(deps, caller.tenant, path.trigger_id, body, caller.scopes) }),
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
  route({
    operationId: "listTriggerRuns",
    method: "GET",
    path: "/v1/triggers/{trigger_id}/runs",
    tag: "Triggers",
    scope: "automations:write",
    summary: "What the trigger did, newest first",
    description: `One run per event the trigger matched, kept 30 days: each action done, skipped (budget, loop_guard) or failed (with the reason or the webhook's HTTP status). page[size] 1..${MAX_RUN_PAGE}, default ${DEFAULT_RUN_PAGE}.`,
    request: { path: triggerPath, query: TriggerRunsQuery },
    responses: {
      200: ok(
        "A page of runs",
        z.object({
          runs: z.array(TriggerRunSchema),
          meta: z.object({ has_more: z.boolean(), after_cursor: z.string().nullable() }),
        }),
        { runs: [TRIGGER_RUN_EXAMPLE], meta: { has_more: false, after_cursor: null } },
      ),
      400: problem("Invalid parameter or cursor"),
      404: missing,
    },
    handle: async ({ path, query, caller }, deps) =>
      json(
        200,
        await listTriggerRuns(deps, caller.tenant, path.trigger_id, {
          limit: query["page[size]"],
          ...(query["page[after]"] ? { after: query["page[after]"] } : {}),
        }),
      ),
  }),
]);
