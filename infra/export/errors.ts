/**
 * The export CLI's expected failures. Each maps to an exit code and a one-line message
 * (never a stack trace): usage and client errors exit 2, the rest exit 1.
 */

/** Bad arguments, or an output/state that does not match them: exit 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  errors?: { path?: string; message?: string }[];
}

/** A 4xx other than 429: retrying cannot help (bad key, bad --since, invalid cursor): exit 2. */
export class ProblemError extends Error {
  override name = "ProblemError";
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    const head = `HTTP ${status}${problem.title ? ` ${problem.title}` : ""}`;
    const lines = [problem.detail ? `${head}: ${problem.detail}` : head];
    for (const e of problem.errors ?? []) lines.push(`  - ${e.path ? `${e.path}: ` : ""}${e.message ?? ""}`);
    super(lines.join("\n"));
  }
}

/** 429, 5xx, network errors, a truncated or malformed body: back off and retry the page. */
export class RetryableError extends Error {
  override name = "RetryableError";
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** The server answered something the contract does not allow (a missing header, …): exit 1. */
export class ProtocolError extends Error {
  override name = "ProtocolError";
}

/** Every retry of a page failed: exit 1. */
export class GaveUpError extends Error {
  override name = "GaveUpError";
}

/** The run was stopped by a signal (Ctrl-C). */
export class InterruptedError extends Error {
  override name = "InterruptedError";
}
