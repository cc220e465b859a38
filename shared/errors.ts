/**
 * Typed errors. Each carries its HTTP status and whether its message may be shown to a
 * client (`expose`, as in middy's http-error-handler). They are mapped to
 * `application/problem+json` in one place: `shared/http/problem.ts`.
 */
import type { FieldError } from "./events/validate.ts";

export abstract class AppError extends Error {
  abstract readonly status: number;
  abstract readonly title: string;
  /** Problem type slug, rendered as `https://conversation-log.dev/problems/<slug>`. */
  abstract readonly slug: string;
  readonly errors: FieldError[] | undefined;

  constructor(message: string, options?: { cause?: unknown; errors?: FieldError[] }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.errors = options?.errors;
  }

  /** Only client errors are shown to the client; anything else becomes a generic 500. */
  get expose(): boolean {
    return this.status < 500;
  }
}

export class ValidationError extends AppError {
  readonly status = 400;
  readonly title = "Invalid request";
  readonly slug = "validation";
}

export class UnauthorizedError extends AppError {
  readonly status = 401;
  readonly title = "Unauthorized";
  readonly slug = "unauthorized";
}

export class ForbiddenError extends AppError {
  readonly status = 403;
  readonly title = "Forbidden";
  readonly slug = "forbidden";
}

export class NotFoundError extends AppError {
  readonly status = 404;
  readonly title = "Not found";
  readonly slug = "not-found";
}

export class MethodNotAllowedError extends AppError {
  readonly status = 405;
  readonly title = "Method not allowed";
  readonly slug = "method-not-allowed";
}

export class NotAcceptableError extends AppError {
  readonly status = 406;
  readonly title = "Not acceptable";
  readonly slug = "not-acceptable";
}

export class ConflictError extends AppError {
  readonly status = 409;
  readonly title = "Conflict";
  readonly slug = "conflict";
}

export class PayloadTooLargeError extends AppError {
  readonly status = 413;
  readonly title = "Payload too large";
  readonly slug = "payload-too-large";
}

export class UnsupportedMediaTypeError extends AppError {
  readonly status = 415;
  readonly title = "Unsupported media type";
  readonly slug = "unsupported-media-type";
}

export class UnprocessableError extends AppError {
  readonly status = 422;
  readonly title = "Unprocessable request";
  readonly slug = "unprocessable";
}

/** A per-tenant limit (triggers, subscriptions, …) is reached: the request would exceed it. */
export class LimitExceededError extends AppError {
  readonly status = 422;
  readonly title = "Limit exceeded";
  readonly slug = "limit-exceeded";
}

/** A storage fault that survived retries (throttling, transaction contention). */
export class StoreUnavailableError extends AppError {
  readonly status = 503;
  readonly title = "Service unavailable";
  readonly slug = "unavailable";
}
