/**
 * Function configuration, read from the environment and validated once per container:
 * a function with a missing or malformed setting fails at cold start, not on a request.
 */
import { z } from "zod";

const EnvSchema = z.object({
  TABLE_NAME: z.string().min(3, "TABLE_NAME must name the DynamoDB table"),
  CURSOR_SECRET: z.string().min(32, "CURSOR_SECRET must be at least 32 characters"),
});

export interface Config {
  tableName: string;
  cursorSecret: string;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`invalid function configuration: ${problems}`);
  }
  return { tableName: parsed.data.TABLE_NAME, cursorSecret: parsed.data.CURSOR_SECRET };
}

/** Only the table is needed by functions that do not page (authorizer, ingest). */
export function loadTableName(env: NodeJS.ProcessEnv = process.env): string {
  const parsed = EnvSchema.pick({ TABLE_NAME: true }).safeParse(env);
  if (!parsed.success) throw new Error(`invalid function configuration: ${parsed.error.issues[0]?.message}`);
  return parsed.data.TABLE_NAME;
}
