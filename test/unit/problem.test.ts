/**
 * problemFor: client errors keep their status and reason; faults reveal nothing (docs/api.md, "Errors").
 */
import { describe, expect, it } from "vitest";
import {
  type AppError,
  ConflictError,
  ForbiddenError,
  MethodNotAllowedError,
  NotAcceptableError,
  NotFoundError,
  PayloadTooLargeError,
  StoreUnavailableError,
  UnauthorizedError,
  UnprocessableError,
  UnsupportedMediaTypeError,
  ValidationError,
} from "#shared/errors.ts";
import { PROBLEM_BASE, PROBLEM_CONTENT_TYPE, problemFor, problemResponse } from "#shared/http/problem.ts";

describe("problemFor", () => {
  it("keeps status, title, detail and field errors of a ValidationError", () => {
    // Prepare
    const errors = [{ path: "events[3].occurred_at", message: "is required" }];
    // Act
    const problem = problemFor(new ValidationError("the event is invalid", { errors }), "/v1/events");
    // Assert
    expect(problem).toEqual({
      type: `${PROBLEM_BASE}validation`,
      title: "Invalid request",
      status: 400,
      detail: "the event is invalid",
      instance: "/v1/events",
      errors,
    });
  });

  it.each([
    [new UnauthorizedError("send a key"), 401, "unauthorized"],
    [new ForbiddenError("needs events:read"), 403, "forbidden"],
    [new NotFoundError("no such conversation"), 404, "not-found"],
    [new MethodNotAllowedError("use GET"), 405, "method-not-allowed"],
    [new NotAcceptableError("ask for JSON"), 406, "not-acceptable"],
    [new ConflictError("id e1 has another body"), 409, "conflict"],
    [new PayloadTooLargeError("over 1 MB"), 413, "payload-too-large"],
    [new UnsupportedMediaTypeError("send JSON"), 415, "unsupported-media-type"],
    [new UnprocessableError("key reused"), 422, "unprocessable"],
  ] as [AppError, number, string][])("keeps %s as %i %s", (error, status, slug) => {
    // Act
    const problem = problemFor(error);
    // Assert
    expect(problem).toEqual({
      type: `${PROBLEM_BASE}${slug}`,
      title: error.title,
      status,
      detail: error.message,
    });
  });

  it("omits an empty errors list and an absent instance", () => {
    const problem = problemFor(new ValidationError("bad", { errors: [] }));
    expect(problem).not.toHaveProperty("errors");
    expect(problem).not.toHaveProperty("instance");
  });

  it("turns a plain Error into a 500 that reveals nothing of its message", () => {
    // Prepare
    const error = new Error("ECONNREFUSED 10.0.3.7:8000 table conversation-log-prod secret=hunter2");
    // Act
    const problem = problemFor(error, "/v1/events");
    // Assert
    expect(problem.status).toBe(500);
    expect(problem.type).toBe(`${PROBLEM_BASE}internal`);
    expect(problem).not.toHaveProperty("errors");
    const text = JSON.stringify(problem);
    for (const secret of ["ECONNREFUSED", "10.0.3.7", "conversation-log-prod", "hunter2", "Error"]) {
      expect(text).not.toContain(secret);
    }
    expect(problem.instance).toBe("/v1/events");
  });

  it.each([
    ["a string", "boom: secret"],
    ["undefined", undefined],
    ["an object", { message: "secret" }],
    ["a TypeError", new TypeError("x is undefined: secret")],
  ])("turns %s thrown into a generic 500", (_what, thrown) => {
    const problem = problemFor(thrown);
    expect(problem.status).toBe(500);
    expect(JSON.stringify(problem)).not.toContain("secret");
  });

  it("keeps 503 for StoreUnavailableError but hides its message and field errors", () => {
    // Prepare
    const error = new StoreUnavailableError(
      "ProvisionedThroughputExceededException on conversation-log-prod",
      {
        errors: [{ path: "internal", message: "retry budget spent" }],
      },
    );
    // Act
    const problem = problemFor(error);
    // Assert
    expect(error.expose).toBe(false);
    expect(problem.status).toBe(503);
    expect(problem.type).toBe(`${PROBLEM_BASE}unavailable`);
    expect(problem.detail).toMatch(/retry/i);
    expect(JSON.stringify(problem)).not.toContain("ProvisionedThroughput");
    expect(JSON.stringify(problem)).not.toContain("conversation-log-prod");
    expect(problem).not.toHaveProperty("errors");
  });

  it("renders a problem response with the problem+json content type", () => {
    // Act
    const response = problemResponse(problemFor(new NotFoundError("no such conversation")), { allow: "GET" });
    // Assert
    expect(response.statusCode).toBe(404);
    expect(response.headers["content-type"]).toBe(PROBLEM_CONTENT_TYPE);
    expect(response.headers.allow).toBe("GET");
    expect(JSON.parse(response.body)).toMatchObject({ status: 404, detail: "no such conversation" });
  });
});
