/**
 * `npm run keys -- create|list|revoke`: manage API keys with the same store the runtime uses
 * (`DynamoApiKeyStore`, the adapter of the `ApiKeyStore` port in shared/store/api-keys.ts). A
 * key is printed once; only its SHA-256 hash is stored.
 *
 *   npm run keys -- create --tenant acme --scopes events:read,events:write [--name "BI export"]
 *   npm run keys -- list   --tenant acme
 *   npm run keys -- revoke --tenant acme --key-id key_01J…
 *
 * Target: the local stack started by `npm start` (found through .data/local.json), or a
 * deployed table with `--table conversation-log-prod` (AWS credentials and region from the
 * usual AWS SDK configuration, e.g. AWS_PROFILE and AWS_REGION). `--endpoint` overrides the
 * DynamoDB endpoint.
 */
import { existsSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { SCOPES } from "#shared/auth/scopes.ts";
import { AppError } from "#shared/errors.ts";
import { DynamoApiKeyStore } from "#shared/store/dynamo/api-keys.ts";
import { createDocumentClient } from "#shared/store/dynamo/client.ts";
import { LOCAL_STATE_FILE } from "./local/stack.ts";

const USAGE = `usage:
  npm run keys -- create --tenant <tenant> --scopes <scope,scope> [--name <label>] [target]
  npm run keys -- list   --tenant <tenant> [target]
  npm run keys -- revoke --tenant <tenant> --key-id <key id> [target]
target: (none) the local stack of npm start | --table <name> [--region <region>] | --endpoint <url> --table <name>
scopes: ${SCOPES.join(", ")}`;

class UsageError extends Error {}

function target(values: { table?: string; endpoint?: string; region?: string }) {
  if (values.table) {
    return { tableName: values.table, endpoint: values.endpoint, region: values.region };
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
  };
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
      json: { type: "boolean" },
    },
  });
  const [command] = positionals;
  if (!command || !["create", "list", "revoke"].includes(command) || positionals.length > 1)
    throw new UsageError(USAGE);
  if (!values.tenant) throw new UsageError(`--tenant is required\n${USAGE}`);
  const t = target(values);
  if ("local" in t) {
    process.env.AWS_ACCESS_KEY_ID ??= "local";
    process.env.AWS_SECRET_ACCESS_KEY ??= "local";
  }
  const db = createDocumentClient({
    ...(t.endpoint ? { endpoint: t.endpoint } : {}),
    ...(t.region ? { region: t.region } : {}),
  });
  const keys = new DynamoApiKeyStore(db, t.tableName);

  if (command === "create") {
    if (!values.scopes) throw new UsageError(`--scopes is required\n${USAGE}`);
    const { key, record } = await keys.create({
      tenant: values.tenant,
      scopes: values.scopes.split(",").map((s) => s.trim()),
      ...(values.name ? { name: values.name } : {}),
    });
    if (values.json) console.log(JSON.stringify({ key, ...record }));
    else {
      console.log(`API key (shown once, store it now): ${key}`);
      console.log(`key id: ${record.key_id}  tenant: ${record.tenant}  scopes: ${record.scopes.join(",")}`);
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
