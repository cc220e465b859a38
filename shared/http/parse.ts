/**
 * The parse phase: one request against its route's schemas, every problem a field error a
 * person can act on, all of them in one answer. What comes out is typed input for `handle`;
 * use cases never see query syntax, raw headers or unparsed bodies.
 *
 * Order: path parameters, query, headers, then the body (media type, size, JSON syntax,
 * structure, schema). An id in the path that we could never have issued is a 404, as an
 * unknown one is (see {@link notFoundWhenInvalid}).
 */
import type { APIGatewayProxyEvent } from "aws-lambda";
import type * as z from "zod";
import {
  AppError,
  NotFoundError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
  ValidationError,
} from "../errors.ts";
import { type FieldError, structuralError, zodErrors } from "../events/validate.ts";
import type { BodySpec, RequestSpec } from "./contract.ts";
import { header, queryParams, rawBody } from "./request.ts";

/** The API's body limit (API Gateway's own is 10 MB). */
export const MAX_BODY_BYTES = 1024 * 1024;
/** Deepest nesting of a JSON body the schema validates (events have their own, per event). */
export const MAX_BODY_DEPTH = 32;

const notFoundNouns = new WeakMap<z.ZodType, string>();

/**
 * Marks a path parameter's schema so that a value it rejects is a 404 (`no trigger …`), not a
 * 400: an id the API could never have issued names nothing, exactly like an unknown id.
 */
export function notFoundWhenInvalid<S extends z.ZodType>(schema: S, noun: string): S {
  notFoundNouns.set(schema, noun);
  return schema;
}

export interface ParsedInput {
  path: Record<string, unknown>;
  query: Record<string, unknown>;
  headers: Record<string, unknown>;
  body: unknown;
}

function fail(errors: FieldError[]): never {
  throw new ValidationError(errors.map((e) => `${e.path}: ${e.message}`).join("; "), { errors });
}

function parsePath(schema: z.ZodObject | undefined, event: APIGatewayProxyEvent, errors: FieldError[]) {
  const raw = event.pathParameters ?? {};
  if (!schema) return {};
  for (const [name, field] of Object.entries(schema.shape) as [string, z.ZodType][]) {
    const noun = notFoundNouns.get(field);
    if (noun && !field.safeParse(raw[name]).success) throw new NotFoundError(`no ${noun} ${raw[name] ?? ""}`);
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  errors.push(...zodErrors(parsed.error, "", raw));
  return {};
}

function parseQuery(schema: z.ZodObject | undefined, event: APIGatewayProxyEvent, errors: FieldError[]) {
  let raw: Record<string, string>;
  try {
    raw = queryParams(event);
  } catch (error) {
    if (error instanceof AppError && error.errors) errors.push(...error.errors);
    return {};
  }
  if (!schema) {
    errors.push(
      ...Object.keys(raw).map((k) => ({
        path: k,
        message: "unknown query parameter; this route takes none",
      })),
    );
    return {};
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  errors.push(...queryErrors(parsed.error, raw));
  return {};
}

function queryErrors(error: z.ZodError, raw: Record<string, string>): FieldError[] {
  return zodErrors(error, "", raw).map((e) =>
    e.message.startsWith("unknown field") ? { ...e, message: "unknown query parameter" } : e,
  );
}

/** Parses query parameters as the parse phase does (for callers without an HTTP event: the CLI, tests). */
export function parseQueryParams<S extends z.ZodObject>(schema: S, raw: Record<string, string>): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) fail(queryErrors(parsed.error, raw));
  return parsed.data;
}

function parseHeaders(schema: z.ZodObject | undefined, event: APIGatewayProxyEvent, errors: FieldError[]) {
  if (!schema) return {};
  const raw: Record<string, string> = {};
  for (const name of Object.keys(schema.shape)) {
    const value = header(event, name);
    if (value !== undefined) raw[name] = value;
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  errors.push(...zodErrors(parsed.error, "", raw));
  return {};
}

function isJsonMediaType(contentType: string | undefined): boolean {
  if (contentType === undefined) return true;
  const media = contentType.split(";")[0]?.trim().toLowerCase() ?? "";
  return media === "application/json" || /^application\/[a-z0-9.+-]+\+json$/.test(media);
}

/** The JSON body: JSON media type (or none), at most 1 MB, valid JSON; `undefined` when absent. */
export function readJson(event: APIGatewayProxyEvent): unknown {
  const type = header(event, "content-type");
  if (!isJsonMediaType(type)) {
    const media = type?.split(";")[0]?.trim().toLowerCase();
    throw new UnsupportedMediaTypeError(
      `send the body as JSON with Content-Type: application/json (got ${media})`,
    );
  }
  if (event.body === null || event.body === undefined || event.body.length === 0) return undefined;
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

function parseBody(spec: BodySpec | undefined, event: APIGatewayProxyEvent): unknown {
  if (!spec) return undefined;
  if (spec.kind === "raw") return rawBody(event);
  const body = readJson(event);
  if (body === undefined && spec.required) {
    throw new ValidationError(`the request body is empty; send ${spec.expects}`);
  }
  if (spec.validatedBy === "use-case") return body;
  const value = body ?? {};
  const structural = structuralError(value, "", MAX_BODY_DEPTH);
  if (structural) fail([structural]);
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    fail([{ path: "(root)", message: "the body must be a JSON object" }]);
  }
  const parsed = spec.schema.safeParse(value);
  if (!parsed.success) fail(zodErrors(parsed.error, "", value));
  return parsed.data;
}

/**
 * Validates a request against its route's schemas. Throws a {@link ValidationError} listing
 * every field error of the path, query and headers (then of the body), a 404 for an id that
 * cannot exist, 413 and 415 for bodies the API does not take.
 */
export function parseRequest(spec: RequestSpec, event: APIGatewayProxyEvent): ParsedInput {
  const errors: FieldError[] = [];
  const path = parsePath(spec.path, event, errors);
  const query = parseQuery(spec.query, event, errors);
  const headers = parseHeaders(spec.headers, event, errors);
  if (errors.length > 0) fail(errors);
  return { path, query, headers, body: parseBody(spec.body, event) };
}
