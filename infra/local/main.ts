/**
 * `npm start`: runs the service locally on its embedded defaults.
 *
 *   PORT=3000                 HTTP port on 127.0.0.1
 *   --in-memory               keep DynamoDB Local's data in memory (default: persist under .data/)
 *   DYNAMODB_ENDPOINT=url     use an already-running DynamoDB instead of starting DynamoDB Local
 *   LOCAL_API_KEYS=json       [{"tenant":"acme","key":"…","scopes":["events:read","events:write"]}],
 *                             each entry optionally with "plan": {"rate": <requests/s>, "burst": <n>}
 */
import { describePlan, LOCAL_STAGE, RATE_PLAN_TIERS, ratePlansFor } from "../rate-plans.ts";
import { localKeys } from "./bootstrap.ts";
import { startLocalStack } from "./stack.ts";

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => a !== "--in-memory");
  if (unknown.length > 0)
    throw new Error(`unknown argument ${unknown.join(" ")}; the only flag is --in-memory`);
  const port = Number(process.env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`PORT must be a port number, got ${process.env.PORT}`);
  process.env.POWERTOOLS_LOG_LEVEL ??= "WARN";

  const stack = await startLocalStack({
    port,
    inMemory: args.includes("--in-memory"),
    keys: localKeys(process.env.LOCAL_API_KEYS),
    writeStateFile: true,
    runBus: true,
    ...(process.env.DYNAMODB_ENDPOINT ? { dynamodbEndpoint: process.env.DYNAMODB_ENDPOINT } : {}),
  });

  const first = stack.keys[0];
  const lines = [
    "",
    `Conversation Log is running at ${stack.url}`,
    `  DynamoDB:  ${stack.dynamodbEndpoint} (table ${stack.tableName})`,
    `  API docs:  ${stack.url}/docs`,
    "  API keys:",
    ...stack.keys.map(
      (k) =>
        `    ${k.key}  tenant=${k.tenant}  scopes=${k.scopes.join(",")}${k.plan ? `  plan=${describePlan(k.plan)}` : ""}`,
    ),
    `  Rate plans per tenant: ${RATE_PLAN_TIERS.map((t) => `${t} (${describePlan(ratePlansFor(LOCAL_STAGE)[t])})`).join(", ")}; new tenants are on standard`,
    "",
    "Try it:",
    `  curl -s -X POST ${stack.url}/v1/events -H 'Authorization: Bearer ${first?.key}' -H 'Content-Type: application/json' \\`,
    `    -d '{"conversation_id":"c1","type":"MessageReceived","occurred_at":"2025-05-23T10:15:30+02:00","channel":{"type":"web"},"author":{"type":"customer"},"message":{"content":{"type":"text","text":"Hello"}}}'`,
    `  curl -s ${stack.url}/v1/conversations/c1/events -H 'Authorization: Bearer ${first?.key}'`,
    "",
    "Manage keys: npm run keys -- create --tenant acme --scopes events:read,events:write",
    "Change a tenant's plan: npm run keys -- plan --tenant acme --plan large",
    "Press Ctrl-C to stop.",
  ];
  console.log(lines.join("\n"));

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the gateway and DynamoDB Local…`);
    await stack.stop();
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
}

main().catch((error: unknown) => {
  console.error(`conversation-log: ${(error as Error).message}`);
  process.exit(1);
});
