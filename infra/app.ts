/**
 * The CDK app: one isolated stack set per stage.
 *
 *   npx cdk deploy --all --context stage=prod
 *
 * cdk-nag's AwsSolutions pack checks every stack at synth; each suppression is narrow and
 * gives its reason.
 */
import { App, Tags, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { ApiStack } from "./api-stack.ts";
import { stageConfig } from "./config.ts";
import { StatefulStack } from "./stateful-stack.ts";

export function buildApp(app: App, stage: string): { stateful: StatefulStack; api: ApiStack } {
  const config = stageConfig(stage);
  const env = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };
  const stateful = new StatefulStack(app, `ConversationLog-${stage}-Stateful`, {
    config,
    env,
    description: `Conversation Log (${stage}): table, event bus, archive, secrets`,
    terminationProtection: config.isProd,
  });
  const api = new ApiStack(app, `ConversationLog-${stage}-Api`, {
    config,
    env,
    description: `Conversation Log (${stage}): functions, REST API, WAF, publisher, alarms`,
    table: stateful.table,
    bus: stateful.bus,
    cursorSecret: stateful.cursorSecret,
    secretsKey: stateful.secretsKey,
    lakeDeadLetterQueue: stateful.dataLake.deadLetterQueue,
  });
  api.addStackDependency(stateful);
  for (const stack of [stateful, api]) {
    Tags.of(stack).add("project", "conversation-log");
    Tags.of(stack).add("stage", stage);
  }
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { stateful, api };
}

// Run as the CDK app entry (cdk.json), not when imported by tests.
if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const app = new App();
  buildApp(app, String(app.node.tryGetContext("stage") ?? "dev"));
  app.synth();
}
