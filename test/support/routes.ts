/**
 * The use cases as the API calls them: query parameters in HTTP syntax go through the
 * routes' own schemas and mappings, so integration tests keep speaking the API's language.
 */
import { SCOPES } from "#shared/auth/scopes.ts";
import { parseQueryParams } from "#shared/http/parse.ts";
import { ExportQuery, exportRequest } from "#shared/http/routes/export.ts";
import {
  ConversationListQuery,
  conversationListRequest,
  EventListQuery,
  eventRange,
} from "#shared/http/routes/query.ts";
import { TriggerInputSchema } from "#shared/triggers/schema.ts";
import { type ExportDeps, planExportPage as plan } from "#shared/usecases/export.ts";
import {
  type ConversationQueryDeps,
  listConversations as conversations,
  listEvents as events,
  type QueryDeps,
  getTimeline as timeline,
} from "#shared/usecases/query.ts";
import {
  createTrigger as create,
  replaceTrigger as replace,
  type TriggerDeps,
} from "#shared/usecases/triggers.ts";

type Raw = Record<string, string>;

export const getTimeline = async (deps: QueryDeps, tenant: string, conversationId: string, raw: Raw) =>
  timeline(deps, tenant, conversationId, eventRange(parseQueryParams(EventListQuery, raw)));

export async function listEvents(deps: QueryDeps, tenant: string, raw: Raw) {
  const query = parseQueryParams(EventListQuery, raw);
  if (!query.start_time) throw new Error("listEvents needs start_time");
  return events(deps, tenant, { ...eventRange(query), start: query.start_time });
}

export const listConversations = async (deps: ConversationQueryDeps, tenant: string, raw: Raw) =>
  conversations(deps, tenant, conversationListRequest(parseQueryParams(ConversationListQuery, raw)));

export const planExportPage = async (deps: ExportDeps, tenant: string, raw: Raw) =>
  plan(deps, tenant, exportRequest(parseQueryParams(ExportQuery, raw)));

/** Every scope: these tests are about what triggers do, not who may create them. */
const ALL_SCOPES = [...SCOPES];

export const createTrigger = async (deps: TriggerDeps, tenant: string, body: unknown) =>
  create(deps, tenant, TriggerInputSchema.parse(body), ALL_SCOPES);

export const replaceTrigger = async (deps: TriggerDeps, tenant: string, id: string, body: unknown) =>
  replace(deps, tenant, id, TriggerInputSchema.parse(body), ALL_SCOPES);
