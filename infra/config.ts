/**
 * Per-stage settings. `prod` keeps data (PITR, deletion protection, RETAIN) and logs longer;
 * every other stage is disposable.
 */
import { RemovalPolicy } from "aws-cdk-lib";
import { RetentionDays } from "aws-cdk-lib/aws-logs";
import { type AutomationLimits, DEFAULT_AUTOMATION_LIMITS } from "#shared/config.ts";
import { type RatePlan, type RatePlanTier, ratePlansFor } from "./rate-plans.ts";

export interface StageConfig {
  stage: string;
  isProd: boolean;
  removalPolicy: RemovalPolicy;
  /** Function and access-log retention. */
  logRetention: RetentionDays;
  /**
   * API Gateway stage throttling (requests/s and burst): the outer bound over all tenants
   * together, at least the largest rate plan.
   */
  throttle: { rateLimit: number; burstLimit: number };
  /**
   * Per-tenant rate plans by tier (infra/rate-plans.ts): one usage plan each, with a tenant's
   * API Gateway key bound to its tier's plan. `standard` is the default.
   */
  ratePlans: Record<RatePlanTier, RatePlan>;
  /** WAF rate-based rule: requests per 5 minutes per client IP. */
  wafRateLimitPer5Min: number;
  /** Days the bus archive keeps events for replay. */
  archiveRetentionDays: number;
  /** The data lake (infra/constructs/data-lake.ts, docs/data-lake.md). */
  lake: LakeConfig;
  /** What automations may do: budgets, limits, and the bulkheads that keep them off the API. */
  automation: AutomationConfig;
}

export interface AutomationConfig extends AutomationLimits {
  /**
   * Reserved concurrency of the bus targets: automations can never take the account's
   * concurrency from the API functions, and a flood queues (EventBridge retries throttled
   * invocations) instead of spreading.
   */
  reservedConcurrency: { triggerEngine: number; state: number };
}

export interface LakeConfig {
  /** Seconds Firehose buffers each tenant/day partition before writing an object (60 to 900). */
  bufferSeconds: number;
  /** Days until lake objects move to S3 Standard-IA, then to Glacier Instant Retrieval; none: stay. */
  infrequentAccessDays?: number;
  glacierInstantRetrievalDays?: number;
  /** Days until lake events expire; none: kept. */
  expireEventsDays?: number;
  /** Days Athena query results are kept. */
  resultsDays: number;
  /** Bytes one Athena query may scan before the workgroup cancels it. */
  bytesScannedCutoffPerQuery: number;
}

const GIB = 1024 ** 3;

export const STAGE_PATTERN = /^[a-z][a-z0-9-]{1,20}$/;

export function stageConfig(stage: string): StageConfig {
  if (!STAGE_PATTERN.test(stage)) {
    throw new Error(
      `stage must match ${STAGE_PATTERN} (e.g. dev, prod, pr-123); got ${JSON.stringify(stage)}`,
    );
  }
  const isProd = stage === "prod";
  return {
    stage,
    isProd,
    removalPolicy: isProd ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    logRetention: isProd ? RetentionDays.ONE_YEAR : RetentionDays.TWO_WEEKS,
    throttle: isProd ? { rateLimit: 1000, burstLimit: 2000 } : { rateLimit: 250, burstLimit: 500 },
    ratePlans: ratePlansFor(stage),
    wafRateLimitPer5Min: isProd ? 20_000 : 2_000,
    archiveRetentionDays: isProd ? 365 : 7,
    lake: isProd
      ? {
          bufferSeconds: 900,
          infrequentAccessDays: 30,
          glacierInstantRetrievalDays: 90,
          resultsDays: 30,
          bytesScannedCutoffPerQuery: 10 * GIB,
        }
      : { bufferSeconds: 60, expireEventsDays: 30, resultsDays: 7, bytesScannedCutoffPerQuery: GIB },
    automation: {
      ...DEFAULT_AUTOMATION_LIMITS,
      reservedConcurrency: isProd ? { triggerEngine: 50, state: 50 } : { triggerEngine: 5, state: 5 },
    },
  };
}
