/**
 * `npm run keys`: the key CLI against a table by name and endpoint (as for a deployed
 * table), using the runtime's own key module. With `--endpoint` (a local DynamoDB), rate plans
 * are recorded in the table only (`LocalUsagePlans`): API Gateway cannot run here.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, inject, it } from "vitest";
import { DynamoApiKeyStore } from "#shared/store/dynamo/api-keys.ts";
import { createDocumentClient } from "#shared/store/dynamo/client.ts";
import { DynamoTenantPlanStore } from "#shared/store/dynamo/tenant-plans.ts";
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

  it("gives a tenant's first key a standard plan, and moves the tenant to another tier with plan", async () => {
    // Prepare
    const tenant = uniqueTenant("cliplan");
    const plans = new DynamoTenantPlanStore(createDocumentClient(), inject("tableName"));
    // Act
    const first = await cli("create", "--tenant", tenant, "--scopes", "events:read", ...target);
    const planAfterFirst = await plans.get(tenant);
    const second = await cli("create", "--tenant", tenant, "--scopes", "events:write", "--json", ...target);
    const shown = await cli("plan", "--tenant", tenant, ...target);
    const moved = await cli("plan", "--tenant", tenant, "--plan", "large", ...target);
    const again = await cli("plan", "--tenant", tenant, "--plan", "large", "--json", ...target);
    const planAfterMove = await plans.get(tenant);
    // Assert
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(
      "rate plan: standard (100 requests/s, burst 200) (new: the tenant's first plan)",
    );
    expect(planAfterFirst).toMatchObject({
      tenant,
      tier: "standard",
      usageKey: expect.stringMatching(/^clu_/),
    });
    expect(JSON.parse(second.stdout)).toMatchObject({ tenant, plan: "standard" });
    expect(shown.stdout).toContain(`tenant ${tenant}: standard (100 requests/s, burst 200)`);
    expect(moved.code, moved.stderr).toBe(0);
    expect(moved.stdout).toContain(`tenant ${tenant}: standard → large (250 requests/s, burst 500)`);
    expect(JSON.parse(again.stdout)).toEqual({ tenant, from: "large", plan: "large" });
    // One usage key per tenant, kept across keys and tiers.
    expect(planAfterMove).toEqual({ ...planAfterFirst, tier: "large", updatedAt: expect.any(String) });
  });

  it("gives a tenant without a plan (keys from before rate plans) one with plan --plan", async () => {
    // Prepare: a key stored the old way, with no plan.
    const tenant = uniqueTenant("legacy");
    await new DynamoApiKeyStore(createDocumentClient(), inject("tableName")).create({
      tenant,
      scopes: ["events:read"],
    });
    // Act
    const before = await cli("plan", "--tenant", tenant, ...target);
    const given = await cli("plan", "--tenant", tenant, "--plan", "standard", ...target);
    // Assert
    expect(before.stdout).toContain("has no plan: its keys share the stage's unassigned plan");
    expect(given.stdout).toContain(`tenant ${tenant}: new plan standard`);
  });

  it("refuses an unknown plan, and --plan without the plan command", async () => {
    const unknown = await cli("plan", "--tenant", "acme", "--plan", "huge", ...target);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('plan must be one of standard, large; got "huge"');
    const misplaced = await cli("list", "--tenant", "acme", "--plan", "large", ...target);
    expect(misplaced.code).toBe(2);
    expect(misplaced.stderr).toContain("--plan goes with plan");
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
