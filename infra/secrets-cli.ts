/**
 * `npm run secrets -- seal-legacy`: seals the secrets a table still holds in clear, written
 * before secrets were sealed (docs/decisions.md, "Secrets at rest"). Run it once per stage
 * after deploying; it is safe beside live traffic and a second run finds nothing.
 *
 *   npm run secrets -- seal-legacy --dry-run                      # the local stack of npm start
 *   npm run secrets -- seal-legacy --table conversation-log-prod --key alias/conversation-log-prod-secrets
 *
 * Local target: the table of `npm start` (.data/local.json) and its key file .data/secrets.key.
 * Deployed target: `--table` and `--key` (the stage's secrets key: alias or ARN), with AWS
 * credentials allowed to Scan and UpdateItem the table and to `kms:Encrypt` with the key.
 */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { KMSClient } from "@aws-sdk/client-kms";
import { readLocalKeyFile } from "#shared/config.ts";
import type { SecretSealer } from "#shared/secrets/cipher.ts";
import { KmsSecretCipher } from "#shared/secrets/kms.ts";
import { LocalSecretCipher } from "#shared/secrets/local.ts";
import { createDocumentClient } from "#shared/store/dynamo/client.ts";
import { sealLegacySecrets } from "#shared/store/dynamo/legacy-secrets.ts";
import { LOCAL_STATE_FILE } from "./local/stack.ts";

const USAGE = `usage:
  npm run secrets -- seal-legacy [--dry-run] [target]
target: (none) the local stack of npm start | --table <name> --key <KMS key alias or ARN> [--region <region>]`;

class UsageError extends Error {}

async function main(argv: string[]): Promise<void> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      table: { type: "string" },
      key: { type: "string" },
      region: { type: "string" },
      "dry-run": { type: "boolean" },
    },
  });
  if (positionals.length !== 1 || positionals[0] !== "seal-legacy") throw new UsageError(USAGE);

  let tableName: string;
  let sealer: SecretSealer;
  let db: ReturnType<typeof createDocumentClient>;
  if (values.table) {
    if (!values.key) throw new UsageError(`--key is required with --table\n${USAGE}`);
    tableName = values.table;
    const region = values.region ? { region: values.region } : {};
    db = createDocumentClient(region);
    sealer = new KmsSecretCipher(new KMSClient(region), values.key);
  } else {
    if (!existsSync(LOCAL_STATE_FILE)) {
      throw new UsageError("no local stack is running (start it with npm start), or pass --table and --key");
    }
    const state = JSON.parse(readFileSync(LOCAL_STATE_FILE, "utf8")) as {
      dynamodbEndpoint: string;
      tableName: string;
    };
    process.env.AWS_ACCESS_KEY_ID ??= "local";
    process.env.AWS_SECRET_ACCESS_KEY ??= "local";
    tableName = state.tableName;
    db = createDocumentClient({ endpoint: state.dynamodbEndpoint, region: "local" });
    sealer = new LocalSecretCipher(readLocalKeyFile(resolve(".data", "secrets.key")));
  }

  const report = await sealLegacySecrets(db, tableName, sealer, { dryRun: values["dry-run"] ?? false });
  const found = report.found.triggers + report.found.channels;
  console.log(
    `${tableName}: read ${report.scanned} items; ${found} legacy secrets (${report.found.triggers} trigger, ${report.found.channels} WhatsApp)` +
      (values["dry-run"]
        ? "; dry run, nothing written"
        : `; sealed ${report.sealed}, skipped ${report.skipped} changed meanwhile`),
  );
  db.destroy();
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof UsageError ? error.message : String(error));
  process.exit(error instanceof UsageError ? 2 : 1);
});
