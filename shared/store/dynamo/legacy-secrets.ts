/**
 * The one-off migration of secrets stored in clear before secrets were sealed
 * (docs/decisions.md, "Secrets at rest"): trigger signing secrets (`secret` of trigger items)
 * and WhatsApp app secrets (`credentials.app_secret` of channel lookup items). Each is sealed
 * for its tenant and purpose and written back only if the item still holds that plaintext,
 * so a run is safe beside live traffic and can be repeated (a second run finds nothing).
 *
 * Neither kind of item has a partition of its own across tenants, so this is a Scan of the
 * whole table, filtered on the server: run once per stage, by `npm run secrets -- seal-legacy`.
 */
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, ScanCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { SecretPurpose, SecretSealer } from "../../secrets/cipher.ts";
import { channelLookupItem, type Item, triggerItem } from "./items.ts";
import { tenantOfPk } from "./table-keys.ts";

export interface SealLegacyReport {
  /** Items the scan read (what it costs: the whole table is read once). */
  scanned: number;
  /** Legacy secrets found, by kind. */
  found: { triggers: number; channels: number };
  /** Sealed and written back (0 on a dry run). */
  sealed: number;
  /** Changed by someone else between the read and the write: left as they were. */
  skipped: number;
}

interface Legacy {
  key: { pk: string; sk: string };
  tenant: string;
  purpose: SecretPurpose;
  /** The attribute path, as an UpdateExpression names it. */
  path: string;
  names: Record<string, string>;
  plaintext: string;
}

function legacyOf(item: Item): Legacy | undefined {
  const key = { pk: String(item.pk), sk: String(item.sk) };
  if (item.entity === triggerItem.entity && typeof item.secret === "string") {
    return {
      key,
      tenant: tenantOfPk(key.pk),
      purpose: "trigger-webhook-secret",
      path: "#s",
      names: { "#s": "secret" },
      plaintext: item.secret,
    };
  }
  const credentials = item.credentials as Record<string, unknown> | undefined;
  if (item.entity === channelLookupItem.entity && typeof credentials?.app_secret === "string") {
    return {
      key,
      tenant: String(item.tenant),
      purpose: "whatsapp-app-secret",
      path: "#c.#s",
      names: { "#c": "credentials", "#s": "app_secret" },
      plaintext: credentials.app_secret,
    };
  }
  return undefined;
}

export async function sealLegacySecrets(
  db: DynamoDBDocumentClient,
  tableName: string,
  sealer: SecretSealer,
  options: { dryRun?: boolean } = {},
): Promise<SealLegacyReport> {
  const report: SealLegacyReport = { scanned: 0, found: { triggers: 0, channels: 0 }, sealed: 0, skipped: 0 };
  let start: Record<string, unknown> | undefined;
  do {
    const out = await db.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression:
          "(#e = :trigger AND attribute_type(#s, :string)) OR (#e = :channel AND attribute_type(#c.#a, :string))",
        ExpressionAttributeNames: { "#e": "entity", "#s": "secret", "#c": "credentials", "#a": "app_secret" },
        ExpressionAttributeValues: {
          ":trigger": triggerItem.entity,
          ":channel": channelLookupItem.entity,
          ":string": "S",
        },
        ConsistentRead: true,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    report.scanned += out.ScannedCount ?? 0;
    for (const item of out.Items ?? []) {
      const legacy = legacyOf(item);
      if (!legacy) continue;
      if (legacy.purpose === "trigger-webhook-secret") report.found.triggers += 1;
      else report.found.channels += 1;
      if (options.dryRun) continue;
      const sealed = await sealer.seal(legacy.plaintext, { tenant: legacy.tenant, purpose: legacy.purpose });
      try {
        await db.send(
          new UpdateCommand({
            TableName: tableName,
            Key: legacy.key,
            UpdateExpression: `SET ${legacy.path} = :sealed`,
            ConditionExpression: `${legacy.path} = :plain`,
            ExpressionAttributeNames: legacy.names,
            ExpressionAttributeValues: { ":sealed": sealed, ":plain": legacy.plaintext },
          }),
        );
        report.sealed += 1;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        report.skipped += 1;
      }
    }
    start = out.LastEvaluatedKey;
  } while (start);
  return report;
}
