/**
 * The whole service on one machine: DynamoDB Local, the table from the shared definition,
 * seeded API keys, the local secrets key, and the local gateway in front of the exact Lambda
 * handlers.
 * Used by `npm start`, the end-to-end tests and the benchmark.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { BUS_RULES } from "#shared/bus/rules.ts";
import {
  AUTHORIZER_FUNCTION,
  BUS_TARGET_FUNCTIONS,
  type FunctionDef,
  HTTP_FUNCTIONS,
  type HttpFunctionName,
  PUBLISH_FUNCTION,
  WEBHOOK_AUTHORIZER_FUNCTION,
} from "#shared/function-registry.ts";
import { DynamoApiKeyStore } from "#shared/store/dynamo/api-keys.ts";
import { createDocumentClient } from "#shared/store/dynamo/client.ts";
import { TABLE } from "#shared/store/dynamo/table.ts";
import { DynamoTenantPlanStore } from "#shared/store/dynamo/tenant-plans.ts";
import { LOCAL_STAGE, unassignedUsageKey } from "../rate-plans.ts";
import { LocalUsagePlans } from "../usage-plans.ts";
import { ensureTable, type LocalKey, planOverrides, seedKeys } from "./bootstrap.ts";
import { type BusTargetHandler, LocalBus } from "./bus.ts";
import { startDynamoLocal } from "./dynamodb-local.ts";
import {
  type AuthorizerHandler,
  createGateway,
  isStreaming,
  lambdaContext,
  type ProxyHandler,
  type StreamingHandler,
} from "./gateway.ts";
import { localPlanOf } from "./rate-limits.ts";
import { type StreamHandler, StreamPoller } from "./stream-poller.ts";

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Where `npm start` records its endpoints, for the key CLI. */
export const LOCAL_STATE_FILE = resolve(".data", "local.json");

export interface LocalStackOptions {
  /** Port of the HTTP gateway; 0 picks a free one. */
  port: number;
  host?: string;
  /** Keep DynamoDB Local's data in memory instead of under `dataDir`. */
  inMemory?: boolean;
  dataDir?: string;
  /** Use an already-running DynamoDB instead of starting DynamoDB Local. */
  dynamodbEndpoint?: string;
  tableName?: string;
  keys: LocalKey[];
  authorizerCacheTtl?: number;
  /** Record the endpoints in {@link LOCAL_STATE_FILE} while running (npm start only). */
  writeStateFile?: boolean;
  /**
   * Run the fan-out half too: the stream poller feeding the publish handler, and the local
   * bus delivering to the bus-target handlers by the shared rules.
   */
  runBus?: boolean;
}

export interface LocalStack {
  url: string;
  dynamodbEndpoint: string;
  tableName: string;
  keys: LocalKey[];
  /** Present when started with `runBus`. */
  bus?: LocalBus;
  poller?: StreamPoller;
  stop(): Promise<void>;
}

/** A cursor secret that survives restarts when the data does, so saved cursors keep working. */
function cursorSecret(dataDir: string | undefined): string {
  if (process.env.CURSOR_SECRET) return process.env.CURSOR_SECRET;
  if (!dataDir) return randomBytes(32).toString("base64url");
  const file = join(dataDir, "cursor-secret");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  const secret = randomBytes(32).toString("base64url");
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

/**
 * The local stand-in for the stage's KMS key, which seals tenant secrets: a 32-byte key file
 * `secrets.key` in the data directory, created 0600 on first start and kept with the data (a
 * sealed secret opens only with the key it was sealed with), or a random in-memory key when
 * nothing persists. A cipher already configured (`SECRETS_KEY*`, e.g. by the tests) is kept.
 */
function configureSecretsKey(dataDir: string | undefined): void {
  if (process.env.SECRETS_KEY_ARN || process.env.SECRETS_KEY_FILE || process.env.SECRETS_KEY) return;
  if (!dataDir) {
    process.env.SECRETS_KEY = randomBytes(32).toString("base64");
    return;
  }
  const file = join(dataDir, "secrets.key");
  if (!existsSync(file)) writeFileSync(file, randomBytes(32), { mode: 0o600, flag: "wx" });
  process.env.SECRETS_KEY_FILE = file;
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const dataDir =
    options.inMemory || options.dynamodbEndpoint ? undefined : resolve(options.dataDir ?? ".data");
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const dynamo = options.dynamodbEndpoint
    ? { endpoint: options.dynamodbEndpoint, stop: async () => undefined }
    : await startDynamoLocal(dataDir ? { dataDir: join(dataDir, "dynamodb") } : {});
  const tableName = options.tableName ?? `${TABLE.baseName}-local`;

  // The handlers read their configuration once, at load, exactly as in Lambda.
  process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamo.endpoint;
  process.env.AWS_REGION ??= "local";
  process.env.AWS_ACCESS_KEY_ID ??= "local";
  process.env.AWS_SECRET_ACCESS_KEY ??= "local";
  process.env.TABLE_NAME = tableName;
  process.env.CURSOR_SECRET = cursorSecret(dataDir);
  configureSecretsKey(dataDir);
  process.env.UNASSIGNED_USAGE_KEY = unassignedUsageKey(LOCAL_STAGE);

  try {
    const admin = new DynamoDBClient({});
    await ensureTable(admin, tableName);
    admin.destroy();
    const db = createDocumentClient();
    await seedKeys(new DynamoApiKeyStore(db, tableName), options.keys, {
      plans: new DynamoTenantPlanStore(db, tableName),
      usagePlans: new LocalUsagePlans(),
    });

    // The exact Lambda entry modules of the registry, as deployed.
    const load = async <T>(entry: string): Promise<T> =>
      ((await import(pathToFileURL(join(REPO_ROOT, entry)).href)) as { handler: T }).handler;
    const functions = Object.fromEntries(
      await Promise.all(
        Object.entries(HTTP_FUNCTIONS).map(async ([name, def]) => {
          const handler = await load<ProxyHandler | StreamingHandler>(def.entry);
          // The registry tells the CDK app which integrations stream; the handler must agree.
          if (isStreaming(handler) !== ((def as FunctionDef).streaming ?? false)) {
            throw new Error(`${def.entry}: response streaming does not match the function registry`);
          }
          return [name, handler];
        }),
      ),
    ) as Record<HttpFunctionName, ProxyHandler | StreamingHandler>;
    const authorizer = await load<AuthorizerHandler>(AUTHORIZER_FUNCTION.entry);
    const webhookAuthorizer = await load<AuthorizerHandler>(WEBHOOK_AUTHORIZER_FUNCTION.entry);

    let bus: LocalBus | undefined;
    let poller: StreamPoller | undefined;
    if (options.runBus) {
      const targets = Object.fromEntries(
        await Promise.all(
          Object.entries(BUS_TARGET_FUNCTIONS).map(async ([name, def]) => [
            name,
            await load<BusTargetHandler>((def as FunctionDef).entry),
          ]),
        ),
      ) as Record<string, BusTargetHandler>;
      bus = new LocalBus({
        rules: BUS_RULES,
        targets,
        context: (target) => lambdaContext(target, randomUUID()),
      });
      process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = await bus.start();
      process.env.EVENT_BUS_NAME = `${TABLE.baseName}-local`;
      poller = new StreamPoller({
        endpoint: dynamo.endpoint,
        tableName,
        handler: await load<StreamHandler>(PUBLISH_FUNCTION.entry),
        context: () => lambdaContext("publish", randomUUID()),
        ...(dataDir ? { checkpointFile: join(dataDir, "stream-checkpoints.json") } : {}),
      });
      await poller.start();
    }
    const server = createGateway({
      functions,
      authorizer,
      webhookAuthorizer,
      rateLimits: { planOf: localPlanOf(planOverrides(options.keys)) },
      ...(options.authorizerCacheTtl !== undefined ? { authorizerCacheTtl: options.authorizerCacheTtl } : {}),
    });
    const host = options.host ?? "127.0.0.1";
    await new Promise<void>((ok, fail) => {
      server.once("error", fail);
      server.listen(options.port, host, () => ok());
    });
    const { port } = server.address() as AddressInfo;
    const url = `http://${host}:${port}`;
    if (options.writeStateFile) {
      mkdirSync(resolve(".data"), { recursive: true });
      writeFileSync(
        LOCAL_STATE_FILE,
        JSON.stringify({ url, dynamodbEndpoint: dynamo.endpoint, tableName }, null, 2),
      );
    }
    return {
      url,
      dynamodbEndpoint: dynamo.endpoint,
      tableName,
      keys: options.keys,
      ...(bus ? { bus } : {}),
      ...(poller ? { poller } : {}),
      stop: async () => {
        if (options.writeStateFile) rmSync(LOCAL_STATE_FILE, { force: true });
        await poller?.stop();
        await bus?.stop();
        server.closeAllConnections();
        await new Promise<void>((ok) => server.close(() => ok()));
        await dynamo.stop();
      },
    };
  } catch (error) {
    await dynamo.stop();
    throw error;
  }
}
