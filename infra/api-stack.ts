/**
 * Stateless resources: the functions, the REST API (built from the shared route table),
 * WAF, the outbox publisher on the table stream, alarms and outputs.
 */
import { CfnOutput, Duration, Stack, type StackProps, Validations } from "aws-cdk-lib";
import {
  AccessLogFormat,
  ApiKey,
  ApiKeySourceType,
  AuthorizationType,
  type CfnAuthorizer,
  EndpointType,
  IdentitySource,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  RequestAuthorizer,
  ResponseTransferMode,
  ResponseType,
  RestApi,
} from "aws-cdk-lib/aws-apigateway";
import { Alarm, ComparisonOperator, type IMetric, TreatMissingData } from "aws-cdk-lib/aws-cloudwatch";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import { Operation, type Table } from "aws-cdk-lib/aws-dynamodb";
import { type CfnRule, type EventBus, EventBusPolicy, Rule } from "aws-cdk-lib/aws-events";
import { LambdaFunction } from "aws-cdk-lib/aws-events-targets";
import { AnyPrincipal, Effect, PolicyStatement } from "aws-cdk-lib/aws-iam";
import { Alias, type IKey } from "aws-cdk-lib/aws-kms";
import { StartingPosition } from "aws-cdk-lib/aws-lambda";
import { SqsDestination } from "aws-cdk-lib/aws-lambda-destinations";
import { DynamoEventSource, SqsDlq } from "aws-cdk-lib/aws-lambda-event-sources";
import { FilterPattern, LogGroup, MetricFilter } from "aws-cdk-lib/aws-logs";
import type { ISecret } from "aws-cdk-lib/aws-secretsmanager";
import { Topic } from "aws-cdk-lib/aws-sns";
import { type IQueue, Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import { CfnWebACL, CfnWebACLAssociation } from "aws-cdk-lib/aws-wafv2";
import type { Construct } from "constructs";
import { BUS_SOURCE } from "#shared/bus/contract.ts";
import { BUS_RULES, PUBLISH_STREAM_FILTER } from "#shared/bus/rules.ts";
import { AUTOMATION_LIMIT_VARS, type AutomationLimits } from "#shared/config.ts";
import {
  AUTHORIZER_FUNCTION,
  BUS_TARGET_FUNCTIONS,
  type BusTargetName,
  type FunctionDef,
  HTTP_FUNCTIONS,
  type HttpFunctionName,
  PUBLISH_FUNCTION,
  WEBHOOK_AUTHORIZER_FUNCTION,
} from "#shared/function-registry.ts";
import { PROBLEM_BASE, PROBLEM_CONTENT_TYPE } from "#shared/http/problem.ts";
import { AUTHORIZER_CACHE_TTL_SECONDS, meteringOf, ROUTES } from "#shared/http/routes.ts";
import { TABLE } from "#shared/store/dynamo/table.ts";
import type { StageConfig } from "./config.ts";
import { LogFunction } from "./constructs/log-function.ts";
import { RATE_PLAN_TIERS, UNASSIGNED_PLAN, unassignedUsageKey, usagePlanName } from "./rate-plans.ts";

export interface ApiStackProps extends StackProps {
  config: StageConfig;
  table: Table;
  bus: EventBus;
  cursorSecret: ISecret;
  /** Seals tenant secrets; functions get Encrypt-only or Decrypt-only grants from the registry. */
  secretsKey: IKey;
  /** The data lake rule's dead-letter queue (stateful stack): alarmed here with the others. */
  lakeDeadLetterQueue?: IQueue;
}

/**
 * `Retry-After` of the rate-limit answers: API Gateway cannot compute the time until a token
 * is available, so a static second (the local gateway computes it).
 */
const RETRY_AFTER_SECONDS = 1;

/**
 * Gateway-level answers, as problem+json like the handlers' own errors. `status` is the
 * status API Gateway sends for that response type; `override` replaces it. `headers` are
 * static values, added to every answer's Content-Type and X-Request-Id.
 */
export const GATEWAY_PROBLEMS: {
  type: ResponseType;
  status: number | null;
  override?: true;
  slug: string;
  title: string;
  headers?: Record<string, string>;
}[] = [
  { type: ResponseType.UNAUTHORIZED, status: 401, slug: "unauthorized", title: "Unauthorized" },
  { type: ResponseType.ACCESS_DENIED, status: 403, slug: "forbidden", title: "Forbidden" },
  // `apiKeyRequired` methods whose authorizer answered no usage key, or one on no usage plan.
  { type: ResponseType.INVALID_API_KEY, status: 403, slug: "forbidden", title: "Forbidden" },
  // The stage throttle and the tenant's usage plan (rate and burst) both answer THROTTLED.
  {
    type: ResponseType.THROTTLED,
    status: 429,
    slug: "rate-limited",
    title: "Too many requests",
    headers: { "Retry-After": String(RETRY_AFTER_SECONDS) },
  },
  {
    type: ResponseType.QUOTA_EXCEEDED,
    status: 429,
    slug: "rate-limited",
    title: "Too many requests",
    headers: { "Retry-After": String(RETRY_AFTER_SECONDS) },
  },
  { type: ResponseType.BAD_REQUEST_BODY, status: 400, slug: "validation", title: "Invalid request" },
  { type: ResponseType.BAD_REQUEST_PARAMETERS, status: 400, slug: "validation", title: "Invalid request" },
  {
    type: ResponseType.REQUEST_TOO_LARGE,
    status: 413,
    slug: "payload-too-large",
    title: "Payload too large",
  },
  {
    type: ResponseType.UNSUPPORTED_MEDIA_TYPE,
    status: 415,
    slug: "unsupported-media-type",
    title: "Unsupported media type",
  },
  // API Gateway answers unknown routes with 403 "Missing Authentication Token"; say what it is.
  {
    type: ResponseType.MISSING_AUTHENTICATION_TOKEN,
    status: 404,
    override: true,
    slug: "not-found",
    title: "Not found",
  },
  { type: ResponseType.RESOURCE_NOT_FOUND, status: 404, slug: "not-found", title: "Not found" },
  { type: ResponseType.WAF_FILTERED, status: 403, slug: "forbidden", title: "Forbidden" },
  { type: ResponseType.AUTHORIZER_FAILURE, status: 500, slug: "internal", title: "Internal error" },
  { type: ResponseType.INTEGRATION_TIMEOUT, status: 504, slug: "timeout", title: "Gateway timeout" },
  // Catch-alls cover several statuses; the status line carries the number.
  { type: ResponseType.DEFAULT_4XX, status: null, slug: "client-error", title: "Bad request" },
  { type: ResponseType.DEFAULT_5XX, status: null, slug: "internal", title: "Internal error" },
];

/**
 * The problem+json body template of a gateway response: with the request id, which the
 * response's `X-Request-Id` header also carries, as the handlers' problems do.
 */
export function gatewayProblemTemplate(p: { status: number | null; slug: string; title: string }): string {
  const status = p.status === null ? "" : `"status":${p.status},`;
  return `{"type":"${PROBLEM_BASE}${p.slug}","title":"${p.title}",${status}"detail":$context.error.messageString,"request_id":"$context.requestId"}`;
}

const pascal = (name: string) => name[0]?.toUpperCase() + name.slice(1);

export class ApiStack extends Stack {
  readonly api: RestApi;
  /** Every function by registry name (`ingest`, `query`, …, `authorizer`, `publish`, bus targets). */
  readonly functions: Record<string, LogFunction>;

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    const { config, table, bus } = props;

    const registry: Record<string, FunctionDef> = {
      ...HTTP_FUNCTIONS,
      authorizer: AUTHORIZER_FUNCTION,
      webhookAuthorizer: WEBHOOK_AUTHORIZER_FUNCTION,
      publish: PUBLISH_FUNCTION,
      ...BUS_TARGET_FUNCTIONS,
    };
    this.functions = {};
    for (const [name, def] of Object.entries(registry)) {
      this.functions[name] = this.#function(name, def, props);
    }
    // --- REST API from the route table ---
    const accessLogs = new LogGroup(this, "AccessLogs", {
      retention: config.logRetention,
      removalPolicy: config.removalPolicy,
    });
    this.api = new RestApi(this, "Api", {
      restApiName: `conversation-log-${config.stage}`,
      description: "Conversation Log HTTP API",
      endpointConfiguration: { types: [EndpointType.REGIONAL] },
      // The usage key comes from the authorizers' `usageIdentifierKey`, never from a client header.
      apiKeySourceType: ApiKeySourceType.AUTHORIZER,
      cloudWatchRole: true,
      deployOptions: {
        stageName: config.stage,
        throttlingRateLimit: config.throttle.rateLimit,
        throttlingBurstLimit: config.throttle.burstLimit,
        tracingEnabled: true,
        metricsEnabled: true,
        loggingLevel: MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        accessLogFormat: AccessLogFormat.jsonWithStandardFields(),
      },
    });
    const authorizer = new RequestAuthorizer(this, "KeyAuthorizer", {
      handler: (this.functions.authorizer as LogFunction).fn,
      identitySources: [IdentitySource.header("Authorization")],
      resultsCacheTtl: Duration.seconds(AUTHORIZER_CACHE_TTL_SECONDS),
    });
    // The webhooks' tenant is the channel of the path's webhook_id. A path parameter cannot be
    // an identity source, so this authorizer is not cached: it runs on every webhook request.
    const webhookAuthorizer = new RequestAuthorizer(this, "ChannelAuthorizer", {
      handler: (this.functions.webhookAuthorizer as LogFunction).fn,
      identitySources: [],
      resultsCacheTtl: Duration.seconds(0),
    });
    // Not cached, so no identity source: CDK would write an empty one.
    (webhookAuthorizer.node.defaultChild as CfnAuthorizer).addPropertyDeletionOverride("IdentitySource");
    const integrations = Object.fromEntries(
      (Object.keys(HTTP_FUNCTIONS) as HttpFunctionName[]).map((name) => {
        const def: FunctionDef = HTTP_FUNCTIONS[name];
        return [
          name,
          new LambdaIntegration((this.functions[name] as LogFunction).fn, {
            allowTestInvoke: false,
            // Streaming functions send headers first and the body as it is read (the change
            // feed), past the 29 s and 10 MB limits of buffered integrations.
            ...(def.streaming
              ? {
                  responseTransferMode: ResponseTransferMode.STREAM,
                  timeout: Duration.seconds(def.timeoutSeconds ?? 10),
                }
              : {}),
          }),
        ];
      }),
    ) as Record<HttpFunctionName, LambdaIntegration>;
    for (const route of ROUTES) {
      const metering = meteringOf(route);
      // API Gateway meters only methods that require an API key: every private route (the key's
      // tenant) and the webhooks (the channel's tenant). Service routes stay unmetered.
      const options =
        metering === null
          ? { authorizationType: AuthorizationType.NONE, operationName: route.operationId }
          : {
              authorizationType: AuthorizationType.CUSTOM,
              authorizer: metering === "key" ? authorizer : webhookAuthorizer,
              apiKeyRequired: true,
              operationName: route.operationId,
            };
      this.api.root.resourceForPath(route.path).addMethod(route.method, integrations[route.fn], options);
    }
    for (const p of GATEWAY_PROBLEMS) {
      const headers = Object.fromEntries(Object.entries(p.headers ?? {}).map(([k, v]) => [k, `'${v}'`]));
      this.api.addGatewayResponse(`Problem${p.type.responseType}`, {
        type: p.type,
        ...(p.override ? { statusCode: String(p.status) } : {}),
        responseHeaders: {
          "Content-Type": `'${PROBLEM_CONTENT_TYPE}'`,
          "X-Request-Id": "context.requestId",
          ...headers,
        },
        templates: { "application/json": gatewayProblemTemplate(p) },
      });
    }
    // --- Rate plans: one usage plan per tier; a tenant's API key is bound to its tier's plan by
    // `npm run keys` (infra/usage-plans-aws.ts). The stage throttle stays the outer bound.
    const apiStages = [{ api: this.api, stage: this.api.deploymentStage }];
    for (const tier of RATE_PLAN_TIERS) {
      const plan = config.ratePlans[tier];
      this.api.addUsagePlan(`UsagePlan-${tier}`, {
        name: usagePlanName(config.stage, tier),
        description: `Rate plan ${tier}: per tenant, ${plan.rate} requests/s, burst ${plan.burst}`,
        throttle: { rateLimit: plan.rate, burstLimit: plan.burst },
        apiStages,
      });
    }
    // Requests of no tenant plan (tenants whose keys predate rate plans, webhooks of unknown
    // channels) share one key on a plan as wide as the stage: they are limited as before.
    const unassigned = this.api.addUsagePlan(`UsagePlan-${UNASSIGNED_PLAN}`, {
      name: usagePlanName(config.stage, UNASSIGNED_PLAN),
      description: "Requests of no tenant plan: bounded only by the stage throttle",
      throttle: config.throttle,
      apiStages,
    });
    unassigned.addApiKey(
      new ApiKey(this, "UnassignedUsageKey", {
        apiKeyName: usagePlanName(config.stage, UNASSIGNED_PLAN),
        description:
          "Shared usage key of requests that belong to no tenant plan (presented by the authorizers)",
        value: unassignedUsageKey(config.stage),
      }),
    );

    // --- WAF ---
    const visibility = (metricName: string) => ({
      cloudWatchMetricsEnabled: true,
      sampledRequestsEnabled: true,
      metricName,
    });
    const managed = (name: string, priority: number, countOnly: string[] = []): CfnWebACL.RuleProperty => ({
      name,
      priority,
      overrideAction: { none: {} },
      statement: {
        managedRuleGroupStatement: {
          vendorName: "AWS",
          name,
          ...(countOnly.length > 0
            ? { ruleActionOverrides: countOnly.map((r) => ({ name: r, actionToUse: { count: {} } })) }
            : {}),
        },
      },
      visibilityConfig: visibility(name),
    });
    const acl = new CfnWebACL(this, "WebAcl", {
      name: `conversation-log-${config.stage}`,
      scope: "REGIONAL",
      defaultAction: { allow: {} },
      visibilityConfig: visibility("conversation-log"),
      rules: [
        // Batches are up to 1 MB, and conversation text legitimately contains markup that
        // customers paste: those two body rules count instead of block.
        managed("AWSManagedRulesCommonRuleSet", 0, ["SizeRestrictions_BODY", "CrossSiteScripting_BODY"]),
        managed("AWSManagedRulesKnownBadInputsRuleSet", 1),
        {
          name: "RatePerIp",
          priority: 2,
          action: { block: {} },
          statement: { rateBasedStatement: { limit: config.wafRateLimitPer5Min, aggregateKeyType: "IP" } },
          visibilityConfig: visibility("RatePerIp"),
        },
      ],
    });
    new CfnWebACLAssociation(this, "WebAclAssociation", {
      resourceArn: this.api.deploymentStage.stageArn,
      webAclArn: acl.attrArn,
    });

    // --- Outbox: table stream → publish function → bus ---
    const dlq = new Queue(this, "PublishDlq", {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    (this.functions.publish as LogFunction).fn.addEventSource(
      new DynamoEventSource(table, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(1),
        bisectBatchOnError: true,
        reportBatchItemFailures: true,
        retryAttempts: 20,
        maxRecordAge: Duration.hours(24),
        onFailure: new SqsDlq(dlq),
        // Only inserted event items invoke the publisher; guards, keys and state never do.
        filters: [{ pattern: JSON.stringify(PUBLISH_STREAM_FILTER) }],
      }),
    );

    // --- Bus policy: only the publisher puts the log's own events on the bus ---
    // Anyone else in the account with events:PutEvents could otherwise put a detail with
    // another tenant's id, and the trigger engine would act on it (docs/decisions.md).
    new EventBusPolicy(this, "BusPolicy", {
      eventBus: bus,
      statementId: "only-the-publisher-puts-conversation-log-events",
      statement: new PolicyStatement({
        sid: "only-the-publisher-puts-conversation-log-events",
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ["events:PutEvents"],
        resources: [bus.eventBusArn],
        conditions: {
          // events:source is multivalued (one value per entry of the call): any entry counts.
          "ForAnyValue:StringEquals": { "events:source": [BUS_SOURCE] },
          // The role's ARN, whatever the session name: only the publish function's role.
          ArnNotEquals: { "aws:PrincipalArn": (this.functions.publish as LogFunction).fn.role?.roleArn },
          // Not EventBridge itself (archive replays) or any other AWS service principal.
          BoolIfExists: { "aws:PrincipalIsAWSService": "false" },
        },
      }).toJSON(),
    });

    // --- Bus rules, from the shared definitions ---
    const ruleDlq = new Queue(this, "RuleTargetDlq", {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    for (const rule of BUS_RULES) {
      const target = this.functions[rule.target] as LogFunction;
      const r = new Rule(this, `Rule-${rule.name}`, {
        ruleName: `conversation-log-${config.stage}-${rule.name}`,
        description: rule.description,
        eventBus: bus,
        // Placeholder replaced below by the exact shared pattern (EventBridge JSON syntax).
        eventPattern: { source: ["conversation-log"] },
        targets: [
          new LambdaFunction(target.fn, {
            retryAttempts: 8,
            maxEventAge: Duration.hours(2),
            deadLetterQueue: ruleDlq,
          }),
        ],
      });
      (r.node.defaultChild as CfnRule).addPropertyOverride("EventPattern", rule.pattern);
    }

    // --- Bulkheads: bus targets can neither starve the API nor fail silently ---
    // EventBridge invokes targets asynchronously: the rule's retries and DLQ cover only failing
    // to invoke. An error or timeout inside the function gets Lambda's asynchronous retries,
    // bounded here, and then goes to this queue, which alarms.
    const targetFailures = new Queue(this, "BusTargetFailures", {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    for (const name of Object.keys(BUS_TARGET_FUNCTIONS) as BusTargetName[]) {
      const fn = (this.functions[name] as LogFunction).fn;
      fn.configureAsyncInvoke({
        retryAttempts: 2,
        maxEventAge: Duration.hours(6),
        onFailure: new SqsDestination(targetFailures),
      });
    }

    // --- Alarms ---
    const topic = new Topic(this, "Alarms", {
      topicName: `conversation-log-${config.stage}-alarms`,
      masterKey: Alias.fromAliasName(this, "SnsKey", "alias/aws/sns"),
      enforceSSL: true,
    });
    const alarm = (name: string, metric: IMetric, description: string) => {
      const a = new Alarm(this, name, {
        alarmName: `conversation-log-${config.stage}-${name}`,
        alarmDescription: description,
        metric,
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      a.addAlarmAction(new SnsAction(topic));
      return a;
    };
    alarm(
      "RuleTargetDlqDepth",
      ruleDlq.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1) }),
      "Bus events could not be delivered to an automation target and went to the DLQ",
    );
    if (props.lakeDeadLetterQueue) {
      alarm(
        "LakeDlqDepth",
        props.lakeDeadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1) }),
        "Bus events could not be delivered to the data lake's Firehose stream and went to the DLQ",
      );
    }
    alarm(
      "BusTargetFailuresDepth",
      targetFailures.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1) }),
      "A bus target (state projector, trigger engine) failed an event after its retries: the event is in the queue",
    );
    // Log-based signals of the trigger engine: each line is logged once per occurrence.
    const engineLogs = (this.functions.triggerEngine as LogFunction).logGroup;
    for (const [name, message, description] of [
      [
        "CausationBudgetExhausted",
        "causation budget exhausted",
        "An event's causation tree reached its budget of trigger actions: some actions were skipped (see the trigger runs)",
      ],
      [
        "WebhookDeliveryFailed",
        "webhook delivery failed",
        "A trigger's webhook failed every attempt (see the trigger runs and the failure records)",
      ],
    ] as const) {
      const filter = new MetricFilter(this, `${name}Filter`, {
        logGroup: engineLogs,
        filterPattern: FilterPattern.stringValue("$.message", "=", message),
        metricNamespace: "ConversationLog",
        metricName: name,
        metricValue: "1",
      });
      alarm(name, filter.metric({ period: Duration.minutes(5), statistic: "Sum" }), description);
    }
    alarm(
      "PublishDlqDepth",
      dlq.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1) }),
      "Stream records could not be published to the bus and went to the DLQ",
    );
    for (const [name, f] of Object.entries(this.functions)) {
      alarm(`${name}-errors`, f.fn.metricErrors({ period: Duration.minutes(1) }), `${name} function errors`);
      alarm(
        `${name}-throttles`,
        f.fn.metricThrottles({ period: Duration.minutes(1) }),
        `${name} function throttles`,
      );
    }
    alarm("Api5xx", this.api.metricServerError({ period: Duration.minutes(1) }), "API answered 5xx");
    alarm(
      "TableThrottles",
      table.metricThrottledRequestsForOperations({
        operations: [Operation.PUT_ITEM, Operation.GET_ITEM, Operation.QUERY, Operation.TRANSACT_WRITE_ITEMS],
        period: Duration.minutes(1),
      }),
      "DynamoDB throttled requests",
    );

    new CfnOutput(this, "ApiUrl", { value: this.api.url, description: "Base URL of the API" });
    new CfnOutput(this, "TableName", { value: table.tableName });
    new CfnOutput(this, "BusName", { value: bus.eventBusName });
    new CfnOutput(this, "AlarmTopicArn", { value: topic.topicArn });

    this.#acknowledge(dlq, ruleDlq, targetFailures);
  }

  /**
   * One function from its registry entry, with exactly the grants the entry declares:
   * DynamoDB actions confined to key prefixes with `dynamodb:LeadingKeys`, the cursor
   * secret, the bus, the secrets key (Encrypt or Decrypt, for one purpose).
   */
  #function(name: string, def: FunctionDef, props: ApiStackProps): LogFunction {
    const environment: Record<string, string> = {};
    if (def.table) environment.TABLE_NAME = props.table.tableName;
    if (def.cursorSecret) environment.CURSOR_SECRET_ARN = props.cursorSecret.secretArn;
    if (def.busPut) environment.EVENT_BUS_NAME = props.bus.eventBusName;
    if (def.secrets) environment.SECRETS_KEY_ARN = props.secretsKey.keyArn;
    if (def.automationLimits) {
      for (const [name, variable] of Object.entries(AUTOMATION_LIMIT_VARS) as [
        keyof AutomationLimits,
        string,
      ][]) {
        environment[variable] = String(props.config.automation[name]);
      }
    }
    if (def.usageKeys) environment.UNASSIGNED_USAGE_KEY = unassignedUsageKey(props.config.stage);
    const f = new LogFunction(this, pascal(name), {
      entry: def.entry,
      description: def.description,
      config: props.config,
      environment,
      ...(def.timeoutSeconds ? { timeout: Duration.seconds(def.timeoutSeconds) } : {}),
      ...(name in props.config.automation.reservedConcurrency
        ? {
            reservedConcurrentExecutions:
              props.config.automation.reservedConcurrency[
                name as keyof StageConfig["automation"]["reservedConcurrency"]
              ],
          }
        : {}),
    });
    if (def.table) {
      const usesIndexes = def.table.actions.includes("Query");
      f.fn.addToRolePolicy(
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: def.table.actions.map((a) => `dynamodb:${a}`),
          resources: [
            props.table.tableArn,
            ...(usesIndexes
              ? Object.values(TABLE.indexes).map((i) => `${props.table.tableArn}/index/${i.name}`)
              : []),
          ],
          conditions: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": [...def.table.leadingKeys] } },
        }),
      );
    }
    for (const grant of def.moreTable ?? []) {
      f.fn.addToRolePolicy(
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: grant.actions.map((a) => `dynamodb:${a}`),
          resources: [props.table.tableArn],
          conditions: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": [...grant.leadingKeys] } },
        }),
      );
    }
    if (def.cursorSecret) props.cursorSecret.grantRead(f.fn);
    if (def.busPut) props.bus.grantPutEventsTo(f.fn);
    if (def.secrets) {
      // Encrypt-only or Decrypt-only, and only for the function's purpose: the channels
      // function can seal an app secret but never read one back, the webhook function can
      // read one but never mint one, and neither touches trigger secrets.
      f.fn.addToRolePolicy(
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: [def.secrets.use === "seal" ? "kms:Encrypt" : "kms:Decrypt"],
          resources: [props.secretsKey.keyArn],
          conditions: {
            StringEquals: { "kms:EncryptionContext:purpose": def.secrets.purpose },
            "ForAllValues:StringEquals": { "kms:EncryptionContextKeys": ["purpose", "tenant"] },
            Null: { "kms:EncryptionContext:tenant": "false" },
          },
        }),
      );
    }
    return f;
  }

  /** cdk-nag findings accepted on purpose, each on the narrowest construct, with its reason. */
  #acknowledge(...dlqs: Queue[]): void {
    for (const dlq of dlqs) {
      Validations.of(dlq).acknowledge({
        id: "AwsSolutions-SQS3",
        reason:
          "This queue is itself a dead-letter destination (publisher, bus rule targets, bus target failures).",
      });
    }
    Validations.of(this.api).acknowledge(
      {
        id: "AwsSolutions-APIG2",
        reason:
          "Requests are validated by the handlers' zod schemas, which answer RFC 9457 problems with field paths; API Gateway's validator cannot.",
      },
      {
        id: "AwsSolutions-APIG4",
        reason:
          "Public by design (docs/api.md): GET /v1/health, /v1/openapi.json and /docs. Every other method has a Lambda authorizer: the key authorizer, or for the channel webhooks the one that names the channel's tenant for metering (the handler verifies the provider's signature or secret).",
      },
      {
        id: "AwsSolutions-COG4",
        reason:
          "Clients authenticate with per-tenant API keys resolved by a Lambda REQUEST authorizer, not Cognito user pools.",
      },
      {
        id: "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]",
        reason: "API Gateway's account-level CloudWatch role uses the AWS-maintained push-to-logs policy.",
      },
    );
    for (const f of Object.values(this.functions)) {
      Validations.of(f).acknowledge(
        {
          id: "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
          reason: "AWSLambdaBasicExecutionRole only allows writing the function's own logs.",
        },
        {
          id: "AwsSolutions-IAM5[Resource::*]",
          reason: "X-Ray PutTraceSegments and PutTelemetryRecords support no resource-level permissions.",
        },
      );
    }
  }
}
