/** The structured logger (Powertools), one per container, shared by every function. */
import { Logger } from "@aws-lambda-powertools/logger";

export const logger = new Logger({ serviceName: "conversation-log" });
