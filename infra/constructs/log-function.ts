/**
 * Every function of the project, with the same defaults. Each default says why.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Duration } from "aws-cdk-lib";
import { Architecture, Runtime, Tracing } from "aws-cdk-lib/aws-lambda";
import { NodejsFunction, OutputFormat } from "aws-cdk-lib/aws-lambda-nodejs";
import { LogGroup } from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";
import { BUNDLING } from "../bundling.ts";
import type { StageConfig } from "../config.ts";

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

export interface LogFunctionProps {
  /** Entry module, relative to the repository root (`functions/ingest.ts`). */
  entry: string;
  description: string;
  config: StageConfig;
  environment?: Record<string, string>;
  memorySize?: number;
  timeout?: Duration;
  /** Concurrency kept for this function alone, and its ceiling (bus targets: a bulkhead). */
  reservedConcurrentExecutions?: number;
}

export class LogFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: LogFunctionProps) {
    super(scope, id);
    // An explicit log group, so retention is ours (not "never expire") and it is deleted
    // with the stack outside prod.
    this.logGroup = new LogGroup(this, "Logs", {
      retention: props.config.logRetention,
      removalPolicy: props.config.removalPolicy,
    });
    this.fn = new NodejsFunction(this, "Fn", {
      entry: join(REPO_ROOT, props.entry),
      handler: "handler",
      description: props.description,
      // The newest Node.js Lambda runtime: longest support window; the code is Node 22+ ready.
      runtime: Runtime.NODEJS_24_X,
      // Graviton: about 20% cheaper per GB-second than x86 for the same work, and our
      // dependencies are pure JavaScript.
      architecture: Architecture.ARM_64,
      // 512 MB buys enough CPU for zod validation and JSON work without paying for idle memory.
      memorySize: props.memorySize ?? 512,
      ...(props.reservedConcurrentExecutions !== undefined
        ? { reservedConcurrentExecutions: props.reservedConcurrentExecutions }
        : {}),
      // API Gateway gives up after 29 s; a function should fail well before that.
      timeout: props.timeout ?? Duration.seconds(10),
      logGroup: this.logGroup,
      // X-Ray traces across API Gateway, Lambda and DynamoDB.
      tracing: Tracing.ACTIVE,
      environment: {
        // Stack traces point at the TypeScript sources.
        NODE_OPTIONS: "--enable-source-maps",
        POWERTOOLS_SERVICE_NAME: "conversation-log",
        POWERTOOLS_LOG_LEVEL: props.config.isProd ? "INFO" : "DEBUG",
        STAGE: props.config.stage,
        // Each function validates these once, at cold start (shared/config.ts).
        ...props.environment,
      },
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, "package-lock.json"),
      bundling: {
        // Shared with `npm run bundles` (infra/bundling.ts), which reports size and init time.
        format: OutputFormat.ESM,
        minify: BUNDLING.minify,
        sourceMap: BUNDLING.sourceMap,
        sourcesContent: false,
        target: BUNDLING.target,
        mainFields: [...BUNDLING.mainFields],
        externalModules: [...BUNDLING.external],
        banner: BUNDLING.banner,
        // Local esbuild only: synth works offline, with no Docker.
        forceDockerBundling: false,
      },
    });
  }
}
