import type { SecretPurpose } from "./secrets/cipher.ts";

/**
 * Every Lambda function of the project, defined once with what it needs: its entry module,
 * the DynamoDB actions it performs (and on which keys), whether it signs cursors, whether it
 * puts events on the bus, whether it seals or opens tenant secrets. The CDK app creates each function and its least-privilege grants
 * from this registry; the local runtime loads the same entry modules.
 */

export type DynamoAction =
  | "GetItem"
  | "PutItem"
  | "UpdateItem"
  | "DeleteItem"
  | "Query"
  | "ConditionCheckItem";

export interface FunctionDef {
  entry: string;
  description: string;
  /** DynamoDB actions, confined with `dynamodb:LeadingKeys` to these key prefixes. */
  table?: { actions: readonly DynamoAction[]; leadingKeys: readonly string[] };
  /** Needs the cursor-signing secret (`CURSOR_SECRET_ARN`). */
  cursorSecret?: boolean;
  /** Puts events on the bus (`EVENT_BUS_NAME`). */
  busPut?: boolean;
  /**
   * Seals (KMS `Encrypt` only) or opens (`Decrypt` only) tenant secrets of one purpose with the
   * stage's secrets key (`SECRETS_KEY_ARN`); IAM conditions the grant on that purpose.
   */
  secrets?: { use: "seal" | "open"; purpose: SecretPurpose };
  /** Further DynamoDB grants, each its own statement, for keys outside `table`'s prefixes. */
  moreTable?: readonly { actions: readonly DynamoAction[]; leadingKeys: readonly string[] }[];
  /** Seconds; default 10. */
  timeoutSeconds?: number;
  /** Streams its responses (Lambda response streaming; API Gateway `STREAM` transfer mode). */
  streaming?: boolean;
  /** Reads the stage's automation limits (`loadAutomationLimits`, shared/config.ts). */
  automationLimits?: boolean;
  /** Answers API Gateway's `usageIdentifierKey` (`UNASSIGNED_USAGE_KEY`): the authorizers. */
  usageKeys?: boolean;
}

/** Tenant data: every partition key starts with `T#{tenant}#`. */
export const TENANT_KEYS = ["T#*"] as const;
/** Channel webhook lookups: `CH#{channel id}` names the tenant (the request carries none). */
export const CHANNEL_LOOKUP_KEYS = ["CH#*"] as const;
/** Tenant rate plans: `PLAN#{tenant}` holds the tier and the usage key the authorizers return. */
export const TENANT_PLAN_KEYS = ["PLAN#*"] as const;

/** Functions behind the REST API; `shared/http/routes.ts` maps routes to them. */
export const HTTP_FUNCTIONS = {
  ingest: {
    entry: "functions/ingest.ts",
    description: "POST /v1/events: validate and store events",
    table: { actions: ["PutItem", "GetItem"], leadingKeys: TENANT_KEYS },
  },
  query: {
    entry: "functions/query.ts",
    description: "Read timelines, time ranges and conversation states",
    // GetItem: a conversation's state item. Read-only on purpose.
    table: { actions: ["Query", "GetItem"], leadingKeys: TENANT_KEYS },
    cursorSecret: true,
  },
  service: { entry: "functions/service.ts", description: "Health, OpenAPI document and API reference page" },
  export: {
    entry: "functions/export.ts",
    description: "GET /v1/export/events: the change feed, streamed as JSON, NDJSON or CSV",
    // Query: the sequence directory and the bySequence index. Read-only on purpose.
    table: { actions: ["Query"], leadingKeys: TENANT_KEYS },
    cursorSecret: true,
    streaming: true,
    // A 10,000-event page streams for a few seconds; API Gateway streams up to 15 minutes.
    timeoutSeconds: 60,
  },
  commands: {
    entry: "functions/commands.ts",
    description: "Conversation commands: tag, untag, close, reopen",
    // Query: does the conversation exist; PutItem/GetItem: the appended event (as ingest) and
    // the conditional Idempotency-Key record.
    table: { actions: ["PutItem", "GetItem", "Query"], leadingKeys: TENANT_KEYS },
  },
  triggers: {
    entry: "functions/triggers.ts",
    description: "/v1/triggers: tenant trigger CRUD and run logs",
    // Tenant keys, not `T#*#TRG`: with `*` spanning `#`, that pattern would also match the
    // event guard of an event whose id is "TRG" (`T#{tenant}#I#TRG`).
    // PutItem/UpdateItem/DeleteItem in one transaction: a trigger and the tenant's trigger count.
    table: { actions: ["PutItem", "GetItem", "Query", "UpdateItem", "DeleteItem"], leadingKeys: TENANT_KEYS },
    // Run-log cursors are signed like every other cursor.
    cursorSecret: true,
    automationLimits: true,
    // Seals each new trigger's webhook signing secret; never opens one.
    secrets: { use: "seal", purpose: "trigger-webhook-secret" },
  },
  channels: {
    entry: "functions/channels.ts",
    description: "/v1/channels: channel integrations and their webhook rejections",
    // PutItem/DeleteItem: the tenant's listing item and the webhook lookup item, in one
    // transaction; Query: the listing and the rejections.
    table: { actions: ["PutItem", "DeleteItem", "Query"], leadingKeys: TENANT_KEYS },
    moreTable: [{ actions: ["PutItem", "DeleteItem"], leadingKeys: CHANNEL_LOOKUP_KEYS }],
    // Seals a WhatsApp app secret at create; never opens one.
    secrets: { use: "seal", purpose: "whatsapp-app-secret" },
  },
  channelWebhooks: {
    entry: "functions/channel-webhooks.ts",
    description: "WhatsApp and SunCo webhooks: verify, map, append",
    // PutItem/GetItem: events (as ingest) and rejection records; the lookup items read-only,
    // so a webhook can never rewrite an integration.
    table: { actions: ["PutItem", "GetItem"], leadingKeys: TENANT_KEYS },
    moreTable: [{ actions: ["GetItem"], leadingKeys: CHANNEL_LOOKUP_KEYS }],
    // Opens the WhatsApp app secret to check X-Hub-Signature-256.
    secrets: { use: "open", purpose: "whatsapp-app-secret" },
  },
} as const satisfies Record<string, FunctionDef>;
export type HttpFunctionName = keyof typeof HTTP_FUNCTIONS;

export const AUTHORIZER_FUNCTION = {
  entry: "functions/authorizer.ts",
  description: "Resolves API keys, and the tenant's usage key for its rate plan",
  // API-key lookup items, and the key's tenant's plan (its usage key).
  table: { actions: ["GetItem"], leadingKeys: ["K#*"] },
  moreTable: [{ actions: ["GetItem"], leadingKeys: TENANT_PLAN_KEYS }],
  usageKeys: true,
} as const satisfies FunctionDef;

/**
 * The authorizer of the channel webhook routes (`meteredBy: "channel"`): it authenticates
 * nothing (the handler checks the provider's signature) but names the tenant whose rate plan
 * the request counts against.
 */
export const WEBHOOK_AUTHORIZER_FUNCTION = {
  entry: "functions/webhook-authorizer.ts",
  description: "Meters channel webhooks against the owning tenant's rate plan",
  // Channel lookup items (which tenant) and that tenant's plan (its usage key); read-only.
  table: { actions: ["GetItem"], leadingKeys: CHANNEL_LOOKUP_KEYS },
  moreTable: [{ actions: ["GetItem"], leadingKeys: TENANT_PLAN_KEYS }],
  usageKeys: true,
} as const satisfies FunctionDef;

export const PUBLISH_FUNCTION = {
  entry: "functions/publish.ts",
  description: "Outbox: table stream to EventBridge",
  busPut: true,
} as const satisfies FunctionDef;

/**
 * Functions that consume bus events; `shared/bus/rules.ts` routes events to them. Each
 * receives one EventBridge event (`detail` is the versioned contract of `shared/bus/contract.ts`).
 */
export const BUS_TARGET_FUNCTIONS = {
  state: {
    entry: "functions/state.ts",
    description: "Projects every log event into its conversation's state",
    // GetItem/PutItem: the state item, written conditionally; Query: the timeline to fold.
    table: { actions: ["GetItem", "PutItem", "Query"], leadingKeys: TENANT_KEYS },
  },
  triggerEngine: {
    entry: "functions/trigger-engine.ts",
    description: "Runs tenant triggers on every log event",
    // Query: the tenant's triggers; PutItem/GetItem: action events (as ingest), runs and
    // failure records; UpdateItem: causation budgets (one conditional update per action).
    table: { actions: ["Query", "PutItem", "GetItem", "UpdateItem"], leadingKeys: TENANT_KEYS },
    // Opens a trigger's webhook signing secret right before signing.
    secrets: { use: "open", purpose: "trigger-webhook-secret" },
    // Webhooks run concurrently: each 3 attempts of at most 5 s, with 1 s and 2 s of backoff (18 s).
    timeoutSeconds: 30,
    automationLimits: true,
  },
} as const satisfies Record<string, FunctionDef>;
export type BusTargetName = keyof typeof BUS_TARGET_FUNCTIONS;
