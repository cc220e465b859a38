/**
 * `npm run keys`: the key CLI against a table by name and endpoint (as for a deployed
 * table), using the runtime's own key module.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, inject, it } from "vitest";
import { DynamoApiKeyStore } from "#shared/store/dynamo/api-keys.ts";
import { createDocumentClient } from "#shared/store/dynamo/client.ts";
import { uniqueTenant } from "../support/factories.ts";

const run = promisify(execFile);
const target = [
  "--table",
  inject("tableName"),
  "--endpoint",
  inject("dynamodbEndpoint"),
  "--region",
  "local",
];

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      ["--import", "tsx", "infra/api-keys-cli.ts", ...args],
      {
        env: process.env,
      },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("npm run keys", () => {
  it("creates a key shown once, lists it without the secret, and revokes it", async () => {
    // Prepare
    const tenant = uniqueTenant("cli");
    const store = new DynamoApiKeyStore(createDocumentClient(), inject("tableName"));
    // Act
    const created = await cli(
      "create",
      "--tenant",
      tenant,
      "--scopes",
      "events:read,export:read",
      "--name",
      "bi",
      "--json",
      ...target,
    );
    const { key, key_id } = JSON.parse(created.stdout) as { key: string; key_id: string };
    const listed = await cli("list", "--tenant", tenant, "--json", ...target);
    const resolvedBefore = await store.resolve(key);
    const revoked = await cli("revoke", "--tenant", tenant, "--key-id", key_id, ...target);
    const resolvedAfter = await store.resolve(key);
    // Assert
    expect(created.code).toBe(0);
    expect(resolvedBefore).toEqual({ keyId: key_id, tenant, scopes: ["events:read", "export:read"] });
    expect(listed.stdout).toContain(key_id);
    expect(listed.stdout).not.toContain(key);
    expect(revoked.code).toBe(0);
    expect(resolvedAfter).toBeUndefined();
  });

  it("refuses bad input with a reason and exit code 2", async () => {
    const badScope = await cli("create", "--tenant", "acme", "--scopes", "everything", ...target);
    expect(badScope.code).toBe(2);
    expect(badScope.stderr).toContain("scopes must be a non-empty subset of");
    const badCommand = await cli("delete", "--tenant", "acme", ...target);
    expect(badCommand.code).toBe(2);
    expect(badCommand.stderr).toContain("usage:");
    const unknownKey = await cli("revoke", "--tenant", "acme", "--key-id", "key_nope", ...target);
    expect(unknownKey.code).toBe(2);
    expect(unknownKey.stderr).toContain("has no key key_nope");
  });
});
