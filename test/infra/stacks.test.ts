/**
 * CDK template assertions on what matters, and cdk-nag's AwsSolutions pack, for `dev` and
 * `prod`. Bundling is skipped here (`npm run synth` bundles for real).
 */
import { App, Stack } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { Queue } from "aws-cdk-lib/aws-sqs";
import { AwsSolutionsChecks } from "cdk-nag";
import { describe, expect, it } from "vitest";
import { buildApp } from "#infra/app.ts";
import { stageConfig } from "#infra/config.ts";
import { RATE_PLAN_TIERS, ratePlansFor } from "#infra/rate-plans.ts";
import { BUS_RULES } from "#shared/bus/rules.ts";
import { BUS_TARGET_FUNCTIONS, HTTP_FUNCTIONS } from "#shared/function-registry.ts";
import { meteringOf, ROUTES, type Route } from "#shared/http/routes.ts";
import { TABLE } from "#shared/store/dynamo/table.ts";

type Resource = { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string };

function synth(stage: string) {
  const app = new App({ context: { "aws:cdk:bundling-stacks": [] } });
  const stacks = buildApp(app, stage);
  return {
    app,
    stateful: Template.fromStack(stacks.stateful),
    api: Template.fromStack(stacks.api),
  };
}

const dev = synth("dev");
const prod = synth("prod");

function resources(t: Template, type: string): [string, Resource][] {
  return Object.entries(t.findResources(type) as Record<string, Resource>);
}

/** Logical id of the function whose construct id starts with `name` (Ingest, Query, …). */
function functionId(t: Template, name: string): string {
  const found = resources(t, "AWS::Lambda::Function").filter(([id]) => id.startsWith(`${name}Fn`));
  expect(found, `one ${name} function`).toHaveLength(1);
  return (found[0] as [string, Resource])[0];
}

/** The properties of the function whose construct id starts with `name`. */
function functionProps(t: Template, name: string): Record<string, unknown> {
  const id = functionId(t, name);
  const found = resources(t, "AWS::Lambda::Function").find(([rid]) => rid === id);
  if (!found) throw new Error(`no function ${name}`);
  return found[1].Properties;
}

/** Every action granted to a function's role, over all its policies. */
function actionsOf(t: Template, name: string): Set<string> {
  const id = functionId(t, name);
  const fn = resources(t, "AWS::Lambda::Function").find(([rid]) => rid === id)?.[1] as Resource;
  const roleRef = JSON.stringify((fn.Properties.Role as { "Fn::GetAtt": [string] })["Fn::GetAtt"][0]);
  const actions = new Set<string>();
  for (const [, policy] of resources(t, "AWS::IAM::Policy")) {
    if (!JSON.stringify(policy.Properties.Roles).includes(roleRef)) continue;
    const doc = policy.Properties.PolicyDocument as { Statement: { Action: string | string[] }[] };
    for (const s of doc.Statement) for (const a of [s.Action].flat()) actions.add(a);
  }
  return actions;
}

describe("stateful stack", () => {
  it("builds the table from the shared definition: keys, index, stream, encryption, on-demand", () => {
    dev.stateful.hasResourceProperties("AWS::DynamoDB::Table", {
      TableName: "conversation-log-dev",
      BillingMode: "PAY_PER_REQUEST",
      KeySchema: [
        { AttributeName: TABLE.partitionKey, KeyType: "HASH" },
        { AttributeName: TABLE.sortKey, KeyType: "RANGE" },
      ],
      GlobalSecondaryIndexes: Object.values(TABLE.indexes).map((index) => ({
        IndexName: index.name,
        KeySchema: [
          { AttributeName: index.partitionKey, KeyType: "HASH" },
          { AttributeName: index.sortKey, KeyType: "RANGE" },
        ],
        Projection: { ProjectionType: "ALL" },
      })),
      StreamSpecification: { StreamViewType: "NEW_AND_OLD_IMAGES" },
      SSESpecification: { SSEEnabled: true },
      TimeToLiveSpecification: { AttributeName: TABLE.ttlAttribute, Enabled: true },
    });
    expect(Object.keys(TABLE.indexes).sort()).toEqual(["bySequence", "byTime", "byUpdated"]);
  });

  it("keeps prod data (PITR, deletion protection, retain) and lets dev go", () => {
    const [, prodTable] = resources(prod.stateful, "AWS::DynamoDB::Table")[0] as [string, Resource];
    const [, devTable] = resources(dev.stateful, "AWS::DynamoDB::Table")[0] as [string, Resource];
    expect(prodTable.Properties).toMatchObject({
      DeletionProtectionEnabled: true,
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
    expect(prodTable.DeletionPolicy).toBe("Retain");
    expect(devTable.Properties.DeletionProtectionEnabled).toBe(false);
    expect(devTable.Properties.PointInTimeRecoverySpecification).toEqual({
      PointInTimeRecoveryEnabled: false,
    });
    expect(devTable.DeletionPolicy).toBe("Delete");
  });

  it("has a custom bus with an archive of everything for replay", () => {
    dev.stateful.hasResourceProperties("AWS::Events::EventBus", { Name: "conversation-log-dev" });
    dev.stateful.hasResourceProperties("AWS::Events::Archive", {
      SourceArn: { "Fn::GetAtt": [Match.stringLikeRegexp("^Bus"), "Arn"] },
      RetentionDays: 7,
    });
    prod.stateful.hasResourceProperties("AWS::Events::Archive", { RetentionDays: 365 });
  });
});

describe("secrets key (stateful stack)", () => {
  it("is a KMS key with rotation, a stage alias, retained in prod", () => {
    for (const [stage, t] of [
      ["dev", dev],
      ["prod", prod],
    ] as const) {
      const keys = resources(t.stateful, "AWS::KMS::Key");
      expect(keys, stage).toHaveLength(1);
      const [keyId, key] = keys[0] as [string, Resource];
      expect(key.Properties.EnableKeyRotation).toBe(true);
      expect(key.DeletionPolicy).toBe(stage === "prod" ? "Retain" : "Delete");
      t.stateful.hasResourceProperties("AWS::KMS::Alias", {
        AliasName: `alias/conversation-log-${stage}-secrets`,
        TargetKeyId: { "Fn::GetAtt": [keyId, "Arn"] },
      });
    }
  });
});

describe("API stack", () => {
  /** Full path of every API Gateway resource, from the PathPart/ParentId chain. */
  function resourcePaths(t: Template): Map<string, string> {
    const all = new Map(resources(t, "AWS::ApiGateway::Resource"));
    const paths = new Map<string, string>();
    const pathOf = (id: string): string => {
      const r = all.get(id) as Resource;
      const parent = r.Properties.ParentId as { Ref?: string };
      const prefix = parent.Ref ? pathOf(parent.Ref) : "";
      return `${prefix}/${String(r.Properties.PathPart)}`;
    };
    for (const id of all.keys()) paths.set(id, pathOf(id));
    return paths;
  }

  it("maps every route of the shared table to its function, with the key authorizer on every private route and the channel authorizer on every webhook", () => {
    const paths = resourcePaths(dev.api);
    const methods = resources(dev.api, "AWS::ApiGateway::Method");
    expect(methods).toHaveLength(ROUTES.length);
    for (const route of ROUTES as readonly Route[]) {
      const match = methods.filter(([, m]) => {
        const ref = (m.Properties.ResourceId as { Ref: string }).Ref;
        return m.Properties.HttpMethod === route.method && paths.get(ref) === route.path;
      });
      expect(match, `${route.method} ${route.path}`).toHaveLength(1);
      const method = (match[0] as [string, Resource])[1].Properties as Record<string, unknown>;
      const fnName = route.fn[0]?.toUpperCase() + route.fn.slice(1);
      expect(JSON.stringify(method.Integration)).toContain(functionId(dev.api, fnName));
      expect((method.Integration as { Type: string }).Type).toBe("AWS_PROXY");
      const metering = meteringOf(route);
      if (metering === null) {
        expect(method.AuthorizationType).toBe("NONE");
      } else {
        expect(method.AuthorizationType).toBe("CUSTOM");
        expect(method.AuthorizerId).toEqual({
          Ref: expect.stringMatching(metering === "key" ? /^KeyAuthorizer/ : /^ChannelAuthorizer/),
        });
      }
    }
  });

  it("meters every private route and every webhook against a usage key, and no public service route", () => {
    // Prepare
    const paths = resourcePaths(dev.api);
    const methods = resources(dev.api, "AWS::ApiGateway::Method").map(([, m]) => m.Properties);
    const keyRequired = (route: Route) =>
      methods.find(
        (m) =>
          m.HttpMethod === route.method && paths.get((m.ResourceId as { Ref: string }).Ref) === route.path,
      )?.ApiKeyRequired === true;
    // Act
    const metered = (ROUTES as readonly Route[]).filter(keyRequired).map((r) => `${r.method} ${r.path}`);
    const unmetered = (ROUTES as readonly Route[]).filter((r) => !keyRequired(r)).map((r) => r.path);
    // Assert
    expect(metered).toEqual(
      expect.arrayContaining([
        "POST /v1/events",
        "GET /v1/channels/whatsapp/{webhook_id}",
        "POST /v1/channels/whatsapp/{webhook_id}",
        "POST /v1/channels/sunco/{webhook_id}",
      ]),
    );
    expect(metered).toHaveLength(ROUTES.filter((r) => r.scope !== null).length + 3);
    expect(unmetered.sort()).toEqual(["/docs", "/v1/health", "/v1/openapi.json"]);
  });

  it("takes the usage key from the authorizers (apiKeySource AUTHORIZER), never from a client header", () => {
    dev.api.hasResourceProperties("AWS::ApiGateway::RestApi", { ApiKeySourceType: "AUTHORIZER" });
    prod.api.hasResourceProperties("AWS::ApiGateway::RestApi", { ApiKeySourceType: "AUTHORIZER" });
    // Both authorizers know the stage's shared key, for requests of no tenant plan.
    for (const name of ["Authorizer", "WebhookAuthorizer"]) {
      const [, fn] = resources(dev.api, "AWS::Lambda::Function").find(([id]) =>
        id.startsWith(`${name}Fn`),
      ) as [string, Resource];
      expect((fn.Properties.Environment as { Variables: Record<string, string> }).Variables).toMatchObject({
        UNASSIGNED_USAGE_KEY: "conversation-log-dev-unassigned",
      });
    }
  });

  it("has one usage plan per tier with its throttle on the stage, and a shared key on an unassigned plan", () => {
    for (const [stage, t] of [
      ["dev", dev.api],
      ["prod", prod.api],
    ] as const) {
      t.resourceCountIs("AWS::ApiGateway::UsagePlan", RATE_PLAN_TIERS.length + 1);
      for (const tier of RATE_PLAN_TIERS) {
        const plan = ratePlansFor(stage)[tier];
        t.hasResourceProperties("AWS::ApiGateway::UsagePlan", {
          UsagePlanName: `conversation-log-${stage}-${tier}`,
          Throttle: { RateLimit: plan.rate, BurstLimit: plan.burst },
          ApiStages: [
            Match.objectLike({
              ApiId: { Ref: Match.stringLikeRegexp("^Api") },
              Stage: { Ref: Match.stringLikeRegexp(`^ApiDeploymentStage${stage}`) },
            }),
          ],
        });
      }
      // Tenants' keys are made by `npm run keys`; the stack makes only the shared one.
      t.resourceCountIs("AWS::ApiGateway::ApiKey", 1);
      t.hasResourceProperties("AWS::ApiGateway::ApiKey", {
        Name: `conversation-log-${stage}-unassigned`,
        Value: `conversation-log-${stage}-unassigned`,
        Enabled: true,
      });
      t.hasResourceProperties("AWS::ApiGateway::UsagePlanKey", {
        KeyType: "API_KEY",
        KeyId: { Ref: Match.stringLikeRegexp("^UnassignedUsageKey") },
        UsagePlanId: { Ref: Match.stringLikeRegexp("^ApiUsagePlanunassigned") },
      });
    }
    dev.api.hasResourceProperties("AWS::ApiGateway::UsagePlan", {
      UsagePlanName: "conversation-log-dev-standard",
      Throttle: { RateLimit: 100, BurstLimit: 200 },
    });
    // The unassigned plan is as wide as the stage: tenants without a plan are limited as before.
    dev.api.hasResourceProperties("AWS::ApiGateway::UsagePlan", {
      UsagePlanName: "conversation-log-dev-unassigned",
      Throttle: { RateLimit: 250, BurstLimit: 500 },
    });
  });

  it("keeps the stage throttle the outer bound: no tier is above it", () => {
    for (const stage of ["dev", "prod", "pr-7"]) {
      const config = stageConfig(stage);
      for (const plan of Object.values(config.ratePlans)) {
        expect(plan.rate).toBeLessThanOrEqual(config.throttle.rateLimit);
        expect(plan.burst).toBeLessThanOrEqual(config.throttle.burstLimit);
      }
    }
  });

  it("runs the channel authorizer uncached, with no identity source (a path parameter cannot be one)", () => {
    dev.api.hasResourceProperties("AWS::ApiGateway::Authorizer", {
      Type: "REQUEST",
      Name: Match.stringLikeRegexp("ChannelAuthorizer"),
      AuthorizerResultTtlInSeconds: 0,
      IdentitySource: Match.absent(),
    });
    const [, channel] = resources(dev.api, "AWS::ApiGateway::Authorizer").find(([id]) =>
      id.startsWith("ChannelAuthorizer"),
    ) as [string, Resource];
    expect(JSON.stringify(channel.Properties.AuthorizerUri)).toContain(
      functionId(dev.api, "WebhookAuthorizer"),
    );
  });

  it("streams the change feed's responses (STREAM transfer mode), and only those", () => {
    const methods = resources(dev.api, "AWS::ApiGateway::Method").map(([, m]) => m.Properties);
    const streaming = methods.filter(
      (m) => (m.Integration as { ResponseTransferMode?: string }).ResponseTransferMode === "STREAM",
    );
    expect(streaming).toHaveLength(1);
    const integration = (streaming[0] as { Integration: Record<string, unknown> }).Integration;
    expect(JSON.stringify(integration.Uri)).toContain("response-streaming-invocations");
    expect(JSON.stringify(integration.Uri)).toContain(functionId(dev.api, "Export"));
    expect(integration.TimeoutInMillis).toBe(60_000);
    expect((streaming[0] as { OperationName: string }).OperationName).toBe("exportEvents");
  });

  it("resolves keys with a REQUEST authorizer cached on the Authorization header", () => {
    dev.api.hasResourceProperties("AWS::ApiGateway::Authorizer", {
      Type: "REQUEST",
      IdentitySource: "method.request.header.Authorization",
      AuthorizerResultTtlInSeconds: 300,
    });
  });

  it("answers THROTTLED and QUOTA_EXCEEDED with a 429 rate-limited problem and Retry-After", () => {
    for (const type of ["THROTTLED", "QUOTA_EXCEEDED"]) {
      dev.api.hasResourceProperties("AWS::ApiGateway::GatewayResponse", {
        ResponseType: type,
        ResponseParameters: {
          "gatewayresponse.header.Content-Type": "'application/problem+json'",
          "gatewayresponse.header.Retry-After": "'1'",
          "gatewayresponse.header.X-Request-Id": "context.requestId",
        },
        ResponseTemplates: {
          "application/json": Match.stringLikeRegexp(
            '"type":"https://conversation-log.dev/problems/rate-limited".*"status":429.*"request_id":"\\$context.requestId"',
          ),
        },
      });
    }
    dev.api.hasResourceProperties("AWS::ApiGateway::GatewayResponse", {
      ResponseType: "INVALID_API_KEY",
      ResponseTemplates: { "application/json": Match.stringLikeRegexp('"status":403') },
    });
  });

  it("answers gateway errors as problem+json", () => {
    for (const type of [
      "UNAUTHORIZED",
      "ACCESS_DENIED",
      "THROTTLED",
      "BAD_REQUEST_BODY",
      "REQUEST_TOO_LARGE",
      "DEFAULT_4XX",
      "DEFAULT_5XX",
    ]) {
      dev.api.hasResourceProperties("AWS::ApiGateway::GatewayResponse", {
        ResponseType: type,
        ResponseParameters: { "gatewayresponse.header.Content-Type": "'application/problem+json'" },
        ResponseTemplates: {
          "application/json": Match.stringLikeRegexp('"detail":\\$context.error.messageString'),
        },
      });
    }
    dev.api.hasResourceProperties("AWS::ApiGateway::GatewayResponse", {
      ResponseType: "UNAUTHORIZED",
      ResponseTemplates: { "application/json": Match.stringLikeRegexp('"status":401') },
    });
    dev.api.hasResourceProperties("AWS::ApiGateway::GatewayResponse", {
      ResponseType: "MISSING_AUTHENTICATION_TOKEN",
      StatusCode: "404",
    });
  });

  it("puts API Gateway's request id on every gateway response: header and problem body", () => {
    const responses = dev.api.findResources("AWS::ApiGateway::GatewayResponse");
    expect(Object.keys(responses).length).toBeGreaterThanOrEqual(15);
    for (const [id, r] of Object.entries(responses)) {
      const props = r.Properties as {
        ResponseParameters: Record<string, string>;
        ResponseTemplates: Record<string, string>;
      };
      expect(props.ResponseParameters["gatewayresponse.header.X-Request-Id"], id).toBe("context.requestId");
      const body = props.ResponseTemplates["application/json"] ?? "";
      expect(body, id).toContain('"request_id":"$context.requestId"');
    }
  });

  it("throttles per stage, traces and logs access with retention", () => {
    dev.api.hasResourceProperties("AWS::ApiGateway::Stage", {
      StageName: "dev",
      TracingEnabled: true,
      AccessLogSetting: Match.objectLike({ DestinationArn: Match.anyValue() }),
      MethodSettings: Match.arrayWith([
        Match.objectLike({ ThrottlingRateLimit: 250, ThrottlingBurstLimit: 500 }),
      ]),
    });
    prod.api.hasResourceProperties("AWS::ApiGateway::Stage", {
      MethodSettings: Match.arrayWith([
        Match.objectLike({ ThrottlingRateLimit: 1000, ThrottlingBurstLimit: 2000 }),
      ]),
    });
  });

  it("puts a WAF with managed rule groups and a rate rule in front of the stage", () => {
    dev.api.hasResourceProperties("AWS::WAFv2::WebACL", {
      Scope: "REGIONAL",
      Rules: Match.arrayWith([
        Match.objectLike({
          Statement: {
            ManagedRuleGroupStatement: Match.objectLike({ Name: "AWSManagedRulesCommonRuleSet" }),
          },
        }),
        Match.objectLike({
          Statement: {
            ManagedRuleGroupStatement: Match.objectLike({ Name: "AWSManagedRulesKnownBadInputsRuleSet" }),
          },
        }),
        Match.objectLike({ Statement: { RateBasedStatement: { Limit: 2000, AggregateKeyType: "IP" } } }),
      ]),
    });
    dev.api.resourceCountIs("AWS::WAFv2::WebACLAssociation", 1);
  });

  it("runs every function on Node 22+ arm64 with an explicit log group and retention", () => {
    const fns = resources(dev.api, "AWS::Lambda::Function").filter(([id]) => /Fn[0-9A-F]{8}$/.test(id));
    // One per registry entry: HTTP functions, the authorizer, the publisher, bus targets.
    const registry = {
      ...HTTP_FUNCTIONS,
      authorizer: 1,
      webhookAuthorizer: 1,
      publish: 1,
      ...BUS_TARGET_FUNCTIONS,
    };
    expect(fns).toHaveLength(Object.keys(registry).length);
    for (const [, fn] of fns) {
      expect(fn.Properties).toMatchObject({
        Runtime: "nodejs24.x",
        Architectures: ["arm64"],
        TracingConfig: { Mode: "Active" },
      });
      expect(fn.Properties.LoggingConfig).toMatchObject({
        LogGroup: { Ref: expect.stringMatching(/Logs/) },
      });
    }
    for (const [, lg] of resources(dev.api, "AWS::Logs::LogGroup"))
      expect(lg.Properties.RetentionInDays).toBe(14);
    for (const [, lg] of resources(prod.api, "AWS::Logs::LogGroup"))
      expect(lg.Properties.RetentionInDays).toBe(365);
  });

  it("bulkheads the bus targets: reserved concurrency, bounded async retries, an alarmed failure queue", () => {
    for (const [stack, reserved] of [
      [dev, 5],
      [prod, 50],
    ] as const) {
      for (const name of ["TriggerEngine", "State"]) {
        const id = functionId(stack.api, name);
        expect(functionProps(stack.api, name).ReservedConcurrentExecutions, name).toBe(reserved);
        stack.api.hasResourceProperties("AWS::Lambda::EventInvokeConfig", {
          FunctionName: { Ref: id },
          MaximumRetryAttempts: 2,
          MaximumEventAgeInSeconds: 6 * 3600,
          DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
        });
      }
    }
    // API functions keep the account's unreserved pool.
    expect(functionProps(dev.api, "Ingest").ReservedConcurrentExecutions).toBeUndefined();
    dev.api.hasResourceProperties("AWS::CloudWatch::Alarm", {
      AlarmName: "conversation-log-dev-BusTargetFailuresDepth",
      MetricName: "ApproximateNumberOfMessagesVisible",
    });
  });

  it("alarms on exhausted causation budgets and failed webhooks, from the engine's log lines", () => {
    for (const [metric, message] of [
      ["CausationBudgetExhausted", "causation budget exhausted"],
      ["WebhookDeliveryFailed", "webhook delivery failed"],
    ]) {
      dev.api.hasResourceProperties("AWS::Logs::MetricFilter", {
        FilterPattern: `{ $.message = "${message}" }`,
        MetricTransformations: [Match.objectLike({ MetricName: metric, MetricNamespace: "ConversationLog" })],
      });
      dev.api.hasResourceProperties("AWS::CloudWatch::Alarm", {
        AlarmName: `conversation-log-dev-${metric}`,
        MetricName: metric,
        Namespace: "ConversationLog",
      });
    }
  });

  it("passes the stage's automation limits to the functions that enforce them", () => {
    for (const name of ["TriggerEngine", "Triggers"]) {
      expect(
        (functionProps(dev.api, name).Environment as { Variables: Record<string, string> }).Variables,
      ).toMatchObject({
        CAUSATION_EVENT_BUDGET: "25",
        CAUSATION_WEBHOOK_BUDGET: "25",
        MAX_TRIGGERS_PER_TENANT: "100",
      });
    }
  });

  it("grants each function exactly the actions it uses; the query role cannot write", () => {
    const xray = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"];
    expect([...actionsOf(dev.api, "Ingest")].sort()).toEqual(
      ["dynamodb:GetItem", "dynamodb:PutItem", ...xray].sort(),
    );
    expect([...actionsOf(dev.api, "Query")].sort()).toEqual(
      [
        "dynamodb:GetItem",
        "dynamodb:Query",
        "secretsmanager:DescribeSecret",
        "secretsmanager:GetSecretValue",
        ...xray,
      ].sort(),
    );
    expect([...actionsOf(dev.api, "Commands")].sort()).toEqual(
      ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", ...xray].sort(),
    );
    // Bus targets also send what they fail to their on-failure queue.
    const failures = ["sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SendMessage"];
    expect([...actionsOf(dev.api, "State")].sort()).toEqual(
      ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", ...failures, ...xray].sort(),
    );
    expect([...actionsOf(dev.api, "Authorizer")].sort()).toEqual(["dynamodb:GetItem", ...xray].sort());
    expect([...actionsOf(dev.api, "Service")].sort()).toEqual([...xray].sort());
    expect(actionsOf(dev.api, "Publish")).toContain("events:PutEvents");
    expect([...actionsOf(dev.api, "Triggers")].sort()).toEqual(
      [
        "dynamodb:DeleteItem",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:Query",
        "dynamodb:UpdateItem",
        // Run-log cursors are signed.
        "secretsmanager:DescribeSecret",
        "secretsmanager:GetSecretValue",
        "kms:Encrypt",
        ...xray,
      ].sort(),
    );
    expect([...actionsOf(dev.api, "TriggerEngine")].sort()).toEqual(
      [
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:Query",
        "dynamodb:UpdateItem",
        "kms:Decrypt",
        ...failures,
        ...xray,
      ].sort(),
    );
    expect([...actionsOf(dev.api, "Channels")].sort()).toEqual(
      ["dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:Query", "kms:Encrypt", ...xray].sort(),
    );
    expect([...actionsOf(dev.api, "ChannelWebhooks")].sort()).toEqual(
      ["dynamodb:GetItem", "dynamodb:PutItem", "kms:Decrypt", ...xray].sort(),
    );
    expect([...actionsOf(dev.api, "Export")].sort()).toEqual(
      ["dynamodb:Query", "secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue", ...xray].sort(),
    );
    const dataActions = [...actionsOf(dev.api, "Query")].filter((a) => a.startsWith("dynamodb:"));
    expect(dataActions.length).toBeGreaterThan(0);
    for (const action of dataActions) expect(action).not.toMatch(/Put|Update|Delete|Write|\*/);
    // Tenant data only for ingest and query; key lookups only for the authorizer.
    const leading = (values: string[]) => ({
      Condition: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": values } },
    });
    dev.api.hasResourceProperties("AWS::IAM::Policy", {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Action: "dynamodb:GetItem", ...leading(["K#*"]) })]),
      },
    });
    dev.api.hasResourceProperties("AWS::IAM::Policy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: ["dynamodb:Query", "dynamodb:GetItem"], ...leading(["T#*"]) }),
        ]),
      },
    });
    // Channel lookups (`CH#`): written only by the admin function, read-only for webhooks.
    dev.api.hasResourceProperties("AWS::IAM::Policy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: ["dynamodb:PutItem", "dynamodb:DeleteItem"], ...leading(["CH#*"]) }),
        ]),
      },
    });
    dev.api.hasResourceProperties("AWS::IAM::Policy", {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Action: "dynamodb:GetItem", ...leading(["CH#*"]) })]),
      },
    });
    const chGrants = resources(dev.api, "AWS::IAM::Policy")
      .flatMap(([, p]) => (p.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement)
      .filter((st) => JSON.stringify(st.Condition ?? {}).includes("CH#*"));
    // Read by the webhooks and by the webhook authorizer.
    expect(chGrants).toHaveLength(3);
    // Tenant plans (`PLAN#`): read-only, and only for the two authorizers.
    const planGrants = resources(dev.api, "AWS::IAM::Policy")
      .flatMap(([, p]) => (p.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement)
      .filter((st) => JSON.stringify(st.Condition ?? {}).includes("PLAN#*"));
    expect(planGrants).toHaveLength(2);
    for (const grant of planGrants) {
      expect(grant).toMatchObject({ Action: "dynamodb:GetItem", ...leading(["PLAN#*"]) });
    }
    expect([...actionsOf(dev.api, "WebhookAuthorizer")].sort()).toEqual(["dynamodb:GetItem", ...xray].sort());
    // Triggers: tenant data only.
    dev.api.hasResourceProperties("AWS::IAM::Policy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: Match.arrayWith(["dynamodb:DeleteItem"]), ...leading(["T#*"]) }),
        ]),
      },
    });
  });

  it("lets only the sealing functions encrypt and only the verifying or signing ones decrypt, per purpose", () => {
    /** Every KMS statement of a function's role. */
    const kmsStatements = (name: string) => {
      const id = functionId(dev.api, name);
      const fn = resources(dev.api, "AWS::Lambda::Function").find(([rid]) => rid === id)?.[1] as Resource;
      const roleRef = JSON.stringify((fn.Properties.Role as { "Fn::GetAtt": [string] })["Fn::GetAtt"][0]);
      return resources(dev.api, "AWS::IAM::Policy")
        .filter(([, p]) => JSON.stringify(p.Properties.Roles).includes(roleRef))
        .flatMap(
          ([, p]) => (p.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement,
        )
        .filter((st) => JSON.stringify(st.Action).includes("kms:"));
    };
    const keyArn = { "Fn::ImportValue": expect.stringMatching(/SecretsKey.*Arn/) };
    const grant = (action: string, purpose: string) => ({
      Effect: "Allow",
      Action: action,
      Resource: keyArn,
      Condition: {
        StringEquals: { "kms:EncryptionContext:purpose": purpose },
        "ForAllValues:StringEquals": { "kms:EncryptionContextKeys": ["purpose", "tenant"] },
        Null: { "kms:EncryptionContext:tenant": "false" },
      },
    });
    const expected: Record<string, ReturnType<typeof grant>> = {
      Channels: grant("kms:Encrypt", "whatsapp-app-secret"),
      ChannelWebhooks: grant("kms:Decrypt", "whatsapp-app-secret"),
      Triggers: grant("kms:Encrypt", "trigger-webhook-secret"),
      TriggerEngine: grant("kms:Decrypt", "trigger-webhook-secret"),
    };
    const names = [
      ...Object.keys(HTTP_FUNCTIONS),
      ...Object.keys(BUS_TARGET_FUNCTIONS),
      "authorizer",
      "publish",
    ];
    for (const name of names.map((n) => n[0]?.toUpperCase() + n.slice(1))) {
      const id = functionId(dev.api, name);
      const fn = resources(dev.api, "AWS::Lambda::Function").find(([rid]) => rid === id)?.[1] as Resource;
      const env = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      if (expected[name]) {
        // Exactly one KMS statement: one action, on the key, for the function's purpose only.
        expect(kmsStatements(name), name).toEqual([expected[name]]);
        expect(env.SECRETS_KEY_ARN, name).toEqual(keyArn);
      } else {
        expect(kmsStatements(name), name).toEqual([]);
        expect(env.SECRETS_KEY_ARN, name).toBeUndefined();
      }
    }
  });

  it("denies PutEvents of the log's source on the bus to every principal but the publisher's role", () => {
    const policies = resources(dev.api, "AWS::Events::EventBusPolicy");
    expect(policies).toHaveLength(1);
    const [, policy] = policies[0] as [string, Resource];
    expect(policy.Properties).toEqual({
      EventBusName: { "Fn::ImportValue": expect.stringMatching(/Bus/) },
      StatementId: "only-the-publisher-puts-conversation-log-events",
      Statement: {
        Sid: "only-the-publisher-puts-conversation-log-events",
        Effect: "Deny",
        Principal: { AWS: "*" },
        Action: "events:PutEvents",
        Resource: { "Fn::ImportValue": expect.stringMatching(/Bus.*Arn/) },
        Condition: {
          "ForAnyValue:StringEquals": { "events:source": ["conversation-log"] },
          ArnNotEquals: {
            "aws:PrincipalArn": { "Fn::GetAtt": [expect.stringMatching(/^PublishFnServiceRole/), "Arn"] },
          },
          BoolIfExists: { "aws:PrincipalIsAWSService": "false" },
        },
      },
    });
    // The publisher's role is the one that may: it is the publish function's.
    const publish = resources(dev.api, "AWS::Lambda::Function").find(
      ([id]) => id === functionId(dev.api, "Publish"),
    )?.[1] as Resource;
    const role = (policy.Properties.Statement as { Condition: { ArnNotEquals: Record<string, unknown> } })
      .Condition.ArnNotEquals["aws:PrincipalArn"];
    expect(role).toEqual(publish.Properties.Role);
  });

  it("feeds the publisher from the stream with failure handling, only for event inserts", () => {
    dev.api.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      FunctionName: { Ref: functionId(dev.api, "Publish") },
      StartingPosition: "TRIM_HORIZON",
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 1,
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ["ReportBatchItemFailures"],
      MaximumRecordAgeInSeconds: 86400,
      MaximumRetryAttempts: 20,
      DestinationConfig: {
        OnFailure: { Destination: { "Fn::GetAtt": [Match.stringLikeRegexp("^PublishDlq"), "Arn"] } },
      },
      FilterCriteria: {
        Filters: [
          {
            Pattern: JSON.stringify({
              eventName: ["INSERT"],
              dynamodb: { NewImage: { entity: { S: ["event"] } } },
            }),
          },
        ],
      },
    });
    dev.api.hasResourceProperties("AWS::SQS::Queue", {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 1209600,
    });
    dev.api.hasResourceProperties("AWS::SQS::QueuePolicy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
        ]),
      },
    });
  });

  it("alarms on DLQ depth, function errors and throttles, API 5xx and table throttles, to a stage topic", () => {
    const alarms = resources(dev.api, "AWS::CloudWatch::Alarm").map(([, a]) =>
      String(a.Properties.AlarmName),
    );
    expect(alarms).toEqual(
      expect.arrayContaining([
        "conversation-log-dev-PublishDlqDepth",
        "conversation-log-dev-LakeDlqDepth",
        "conversation-log-dev-Api5xx",
        "conversation-log-dev-TableThrottles",
        ...[
          "ingest",
          "query",
          "service",
          "commands",
          "authorizer",
          "webhookAuthorizer",
          "publish",
          "triggers",
          "triggerEngine",
          "state",
          "channels",
          "channelWebhooks",
        ].flatMap((f) => [`conversation-log-dev-${f}-errors`, `conversation-log-dev-${f}-throttles`]),
      ]),
    );
    for (const [, a] of resources(dev.api, "AWS::CloudWatch::Alarm")) {
      expect(a.Properties.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^Alarms/) }]);
    }
    dev.api.hasResourceProperties("AWS::SNS::Topic", {
      TopicName: "conversation-log-dev-alarms",
      KmsMasterKeyId: Match.anyValue(),
    });
  });

  it("creates one EventBridge rule per shared bus rule, with its exact pattern, retries and a DLQ", () => {
    const rules = resources(dev.api, "AWS::Events::Rule");
    expect(rules).toHaveLength(BUS_RULES.length);
    for (const rule of BUS_RULES) {
      const name = String(rule.target);
      const target = functionId(dev.api, name[0]?.toUpperCase() + name.slice(1));
      dev.api.hasResourceProperties("AWS::Events::Rule", {
        Name: `conversation-log-dev-${rule.name}`,
        EventPattern: rule.pattern,
        Targets: [
          Match.objectLike({
            Arn: { "Fn::GetAtt": [target, "Arn"] },
            RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 7200 },
            DeadLetterConfig: { Arn: { "Fn::GetAtt": [Match.stringLikeRegexp("^RuleTargetDlq"), "Arn"] } },
          }),
        ],
      });
    }
  });

  it("outputs the API URL, the table name and the bus name", () => {
    const outputs = Object.keys(dev.api.findOutputs("*"));
    expect(outputs).toEqual(expect.arrayContaining(["ApiUrl", "TableName", "BusName"]));
  });
});

describe("cdk-nag AwsSolutions", () => {
  it.each([
    ["dev", dev],
    ["prod", prod],
  ])("has no unacknowledged findings in %s", (_stage, synthesized) => {
    const report = new AwsSolutionsChecks().validateScope(synthesized.app);
    expect(report.violations.map((v) => v.ruleName)).toEqual([]);
  });

  it("does report a finding when there is one (the check can fail)", () => {
    const app = new App();
    new Queue(new Stack(app, "Bad"), "Unencrypted", { enforceSSL: false });
    const report = new AwsSolutionsChecks().validateScope(app);
    expect(report.violations.map((v) => v.ruleName)).toEqual(expect.arrayContaining(["AwsSolutions-SQS4"]));
  });
});

describe("stages", () => {
  it("tags every stack's resources with the project and the stage", () => {
    prod.stateful.hasResourceProperties("AWS::DynamoDB::Table", {
      Tags: Match.arrayWith([
        { Key: "project", Value: "conversation-log" },
        { Key: "stage", Value: "prod" },
      ]),
    });
    dev.api.hasResourceProperties("AWS::Lambda::Function", {
      Tags: Match.arrayWith([{ Key: "stage", Value: "dev" }]),
    });
  });

  it("names stacks and resources by stage and rejects malformed stage names", () => {
    expect(dev.app.node.findChild("ConversationLog-dev-Api")).toBeDefined();
    prod.stateful.hasResourceProperties("AWS::DynamoDB::Table", { TableName: "conversation-log-prod" });
    expect(() => stageConfig("Prod!")).toThrow(/stage must match/);
  });
});
