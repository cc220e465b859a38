/**
 * Lambda REQUEST authorizer: resolves `Authorization: Bearer <key>` to a tenant and scopes.
 *
 * The policy allows exactly the routes whose scope the key holds (built from the route
 * table), so it stays right when API Gateway caches it per key and reuses it across routes.
 * Tenant, scopes and key id go to the authorizer context, the only place handlers read them.
 *
 * `usageIdentifierKey` is the tenant's usage key (its plan item, `PLAN#{tenant}`): API Gateway
 * meters the request against the usage plan that key is bound to (`apiKeySource: AUTHORIZER`).
 * A tenant without a plan (keys from before rate plans) gets the stage's shared `unassigned`
 * key. The context's `plan` names the tier, which the local gateway enforces.
 */

import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from "aws-lambda";
import { loadTableName, loadUnassignedUsageKey } from "#shared/config.ts";
import { ROUTES, type Route } from "#shared/http/routes.ts";
import { logger } from "#shared/logger.ts";
import { DynamoApiKeyStore } from "#shared/store/dynamo/api-keys.ts";
import { createDocumentClient } from "#shared/store/dynamo/client.ts";
import { DynamoTenantPlanStore } from "#shared/store/dynamo/tenant-plans.ts";
import { UNASSIGNED_PLAN } from "#shared/store/tenant-plans.ts";

const db = createDocumentClient();
const tableName = loadTableName();
const keys = new DynamoApiKeyStore(db, tableName);
const plans = new DynamoTenantPlanStore(db, tableName);
const unassignedUsageKey = loadUnassignedUsageKey();

/** API Gateway answers 401 (gateway response UNAUTHORIZED) when an authorizer throws exactly this. */
const UNAUTHORIZED = "Unauthorized";

function bearer(event: APIGatewayRequestAuthorizerEvent): string | undefined {
  for (const [k, v] of Object.entries(event.headers ?? {})) {
    if (k.toLowerCase() === "authorization" && v) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(v);
      return m?.[1];
    }
  }
  return undefined;
}

/** `arn:aws:execute-api:{region}:{account}:{api}/{stage}/{METHOD}/{path}` of a route, `{params}` as `*`. */
export function routeArn(methodArn: string, route: Pick<Route, "method" | "path">): string {
  const apiAndStage = methodArn.split("/").slice(0, 2).join("/");
  return `${apiAndStage}/${route.method}${route.path.replace(/\{[^}]+\}/g, "*")}`;
}

export async function handler(event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> {
  const key = bearer(event);
  if (!key) throw new Error(UNAUTHORIZED);
  const resolved = await keys.resolve(key);
  if (!resolved) {
    logger.info("unknown or revoked API key");
    throw new Error(UNAUTHORIZED);
  }
  const allowed = ROUTES.filter((r) => r.scope !== null && resolved.scopes.includes(r.scope));
  // One more read per authorizer call, not per request: the answer is cached 300 s per key.
  const plan = await plans.get(resolved.tenant);
  return {
    principalId: resolved.keyId,
    usageIdentifierKey: plan?.usageKey ?? unassignedUsageKey,
    policyDocument: {
      Version: "2012-10-17",
      Statement:
        allowed.length > 0
          ? [
              {
                Effect: "Allow",
                Action: "execute-api:Invoke",
                Resource: allowed.map((r) => routeArn(event.methodArn, r)),
              },
            ]
          : [{ Effect: "Deny", Action: "execute-api:Invoke", Resource: event.methodArn }],
    },
    context: {
      tenant: resolved.tenant,
      scopes: resolved.scopes.join(" "),
      key_id: resolved.keyId,
      plan: plan?.tier ?? UNASSIGNED_PLAN,
    },
  };
}
