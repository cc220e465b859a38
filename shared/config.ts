/**
 * Function configuration, read from the environment and validated once per container:
 * a function with a missing or malformed setting fails at cold start, not on a request.
 */
import * as z from "zod";

const EnvSchema = z.object({
  TABLE_NAME: z.string().min(3, "TABLE_NAME must name the DynamoDB table"),
  CURSOR_SECRET: z.string().min(32, "CURSOR_SECRET must be at least 32 characters").optional(),
  CURSOR_SECRET_ARN: z
    .string()
    .startsWith("arn:", "CURSOR_SECRET_ARN must be a Secrets Manager ARN")
    .optional(),
});

export interface Config {
  tableName: string;
  cursorSecret: string;
}

function parseEnv(env: NodeJS.ProcessEnv) {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`invalid function configuration: ${problems}`);
  }
  return parsed.data;
}

/**
 * Loads the query function's configuration. In AWS the cursor-signing secret lives in
 * Secrets Manager (`CURSOR_SECRET_ARN`, fetched once per container with Powertools
 * Parameters); locally it comes straight from `CURSOR_SECRET`.
 */
export async function loadConfig(env: NodeJS.ProcessEnv = process.env): Promise<Config> {
  const data = parseEnv(env);
  let cursorSecret = data.CURSOR_SECRET;
  if (!cursorSecret && data.CURSOR_SECRET_ARN) {
    const { getSecret } = await import("@aws-lambda-powertools/parameters/secrets");
    const value = await getSecret(data.CURSOR_SECRET_ARN, { maxAge: 3600 });
    if (typeof value !== "string" || value.length < 32) {
      throw new Error(
        "invalid function configuration: the cursor secret must be a string of at least 32 characters",
      );
    }
    cursorSecret = value;
  }
  if (!cursorSecret)
    throw new Error("invalid function configuration: set CURSOR_SECRET or CURSOR_SECRET_ARN");
  return { tableName: data.TABLE_NAME, cursorSecret };
}

/** Only the table is needed by functions that do not sign cursors (authorizer, ingest). */
export function loadTableName(env: NodeJS.ProcessEnv = process.env): string {
  return parseEnv(env).TABLE_NAME;
}

/**
 * The authorizers' `usageIdentifierKey` for requests that belong to no tenant plan (a tenant
 * whose keys predate rate plans, a webhook of an unknown channel): the stage's shared API
 * Gateway key on the `unassigned` usage plan (infra/rate-plans.ts).
 */
export function loadUnassignedUsageKey(env: NodeJS.ProcessEnv = process.env): string {
  const value = env.UNASSIGNED_USAGE_KEY;
  if (!value || value.length < 20) {
    throw new Error(
      "invalid function configuration: UNASSIGNED_USAGE_KEY must be the stage's shared usage key (at least 20 characters)",
    );
  }
  return value;
}

/** The event bus of the publish function. */
export function loadBusName(env: NodeJS.ProcessEnv = process.env): string {
  const name = env.EVENT_BUS_NAME;
  if (!name) throw new Error("invalid function configuration: EVENT_BUS_NAME must name the EventBridge bus");
  return name;
}

/** Default settle window: well above DynamoDB's GSI propagation (typically well under 1 s). */
export const DEFAULT_SETTLE_MS = 5000;

/**
 * The change feed's settle window (`EXPORT_SETTLE_MS`, default 5000): only events stamped
 * longer ago than this are served. 0 to 60,000 ms; docs/data-model.md explains the choice.
 */
export function loadExportSettleMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.EXPORT_SETTLE_MS;
  if (raw === undefined || raw === "") return DEFAULT_SETTLE_MS;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value > 60_000) {
    throw new Error(
      "invalid function configuration: EXPORT_SETTLE_MS must be a whole number of ms from 0 to 60000",
    );
  }
  return value;
}
