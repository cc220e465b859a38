/**
 * Per-worker environment of the unit tier: what a deployed function finds in its
 * configuration, with nothing behind it. Handler modules load (they read their settings at
 * import, as in Lambda), but a unit test that reached for DynamoDB would fail to connect:
 * the endpoint is a closed port.
 */
process.env.AWS_ENDPOINT_URL_DYNAMODB = "http://127.0.0.1:9";
process.env.AWS_REGION = "local";
process.env.AWS_ACCESS_KEY_ID = "local";
process.env.AWS_SECRET_ACCESS_KEY = "local";
process.env.TABLE_NAME = "conversation-log-unit";
process.env.CURSOR_SECRET = "test-cursor-secret-0123456789abcdef0123456789";
// The local secrets cipher's key (32 bytes, base64), as `npm start --in-memory` sets it.
process.env.SECRETS_KEY = Buffer.alloc(32, "test-secrets-key").toString("base64");
// The authorizers' usage key for requests of no tenant plan (the local stack's own value).
process.env.UNASSIGNED_USAGE_KEY = "conversation-log-local-unassigned";
process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
// Log lines go through the global console, where a test can read them.
process.env.POWERTOOLS_DEV = "true";
// The SDK's Node 22 notice is expected on this Node 20 machine (see README); keep test output readable.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
process.env.CONTRACT_CHECK_RESPONSES = "true";
