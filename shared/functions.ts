/**
 * Every Lambda function of the project, defined once with what it needs: its entry module,
 * the DynamoDB actions it performs (and on which keys), whether it signs cursors, whether it
 * puts events on the bus. The CDK app creates each function and its least-privilege grants
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
  /** Seconds; default 10. */
  timeoutSeconds?: number;
}

/** Tenant data: every partition key starts with `T#{tenant}#`. */
export const TENANT_KEYS = ["T#*"] as const;

/** Functions behind the REST API; `shared/http/routes.ts` maps routes to them. */
export const HTTP_FUNCTIONS = {
  ingest: {
    entry: "functions/ingest.ts",
    description: "POST /v1/events: validate and store events",
    table: { actions: ["PutItem", "GetItem"], leadingKeys: TENANT_KEYS },
  },
  query: {
    entry: "functions/query.ts",
    description: "Read timelines and time ranges",
    table: { actions: ["Query"], leadingKeys: TENANT_KEYS },
    cursorSecret: true,
  },
  service: { entry: "functions/service.ts", description: "Health, OpenAPI document and API reference page" },
} as const satisfies Record<string, FunctionDef>;
export type HttpFunctionName = keyof typeof HTTP_FUNCTIONS;

export const AUTHORIZER_FUNCTION = {
  entry: "functions/authorizer.ts",
  description: "Resolves API keys",
  // API-key lookup items only.
  table: { actions: ["GetItem"], leadingKeys: ["K#*"] },
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
export const BUS_TARGET_FUNCTIONS = {} as const satisfies Record<string, FunctionDef>;
export type BusTargetName = keyof typeof BUS_TARGET_FUNCTIONS;
