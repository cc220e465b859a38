/**
 * Reading an API Gateway Lambda-proxy event: the caller (tenant and scopes only from the
 * authorizer context), headers, query parameters and the raw body. The parse phase
 * (`parse.ts`) builds on these.
 */
import type { APIGatewayProxyEvent } from "aws-lambda";
import { isScope, type Scope } from "../auth/scopes.ts";
import { UnauthorizedError, ValidationError } from "../errors.ts";

export interface Caller {
  tenant: string;
  scopes: Scope[];
  keyId: string;
}

/** Reads the caller from the authorizer context; handlers trust nothing else. */
export function callerOf(event: APIGatewayProxyEvent): Caller {
  const ctx = event.requestContext?.authorizer as Record<string, unknown> | null | undefined;
  const tenant = ctx?.tenant;
  if (typeof tenant !== "string" || tenant.length === 0) {
    throw new UnauthorizedError("no authenticated caller; send Authorization: Bearer <api key>");
  }
  const scopes = String(ctx?.scopes ?? "")
    .split(" ")
    .filter(isScope);
  return { tenant, scopes, keyId: String(ctx?.key_id ?? "") };
}

export function header(event: APIGatewayProxyEvent, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(event.headers ?? {})) {
    if (k.toLowerCase() === lower && v !== undefined) return v;
  }
  return undefined;
}

/** Query parameters, each at most once: a repeated parameter is ambiguous, so a 400. */
export function queryParams(event: APIGatewayProxyEvent): Record<string, string> {
  const out: Record<string, string> = {};
  const multi = event.multiValueQueryStringParameters ?? {};
  for (const [k, values] of Object.entries(multi)) {
    if (!values) continue;
    if (values.length > 1) {
      throw new ValidationError(`query parameter ${k} is given ${values.length} times; give it once`, {
        errors: [{ path: k, message: "repeated query parameter" }],
      });
    }
    if (values[0] !== undefined) out[k] = values[0];
  }
  for (const [k, v] of Object.entries(event.queryStringParameters ?? {})) {
    if (v !== undefined && !(k in out)) out[k] = v;
  }
  return out;
}

/** The exact bytes received: signatures are over them, not over re-serialized JSON. */
export function rawBody(event: APIGatewayProxyEvent): Buffer {
  if (event.body === null || event.body === undefined) return Buffer.alloc(0);
  return event.isBase64Encoded ? Buffer.from(event.body, "base64") : Buffer.from(event.body, "utf8");
}
