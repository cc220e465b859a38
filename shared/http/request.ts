/**
 * The request as handlers see it: parsed from an API Gateway Lambda-proxy event, with the
 * tenant and scopes taken only from the authorizer context.
 */
import type { APIGatewayProxyEvent } from "aws-lambda";
import { isScope, type Scope } from "../auth/scopes.ts";
import {
  PayloadTooLargeError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  ValidationError,
} from "../errors.ts";

export const MAX_BODY_BYTES = 1024 * 1024;

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

/** Parses a JSON body: at most 1 MB, JSON content type, valid JSON. */
export function jsonBody(event: APIGatewayProxyEvent): unknown {
  const type = header(event, "content-type");
  if (type !== undefined) {
    const media = type.split(";")[0]?.trim().toLowerCase() ?? "";
    if (media !== "application/json" && !/^application\/[a-z0-9.+-]+\+json$/.test(media)) {
      throw new UnsupportedMediaTypeError(
        `send the body as JSON with Content-Type: application/json (got ${media})`,
      );
    }
  }
  if (event.body === null || event.body === undefined || event.body.length === 0) {
    throw new ValidationError('the request body is empty; send a JSON event or { "events": [ ... ] }');
  }
  const raw = rawBody(event);
  if (raw.byteLength > MAX_BODY_BYTES) {
    throw new PayloadTooLargeError(
      `the body is ${raw.byteLength} bytes; the limit is ${MAX_BODY_BYTES} bytes (1 MB). Split the batch.`,
    );
  }
  try {
    return JSON.parse(raw.toString("utf8"));
  } catch (cause) {
    const detail = cause instanceof SyntaxError ? cause.message : "unparseable";
    throw new ValidationError(`the body is not valid JSON: ${detail}`, { cause });
  }
}

/** The public URL of the request, for pagination links. */
export function requestUrl(event: APIGatewayProxyEvent): URL {
  // Only a plain scheme: anything else in the header must not redirect pagination links.
  const forwarded = header(event, "x-forwarded-proto")?.toLowerCase();
  const proto = forwarded === "http" || forwarded === "https" ? forwarded : "https";
  const host = event.requestContext?.domainName ?? header(event, "host") ?? "localhost";
  // requestContext.path carries the stage prefix in AWS (`/prod/v1/events`); event.path does not.
  const path = event.requestContext?.path ?? event.path;
  try {
    return new URL(`${proto}://${host}${path}`);
  } catch {
    return new URL(`${proto}://localhost${path}`);
  }
}
