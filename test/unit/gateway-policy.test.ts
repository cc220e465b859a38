/**
 * The local gateway's IAM evaluation of authorizer policies: `*` wildcards in execute-api
 * ARNs, an Allow needed, an explicit Deny always winning.
 */
import type { APIGatewayAuthorizerResult, Statement } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { arnMatches, policyAllows } from "#infra/local/gateway.ts";

const API = "arn:aws:execute-api:local:000000000000:local/local";
const TIMELINE = `${API}/GET/v1/conversations/conv-1/events`;

function policy(...statements: Statement[]): APIGatewayAuthorizerResult {
  return { principalId: "key-1", policyDocument: { Version: "2012-10-17", Statement: statements } };
}

const allow = (resource: string | string[]): Statement => ({
  Effect: "Allow",
  Action: "execute-api:Invoke",
  Resource: resource,
});
const deny = (resource: string | string[]): Statement => ({
  Effect: "Deny",
  Action: "execute-api:Invoke",
  Resource: resource,
});

describe("arnMatches", () => {
  it.each([
    [TIMELINE, TIMELINE],
    [`${API}/GET/v1/conversations/*/events`, TIMELINE],
    [`${API}/GET/*`, TIMELINE],
    [`${API}/*/v1/conversations/*/events`, TIMELINE],
    [`${API}/*`, `${API}/POST/v1/events`],
    ["*", TIMELINE],
    [`${API}/GET/v1/conversations/*/events`, `${API}/GET/v1/conversations/a.b:c-d_e/events`],
  ])("%s matches %s", (pattern, arn) => {
    expect(arnMatches(pattern, arn)).toBe(true);
  });

  it.each([
    ["another method", `${API}/POST/v1/conversations/*/events`, TIMELINE],
    ["another path", `${API}/GET/v1/events`, TIMELINE],
    ["a prefix only (the pattern is anchored)", `${API}/GET/v1/conversations`, TIMELINE],
    ["a longer pattern", `${TIMELINE}/more`, TIMELINE],
    ["another stage", "arn:aws:execute-api:local:000000000000:local/prod/GET/*", TIMELINE],
    ["a dot taken literally", `${API}/GET/v1/openapi.json`, `${API}/GET/v1/openapiXjson`],
    ["regex characters taken literally", `${API}/GET/v1/(a|b)+`, `${API}/GET/v1/a`],
    [
      "a trailing segment after the wildcard",
      `${API}/GET/v1/conversations/*/events`,
      `${API}/GET/v1/conversations/c1`,
    ],
  ])("does not match %s", (_what, pattern, arn) => {
    expect(arnMatches(pattern, arn)).toBe(false);
  });

  it("lets * span slashes, as IAM does", () => {
    expect(arnMatches(`${API}/GET/v1/*`, TIMELINE)).toBe(true);
  });
});

describe("policyAllows", () => {
  it("allows an ARN matched by an Allow statement", () => {
    expect(policyAllows(policy(allow(`${API}/GET/v1/conversations/*/events`)), TIMELINE)).toBe(true);
  });

  it("allows when any resource of a list matches", () => {
    expect(
      policyAllows(
        policy(allow([`${API}/POST/v1/events`, `${API}/GET/v1/conversations/*/events`])),
        TIMELINE,
      ),
    ).toBe(true);
  });

  it("denies by default: no statement, or no matching Allow", () => {
    expect(policyAllows(policy(), TIMELINE)).toBe(false);
    expect(policyAllows(policy(allow(`${API}/POST/v1/events`)), TIMELINE)).toBe(false);
  });

  it("lets an explicit Deny win over an Allow, whatever the order", () => {
    expect(policyAllows(policy(allow(`${API}/*`), deny(TIMELINE)), TIMELINE)).toBe(false);
    expect(policyAllows(policy(deny(TIMELINE), allow(`${API}/*`)), TIMELINE)).toBe(false);
    expect(policyAllows(policy(allow(TIMELINE), deny(`${API}/*`)), TIMELINE)).toBe(false);
  });

  it("ignores a Deny on other resources", () => {
    expect(policyAllows(policy(deny(`${API}/POST/v1/events`), allow(`${API}/*`)), TIMELINE)).toBe(true);
  });

  it("counts only statements about execute-api:Invoke", () => {
    // Prepare
    const s3Allow: Statement = { Effect: "Allow", Action: "s3:GetObject", Resource: "*" };
    const s3Deny: Statement = { Effect: "Deny", Action: ["s3:*"], Resource: "*" };
    // Act / Assert
    expect(policyAllows(policy(s3Allow), TIMELINE)).toBe(false);
    expect(policyAllows(policy(s3Deny, allow(TIMELINE)), TIMELINE)).toBe(true);
    expect(
      policyAllows(
        policy({ Effect: "Allow", Action: ["s3:GetObject", "execute-api:*"], Resource: TIMELINE }),
        TIMELINE,
      ),
    ).toBe(true);
    expect(
      policyAllows(policy({ Effect: "Deny", Action: "*", Resource: "*" }, allow(TIMELINE)), TIMELINE),
    ).toBe(false);
  });
});
