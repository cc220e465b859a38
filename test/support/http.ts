/**
 * Starts the local gateway (same authorizer, same handlers, Lambda-proxy events) on a free
 * port, against the run's DynamoDB Local, with keys for two tenants.
 */
import { randomBytes } from "node:crypto";
import { inject } from "vitest";
import type { LocalKey } from "#infra/local/bootstrap.ts";
import { type LocalStack, startLocalStack } from "#infra/local/stack.ts";
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

export async function startApi(): Promise<Api> {
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
  const seeds: LocalKey[] = [
    { tenant: tenantA, key: keys.a, scopes: ["events:read", "events:write"] },
    { tenant: tenantA, key: keys.aReadOnly, scopes: ["events:read"] },
    { tenant: tenantA, key: keys.aWriteOnly, scopes: ["events:write"] },
    { tenant: tenantB, key: keys.b, scopes: ["events:read", "events:write"] },
    // Triggers act with their author's authority: an automations key also reads and writes events.
    { tenant: tenantA, key: keys.aAutomations, scopes: ["automations:write", "events:read", "events:write"] },
    { tenant: tenantB, key: keys.bAutomations, scopes: ["automations:write", "events:read", "events:write"] },
    { tenant: tenantA, key: keys.aAutomationsOnly, scopes: ["automations:write"] },
    { tenant: tenantA, key: keys.aAdmin, scopes: ["admin"] },
    { tenant: tenantB, key: keys.bAdmin, scopes: ["admin"] },
    { tenant: tenantA, key: keys.aExport, scopes: ["export:read"] },
    { tenant: tenantB, key: keys.bExport, scopes: ["export:read"] },
  ];
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
