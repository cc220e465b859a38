/**
 * Lambda REQUEST authorizer of the channel webhook routes (`meteredBy: "channel"` in the route
 * table). It authenticates nothing: the handler verifies the provider's signature or secret.
 * It names the tenant whose rate plan the request counts against: the owner of the channel
 * the URL's `webhook_id` names (`CH#{id}`), with that tenant's usage key (`PLAN#{tenant}`) as
 * `usageIdentifierKey`.
 *
 * The answer always allows the one method asked for. A webhook of an unknown channel (or a
 * tenant without a plan) is metered on the stage's shared `unassigned` key, so the handler
 * still answers it with today's 404. API Gateway cannot cache this authorizer on a path
 * parameter, so it runs on every webhook request: two GetItems.
 */
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from "aws-lambda";
import { loadTableName, loadUnassignedUsageKey } from "#shared/config.ts";
import { DynamoChannelIntegrationStore } from "#shared/store/dynamo/channel-integrations.ts";
import { createDocumentClient } from "#shared/store/dynamo/client.ts";
import { DynamoTenantPlanStore } from "#shared/store/dynamo/tenant-plans.ts";
import { UNASSIGNED_PLAN } from "#shared/store/tenant-plans.ts";

const db = createDocumentClient();
const tableName = loadTableName();
const channels = new DynamoChannelIntegrationStore(db, tableName);
const plans = new DynamoTenantPlanStore(db, tableName);
const unassignedUsageKey = loadUnassignedUsageKey();

/** Shaped like an id the API issues (`ch_…`): anything else names no channel and is never looked up. */
const PLAUSIBLE_CHANNEL_ID = /^ch_[A-Za-z0-9_-]{1,64}$/;

export async function handler(event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> {
  const id = event.pathParameters?.webhook_id ?? "";
  const channel = PLAUSIBLE_CHANNEL_ID.test(id) ? await channels.resolve(id) : undefined;
  const plan = channel ? await plans.get(channel.tenant) : undefined;
  return {
    principalId: channel ? `channel:${channel.id}` : "channel:unknown",
    usageIdentifierKey: plan?.usageKey ?? unassignedUsageKey,
    policyDocument: {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "execute-api:Invoke", Resource: event.methodArn }],
    },
    context: channel
      ? { tenant: channel.tenant, channel_id: channel.id, plan: plan?.tier ?? UNASSIGNED_PLAN }
      : { plan: UNASSIGNED_PLAN },
  };
}
