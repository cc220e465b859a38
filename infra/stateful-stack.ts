/**
 * Stateful resources: the table (from the shared definition), the event bus and its
 * archive, the cursor-signing secret, the key that seals tenant secrets, and the data lake
 * fed from the bus. Kept apart from the
 * functions and API, so those can be replaced freely without touching data.
 */
import { CfnOutput, Duration, Stack, type StackProps, Validations } from "aws-cdk-lib";
import {
  AttributeType,
  BillingMode,
  ProjectionType,
  StreamViewType,
  Table,
  TableEncryption,
} from "aws-cdk-lib/aws-dynamodb";
import { EventBus } from "aws-cdk-lib/aws-events";
import { Key } from "aws-cdk-lib/aws-kms";
import { Secret } from "aws-cdk-lib/aws-secretsmanager";
import type { Construct } from "constructs";
import { TABLE } from "#shared/store/dynamo/table.ts";
import type { StageConfig } from "./config.ts";
import { DataLake } from "./constructs/data-lake.ts";

export interface StatefulStackProps extends StackProps {
  config: StageConfig;
}

export class StatefulStack extends Stack {
  readonly table: Table;
  readonly bus: EventBus;
  readonly cursorSecret: Secret;
  /** Seals tenant secrets at rest (WhatsApp app secrets, trigger signing secrets). */
  readonly secretsKey: Key;
  readonly dataLake: DataLake;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.table = new Table(this, "Table", {
      tableName: `${TABLE.baseName}-${config.stage}`,
      partitionKey: { name: TABLE.partitionKey, type: AttributeType.STRING },
      sortKey: { name: TABLE.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      stream: StreamViewType[TABLE.streamViewType],
      // Expiring items (Idempotency-Key records) carry their expiry here; readers also treat an
      // expired item as absent, since TTL deletion lags by up to days.
      timeToLiveAttribute: TABLE.ttlAttribute,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: config.isProd },
      deletionProtection: config.isProd,
      removalPolicy: config.removalPolicy,
    });
    for (const index of Object.values(TABLE.indexes)) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
        projectionType: ProjectionType.ALL,
      });
    }
    if (!config.isProd) {
      Validations.of(this.table).acknowledge({
        id: "AwsSolutions-DDB3",
        reason: "Non-prod stages are disposable test copies; point-in-time recovery is enabled in prod only.",
      });
    }

    this.bus = new EventBus(this, "Bus", { eventBusName: `${TABLE.baseName}-${config.stage}` });
    // Every event published to the bus, kept for replay after a consumer outage or a new consumer.
    this.bus.archive("Archive", {
      archiveName: `${TABLE.baseName}-${config.stage}-all`,
      description: "Every conversation event published to the bus, for replay",
      eventPattern: { account: [Stack.of(this).account] },
      retention: Duration.days(config.archiveRetentionDays),
    });

    this.cursorSecret = new Secret(this, "CursorSecret", {
      description: "HMAC key that signs pagination cursors",
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: config.removalPolicy,
    });
    Validations.of(this.cursorSecret).acknowledge({
      id: "AwsSolutions-SMG4",
      reason:
        'Rotated on demand by putting a new version (docs/decisions.md, "Cursor secret rotation"); the functions verify with AWSCURRENT and AWSPREVIOUS. A scheduled rotation Lambda would only add cost for a value nothing outside the service reads.',
    });

    // Tenant secrets are sealed with this key, bound to tenant and purpose (encryption
    // context); the api stack grants Encrypt-only or Decrypt-only per function.
    this.secretsKey = new Key(this, "SecretsKey", {
      alias: `alias/${TABLE.baseName}-${config.stage}-secrets`,
      description: `Conversation Log (${config.stage}): seals channel and trigger webhook secrets at rest`,
      enableKeyRotation: true,
      removalPolicy: config.removalPolicy,
    });

    // Every bus event into S3 (Firehose), queryable with Athena: docs/data-lake.md.
    this.dataLake = new DataLake(this, "DataLake", { config, bus: this.bus });
    Validations.of(this).acknowledge({
      id: "CloudFormation-Validate::W7001",
      reason:
        "The Firehose L2 adds its regional CIDR mapping (used only by VPC destinations) to any stack with a delivery stream; the lake's S3 destination never reads it, and an unused mapping is valid CloudFormation.",
    });
    new CfnOutput(this, "LakeBucketName", { value: this.dataLake.bucket.bucketName });
    new CfnOutput(this, "LakeDatabaseName", { value: this.dataLake.databaseName });
    new CfnOutput(this, "LakeTableName", { value: this.dataLake.tableName });
    new CfnOutput(this, "LakeWorkGroupName", { value: this.dataLake.workGroupName });
    new CfnOutput(this, "LakeResultsBucketName", { value: this.dataLake.resultsBucket.bucketName });
  }
}
