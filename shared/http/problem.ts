/**
 * The one place where errors become HTTP answers: `application/problem+json` (RFC 9457).
 * Client errors show their message; anything else becomes a generic 500 with no internals.
 */
import { AppError } from "../errors.ts";
import type { FieldError } from "../events/validate.ts";

export const PROBLEM_CONTENT_TYPE = "application/problem+json";
export const PROBLEM_BASE = "https://conversation-log.dev/problems/";

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  errors?: FieldError[];
  /** The request's id, as in the `X-Request-Id` header: quote it when reporting a problem. */
  request_id?: string;
}

/** The response header that carries the request id (API Gateway's on AWS). */
export const REQUEST_ID_HEADER = "x-request-id";

export function problemFor(error: unknown, instance?: string, requestId?: string): Problem {
  const id = requestId ? { request_id: requestId } : {};
  if (error instanceof AppError && error.expose) {
    return {
      type: `${PROBLEM_BASE}${error.slug}`,
      title: error.title,
      status: error.status,
      detail: error.message,
      ...(instance ? { instance } : {}),
      ...(error.errors && error.errors.length > 0 ? { errors: error.errors } : {}),
      ...id,
    };
  }
  if (error instanceof AppError) {
    return {
      type: `${PROBLEM_BASE}${error.slug}`,
      title: error.title,
      status: error.status,
      detail: "The service could not complete the request; retry with backoff.",
      ...(instance ? { instance } : {}),
      ...id,
    };
  }
  return {
    type: `${PROBLEM_BASE}internal`,
    title: "Internal error",
    status: 500,
    detail: "An unexpected error occurred. It has been logged; quote the request id when you report it.",
    ...(instance ? { instance } : {}),
    ...id,
  };
}

/**
 * A problem response for an API Gateway proxy integration or the local gateway. A problem
 * with a `request_id` also carries it in the `X-Request-Id` header.
 */
export function problemResponse(
  problem: Problem,
  headers: Record<string, string> = {},
): { statusCode: number; headers: Record<string, string>; body: string } {
  return {
    statusCode: problem.status,
    headers: {
      "content-type": PROBLEM_CONTENT_TYPE,
      "cache-control": "no-store",
      ...(problem.request_id ? { [REQUEST_ID_HEADER]: problem.request_id } : {}),
      ...headers,
    },
    body: JSON.stringify(problem),
  };
}
