/**
 * `npm run keys -- create|list|revoke|plan`: manage API keys with the same store the runtime
 * uses (`DynamoApiKeyStore`, the adapter of the `ApiKeyStore` port in shared/store/api-keys.ts),
 * and tenants' rate plans. A key is printed once; only its SHA-256 hash is stored.
 *
 *   npm run keys -- create --tenant acme --scopes events:read,events:write [--name "BI export"]
 *   npm run keys -- list   --tenant acme
 *   npm run keys -- revoke --tenant acme --key-id key_01J…
 *   npm run keys -- plan   --tenant acme [--plan large]
 *
 * Target: the local stack started by `npm start` (found through .data/local.json), or a
 * deployed table with `--table conversation-log-prod` (AWS credentials and region from the
 * usual AWS SDK configuration, e.g. AWS_PROFILE and AWS_REGION). `--endpoint` overrides the
 * DynamoDB endpoint.
 *
 * Rate plans (infra/usage-plans.ts): creating a tenant's first key also gives the tenant a plan
 * (`standard`): against a deployed stage, an API Gateway API key bound to the stage's
 * `conversation-log-{stage}-standard` usage plan; locally (and with `--endpoint`), only the
 * table record the local gateway enforces. `plan` shows a tenant's plan, or with `--plan`
 * moves the tenant to another tier. The stage is the table's suffix (`conversation-log-dev`:
 * dev) unless `--stage` says otherwise.
 */
import { existsSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { SCOPES } from "#shared/auth/scopes.ts";
import { AppError } from "#shared/errors.ts";
import { DynamoApiKeyStore } from "#shared/store/dynamo/api-keys.ts";
import { createDocumentClient } from "#shared/store/dynamo/client.ts";
import { TABLE } from "#shared/store/dynamo/table.ts";
import { DynamoTenantPlanStore } from "#shared/store/dynamo/tenant-plans.ts";
import type { TenantPlan } from "#shared/store/tenant-plans.ts";
import { TENANT_PATTERN } from "#shared/tenant.ts";
import { LOCAL_STATE_FILE } from "./local/stack.ts";
import { describePlan, isRatePlanTier, LOCAL_STAGE, RATE_PLAN_TIERS, ratePlansFor } from "./rate-plans.ts";
import {
  changeTenantPlan,
  ensureTenantPlan,
  LocalUsagePlans,
  parseTier,
  type TenantPlanDeps,
  type UsagePlans,
} from "./usage-plans.ts";

const USAGE = `usage:
  npm run keys -- create --tenant <tenant> --scopes <scope,scope> [--name <label>] [target]
  npm run keys -- list   --tenant <tenant> [target]
  npm run keys -- revoke --tenant <tenant> --key-id <key id> [target]
  npm run keys -- plan   --tenant <tenant> [--plan <tier>] [target]
target: (none) the local stack of npm start | --table <name> [--region <region>] [--stage <stage>] | --endpoint <url> --table <name>
scopes: ${SCOPES.join(", ")}
plans: ${RATE_PLAN_TIERS.join(", ")} (new tenants: standard)`;

class UsageError extends Error {}

function target(values: { table?: string; endpoint?: string; region?: string }): {
  tableName: string;
  endpoint?: string | undefined;
  region?: string | undefined;
  /** A local DynamoDB (npm start, or --endpoint): no API Gateway behind it. */
  local: boolean;
  /** The stack of npm start (.data/local.json). */
  npmStart?: true;
} {
  if (values.table) {
    return {
      tableName: values.table,
      endpoint: values.endpoint,
      region: values.region,
      local: values.endpoint !== undefined,
    };
  }
  if (values.endpoint) throw new UsageError("--endpoint needs --table");
  if (!existsSync(LOCAL_STATE_FILE)) {
    throw new UsageError(
      "no local stack is running (start it with npm start), or pass --table <name> for a deployed table",
    );
  }
  const state = JSON.parse(readFileSync(LOCAL_STATE_FILE, "utf8")) as {
    dynamodbEndpoint: string;
    tableName: string;
  };
  return {
    tableName: state.tableName,
    endpoint: state.dynamodbEndpoint,
    region: values.region ?? "local",
    local: true,
    npmStart: true,
  };
}

/** The deployed stage of a table: `conversation-log-{stage}`, unless `--stage` says. */
function stageOf(tableName: string, stage: string | undefined): string {
  if (stage) return stage;
  const prefix = `${TABLE.baseName}-`;
  if (tableName.startsWith(prefix) && tableName.length > prefix.length) return tableName.slice(prefix.length);
  throw new UsageError(`cannot tell the stage from the table name ${tableName}; pass --stage <stage>`);
}

async function usagePlansFor(
  t: { tableName: string; region?: string | undefined; local: boolean },
  stageOption: string | undefined,
): Promise<{ stage: string; usagePlans: UsagePlans }> {
  // The local stage's plans serve every target that is not a deployed stage.
  if (t.local) return { stage: stageOption ?? LOCAL_STAGE, usagePlans: new LocalUsagePlans() };
  const stage = stageOf(t.tableName, stageOption);
  // Loaded only against a deployed stage: local use never pulls in the API Gateway client.
  const { APIGatewayClient } = await import("@aws-sdk/client-api-gateway");
  const { ApiGatewayUsagePlans } = await import("./usage-plans-aws.ts");
  const client = new APIGatewayClient(t.region ? { region: t.region } : {});
  return { stage, usagePlans: new ApiGatewayUsagePlans(client, stage) };
}

function planLine(plan: TenantPlan, stage: string): string {
  const numbers = isRatePlanTier(plan.tier) ? ` (${describePlan(ratePlansFor(stage)[plan.tier])})` : "";
  return `${plan.tier}${numbers}`;
}

async function main(argv: string[]): Promise<void> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      tenant: { type: "string" },
      scopes: { type: "string" },
      name: { type: "string" },
      "key-id": { type: "string" },
      table: { type: "string" },
      endpoint: { type: "string" },
      region: { type: "string" },
      stage: { type: "string" },
      plan: { type: "string" },
      json: { type: "boolean" },
    },
  });
  const [command] = positionals;
  if (!command || !["create", "list", "revoke", "plan"].includes(command) || positionals.length > 1)
    throw new UsageError(USAGE);
  if (!values.tenant) throw new UsageError(`--tenant is required\n${USAGE}`);
  if (values.plan !== undefined && command !== "plan")
    throw new UsageError(`--plan goes with plan\n${USAGE}`);
  const t = target(values);
  if (t.npmStart) {
    process.env.AWS_ACCESS_KEY_ID ??= "local";
    process.env.AWS_SECRET_ACCESS_KEY ??= "local";
  }
  const db = createDocumentClient({
    ...(t.endpoint ? { endpoint: t.endpoint } : {}),
    ...(t.region ? { region: t.region } : {}),
  });
  const keys = new DynamoApiKeyStore(db, t.tableName);
  const tenantPlans = new DynamoTenantPlanStore(db, t.tableName);
  const planDeps = async (): Promise<TenantPlanDeps & { stage: string }> => {
    const { stage, usagePlans } = await usagePlansFor(t, values.stage);
    return { stage, plans: tenantPlans, usagePlans };
  };

  if (command === "create") {
    if (!values.scopes) throw new UsageError(`--scopes is required\n${USAGE}`);
    // The key first: it validates the tenant and scopes before anything is made on the gateway.
    const { key, record } = await keys.create({
      tenant: values.tenant,
      scopes: values.scopes.split(",").map((s) => s.trim()),
      ...(values.name ? { name: values.name } : {}),
    });
    const deps = await planDeps();
    const { plan, created } = await ensureTenantPlan(deps, record.tenant);
    if (values.json) console.log(JSON.stringify({ key, ...record, plan: plan.tier }));
    else {
      console.log(`API key (shown once, store it now): ${key}`);
      console.log(`key id: ${record.key_id}  tenant: ${record.tenant}  scopes: ${record.scopes.join(",")}`);
      console.log(
        `rate plan: ${planLine(plan, deps.stage)}${created ? " (new: the tenant's first plan)" : ""}`,
      );
    }
  } else if (command === "plan") {
    if (!TENANT_PATTERN.test(values.tenant)) throw new UsageError(`tenant must match ${TENANT_PATTERN}`);
    const deps = await planDeps();
    if (values.plan === undefined) {
      const plan = await tenantPlans.get(values.tenant);
      if (values.json) console.log(JSON.stringify({ tenant: values.tenant, plan: plan?.tier ?? null }));
      else if (!plan) {
        console.log(
          `tenant ${values.tenant} has no plan: its keys share the stage's unassigned plan; give it one with --plan ${RATE_PLAN_TIERS[0]}`,
        );
      } else console.log(`tenant ${values.tenant}: ${planLine(plan, deps.stage)}`);
    } else {
      const tier = parseTier(values.plan);
      const { from, plan } = await changeTenantPlan(deps, values.tenant, tier);
      if (values.json) console.log(JSON.stringify({ tenant: values.tenant, from, plan: plan.tier }));
      else if (from === null) console.log(`tenant ${values.tenant}: new plan ${planLine(plan, deps.stage)}`);
      else if (from === plan.tier)
        console.log(`tenant ${values.tenant}: already on ${planLine(plan, deps.stage)}`);
      else {
        console.log(
          `tenant ${values.tenant}: ${from} → ${planLine(plan, deps.stage)}; in effect at once on AWS, locally within the authorizer cache TTL (5 minutes)`,
        );
      }
    }
  } else if (command === "list") {
    const records = await keys.list(values.tenant);
    if (values.json) console.log(JSON.stringify(records));
    else if (records.length === 0) console.log(`no keys for tenant ${values.tenant}`);
    else {
      for (const r of records) {
        console.log(
          `${r.key_id}  …${r.hint}  ${r.revoked ? "REVOKED" : "active "}  ${r.created_at}  ${r.scopes.join(",")}${r.name ? `  (${r.name})` : ""}`,
        );
      }
    }
  } else {
    const keyId = values["key-id"];
    if (!keyId) throw new UsageError(`--key-id is required\n${USAGE}`);
    if (!(await keys.revoke(values.tenant, keyId))) {
      throw new UsageError(`tenant ${values.tenant} has no key ${keyId}`);
    }
    console.log(
      `revoked ${keyId}; the deployed API stops accepting it within the authorizer cache TTL (5 minutes)`,
    );
  }
  db.destroy();
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const message = error instanceof UsageError || error instanceof AppError ? error.message : String(error);
  console.error(message);
  process.exit(error instanceof UsageError || error instanceof AppError ? 2 : 1);
});
