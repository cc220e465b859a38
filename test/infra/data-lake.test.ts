/**
 * The data lake (infra/constructs/data-lake.ts): template assertions for `dev` and `prod`, and
 * the lake record checked end to end: the rule's input transformer applied to a real bus event
 * (as EventBridge does it) must give one JSON object whose keys are the Glue table's columns.
 * cdk-nag over the whole app is in stacks.test.ts.
 */
import { readFileSync } from "node:fs";
import { App } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import * as z from "zod";
import { buildApp } from "#infra/app.ts";
import { EVENTS_PER_TYPE_PER_DAY_SQL, LAKE_FLAT_COLUMNS, lakeColumns } from "#infra/constructs/data-lake.ts";
import { BusDetailSchema, toBusEntry } from "#shared/bus/contract.ts";
import { ALL_LOG_EVENTS, BUS_RULES, DATA_LAKE_RULE } from "#shared/bus/rules.ts";
import type { StoredEvent } from "#shared/events/schema.ts";
import { EXPORT_COLUMN_NAMES } from "#shared/export/columns.ts";

type Resource = {
  Type: string;
  Properties: Record<string, unknown>;
  DeletionPolicy?: string;
  DependsOn?: string[];
};

function synth(stage: string) {
  const app = new App({ context: { "aws:cdk:bundling-stacks": [] } });
  return Template.fromStack(buildApp(app, stage).stateful);
}

const dev = synth("dev");
const prod = synth("prod");

function resources(t: Template, type: string): [string, Resource][] {
  return Object.entries(t.findResources(type) as Record<string, Resource>);
}

/** The one resource of a type whose logical id starts with `prefix`. */
function one(t: Template, type: string, prefix: string): [string, Resource] {
  const found = resources(t, type).filter(([id]) => id.startsWith(prefix));
  expect(found, `one ${type} ${prefix}*`).toHaveLength(1);
  return found[0] as [string, Resource];
}

const bucketId = (t: Template, name: string) => one(t, "AWS::S3::Bucket", `DataLake${name}`)[0];
const arn = (id: string) => ({ "Fn::GetAtt": [id, "Arn"] });
const objects = (id: string, pattern: string) => ({ "Fn::Join": ["", [arn(id), `/${pattern}`]] });

/** A stored event with every optional field, and one with none. */
const FULL: StoredEvent = {
  id: "evt-1",
  type: "MessageReceived",
  conversation_id: "conv-1",
  occurred_at: "2025-05-23T23:59:59.999Z",
  received_at: "2025-05-24T00:00:00.250Z",
  sequence: "01JW0000000000000000000000",
  channel: { type: "whatsapp", integration_id: "wa-1" },
  author: { type: "customer", id: "cust-1", display_name: "Ana" },
  recipients: [{ type: "agent", id: "ag-1" }],
  source: { system: "whatsapp", event_id: "wamid.1" },
  metadata: { CamelCaseKey: "kept", "dotted.key": 1 },
  message: { content: { type: "text", text: 'Say "hi"\nand <bye>' } },
} as unknown as StoredEvent;
const MINIMAL: StoredEvent = {
  id: "evt-2",
  type: "ConversationReopened",
  conversation_id: "conv-1",
  occurred_at: "2025-05-23T10:15:30.123Z",
  received_at: "2025-05-23T10:15:31.000Z",
  sequence: "01JW0000000000000000000001",
  channel: { type: "api" },
  author: { type: "system" },
  data: {},
} as unknown as StoredEvent;

/** The event EventBridge matches and transforms: the envelope around a PutEvents entry. */
function busEvent(tenant: string, event: StoredEvent) {
  const entry = toBusEntry("conversation-log-dev", tenant, event);
  return {
    version: "0",
    id: "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "detail-type": entry.DetailType,
    source: entry.Source,
    account: "123456789012",
    time: entry.Time.toISOString(),
    region: "eu-west-1",
    resources: [],
    detail: JSON.parse(entry.Detail),
  };
}

/** What EventBridge sends the target: each path's JSON value put in place of its <variable>. */
function transform(
  transformer: { InputPathsMap: Record<string, string>; InputTemplate: string },
  event: unknown,
): string {
  let out = transformer.InputTemplate;
  for (const [name, path] of Object.entries(transformer.InputPathsMap)) {
    const value = path
      .replace(/^\$\./, "")
      .split(".")
      .reduce<unknown>((v, key) => (v as Record<string, unknown> | undefined)?.[key], event);
    expect(value, `${path} is in the event`).toBeDefined();
    out = out.replaceAll(`<${name}>`, JSON.stringify(value));
  }
  return out;
}

function ruleTarget(t: Template) {
  const [, rule] = one(t, "AWS::Events::Rule", "DataLakeRule");
  return (rule.Properties.Targets as Record<string, unknown>[])[0] as {
    InputTransformer: { InputPathsMap: Record<string, string>; InputTemplate: string };
  } & Record<string, unknown>;
}

describe("data lake rule", () => {
  it("is defined once in the shared rules, for every log event, and is not a Lambda bus rule", () => {
    expect(DATA_LAKE_RULE.pattern).toEqual(ALL_LOG_EVENTS);
    expect(BUS_RULES.map((r) => r.name)).not.toContain(DATA_LAKE_RULE.name);
  });

  it("sends every log event from the bus to the Firehose stream, with retries and a DLQ", () => {
    const [streamId] = one(dev, "AWS::KinesisFirehose::DeliveryStream", "DataLakeStream");
    const [dlqId] = one(dev, "AWS::SQS::Queue", "DataLakeRuleDlq");
    dev.hasResourceProperties("AWS::Events::Rule", {
      Name: "conversation-log-dev-data-lake",
      Description: DATA_LAKE_RULE.description,
      EventBusName: { Ref: Match.stringLikeRegexp("^Bus") },
      EventPattern: { source: ["conversation-log"] },
      Targets: [
        Match.objectLike({
          Arn: arn(streamId),
          RoleArn: arn(one(dev, "AWS::IAM::Role", "DataLakeStreamEventsRole")[0]),
          RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
          DeadLetterConfig: { Arn: arn(dlqId) },
          InputTransformer: Match.anyValue(),
        }),
      ],
    });
    // The events role may only put records into this stream.
    dev.hasResourceProperties("AWS::IAM::Policy", {
      Roles: [{ Ref: one(dev, "AWS::IAM::Role", "DataLakeStreamEventsRole")[0] }],
      PolicyDocument: {
        Statement: [
          {
            Action: ["firehose:PutRecord", "firehose:PutRecordBatch"],
            Effect: "Allow",
            Resource: arn(streamId),
          },
        ],
      },
    });
    dev.hasResourceProperties("AWS::SQS::QueuePolicy", {
      Queues: [{ Ref: dlqId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
          Match.objectLike({
            Action: "sqs:SendMessage",
            Principal: { Service: "events.amazonaws.com" },
            Condition: {
              ArnEquals: { "aws:SourceArn": arn(one(dev, "AWS::Events::Rule", "DataLakeRule")[0]) },
            },
          }),
        ]),
      },
    });
  });

  it("turns a bus event into one JSON line: tenant, contract version, flat columns, the whole event", () => {
    const text = transform(ruleTarget(dev).InputTransformer, busEvent("acme", FULL));
    expect(text).not.toContain("\n"); // one record, one line (JSON escapes the text's newline)
    expect(JSON.parse(text)).toEqual({
      tenant_id: "acme",
      contract_version: 1,
      sequence: "01JW0000000000000000000000",
      received_at: "2025-05-24T00:00:00.250Z",
      occurred_at: "2025-05-23T23:59:59.999Z",
      id: "evt-1",
      conversation_id: "conv-1",
      type: "MessageReceived",
      channel_type: "whatsapp",
      author_type: "customer",
      event: FULL,
    });
    const minimal = JSON.parse(transform(ruleTarget(dev).InputTransformer, busEvent("t-2", MINIMAL)));
    expect(minimal).toMatchObject({ tenant_id: "t-2", type: "ConversationReopened", event: MINIMAL });
  });

  it("reads only fields every event of every type has (an absent path would break the record)", () => {
    const paths = Object.values(ruleTarget(dev).InputTransformer.InputPathsMap).sort();
    expect(paths).toEqual(
      [
        "$.detail.tenant_id",
        "$.detail.version",
        "$.detail.event",
        ...Object.values(LAKE_FLAT_COLUMNS),
      ].sort(),
    );
    type Schema = {
      $ref?: string;
      required?: string[];
      properties?: Record<string, Schema>;
      oneOf?: Schema[];
      anyOf?: Schema[];
    };
    const root = z.toJSONSchema(BusDetailSchema, { io: "output", unrepresentable: "any" }) as Schema & {
      $defs?: Record<string, Schema>;
    };
    const deref = (s: Schema | undefined): Schema =>
      s?.$ref ? (root.$defs?.[s.$ref.split("/").pop() ?? ""] ?? {}) : (s ?? {});
    const requiredAlong = (schema: Schema, keys: string[], path: string) => {
      let s = deref(schema);
      for (const key of keys) {
        expect(s.required ?? [], `${path}: ${key} is required`).toContain(key);
        s = deref(s.properties?.[key]);
      }
    };
    const detail = deref(root);
    const event = deref(detail.properties?.event);
    const variants = event.oneOf ?? event.anyOf ?? [];
    expect(variants.length).toBeGreaterThan(20);
    for (const path of paths) {
      const keys = path.split(".").slice(2); // after "$" and "detail"
      requiredAlong(detail, keys.slice(0, 1), path);
      if (keys[0] === "event") for (const variant of variants) requiredAlong(variant, keys.slice(1), path);
    }
  });
});

describe("Firehose delivery stream", () => {
  it("writes GZIP JSON lines to the lake bucket with dynamic partitioning on tenant and day", () => {
    const lake = bucketId(dev, "Bucket");
    dev.hasResourceProperties("AWS::KinesisFirehose::DeliveryStream", {
      DeliveryStreamName: "conversation-log-dev-lake",
      DeliveryStreamType: "DirectPut",
      DeliveryStreamEncryptionConfigurationInput: { KeyType: "AWS_OWNED_CMK" },
      ExtendedS3DestinationConfiguration: Match.objectLike({
        BucketARN: arn(lake),
        RoleARN: arn(one(dev, "AWS::IAM::Role", "DataLakeFirehoseRole")[0]),
        Prefix: "events/tenant=!{partitionKeyFromQuery:tenant}/date=!{partitionKeyFromQuery:date}/",
        ErrorOutputPrefix: "errors/!{firehose:error-output-type}/date=!{timestamp:yyyy-MM-dd}/",
        CompressionFormat: "GZIP",
        BufferingHints: { IntervalInSeconds: 60, SizeInMBs: 128 },
        DynamicPartitioningConfiguration: { Enabled: true, RetryOptions: { DurationInSeconds: 7200 } },
        ProcessingConfiguration: {
          Enabled: true,
          Processors: [
            {
              Type: "MetadataExtraction",
              Parameters: [
                {
                  ParameterName: "MetadataExtractionQuery",
                  ParameterValue: '{"tenant":.tenant_id,"date":.received_at[0:10]}',
                },
                { ParameterName: "JsonParsingEngine", ParameterValue: "JQ-1.6" },
              ],
            },
            { Type: "AppendDelimiterToRecord", Parameters: [] },
          ],
        },
        CloudWatchLoggingOptions: Match.objectLike({
          Enabled: true,
          LogGroupName: { Ref: one(dev, "AWS::Logs::LogGroup", "DataLakeFirehoseLogs")[0] },
        }),
      }),
    });
    prod.hasResourceProperties("AWS::KinesisFirehose::DeliveryStream", {
      ExtendedS3DestinationConfiguration: Match.objectLike({
        BufferingHints: { IntervalInSeconds: 900, SizeInMBs: 128 },
      }),
    });
  });

  it("partitions a record by its tenant and the UTC day of received_at, not of occurred_at", () => {
    const [, stream] = one(dev, "AWS::KinesisFirehose::DeliveryStream", "DataLakeStream");
    const config = stream.Properties.ExtendedS3DestinationConfiguration as {
      ProcessingConfiguration: {
        Processors: { Parameters: { ParameterName: string; ParameterValue: string }[] }[];
      };
    };
    const query = config.ProcessingConfiguration.Processors[0]?.Parameters.find(
      (p) => p.ParameterName === "MetadataExtractionQuery",
    )?.ParameterValue as string;
    // The query is an object of `.field` or `.field[from:to]` (a string slice in JQ): evaluate it.
    const parts = [...query.matchAll(/"(\w+)":\.(\w+)(?:\[(\d+):(\d+)\])?/g)];
    expect(`{${parts.map((m) => m[0]).join(",")}}`).toBe(query);
    const record = JSON.parse(transform(ruleTarget(dev).InputTransformer, busEvent("acme", FULL)));
    const keys = Object.fromEntries(
      parts.map(([, key, field, from, to]) => {
        const value = record[field as string];
        expect(value, `.${field} is a string of the record`).toBeTypeOf("string");
        return [key, from === undefined ? value : value.slice(Number(from), Number(to))];
      }),
    );
    expect(keys).toEqual({ tenant: "acme", date: "2025-05-24" });
  });

  it("lets the Firehose role write only the lake's prefixes, and nothing else on the bucket", () => {
    const lake = bucketId(dev, "Bucket");
    const [roleId, role] = one(dev, "AWS::IAM::Role", "DataLakeFirehoseRole");
    expect(role.Properties.AssumeRolePolicyDocument).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Action: "sts:AssumeRole",
          Effect: "Allow",
          Principal: { Service: "firehose.amazonaws.com" },
          Condition: { StringEquals: { "sts:ExternalId": { Ref: "AWS::AccountId" } } },
        },
      ],
    });
    const policies = resources(dev, "AWS::IAM::Policy").filter(([, p]) =>
      JSON.stringify(p.Properties.Roles).includes(`"${roleId}"`),
    );
    // One policy: the L2 destination's whole-bucket read/write grant is not there.
    expect(policies).toHaveLength(1);
    const [, policy] = policies[0] as [string, Resource];
    expect((policy.Properties.PolicyDocument as { Statement: unknown[] }).Statement).toEqual([
      {
        Action: ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"],
        Effect: "Allow",
        Resource: arn(lake),
      },
      {
        Action: ["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"],
        Effect: "Allow",
        Resource: [objects(lake, "events/*"), objects(lake, "errors/*")],
      },
      {
        Action: "logs:PutLogEvents",
        Effect: "Allow",
        Resource: arn(one(dev, "AWS::Logs::LogGroup", "DataLakeFirehoseLogs")[0]),
      },
    ]);
    // The stream is created only once its role can write.
    const [, stream] = one(dev, "AWS::KinesisFirehose::DeliveryStream", "DataLakeStream");
    expect(stream.DependsOn).toContain(policies[0]?.[0]);
  });
});

describe("buckets", () => {
  const names = ["Bucket", "AthenaResults", "AccessLogs"];

  it("are encrypted (SSE-S3), never public, TLS 1.2+ only, without ACLs", () => {
    for (const name of names) {
      const id = bucketId(dev, name);
      const [, bucket] = one(dev, "AWS::S3::Bucket", id);
      expect(bucket.Properties).toMatchObject({
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        OwnershipControls: { Rules: [{ ObjectOwnership: "BucketOwnerEnforced" }] },
      });
      const everything = [arn(id), objects(id, "*")];
      dev.hasResourceProperties("AWS::S3::BucketPolicy", {
        Bucket: { Ref: id },
        PolicyDocument: {
          Statement: Match.arrayWith([
            {
              Action: "s3:*",
              Effect: "Deny",
              Principal: { AWS: "*" },
              Condition: { Bool: { "aws:SecureTransport": "false" } },
              Resource: everything,
            },
            {
              Action: "s3:*",
              Effect: "Deny",
              Principal: { AWS: "*" },
              Condition: { NumericLessThan: { "s3:TlsVersion": 1.2 } },
              Resource: everything,
            },
          ]),
        },
      });
    }
  });

  it("log access to the access-log bucket, by bucket policy", () => {
    const logs = bucketId(dev, "AccessLogs");
    for (const [name, prefix] of [
      ["Bucket", "lake/"],
      ["AthenaResults", "athena-results/"],
    ] as const) {
      const id = bucketId(dev, name);
      expect(one(dev, "AWS::S3::Bucket", id)[1].Properties.LoggingConfiguration).toEqual({
        DestinationBucketName: { Ref: logs },
        LogFilePrefix: prefix,
      });
      dev.hasResourceProperties("AWS::S3::BucketPolicy", {
        Bucket: { Ref: logs },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Action: "s3:PutObject",
              Principal: { Service: "logging.s3.amazonaws.com" },
              Resource: objects(logs, `${prefix}*`),
              Condition: Match.objectLike({ ArnLike: { "aws:SourceArn": arn(id) } }),
            }),
          ]),
        },
      });
    }
  });

  it("tier lake events to IA then Glacier IR in prod, expire them in dev; expire errors, results, logs", () => {
    const rules = (t: Template, name: string) =>
      (
        one(t, "AWS::S3::Bucket", bucketId(t, name))[1].Properties.LifecycleConfiguration as {
          Rules: unknown[];
        }
      ).Rules;
    const abort = {
      Id: "abort-incomplete-uploads",
      Status: "Enabled",
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
    };
    const errors = { Id: "expire-errors", Prefix: "errors/", Status: "Enabled", ExpirationInDays: 90 };
    expect(rules(prod, "Bucket")).toEqual([
      abort,
      {
        Id: "events",
        Prefix: "events/",
        Status: "Enabled",
        Transitions: [
          { StorageClass: "STANDARD_IA", TransitionInDays: 30 },
          { StorageClass: "GLACIER_IR", TransitionInDays: 90 },
        ],
      },
      errors,
    ]);
    expect(rules(dev, "Bucket")).toEqual([
      abort,
      { Id: "events", Prefix: "events/", Status: "Enabled", ExpirationInDays: 30 },
      errors,
    ]);
    expect(rules(prod, "AthenaResults")).toEqual([
      abort,
      { Id: "expire-results", Status: "Enabled", ExpirationInDays: 30 },
    ]);
    expect(rules(dev, "AthenaResults")).toEqual([
      abort,
      { Id: "expire-results", Status: "Enabled", ExpirationInDays: 7 },
    ]);
    expect(rules(prod, "AccessLogs")).toEqual([
      abort,
      { Id: "expire-logs", Status: "Enabled", ExpirationInDays: 365 },
    ]);
    expect(one(prod, "AWS::S3::Bucket", bucketId(prod, "Bucket"))[1].Properties).toMatchObject({
      LifecycleConfiguration: { TransitionDefaultMinimumObjectSize: "all_storage_classes_128K" },
    });
  });

  it("are retained in prod and emptied and deleted with a dev stack", () => {
    for (const name of names) {
      const [, p] = one(prod, "AWS::S3::Bucket", bucketId(prod, name));
      expect(p.DeletionPolicy, `prod ${name}`).toBe("Retain");
      const [, d] = one(dev, "AWS::S3::Bucket", bucketId(dev, name));
      expect(d.DeletionPolicy, `dev ${name}`).toBe("Delete");
    }
    expect(resources(prod, "Custom::S3AutoDeleteObjects")).toHaveLength(0);
    expect(resources(dev, "Custom::S3AutoDeleteObjects")).toHaveLength(3);
    expect(one(prod, "AWS::Athena::WorkGroup", "DataLakeWorkGroup")[1].DeletionPolicy).toBe("Retain");
  });
});

describe("Glue catalog", () => {
  it("has a stage database and an events table over the JSON with partition projection", () => {
    const lake = bucketId(dev, "Bucket");
    dev.hasResourceProperties("AWS::Glue::Database", {
      CatalogId: { Ref: "AWS::AccountId" },
      DatabaseInput: Match.objectLike({ Name: "conversation_log_dev" }),
    });
    prod.hasResourceProperties("AWS::Glue::Database", {
      DatabaseInput: Match.objectLike({ Name: "conversation_log_prod" }),
    });
    const [, table] = one(dev, "AWS::Glue::Table", "DataLakeTable");
    const input = (table.Properties as { TableInput: Record<string, unknown> }).TableInput;
    expect(table.Properties.DatabaseName).toBe("conversation_log_dev");
    expect(input).toMatchObject({ Name: "events", TableType: "EXTERNAL_TABLE" });
    expect(input.Parameters).toEqual({
      EXTERNAL: "TRUE",
      classification: "json",
      compressionType: "gzip",
      "projection.enabled": "true",
      "projection.tenant.type": "injected",
      "projection.date.type": "date",
      "projection.date.format": "yyyy-MM-dd",
      "projection.date.range": "2025-01-01,NOW",
      "projection.date.interval": "1",
      "projection.date.interval.unit": "DAYS",
      "storage.location.template": {
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Athena's placeholders, not JavaScript's
        "Fn::Join": ["", ["s3://", { Ref: lake }, "/events/tenant=${tenant}/date=${date}/"]],
      },
    });
    expect(input.PartitionKeys).toEqual([
      expect.objectContaining({ Name: "tenant", Type: "string" }),
      expect.objectContaining({ Name: "date", Type: "string" }),
    ]);
    expect(input.StorageDescriptor).toMatchObject({
      Location: { "Fn::Join": ["", ["s3://", { Ref: lake }, "/events/"]] },
      Compressed: true,
      InputFormat: "org.apache.hadoop.mapred.TextInputFormat",
      OutputFormat: "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
      SerdeInfo: {
        SerializationLibrary: "org.openx.data.jsonserde.JsonSerDe",
        Parameters: { "case.insensitive": "FALSE", "ignore.malformed.json": "FALSE" },
      },
    });
    expect(table.DependsOn).toContain(one(dev, "AWS::Glue::Database", "DataLakeDatabase")[0]);
  });

  it("names its columns after the export columns, and they are exactly the record's keys", () => {
    const [, table] = one(dev, "AWS::Glue::Table", "DataLakeTable");
    const columns = (
      table.Properties as { TableInput: { StorageDescriptor: { Columns: { Name: string; Type: string }[] } } }
    ).TableInput.StorageDescriptor.Columns.map((c) => [c.Name, c.Type]);
    expect(columns).toEqual([
      ["sequence", "string"],
      ["received_at", "string"],
      ["occurred_at", "string"],
      ["id", "string"],
      ["conversation_id", "string"],
      ["type", "string"],
      ["channel_type", "string"],
      ["author_type", "string"],
      ["contract_version", "int"],
      ["event", "string"],
    ]);
    expect(lakeColumns().map((c) => c.name)).toEqual(columns.map(([name]) => name));
    // The flat columns keep the export's names and order.
    const flat = columns.map(([name]) => name).filter((n) => n !== "contract_version" && n !== "event");
    expect(flat).toEqual(EXPORT_COLUMN_NAMES.filter((n) => flat.includes(n as string)));
    // Every record key is a column, except tenant_id, which is the `tenant` partition.
    const record = JSON.parse(transform(ruleTarget(dev).InputTransformer, busEvent("acme", FULL)));
    expect(Object.keys(record).sort()).toEqual(["tenant_id", ...columns.map(([name]) => name)].sort());
  });
});

describe("Athena", () => {
  it("has a workgroup with enforced settings, encrypted results and a bytes-scanned cutoff", () => {
    const results = bucketId(dev, "AthenaResults");
    dev.hasResourceProperties("AWS::Athena::WorkGroup", {
      Name: "conversation-log-dev-lake",
      State: "ENABLED",
      RecursiveDeleteOption: true,
      WorkGroupConfiguration: {
        EnforceWorkGroupConfiguration: true,
        PublishCloudWatchMetricsEnabled: true,
        BytesScannedCutoffPerQuery: 1024 ** 3,
        EngineVersion: { SelectedEngineVersion: "Athena engine version 3" },
        ResultConfiguration: {
          OutputLocation: { "Fn::Join": ["", ["s3://", { Ref: results }, "/results/"]] },
          EncryptionConfiguration: { EncryptionOption: "SSE_S3" },
          ExpectedBucketOwner: { Ref: "AWS::AccountId" },
        },
      },
    });
    prod.hasResourceProperties("AWS::Athena::WorkGroup", {
      Name: "conversation-log-prod-lake",
      RecursiveDeleteOption: false,
      WorkGroupConfiguration: Match.objectLike({ BytesScannedCutoffPerQuery: 10 * 1024 ** 3 }),
    });
  });

  it("saves the events-per-type-per-day query for one tenant in the workgroup", () => {
    dev.hasResourceProperties("AWS::Athena::NamedQuery", {
      Name: "Events per type per day (one tenant)",
      Database: "conversation_log_dev",
      WorkGroup: "conversation-log-dev-lake",
      QueryString: EVENTS_PER_TYPE_PER_DAY_SQL,
    });
    expect(EVENTS_PER_TYPE_PER_DAY_SQL).toMatch(/FROM events\s+WHERE tenant = '[^']+'\s+AND "date" BETWEEN/);
    expect(EVENTS_PER_TYPE_PER_DAY_SQL).toMatch(/GROUP BY "date", type/);
    const [, query] = one(dev, "AWS::Athena::NamedQuery", "DataLakeEventsPerTypePerDay");
    expect(query.DependsOn).toEqual(
      expect.arrayContaining([
        one(dev, "AWS::Athena::WorkGroup", "DataLakeWorkGroup")[0],
        one(dev, "AWS::Glue::Table", "DataLakeTable")[0],
      ]),
    );
  });

  it("documents the saved query as deployed", () => {
    const doc = readFileSync(new URL("../../docs/data-lake.md", import.meta.url), "utf8");
    expect(doc).toContain(EVENTS_PER_TYPE_PER_DAY_SQL.trim());
  });
});

describe("outputs", () => {
  it("names the lake bucket, the Glue database and table, and the workgroup", () => {
    const outputs = dev.findOutputs("*");
    expect(outputs.LakeBucketName?.Value).toEqual({ Ref: bucketId(dev, "Bucket") });
    expect(outputs.LakeResultsBucketName?.Value).toEqual({ Ref: bucketId(dev, "AthenaResults") });
    expect(outputs.LakeDatabaseName?.Value).toBe("conversation_log_dev");
    expect(outputs.LakeTableName?.Value).toBe("events");
    expect(outputs.LakeWorkGroupName?.Value).toBe("conversation-log-dev-lake");
  });
});
