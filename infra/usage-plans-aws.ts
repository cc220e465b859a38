/**
 * The AWS adapter of the {@link UsagePlans} port: API Gateway API keys and usage plans.
 *
 * A tenant's usage key is an API Gateway API key named `conversation-log-{stage}-{tenant}`,
 * bound to its tier's usage plan. The usage plans are the API stack's, found by their names
 * (`conversation-log-{stage}-{tier}`, infra/rate-plans.ts), so the CLI needs no stack outputs.
 * Used by `npm run keys` against a deployed stage only; its request shapes are unit-tested
 * with the client faked, since API Gateway cannot run here.
 */
import {
  type APIGatewayClient,
  CreateApiKeyCommand,
  CreateUsagePlanKeyCommand,
  DeleteApiKeyCommand,
  DeleteUsagePlanKeyCommand,
  GetUsagePlansCommand,
} from "@aws-sdk/client-api-gateway";
import { type RatePlanTier, usagePlanName } from "./rate-plans.ts";
import type { UsageKey, UsagePlans } from "./usage-plans.ts";

/** The one method of the SDK client this adapter uses: a test passes a fake. */
export type ApiGatewaySend = Pick<APIGatewayClient, "send">;

export class ApiGatewayUsagePlans implements UsagePlans {
  #planIds: Map<string, string> | undefined;

  constructor(
    private readonly client: ApiGatewaySend,
    private readonly stage: string,
  ) {}

  async createKey(input: { tenant: string; tier: RatePlanTier; value: string }): Promise<UsageKey> {
    const planId = await this.#planId(input.tier);
    const key = await this.client.send(
      new CreateApiKeyCommand({
        name: `conversation-log-${this.stage}-${input.tenant}`,
        description: `Usage key of tenant ${input.tenant}: meters its requests (the authorizer presents it; clients never do)`,
        enabled: true,
        value: input.value,
        tags: { project: "conversation-log", stage: this.stage, tenant: input.tenant },
      }),
    );
    if (!key.id) throw new Error("API Gateway created an API key without an id");
    try {
      await this.client.send(
        new CreateUsagePlanKeyCommand({ usagePlanId: planId, keyId: key.id, keyType: "API_KEY" }),
      );
    } catch (error) {
      // A key on no plan would make every request of the tenant a 403: take it back.
      await this.client.send(new DeleteApiKeyCommand({ apiKey: key.id }));
      throw error;
    }
    return { id: key.id, value: input.value };
  }

  /**
   * API Gateway binds a key to at most one usage plan per stage, so the key leaves the old plan
   * before it joins the new one; if joining fails, it goes back.
   */
  async moveKey(keyId: string, from: RatePlanTier, to: RatePlanTier): Promise<void> {
    const fromId = await this.#planId(from);
    const toId = await this.#planId(to);
    await this.client.send(new DeleteUsagePlanKeyCommand({ usagePlanId: fromId, keyId }));
    try {
      await this.client.send(new CreateUsagePlanKeyCommand({ usagePlanId: toId, keyId, keyType: "API_KEY" }));
    } catch (error) {
      await this.client.send(
        new CreateUsagePlanKeyCommand({ usagePlanId: fromId, keyId, keyType: "API_KEY" }),
      );
      throw error;
    }
  }

  async deleteKey(keyId: string): Promise<void> {
    await this.client.send(new DeleteApiKeyCommand({ apiKey: keyId }));
  }

  async #planId(tier: RatePlanTier): Promise<string> {
    if (!this.#planIds) {
      const ids = new Map<string, string>();
      let position: string | undefined;
      do {
        const page = await this.client.send(new GetUsagePlansCommand({ limit: 500, position }));
        for (const plan of page.items ?? []) if (plan.name && plan.id) ids.set(plan.name, plan.id);
        position = page.position;
      } while (position);
      this.#planIds = ids;
    }
    const name = usagePlanName(this.stage, tier);
    const id = this.#planIds.get(name);
    if (!id) {
      throw new Error(
        `no usage plan ${name} in this account and region: deploy the stage's API stack (npx cdk deploy --context stage=${this.stage}) or check --stage and AWS_REGION`,
      );
    }
    return id;
  }
}
