/**
 * Function configuration, read from the environment and validated once per container:
 * a function with a missing or malformed setting fails at cold start, not on a request.
 */
import { readFileSync, statSync } from "node:fs";
import * as z from "zod";
import { CursorCodec } from "./cursor.ts";
import type { SecretCipher } from "./secrets/cipher.ts";
import { LOCAL_KEY_BYTES, LocalSecretCipher } from "./secrets/local.ts";

const secretText = (name: string) => z.string().min(32, `${name} must be at least 32 characters`);

const EnvSchema = z.object({
  TABLE_NAME: z.string().min(3, "TABLE_NAME must name the DynamoDB table"),
  CURSOR_SECRET: secretText("CURSOR_SECRET").optional(),
  CURSOR_SECRET_PREVIOUS: secretText("CURSOR_SECRET_PREVIOUS").optional(),
  CURSOR_SECRET_ARN: z
    .string()
    .startsWith("arn:", "CURSOR_SECRET_ARN must be a Secrets Manager ARN")
    .optional(),
});

export interface Config {
  tableName: string;
  /** Signs new cursors. */
  cursorSecret: string;
  /** Still verifies cursors signed before the last rotation; absent on a never-rotated secret. */
  cursorSecretPrevious?: string;
}

function parseEnv(env: NodeJS.ProcessEnv) {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`invalid function configuration: ${problems}`);
  }
  return parsed.data;
}

/** The cursor-signing secrets: the one that signs, and the one before it (docs/decisions.md, "Cursor secret rotation"). */
export interface CursorSecrets {
  current: string;
  previous?: string;
}

/** Reads one version stage of a secret; undefined when the secret has no version in that stage. */
export type SecretVersionFetcher = (
  arn: string,
  stage: "AWSCURRENT" | "AWSPREVIOUS",
) => Promise<string | undefined>;

/**
 * Secrets Manager through Powertools Parameters. Powertools caches by secret name only, not
 * by version stage, so its cache is off here (`maxAge: 0`) and {@link loadCursorSecrets}
 * caches both stages itself, absence included.
 */
const fetchFromSecretsManager: SecretVersionFetcher = async (arn, stage) => {
  const { SecretsProvider } = await import("@aws-lambda-powertools/parameters/secrets");
  const { ParameterNotFoundError } = await import("@aws-lambda-powertools/parameters/errors");
  secretsProvider ??= new SecretsProvider();
  try {
    const value = await secretsProvider.get(arn, {
      maxAge: 0,
      sdkOptions: { VersionStage: stage },
      throwOnMissing: true,
    });
    return typeof value === "string" ? value : undefined;
  } catch (error) {
    // A never-rotated secret has no AWSPREVIOUS version.
    if (stage === "AWSPREVIOUS" && error instanceof ParameterNotFoundError) return undefined;
    throw error;
  }
};
let secretsProvider: import("@aws-lambda-powertools/parameters/secrets").SecretsProvider | undefined;

/** How long a container keeps the cursor secrets before reading them again: a rotation reaches every container within this. */
export const CURSOR_SECRET_MAX_AGE_MS = 300_000;
const cursorSecretCache = new Map<string, { secrets: CursorSecrets; until: number }>();

const tooShort = (which: string) =>
  new Error(
    `invalid function configuration: the ${which} cursor secret must be a string of at least 32 characters`,
  );

/**
 * The cursor-signing secrets. In AWS they live in Secrets Manager (`CURSOR_SECRET_ARN`): the
 * `AWSCURRENT` version signs, the `AWSPREVIOUS` one (if the secret was ever rotated) still
 * verifies; both are read again every {@link CURSOR_SECRET_MAX_AGE_MS}, so a function calls this
 * on every invocation. Locally they come from `CURSOR_SECRET` and `CURSOR_SECRET_PREVIOUS`.
 */
export async function loadCursorSecrets(
  env: NodeJS.ProcessEnv = process.env,
  fetch: SecretVersionFetcher = fetchFromSecretsManager,
  now: () => number = Date.now,
): Promise<CursorSecrets> {
  const data = parseEnv(env);
  if (data.CURSOR_SECRET) {
    return {
      current: data.CURSOR_SECRET,
      ...(data.CURSOR_SECRET_PREVIOUS ? { previous: data.CURSOR_SECRET_PREVIOUS } : {}),
    };
  }
  const arn = data.CURSOR_SECRET_ARN;
  if (!arn) throw new Error("invalid function configuration: set CURSOR_SECRET or CURSOR_SECRET_ARN");
  const cached = cursorSecretCache.get(arn);
  if (cached && cached.until > now()) return cached.secrets;
  let current: string | undefined;
  let previous: string | undefined;
  try {
    [current, previous] = await Promise.all([fetch(arn, "AWSCURRENT"), fetch(arn, "AWSPREVIOUS")]);
  } catch (error) {
    // A failed refresh keeps the secrets this container has (cursors keep working) and
    // tries again in 30 s, not on every invocation.
    if (!cached) throw error;
    cached.until = now() + 30_000;
    return cached.secrets;
  }
  if (typeof current !== "string" || current.length < 32) throw tooShort("current");
  if (previous !== undefined && previous.length < 32) throw tooShort("previous");
  const secrets: CursorSecrets = { current, ...(previous !== undefined ? { previous } : {}) };
  cursorSecretCache.set(arn, { secrets, until: now() + CURSOR_SECRET_MAX_AGE_MS });
  return secrets;
}

/**
 * Loads the query and export functions' configuration: the table and the cursor secrets
 * ({@link loadCursorSecrets}).
 */
export async function loadConfig(env: NodeJS.ProcessEnv = process.env): Promise<Config> {
  const { current, previous } = await loadCursorSecrets(env);
  return {
    tableName: parseEnv(env).TABLE_NAME,
    cursorSecret: current,
    ...(previous !== undefined ? { cursorSecretPrevious: previous } : {}),
  };
}

let codec: { current: string; previous: string | undefined; codec: CursorCodec } | undefined;

/**
 * The cursor codec for the current secrets: signs with the current one, verifies with either.
 * The same instance while the secrets stay the same; call it per invocation (it is cached).
 */
export async function loadCursorCodec(env: NodeJS.ProcessEnv = process.env): Promise<CursorCodec> {
  const { current, previous } = await loadCursorSecrets(env);
  if (!codec || codec.current !== current || codec.previous !== previous) {
    codec = { current, previous, codec: new CursorCodec(current, previous) };
  }
  return codec.codec;
}

const SecretsEnvSchema = z.object({
  SECRETS_KEY_ARN: z
    .string()
    .regex(
      /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/,
      "SECRETS_KEY_ARN must be a KMS key ARN",
    )
    .optional(),
  SECRETS_KEY_FILE: z.string().min(1, "SECRETS_KEY_FILE must name the local key file").optional(),
  SECRETS_KEY: z
    .string()
    .refine(
      (v) => Buffer.from(v, "base64").length === LOCAL_KEY_BYTES,
      `SECRETS_KEY must be ${LOCAL_KEY_BYTES} bytes in base64`,
    )
    .optional(),
});

function invalid(message: string): Error {
  return new Error(`invalid function configuration: ${message}`);
}

/** The local key file: exactly 32 bytes, readable by its owner only. */
export function readLocalKeyFile(path: string): Buffer {
  let key: Buffer;
  try {
    key = readFileSync(path);
  } catch (cause) {
    throw new Error(`invalid function configuration: cannot read SECRETS_KEY_FILE ${path}`, { cause });
  }
  if (key.length !== LOCAL_KEY_BYTES) {
    throw invalid(
      `SECRETS_KEY_FILE ${path} must hold exactly ${LOCAL_KEY_BYTES} bytes, it has ${key.length}`,
    );
  }
  if (process.platform !== "win32" && (statSync(path).mode & 0o077) !== 0) {
    throw invalid(`SECRETS_KEY_FILE ${path} must be readable by its owner only (chmod 600)`);
  }
  return key;
}

/**
 * The secrets cipher of the functions that seal or open tenant secrets (`channels`,
 * `channel-webhooks`, `triggers`, `trigger-engine`), from exactly one of:
 * - `SECRETS_KEY_ARN`: the stage's KMS key (on AWS; set by infra/api-stack.ts);
 * - `SECRETS_KEY_FILE`: a 32-byte key file (`npm start`: `.data/secrets.key`);
 * - `SECRETS_KEY`: the key in base64 (`npm start --in-memory`, the tests).
 */
export async function loadSecretCipher(env: NodeJS.ProcessEnv = process.env): Promise<SecretCipher> {
  const parsed = SecretsEnvSchema.safeParse(env);
  if (!parsed.success) {
    throw invalid(parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
  }
  const { SECRETS_KEY_ARN: arn, SECRETS_KEY_FILE: file, SECRETS_KEY: key } = parsed.data;
  const set = [arn, file, key].filter((v) => v !== undefined).length;
  if (set !== 1) {
    throw invalid(
      `set exactly one of SECRETS_KEY_ARN (AWS KMS), SECRETS_KEY_FILE or SECRETS_KEY (local); ${set} are set`,
    );
  }
  if (arn) {
    const [{ KMSClient }, { KmsSecretCipher }] = await Promise.all([
      import("@aws-sdk/client-kms"),
      import("./secrets/kms.ts"),
    ]);
    return new KmsSecretCipher(new KMSClient({}), arn);
  }
  return new LocalSecretCipher(file ? readLocalKeyFile(file) : Buffer.from(key as string, "base64"));
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

/** What automations may do, per tenant and per causation tree (stage configuration). */
export interface AutomationLimits {
  /** Trigger-produced events one depth-0 event may cause across its whole causation tree. */
  eventsPerRoot: number;
  /** Webhook deliveries one depth-0 event may cause across its whole causation tree. */
  webhooksPerRoot: number;
  /** Triggers a tenant may have. */
  triggersPerTenant: number;
}

export const DEFAULT_AUTOMATION_LIMITS: AutomationLimits = {
  eventsPerRoot: 25,
  webhooksPerRoot: 25,
  triggersPerTenant: 100,
};

/** The environment variables that carry {@link AutomationLimits} (set from the stage config). */
export const AUTOMATION_LIMIT_VARS = {
  eventsPerRoot: "CAUSATION_EVENT_BUDGET",
  webhooksPerRoot: "CAUSATION_WEBHOOK_BUDGET",
  triggersPerTenant: "MAX_TRIGGERS_PER_TENANT",
} as const satisfies Record<keyof AutomationLimits, string>;

/** The automation limits, defaults unless the environment sets them (whole numbers from 1 to 10,000). */
export function loadAutomationLimits(env: NodeJS.ProcessEnv = process.env): AutomationLimits {
  const limits = { ...DEFAULT_AUTOMATION_LIMITS };
  for (const [name, variable] of Object.entries(AUTOMATION_LIMIT_VARS) as [
    keyof AutomationLimits,
    string,
  ][]) {
    const raw = env[variable];
    if (raw === undefined || raw === "") continue;
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || value < 1 || value > 10_000) {
      throw new Error(`invalid function configuration: ${variable} must be a whole number from 1 to 10000`);
    }
    limits[name] = value;
  }
  return limits;
}
