/**
 * Creates the table from the shared definition and seeds API keys: used by `npm start`,
 * the test global setup and the benchmark alike.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  type DescribeTableCommandOutput,
  type DynamoDBClient,
  ResourceInUseException,
  UpdateTableCommand,
  waitUntilTableExists,
} from "@aws-sdk/client-dynamodb";
import * as z from "zod";
import { generateKey } from "#shared/auth/api-keys.ts";
import { SCOPES } from "#shared/auth/scopes.ts";
import type { ApiKeyStore } from "#shared/store/api-keys.ts";
import { createTableInput } from "#shared/store/dynamo/table.ts";
import type { RatePlan } from "../rate-plans.ts";
import { ensureTenantPlan, type TenantPlanDeps } from "../usage-plans.ts";

/**
 * Creates the table, or brings an existing one (persisted under .data/ by an older version)
 * up to the shared definition by adding the indexes it lacks, as a deployment would.
 */
export async function ensureTable(
  client: DynamoDBClient,
  tableName: string,
): Promise<"created" | "exists" | "updated"> {
  let existing: DescribeTableCommandOutput | undefined;
  try {
    existing = await client.send(new DescribeTableCommand({ TableName: tableName }));
  } catch (error) {
    if ((error as Error).name !== "ResourceNotFoundException") throw error;
  }
  if (existing) {
    const wanted = createTableInput(tableName);
    const have = new Set((existing.Table?.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName));
    const missing = (wanted.GlobalSecondaryIndexes ?? []).filter((i) => !have.has(i.IndexName));
    // DynamoDB adds one index per UpdateTable call.
    for (const index of missing) {
      await client.send(
        new UpdateTableCommand({
          TableName: tableName,
          AttributeDefinitions: wanted.AttributeDefinitions,
          GlobalSecondaryIndexUpdates: [
            {
              Create: {
                IndexName: index.IndexName,
                KeySchema: index.KeySchema,
                Projection: index.Projection,
              },
            },
          ],
        }),
      );
      await waitUntilTableExists({ client, maxWaitTime: 60 }, { TableName: tableName });
    }
    return missing.length > 0 ? "updated" : "exists";
  }
  try {
    await client.send(new CreateTableCommand(createTableInput(tableName)));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await waitUntilTableExists({ client, maxWaitTime: 60 }, { TableName: tableName });
  return "created";
}

/** A per-tenant plan in LOCAL_API_KEYS: the local gateway's token bucket for that tenant. */
const LocalPlanSchema = z.strictObject({
  rate: z.number().positive("rate must be more than 0 requests/s").finite(),
  burst: z.number().int("burst must be a whole number").min(1, "burst must be at least 1"),
});

const LocalKeysSchema = z
  .array(
    z.strictObject({
      tenant: z.string(),
      key: z.string().min(16, "a key must be at least 16 characters"),
      scopes: z.array(z.string()).min(1),
      plan: LocalPlanSchema.optional(),
    }),
  )
  .min(1)
  .superRefine((keys, ctx) => {
    // A plan belongs to the tenant, not to one key: entries of a tenant must not disagree.
    const seen = new Map<string, RatePlan>();
    keys.forEach((k, i) => {
      if (!k.plan) return;
      const other = seen.get(k.tenant);
      if (other && (other.rate !== k.plan.rate || other.burst !== k.plan.burst)) {
        ctx.addIssue({
          code: "custom",
          path: [i, "plan"],
          message: `differs from another plan of tenant ${k.tenant}; a plan is per tenant, give it once`,
        });
      }
      seen.set(k.tenant, k.plan);
    });
  });

export type LocalKey = z.infer<typeof LocalKeysSchema>[number];

const EXPECTED =
  '[{"tenant":"acme","key":"…","scopes":["events:read","events:write"],"plan":{"rate":10,"burst":20}}] (plan optional)';

/** Parses `LOCAL_API_KEYS`; without it, one key for tenant `dev` with every scope. */
export function localKeys(raw: string | undefined): LocalKey[] {
  if (!raw) return [{ tenant: "dev", key: generateKey(), scopes: [...SCOPES] }];
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new Error(`LOCAL_API_KEYS is not valid JSON; expected ${EXPECTED}`);
  }
  const parsed = LocalKeysSchema.safeParse(json);
  if (!parsed.success) {
    throw new Error(
      `LOCAL_API_KEYS is invalid: ${parsed.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}`,
    );
  }
  return parsed.data;
}

/** The tenants whose LOCAL_API_KEYS entries carry a plan, with it: it overrides their tier. */
export function planOverrides(keys: readonly LocalKey[]): Map<string, RatePlan> {
  const out = new Map<string, RatePlan>();
  for (const k of keys) if (k.plan) out.set(k.tenant, k.plan);
  return out;
}

/**
 * Stores each key unless it already resolves (persistent local data survives restarts), and
 * gives each tenant a plan record (tier `standard`) if it has none, as `npm run keys` does.
 */
export async function seedKeys(keys: ApiKeyStore, seeds: LocalKey[], plans?: TenantPlanDeps): Promise<void> {
  for (const seed of seeds) {
    const existing = await keys.resolve(seed.key);
    if (existing && existing.tenant === seed.tenant) continue;
    if (existing) throw new Error(`LOCAL_API_KEYS: a key is already bound to tenant ${existing.tenant}`);
    await keys.create({ tenant: seed.tenant, scopes: seed.scopes, key: seed.key, name: "local seed" });
  }
  if (plans) {
    for (const tenant of new Set(seeds.map((s) => s.tenant))) await ensureTenantPlan(plans, tenant);
  }
}
