/**
 * Starts the local gateway (same authorizer, same handlers, Lambda-proxy events) on a free
 * port, against the run's DynamoDB Local, with keys for two tenants.
 *
 * Rate plans: each tenant gets {@link TEST_PLAN} unless `plans` says otherwise, so tests that
 * are not about rate limits are never throttled; `null` leaves the tenant on its tier (the
 * stage default, `standard`), as a LOCAL_API_KEYS entry without a plan would.
 */
import { randomBytes } from "node:crypto";
import { inject } from "vitest";
import type { LocalKey } from "#infra/local/bootstrap.ts";
import { type LocalStack, startLocalStack } from "#infra/local/stack.ts";
import type { RatePlan } from "#infra/rate-plans.ts";
import { uniqueTenant } from "./factories.ts";

export interface Api {
  stack: LocalStack;
  tenantA: string;
  tenantB: string;
  keys: {
    a: string;
    aReadOnly: string;
    aWriteOnly: string;
    b: string;
    aAutomations: string;
    bAutomations: string;
    /** `automations:write` alone. */
    aAutomationsOnly: string;
    aAdmin: string;
    bAdmin: string;
    aExport: string;
    bExport: string;
  };
  call(
    method: string,
    path: string,
    options?: {
      key?: string | null;
      body?: unknown;
      rawBody?: string | Buffer;
      headers?: Record<string, string>;
    },
  ): Promise<{ status: number; headers: Headers; json: Record<string, unknown>; text: string }>;
}

const newKey = () => `test_${randomBytes(24).toString("base64url")}`;

/** Wide enough that no test but the rate-limit one ever meets it. */
export const TEST_PLAN: RatePlan = { rate: 10_000, burst: 10_000 };

export interface ApiOptions {
  /** Per-tenant plan (LOCAL_API_KEYS `plan`); `null`: none, the tenant's tier applies. */
  plans?: { a?: RatePlan | null; b?: RatePlan | null };
}

export async function startApi(options: ApiOptions = {}): Promise<Api> {
  const tenantA = uniqueTenant("a");
  const tenantB = uniqueTenant("b");
  const keys = {
    a: newKey(),
    aReadOnly: newKey(),
    aWriteOnly: newKey(),
    b: newKey(),
    aAutomations: newKey(),
    bAutomations: newKey(),
    aAutomationsOnly: newKey(),
    aAdmin: newKey(),
    bAdmin: newKey(),
    aExport: newKey(),
    bExport: newKey(),
  };
  const planA = options.plans?.a === undefined ? TEST_PLAN : options.plans.a;
  const planB = options.plans?.b === undefined ? TEST_PLAN : options.plans.b;
  const withPlan = (seed: LocalKey): LocalKey => {
    const plan = seed.tenant === tenantA ? planA : planB;
    return plan ? { ...seed, plan } : seed;
  };
  const seeds: LocalKey[] = (
    [
      { tenant: tenantA, key: keys.a, scopes: ["events:read", "events:write"] },
      { tenant: tenantA, key: keys.aReadOnly, scopes: ["events:read"] },
      { tenant: tenantA, key: keys.aWriteOnly, scopes: ["events:write"] },
      { tenant: tenantB, key: keys.b, scopes: ["events:read", "events:write"] },
      // Triggers act with their author's authority: an automations key also reads and writes events.
      {
        tenant: tenantA,
        key: keys.aAutomations,
        scopes: ["automations:write", "events:read", "events:write"],
      },
      {
        tenant: tenantB,
        key: keys.bAutomations,
        scopes: ["automations:write", "events:read", "events:write"],
      },
      { tenant: tenantA, key: keys.aAutomationsOnly, scopes: ["automations:write"] },
      { tenant: tenantA, key: keys.aAdmin, scopes: ["admin"] },
      { tenant: tenantB, key: keys.bAdmin, scopes: ["admin"] },
      { tenant: tenantA, key: keys.aExport, scopes: ["export:read"] },
      { tenant: tenantB, key: keys.bExport, scopes: ["export:read"] },
    ] satisfies LocalKey[]
  ).map(withPlan);
  const stack = await startLocalStack({
    port: 0,
    dynamodbEndpoint: inject("dynamodbEndpoint"),
    tableName: inject("tableName"),
    keys: seeds,
    authorizerCacheTtl: 0,
  });
  return {
    stack,
    tenantA,
    tenantB,
    keys,
    async call(method, path, options = {}) {
      const headers: Record<string, string> = { ...(options.headers ?? {}) };
      const key = options.key === undefined ? keys.a : options.key;
      if (key !== null) headers.authorization = `Bearer ${key}`;
      let body: string | Buffer | undefined;
      if (options.rawBody !== undefined) body = options.rawBody;
      else if (options.body !== undefined) {
        body = JSON.stringify(options.body);
        headers["content-type"] ??= "application/json";
      }
      const res = await fetch(`${stack.url}${path}`, {
        method,
        headers,
        ...(body !== undefined ? { body } : {}),
      });
      const text = await res.text();
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(text) as Record<string, unknown>;
      } catch {
        json = {};
      }
      return { status: res.status, headers: res.headers, json, text };
    },
  };
}
