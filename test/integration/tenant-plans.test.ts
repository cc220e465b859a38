/**
 * Tenant rate plans against DynamoDB Local: the table record and the local usage-plan adapter
 * (what `npm start` and `npm run keys` use locally), and what both authorizers answer as
 * `usageIdentifierKey` (API Gateway meters by it) and as the context's `plan` (the local
 * gateway enforces it).
 */
import { randomBytes } from "node:crypto";
import type { APIGatewayRequestAuthorizerEvent } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { handler as keyAuthorizer } from "#functions/authorizer.ts";
import { handler as webhookAuthorizer } from "#functions/webhook-authorizer.ts";
import { changeTenantPlan, ensureTenantPlan, LocalUsagePlans } from "#infra/usage-plans.ts";
import { DynamoApiKeyStore } from "#shared/store/dynamo/api-keys.ts";
import { DynamoChannelIntegrationStore } from "#shared/store/dynamo/channel-integrations.ts";
import { createDocumentClient } from "#shared/store/dynamo/client.ts";
import { DynamoTenantPlanStore } from "#shared/store/dynamo/tenant-plans.ts";
import { uniqueTenant } from "../support/factories.ts";

const db = createDocumentClient();
const tableName = process.env.TABLE_NAME as string;
const plans = new DynamoTenantPlanStore(db, tableName);
const keys = new DynamoApiKeyStore(db, tableName);
const channels = new DynamoChannelIntegrationStore(db, tableName);
const deps = { plans, usagePlans: new LocalUsagePlans() };
const UNASSIGNED = process.env.UNASSIGNED_USAGE_KEY;

const API = "arn:aws:execute-api:local:000000000000:local/local";

function event(method: string, path: string, extra: Partial<APIGatewayRequestAuthorizerEvent> = {}) {
  return {
    type: "REQUEST",
    methodArn: `${API}/${method}${path}`,
    resource: path,
    path,
    httpMethod: method,
    headers: {},
    multiValueHeaders: {},
    pathParameters: null,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    requestContext: {},
    ...extra,
  } as APIGatewayRequestAuthorizerEvent;
}

async function newChannel(tenant: string): Promise<string> {
  const id = `ch_${randomBytes(32).toString("base64url")}`;
  await channels.create({
    id,
    type: "whatsapp",
    created_at: new Date().toISOString(),
    tenant,
    credentials: { type: "whatsapp", app_secret: "test_app_secret", verify_token_sha256: "0".repeat(64) },
  });
  return id;
}

describe("tenant plans in the table (local adapter)", () => {
  it("records a tenant's first plan once, and moves it between tiers", async () => {
    // Prepare
    const tenant = uniqueTenant("plan");
    // Act
    const first = await ensureTenantPlan(deps, tenant);
    const again = await ensureTenantPlan(deps, tenant);
    const moved = await changeTenantPlan(deps, tenant, "large");
    const stored = await plans.get(tenant);
    // Assert
    expect(first.created).toBe(true);
    expect(again).toEqual({ plan: first.plan, created: false });
    expect(moved.from).toBe("standard");
    expect(stored).toEqual({ ...first.plan, tier: "large", updatedAt: expect.any(String) });
  });

  it("refuses a second first plan and a tier change of a tenant with no plan", async () => {
    const tenant = uniqueTenant("plan");
    const plan = {
      tenant,
      tier: "standard",
      usageKey: "clu_x".padEnd(24, "x"),
      usageKeyId: "local",
      updatedAt: "t",
    };
    expect(await plans.setTier(tenant, "large", "t")).toBe(false);
    expect(await plans.create(plan)).toBe(true);
    expect(await plans.create({ ...plan, usageKey: "clu_y".padEnd(24, "y") })).toBe(false);
    expect((await plans.get(tenant))?.usageKey).toBe(plan.usageKey);
  });
});

describe("the key authorizer's usage key", () => {
  it("answers the tenant's usage key and tier, the same for every key of the tenant", async () => {
    // Prepare
    const tenant = uniqueTenant("auth");
    const one = await keys.create({ tenant, scopes: ["events:read"] });
    const two = await keys.create({ tenant, scopes: ["admin"] });
    const { plan } = await ensureTenantPlan(deps, tenant);
    // Act
    const answers = await Promise.all(
      [one.key, two.key].map((key) =>
        keyAuthorizer(event("GET", "/v1/events", { headers: { Authorization: `Bearer ${key}` } })),
      ),
    );
    // Assert
    for (const answer of answers) {
      expect(answer.usageIdentifierKey).toBe(plan.usageKey);
      expect(answer.context).toMatchObject({ tenant, plan: "standard" });
    }
  });

  it("answers the stage's shared unassigned key for a tenant whose keys predate rate plans", async () => {
    const tenant = uniqueTenant("legacy");
    const { key } = await keys.create({ tenant, scopes: ["events:read"] });
    const answer = await keyAuthorizer(
      event("GET", "/v1/events", { headers: { Authorization: `Bearer ${key}` } }),
    );
    expect(UNASSIGNED).toBeTruthy();
    expect(answer.usageIdentifierKey).toBe(UNASSIGNED);
    expect(answer.context).toMatchObject({ tenant, plan: "unassigned" });
  });
});

describe("the webhook authorizer", () => {
  const path = "/v1/channels/whatsapp/{webhook_id}";

  it("meters a webhook on the usage key of the channel's tenant, allowing exactly that method", async () => {
    // Prepare
    const tenant = uniqueTenant("hook");
    const { plan } = await ensureTenantPlan(deps, tenant);
    const id = await newChannel(tenant);
    const request = event("POST", `/v1/channels/whatsapp/${id}`, {
      resource: path,
      pathParameters: { webhook_id: id },
    });
    // Act
    const answer = await webhookAuthorizer(request);
    // Assert
    expect(answer.usageIdentifierKey).toBe(plan.usageKey);
    expect(answer.context).toEqual({ tenant, channel_id: id, plan: "standard" });
    expect(answer.policyDocument.Statement).toEqual([
      { Effect: "Allow", Action: "execute-api:Invoke", Resource: request.methodArn },
    ]);
  });

  it("lets an unknown or malformed channel id through on the shared key, so the handler answers its 404", async () => {
    for (const id of [`ch_${"a".repeat(43)}`, "not-a-channel", "ch_".padEnd(200, "x")]) {
      const request = event("GET", `/v1/channels/whatsapp/${id}`, {
        resource: path,
        pathParameters: { webhook_id: id },
      });
      const answer = await webhookAuthorizer(request);
      expect(answer.usageIdentifierKey, id).toBe(UNASSIGNED);
      expect(answer.context, id).toEqual({ plan: "unassigned" });
      expect(answer.policyDocument.Statement[0]).toMatchObject({ Effect: "Allow" });
    }
  });

  it("meters a channel of a tenant without a plan on the shared key", async () => {
    const tenant = uniqueTenant("hooklegacy");
    const id = await newChannel(tenant);
    const answer = await webhookAuthorizer(
      event("POST", `/v1/channels/whatsapp/${id}`, { resource: path, pathParameters: { webhook_id: id } }),
    );
    expect(answer.usageIdentifierKey).toBe(UNASSIGNED);
    expect(answer.context).toMatchObject({ tenant, plan: "unassigned" });
  });
});
