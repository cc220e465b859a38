/**
 * Per-worker environment: what a deployed function would find in its configuration,
 * pointed at the run's DynamoDB Local. Runs before any test module is imported.
 */
import { inject } from "vitest";

process.env.AWS_ENDPOINT_URL_DYNAMODB = inject("dynamodbEndpoint");
process.env.AWS_REGION = "local";
process.env.AWS_ACCESS_KEY_ID = "local";
process.env.AWS_SECRET_ACCESS_KEY = "local";
process.env.TABLE_NAME = inject("tableName");
process.env.CURSOR_SECRET = "test-cursor-secret-0123456789abcdef0123456789";
// The local secrets cipher's key (32 bytes, base64), as `npm start --in-memory` sets it.
process.env.SECRETS_KEY = Buffer.alloc(32, "test-secrets-key").toString("base64");
// The authorizers' usage key for requests of no tenant plan (the local stack's own value).
process.env.UNASSIGNED_USAGE_KEY = "conversation-log-local-unassigned";
process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
// The SDK's Node 22 notice is expected on this Node 20 machine (see README); keep test output readable.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
process.env.CONTRACT_CHECK_RESPONSES = "true";
