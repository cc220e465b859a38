/**
 * The data lake (AWS only): an EventBridge rule sends every log event to Kinesis Data Firehose,
 * which writes newline-delimited JSON (GZIP) to S3, partitioned by tenant and UTC day with
 * dynamic partitioning; a Glue table with partition projection makes it queryable in an Athena
 * workgroup. Layout, the JSON-over-Parquet choice and example queries: docs/data-lake.md.
 */
import { Duration, RemovalPolicy, Stack, Validations } from "aws-cdk-lib";
import { CfnNamedQuery, CfnWorkGroup } from "aws-cdk-lib/aws-athena";
import {
  type CfnRule,
  type EventBus,
  EventField,
  type IRuleTarget,
  Rule,
  RuleTargetInput,
} from "aws-cdk-lib/aws-events";
import {
  addToDeadLetterQueueResourcePolicy,
  bindBaseTargetConfig,
  FirehoseDeliveryStream,
} from "aws-cdk-lib/aws-events-targets";
import { CfnDatabase, CfnTable } from "aws-cdk-lib/aws-glue";
import { Policy, PolicyStatement, Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import {
  AppendDelimiterToRecordProcessor,
  Compression,
  DeliveryStream,
  EnableLogging,
  MetadataExtractionProcessor,
  S3Bucket,
  StreamEncryption,
} from "aws-cdk-lib/aws-kinesisfirehose";
import { LogGroup } from "aws-cdk-lib/aws-logs";
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type CfnBucket,
  type LifecycleRule,
  ObjectOwnership,
  StorageClass,
  TransitionDefaultMinimumObjectSize,
} from "aws-cdk-lib/aws-s3";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import { S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY } from "aws-cdk-lib/cx-api";
import { Construct } from "constructs";
import { DATA_LAKE_RULE } from "#shared/bus/rules.ts";
import { EXPORT_COLUMNS } from "#shared/export/columns.ts";
import type { LakeConfig, StageConfig } from "../config.ts";

/** Where Firehose writes events: one folder per tenant and UTC day of `received_at`. */
export const LAKE_EVENTS_PREFIX = "events/";
export const LAKE_DATA_OUTPUT_PREFIX = `${LAKE_EVENTS_PREFIX}tenant=!{partitionKeyFromQuery:tenant}/date=!{partitionKeyFromQuery:date}/`;
/** Records Firehose could not partition or deliver, by error type and day. */
export const LAKE_ERRORS_PREFIX = "errors/";
export const LAKE_ERROR_OUTPUT_PREFIX = `${LAKE_ERRORS_PREFIX}!{firehose:error-output-type}/date=!{timestamp:yyyy-MM-dd}/`;

/**
 * The partition keys, as JQ over the lake record: the tenant, and the UTC day of `received_at`
 * (stored as UTC ISO-8601, `2025-05-23T10:15:30.123Z`, so its first 10 characters are the day).
 */
export const LAKE_PARTITION_QUERY = { tenant: ".tenant_id", date: ".received_at[0:10]" } as const;

/** The first day partition projection enumerates; queries name their days anyway. */
export const LAKE_FIRST_DAY = "2025-01-01";

/**
 * Export columns (shared/export/columns.ts) that each lake record carries at top level, with
 * where they are in the bus event. Only fields every stored event has: an input-transformer
 * path that is absent from an event is left out of the output, which would break the JSON.
 * Everything else (message, data, metadata, recipients, source, caused_by, …) is in `event`.
 */
export const LAKE_FLAT_COLUMNS: Readonly<Record<string, string>> = {
  sequence: "$.detail.event.sequence",
  received_at: "$.detail.event.received_at",
  occurred_at: "$.detail.event.occurred_at",
  id: "$.detail.event.id",
  conversation_id: "$.detail.event.conversation_id",
  type: "$.detail.event.type",
  channel_type: "$.detail.event.channel.type",
  author_type: "$.detail.event.author.type",
};

/**
 * One lake record (one line of a lake object): the tenant, the bus contract version, the flat
 * columns, and the whole stored event, unchanged.
 */
export const LAKE_RECORD = RuleTargetInput.fromObject({
  tenant_id: EventField.fromPath("$.detail.tenant_id"),
  contract_version: EventField.fromPath("$.detail.version"),
  ...Object.fromEntries(
    Object.entries(LAKE_FLAT_COLUMNS).map(([name, path]) => [name, EventField.fromPath(path)]),
  ),
  event: EventField.fromPath("$.detail.event"),
});

/** The Glue table's data columns, in export column order, then the contract version and the event. */
export function lakeColumns(): CfnTable.ColumnProperty[] {
  const flat = EXPORT_COLUMNS.filter((c) => c.name in LAKE_FLAT_COLUMNS);
  const missing = Object.keys(LAKE_FLAT_COLUMNS).filter((name) => !flat.some((c) => c.name === name));
  if (missing.length > 0) throw new Error(`lake columns missing from EXPORT_COLUMNS: ${missing.join(", ")}`);
  return [
    // Timestamps stay ISO-8601 text (fixed width, sorts as time): from_iso8601_timestamp() types them.
    ...flat.map((c) => ({ name: c.name, type: "string", comment: c.description })),
    { name: "contract_version", type: "int", comment: "Version of the bus event contract" },
    {
      name: "event",
      type: "string",
      comment: "The whole stored event as JSON text (json_extract_scalar(event, '$.message.content.type'))",
    },
  ];
}

export interface DataLakeProps {
  config: StageConfig;
  bus: EventBus;
}

export class DataLake extends Construct {
  readonly bucket: Bucket;
  readonly resultsBucket: Bucket;
  readonly accessLogsBucket: Bucket;
  readonly deliveryStream: DeliveryStream;
  readonly rule: Rule;
  /** Bus events that could not be put into Firehose after every retry (alarm on its depth). */
  readonly deadLetterQueue: Queue;
  readonly databaseName: string;
  readonly tableName = "events";
  readonly workGroupName: string;

  constructor(scope: Construct, id: string, props: DataLakeProps) {
    super(scope, id);
    // Access-log delivery by bucket policy (the current CDK default), not by ACL: every bucket
    // here has ACLs disabled. Set on this scope, before any child, so the app needs no flag.
    this.node.setContext(S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY, true);
    const { config, bus } = props;
    const { lake } = config;
    const stack = Stack.of(this);
    const name = `conversation-log-${config.stage}`;
    this.databaseName = `conversation_log_${config.stage.replaceAll("-", "_")}`;
    this.workGroupName = `${name}-lake`;

    // --- Buckets: SSE-S3, TLS only, never public, access-logged; kept in prod ---
    const bucketDefaults = {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: config.removalPolicy,
      autoDeleteObjects: config.removalPolicy === RemovalPolicy.DESTROY,
    };
    const abortUploads: LifecycleRule = {
      id: "abort-incomplete-uploads",
      abortIncompleteMultipartUploadAfter: Duration.days(1),
    };
    this.accessLogsBucket = new Bucket(this, "AccessLogs", {
      ...bucketDefaults,
      lifecycleRules: [abortUploads, { id: "expire-logs", expiration: Duration.days(config.logRetention) }],
    });
    Validations.of(this.accessLogsBucket).acknowledge({
      id: "AwsSolutions-S1",
      reason:
        "This bucket is the server-access-log destination of the lake and results buckets; logging it too would only log its own log deliveries.",
    });
    this.bucket = new Bucket(this, "Bucket", {
      ...bucketDefaults,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: "lake/",
      lifecycleRules: [abortUploads, ...eventLifecycle(lake), errorLifecycle()],
      // Objects under 128 KB (a quiet tenant's day) stay in Standard: for them the per-object
      // transition fee and the 128 KB minimum billed size of IA and Glacier IR outweigh the saving.
      transitionDefaultMinimumObjectSize: TransitionDefaultMinimumObjectSize.ALL_STORAGE_CLASSES_128_K,
    });
    this.resultsBucket = new Bucket(this, "AthenaResults", {
      ...bucketDefaults,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: "athena-results/",
      lifecycleRules: [abortUploads, { id: "expire-results", expiration: Duration.days(lake.resultsDays) }],
    });

    // --- Firehose: newline-delimited JSON, GZIP, partitioned by tenant and day ---
    // Its role may only write the lake's two prefixes. The role handed to the L2 destination is
    // immutable, so the destination's own grant (read/write on the whole bucket) is dropped and
    // the scoped policy below is the only one.
    const role = new Role(this, "FirehoseRole", {
      description: "Firehose delivery of bus events into the data lake prefixes",
      assumedBy: new ServicePrincipal("firehose.amazonaws.com").withConditions({
        StringEquals: { "sts:ExternalId": stack.account },
      }),
    });
    const logGroup = new LogGroup(this, "FirehoseLogs", {
      retention: config.logRetention,
      removalPolicy: config.removalPolicy,
    });
    const policy = new Policy(this, "FirehosePolicy", {
      roles: [role],
      statements: [
        new PolicyStatement({
          actions: ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"],
          resources: [this.bucket.bucketArn],
        }),
        new PolicyStatement({
          actions: ["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"],
          resources: [
            this.bucket.arnForObjects(`${LAKE_EVENTS_PREFIX}*`),
            this.bucket.arnForObjects(`${LAKE_ERRORS_PREFIX}*`),
          ],
        }),
        new PolicyStatement({
          actions: ["logs:PutLogEvents"],
          resources: [logGroup.logGroupArn],
        }),
      ],
    });
    const bucketId = stack.getLogicalId(this.bucket.node.defaultChild as CfnBucket);
    Validations.of(policy).acknowledge(
      ...[LAKE_EVENTS_PREFIX, LAKE_ERRORS_PREFIX].map((prefix) => ({
        id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${prefix}*]`,
        reason:
          "Firehose names each object it writes (tenant, day, delivery time, random id), so the lake's objects can only be granted by prefix; the prefix is the lake's own.",
      })),
    );
    this.deliveryStream = new DeliveryStream(this, "Stream", {
      deliveryStreamName: `${name}-lake`,
      encryption: StreamEncryption.awsOwnedKey(),
      destination: new S3Bucket(this.bucket, {
        role: role.withoutPolicyUpdates(),
        loggingConfig: new EnableLogging(logGroup),
        dataOutputPrefix: LAKE_DATA_OUTPUT_PREFIX,
        errorOutputPrefix: LAKE_ERROR_OUTPUT_PREFIX,
        compression: Compression.GZIP,
        bufferingInterval: Duration.seconds(lake.bufferSeconds),
        dynamicPartitioning: { enabled: true, retryDuration: Duration.hours(2) },
        processors: [
          MetadataExtractionProcessor.jq16(LAKE_PARTITION_QUERY),
          // EventBridge puts one minified JSON object per record with no line end; Athena's
          // JSON SerDe reads one object per line.
          new AppendDelimiterToRecordProcessor(),
        ],
      }),
    });
    this.deliveryStream.node.addDependency(policy);

    // --- The bus rule: every log event, reshaped into a lake record ---
    this.deadLetterQueue = new Queue(this, "RuleDlq", {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: "AwsSolutions-SQS3",
      reason: "This queue is itself the dead-letter destination of the data lake rule's target.",
    });
    this.rule = new Rule(this, "Rule", {
      ruleName: `${name}-${DATA_LAKE_RULE.name}`,
      description: DATA_LAKE_RULE.description,
      eventBus: bus,
      // Placeholder replaced below by the exact shared pattern (EventBridge JSON syntax).
      eventPattern: { source: ["conversation-log"] },
    });
    (this.rule.node.defaultChild as CfnRule).addPropertyOverride("EventPattern", DATA_LAKE_RULE.pattern);
    this.rule.addTarget(
      withRetries(new FirehoseDeliveryStream(this.deliveryStream, { message: LAKE_RECORD }), {
        // Firehose throttling is the likely failure: retry for the longest EventBridge allows.
        retryAttempts: 185,
        maxEventAge: Duration.hours(24),
        deadLetterQueue: this.deadLetterQueue,
      }),
    );

    // --- Glue catalog: the events table over the JSON, partitions projected, not crawled ---
    const database = new CfnDatabase(this, "Database", {
      catalogId: stack.account,
      databaseInput: {
        name: this.databaseName,
        description: `Conversation Log (${config.stage}) data lake: every log event, by tenant and day`,
      },
    });
    const location = `s3://${this.bucket.bucketName}/${LAKE_EVENTS_PREFIX}`;
    const table = new CfnTable(this, "Table", {
      catalogId: stack.account,
      databaseName: this.databaseName,
      tableInput: {
        name: this.tableName,
        description: "Every log event, one JSON object per line (docs/data-lake.md)",
        tableType: "EXTERNAL_TABLE",
        parameters: {
          EXTERNAL: "TRUE",
          classification: "json",
          compressionType: "gzip",
          "projection.enabled": "true",
          // Injected: every query names its tenant(s), and no tenant list is kept anywhere.
          "projection.tenant.type": "injected",
          "projection.date.type": "date",
          "projection.date.format": "yyyy-MM-dd",
          "projection.date.range": `${LAKE_FIRST_DAY},NOW`,
          "projection.date.interval": "1",
          "projection.date.interval.unit": "DAYS",
          "storage.location.template": `${location}tenant=\${tenant}/date=\${date}/`,
        },
        partitionKeys: [
          { name: "tenant", type: "string", comment: "Tenant id (every query must name it)" },
          { name: "date", type: "string", comment: "UTC day of received_at, yyyy-MM-dd" },
        ],
        storageDescriptor: {
          location,
          compressed: true,
          inputFormat: "org.apache.hadoop.mapred.TextInputFormat",
          outputFormat: "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
          serdeInfo: {
            serializationLibrary: "org.openx.data.jsonserde.JsonSerDe",
            // Key names are matched exactly: the record's keys are lower-case already, and the
            // free-form maps inside `event` (metadata) keep their keys' case.
            parameters: { "case.insensitive": "FALSE", "ignore.malformed.json": "FALSE" },
          },
          columns: lakeColumns(),
        },
      },
    });
    table.addResourceDependency(database);

    // --- Athena: a workgroup whose settings clients cannot override, and a saved query ---
    const workGroup = new CfnWorkGroup(this, "WorkGroup", {
      name: this.workGroupName,
      description: `Conversation Log (${config.stage}) data lake queries`,
      state: "ENABLED",
      // Non-prod stages are deleted with their saved queries and history.
      recursiveDeleteOption: !config.isProd,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: lake.bytesScannedCutoffPerQuery,
        engineVersion: { selectedEngineVersion: "Athena engine version 3" },
        resultConfiguration: {
          outputLocation: `s3://${this.resultsBucket.bucketName}/results/`,
          encryptionConfiguration: { encryptionOption: "SSE_S3" },
          expectedBucketOwner: stack.account,
        },
      },
    });
    if (config.removalPolicy === RemovalPolicy.RETAIN) workGroup.applyRemovalPolicy(RemovalPolicy.RETAIN);
    const query = new CfnNamedQuery(this, "EventsPerTypePerDay", {
      name: "Events per type per day (one tenant)",
      description: "Distinct events of one tenant per event type and UTC day; edit the tenant and days",
      database: this.databaseName,
      workGroup: this.workGroupName,
      queryString: EVENTS_PER_TYPE_PER_DAY_SQL,
    });
    query.addResourceDependency(workGroup);
    query.addResourceDependency(table);
  }
}

/** The saved query: also in docs/data-lake.md. */
export const EVENTS_PER_TYPE_PER_DAY_SQL = `-- Events per type and UTC day for one tenant. Replace the tenant and the days.
-- count(DISTINCT id): a retried or replayed delivery can store an event twice.
SELECT "date", type, count(DISTINCT id) AS events
FROM events
WHERE tenant = 'acme'
  AND "date" BETWEEN '2025-05-01' AND '2025-05-31'
GROUP BY "date", type
ORDER BY "date", type;
`;

function eventLifecycle(lake: LakeConfig): LifecycleRule[] {
  const transitions = [
    lake.infrequentAccessDays === undefined
      ? []
      : [
          {
            storageClass: StorageClass.INFREQUENT_ACCESS,
            transitionAfter: Duration.days(lake.infrequentAccessDays),
          },
        ],
    lake.glacierInstantRetrievalDays === undefined
      ? []
      : [
          {
            storageClass: StorageClass.GLACIER_INSTANT_RETRIEVAL,
            transitionAfter: Duration.days(lake.glacierInstantRetrievalDays),
          },
        ],
  ].flat();
  if (transitions.length === 0 && lake.expireEventsDays === undefined) return [];
  return [
    {
      id: "events",
      prefix: LAKE_EVENTS_PREFIX,
      ...(transitions.length > 0 ? { transitions } : {}),
      ...(lake.expireEventsDays === undefined ? {} : { expiration: Duration.days(lake.expireEventsDays) }),
    },
  ];
}

/** Failed records are kept long enough to investigate and replay, then go. */
function errorLifecycle(): LifecycleRule {
  return { id: "expire-errors", prefix: LAKE_ERRORS_PREFIX, expiration: Duration.days(90) };
}

/**
 * The Firehose target with a retry policy and a dead-letter queue, which the L2 target does not
 * take: the same settings and queue policy the Lambda targets get from CDK.
 */
function withRetries(
  target: IRuleTarget,
  props: { retryAttempts: number; maxEventAge: Duration; deadLetterQueue: Queue },
): IRuleTarget {
  return {
    bind: (rule, id) => {
      addToDeadLetterQueueResourcePolicy(rule, props.deadLetterQueue);
      return { ...target.bind(rule, id), ...bindBaseTargetConfig(props) };
    },
  };
}
