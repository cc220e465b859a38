/**
 * Tenant rate plans: the logic of `npm run keys` over its two ports, with fakes (a tenant's
 * first plan, moving tiers, races), and the API Gateway adapter's requests with the SDK
 * client faked: API Gateway cannot run here, so this is the one place the SDK is mocked.
 */
import {
  CreateApiKeyCommand,
  CreateUsagePlanKeyCommand,
  GetUsagePlansCommand,
} from "@aws-sdk/client-api-gateway";
import { describe, expect, it } from "vitest";
import type { RatePlanTier } from "#infra/rate-plans.ts";
import {
  changeTenantPlan,
  ensureTenantPlan,
  parseTier,
  type UsageKey,
  type UsagePlans,
} from "#infra/usage-plans.ts";
import { type ApiGatewaySend, ApiGatewayUsagePlans } from "#infra/usage-plans-aws.ts";
import { ValidationError } from "#shared/errors.ts";
import type { TenantPlan, TenantPlanStore } from "#shared/store/tenant-plans.ts";

class FakePlans implements TenantPlanStore {
  readonly byTenant = new Map<string, TenantPlan>();
  /** Simulates another writer winning the race between `get` and `create`. */
  raceWith: TenantPlan | undefined;
  async get(tenant: string) {
    return this.byTenant.get(tenant);
  }
  async create(plan: TenantPlan) {
    if (this.raceWith) {
      this.byTenant.set(this.raceWith.tenant, this.raceWith);
      this.raceWith = undefined;
    }
    if (this.byTenant.has(plan.tenant)) return false;
    this.byTenant.set(plan.tenant, plan);
    return true;
  }
  async setTier(tenant: string, tier: string, updatedAt: string) {
    const plan = this.byTenant.get(tenant);
    if (!plan) return false;
    this.byTenant.set(tenant, { ...plan, tier, updatedAt });
    return true;
  }
}

class FakeUsagePlans implements UsagePlans {
  readonly calls: string[] = [];
  /** key id → tier */
  readonly bound = new Map<string, RatePlanTier>();
  #next = 0;
  async createKey(input: { tenant: string; tier: RatePlanTier; value: string }): Promise<UsageKey> {
    const id = `k${++this.#next}`;
    this.calls.push(`create ${input.tenant} ${input.tier}`);
    this.bound.set(id, input.tier);
    return { id, value: input.value };
  }
  async moveKey(keyId: string, from: RatePlanTier, to: RatePlanTier) {
    this.calls.push(`move ${keyId} ${from}→${to}`);
    this.bound.set(keyId, to);
  }
  async deleteKey(keyId: string) {
    this.calls.push(`delete ${keyId}`);
    this.bound.delete(keyId);
  }
}

function deps() {
  const plans = new FakePlans();
  const usagePlans = new FakeUsagePlans();
  return { plans, usagePlans, now: () => new Date("2025-05-23T10:00:00.000Z") };
}

describe("ensureTenantPlan", () => {
  it("gives a tenant without a plan a usage key on the standard plan, and records it", async () => {
    // Prepare
    const d = deps();
    // Act
    const { plan, created } = await ensureTenantPlan(d, "acme");
    // Assert
    expect(created).toBe(true);
    expect(plan).toEqual({
      tenant: "acme",
      tier: "standard",
      usageKey: expect.stringMatching(/^clu_[A-Za-z0-9_-]{32}$/),
      usageKeyId: "k1",
      updatedAt: "2025-05-23T10:00:00.000Z",
    });
    expect(d.plans.byTenant.get("acme")).toEqual(plan);
    expect(d.usagePlans.bound.get("k1")).toBe("standard");
  });

  it("is idempotent: a tenant with a plan keeps it, and nothing is created", async () => {
    const d = deps();
    const first = await ensureTenantPlan(d, "acme");
    const second = await ensureTenantPlan(d, "acme", "large");
    expect(second).toEqual({ plan: first.plan, created: false });
    expect(d.usagePlans.calls).toEqual(["create acme standard"]);
  });

  it("gives each tenant its own usage key", async () => {
    const d = deps();
    const a = await ensureTenantPlan(d, "acme");
    const b = await ensureTenantPlan(d, "globex");
    expect(a.plan.usageKey).not.toBe(b.plan.usageKey);
  });

  it("deletes its own gateway key when another creator recorded the tenant's plan first", async () => {
    // Prepare
    const d = deps();
    const winner: TenantPlan = {
      tenant: "acme",
      tier: "standard",
      usageKey: "clu_winner_0000000000000000000000000",
      usageKeyId: "w1",
      updatedAt: "2025-05-23T09:59:59.000Z",
    };
    d.plans.raceWith = winner;
    // Act
    const result = await ensureTenantPlan(d, "acme");
    // Assert
    expect(result).toEqual({ plan: winner, created: false });
    expect(d.usagePlans.calls).toEqual(["create acme standard", "delete k1"]);
  });
});

describe("changeTenantPlan", () => {
  it("moves the tenant's usage key to the new tier's plan, then records the tier", async () => {
    // Prepare
    const d = deps();
    const { plan: before } = await ensureTenantPlan(d, "acme");
    // Act
    const { from, plan } = await changeTenantPlan(d, "acme", "large");
    // Assert
    expect(from).toBe("standard");
    expect(plan).toEqual({ ...before, tier: "large" });
    expect(d.usagePlans.calls).toEqual(["create acme standard", "move k1 standard→large"]);
    expect(d.plans.byTenant.get("acme")?.tier).toBe("large");
  });

  it("does nothing for the tier the tenant is already on", async () => {
    const d = deps();
    await ensureTenantPlan(d, "acme");
    const { from, plan } = await changeTenantPlan(d, "acme", "standard");
    expect([from, plan.tier]).toEqual(["standard", "standard"]);
    expect(d.usagePlans.calls).toEqual(["create acme standard"]);
  });

  it("gives a tenant without a plan (keys from before rate plans) one on the tier asked for", async () => {
    const d = deps();
    const { from, plan } = await changeTenantPlan(d, "acme", "large");
    expect(from).toBeNull();
    expect(plan.tier).toBe("large");
    expect(d.usagePlans.calls).toEqual(["create acme large"]);
  });

  it("records nothing when the gateway refuses the move", async () => {
    const d = deps();
    await ensureTenantPlan(d, "acme");
    d.usagePlans.moveKey = async () => {
      throw new Error("TooManyRequestsException");
    };
    await expect(changeTenantPlan(d, "acme", "large")).rejects.toThrow("TooManyRequestsException");
    expect(d.plans.byTenant.get("acme")?.tier).toBe("standard");
  });
});

describe("parseTier", () => {
  it("accepts the stage's tiers and names them when refusing anything else", () => {
    expect(parseTier("large")).toBe("large");
    expect(() => parseTier("unassigned")).toThrow(ValidationError);
    expect(() => parseTier("huge")).toThrow('plan must be one of standard, large; got "huge"');
  });
});

/** A fake API Gateway client: records each command and answers from a script. */
function fakeClient(answer: (command: object) => unknown = () => ({})) {
  const sent: { name: string; input: Record<string, unknown> }[] = [];
  const client = {
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      sent.push({ name: command.constructor.name, input: command.input });
      const out = answer(command);
      if (out instanceof Error) throw out;
      return out;
    },
  } as unknown as ApiGatewaySend;
  return { client, sent };
}

const PLANS_PAGE_1 = {
  items: [
    { id: "p-other", name: "conversation-log-prod-standard" },
    { id: "p-std", name: "conversation-log-dev-standard" },
  ],
  position: "next",
};
const PLANS_PAGE_2 = { items: [{ id: "p-large", name: "conversation-log-dev-large" }] };

function gateway(failOn?: (command: object) => Error | undefined) {
  return fakeClient((command) => {
    const failure = failOn?.(command);
    if (failure) return failure;
    if (command instanceof GetUsagePlansCommand) {
      return command.input.position === "next" ? PLANS_PAGE_2 : PLANS_PAGE_1;
    }
    if (command instanceof CreateApiKeyCommand) return { id: "key-123", value: command.input.value };
    return {};
  });
}

describe("ApiGatewayUsagePlans (SDK client faked)", () => {
  it("creates the tenant's API key with the given value and binds it to the tier's usage plan, found by name", async () => {
    // Prepare
    const { client, sent } = gateway();
    const plans = new ApiGatewayUsagePlans(client, "dev");
    // Act
    const key = await plans.createKey({ tenant: "acme", tier: "large", value: "clu_0123456789abcdef0123" });
    // Assert
    expect(key).toEqual({ id: "key-123", value: "clu_0123456789abcdef0123" });
    expect(sent).toEqual([
      { name: "GetUsagePlansCommand", input: { limit: 500, position: undefined } },
      { name: "GetUsagePlansCommand", input: { limit: 500, position: "next" } },
      {
        name: "CreateApiKeyCommand",
        input: {
          name: "conversation-log-dev-acme",
          description: expect.stringContaining("tenant acme"),
          enabled: true,
          value: "clu_0123456789abcdef0123",
          tags: { project: "conversation-log", stage: "dev", tenant: "acme" },
        },
      },
      {
        name: "CreateUsagePlanKeyCommand",
        input: { usagePlanId: "p-large", keyId: "key-123", keyType: "API_KEY" },
      },
    ]);
  });

  it("takes the API key back when it cannot be bound to the plan", async () => {
    const { client, sent } = gateway((c) =>
      c instanceof CreateUsagePlanKeyCommand ? new Error("ConflictException") : undefined,
    );
    await expect(
      new ApiGatewayUsagePlans(client, "dev").createKey({
        tenant: "acme",
        tier: "standard",
        value: "v".repeat(24),
      }),
    ).rejects.toThrow("ConflictException");
    expect(sent.at(-1)).toEqual({ name: "DeleteApiKeyCommand", input: { apiKey: "key-123" } });
  });

  it("moves a key: out of the old plan first (one plan per stage), then into the new one", async () => {
    const { client, sent } = gateway();
    await new ApiGatewayUsagePlans(client, "dev").moveKey("key-123", "standard", "large");
    expect(sent.filter((s) => s.name !== "GetUsagePlansCommand")).toEqual([
      { name: "DeleteUsagePlanKeyCommand", input: { usagePlanId: "p-std", keyId: "key-123" } },
      {
        name: "CreateUsagePlanKeyCommand",
        input: { usagePlanId: "p-large", keyId: "key-123", keyType: "API_KEY" },
      },
    ]);
  });

  it("puts the key back on its old plan when the new one refuses it", async () => {
    const { client, sent } = gateway((c) =>
      c instanceof CreateUsagePlanKeyCommand && c.input.usagePlanId === "p-large"
        ? new Error("LimitExceededException")
        : undefined,
    );
    await expect(
      new ApiGatewayUsagePlans(client, "dev").moveKey("key-123", "standard", "large"),
    ).rejects.toThrow("LimitExceededException");
    expect(sent.at(-1)).toEqual({
      name: "CreateUsagePlanKeyCommand",
      input: { usagePlanId: "p-std", keyId: "key-123", keyType: "API_KEY" },
    });
  });

  it("reads the usage plans once per run, and says what to do when a tier's plan is missing", async () => {
    // Prepare
    const { client, sent } = gateway();
    const plans = new ApiGatewayUsagePlans(client, "dev");
    // Act
    await plans.moveKey("key-1", "standard", "large");
    await plans.deleteKey("key-1");
    const missing = new ApiGatewayUsagePlans(gateway().client, "pr-9").createKey({
      tenant: "acme",
      tier: "standard",
      value: "v".repeat(24),
    });
    // Assert
    expect(sent.filter((s) => s.name === "GetUsagePlansCommand")).toHaveLength(2);
    expect(sent.at(-1)).toEqual({ name: "DeleteApiKeyCommand", input: { apiKey: "key-1" } });
    await expect(missing).rejects.toThrow(
      "no usage plan conversation-log-pr-9-standard in this account and region: deploy the stage's API stack",
    );
  });
});
