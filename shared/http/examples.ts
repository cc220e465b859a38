/**
 * The examples the OpenAPI document shows, one realistic value per request and response.
 * A unit test parses each against the schema it illustrates, so none of them can drift.
 */
import type * as z from "zod";
import { EVENT_EXAMPLES, storedExample } from "../events/examples.ts";
import type { TriggerRun } from "../store/trigger-runs.ts";
import type { TriggerInputSchema } from "../triggers/schema.ts";
import type { ChannelIntegration, ChannelIntegrationInputSchema } from "../usecases/channels.ts";
import type { Conversation } from "../usecases/conversation-state.ts";

/** A customer's message, as posted and as stored (shared/events/examples.ts has one per type). */
export const EVENT_INPUT_EXAMPLE = EVENT_EXAMPLES.MessageReceived;
export const STORED_EVENT_EXAMPLE = storedExample("MessageReceived");
export const TAGGED_EVENT_EXAMPLE = storedExample("ConversationTagged");
const CONVERSATION_ID = STORED_EVENT_EXAMPLE.conversation_id;

const CURSOR =
  "eyJ2IjoxLCJwIjoiMjAyNS0wNS0yM1QxMDoxNTozMC41MDBaI21zZy0xIn0.q3Vb0k7mQ2V4i9Jx1c8rTg2w5yZsH6aL0nPdE1fUoRk";

export const EVENT_PAGE_EXAMPLE = (path: string) => ({
  events: [STORED_EVENT_EXAMPLE],
  meta: { has_more: true, after_cursor: CURSOR, before_cursor: CURSOR },
  links: { next: `https://api.example.net/prod${path}?page%5Bafter%5D=${CURSOR}`, prev: null },
});

export const CONVERSATION_EXAMPLE: Conversation = {
  conversation_id: CONVERSATION_ID,
  status: "open",
  channel: { type: "whatsapp" },
  participants: [{ type: "customer", id: "cust-9" }],
  tags: ["vip"],
  assignee: null,
  message_counts: { customer: 1, agent: 0, bot: 0, system: 0 },
  first_event_at: "2025-05-23T10:15:30.500Z",
  last_event_at: "2025-05-23T10:20:00.000Z",
  first_response_at: null,
  closed_at: null,
  event_count: 2,
  metrics: {
    first_customer_message_at: "2025-05-23T10:15:30.500Z",
    first_response_ms: null,
    resolution_ms: null,
  },
  updated_at: "2025-05-23T10:20:00.112Z",
};

export const TRIGGER_INPUT_EXAMPLE: z.input<typeof TriggerInputSchema> = {
  name: "Close spam",
  enabled: true,
  when: { type: ["ConversationTagged"], data: { tags: ["spam"] } },
  actions: [
    { type: "close", reason: "spam" },
    { type: "webhook", url: "https://hooks.acme.test/conversation-log" },
  ],
};

export const TRIGGER_EXAMPLE = {
  id: "trg_01JZ8X6F3P2Q0M9V7T4R5S6W1Y",
  ...TRIGGER_INPUT_EXAMPLE,
  enabled: true,
  created_at: "2025-05-23T09:00:00.000Z",
  updated_at: "2025-05-23T09:00:00.000Z",
};

export const TRIGGER_RUN_EXAMPLE: TriggerRun = {
  id: "run_3f9a1c0d2e4b6a8c0e1f2a3b4c5d6e7f8a9b0c1d",
  trigger_id: TRIGGER_EXAMPLE.id,
  event_id: TAGGED_EVENT_EXAMPLE.id,
  event_type: "ConversationTagged",
  depth: 0,
  root_event_id: TAGGED_EVENT_EXAMPLE.id,
  at: "2025-05-23T10:20:00.180Z",
  event_received_at: TAGGED_EVENT_EXAMPLE.received_at,
  actions: [
    { index: 0, type: "close", status: "done", event_id: "trg:5b0e8c2f9d1a4e7b3c6f0a2d8e4b1c7f9a3d5e60" },
    {
      index: 1,
      type: "webhook",
      status: "failed",
      reason: "HTTP 503",
      webhook_id: "msg_9c1e5a7b3d0f2e4a6c8b1d3f5a7c9e0b2d4f6a8c",
      http_status: 503,
    },
  ],
};

export const CHANNEL_INPUT_EXAMPLE: z.input<typeof ChannelIntegrationInputSchema> = {
  type: "whatsapp",
  app_secret: "0f9e8d7c6b5a49382716",
  verify_token: "verify-me-please",
  phone_number_id: "106540352242922",
};

export const CHANNEL_EXAMPLE: ChannelIntegration = {
  id: "ch_KLEqIXFdJ4dmyKoGKne8uwW5kCpakQiMuSPKuHDL9p4",
  type: "whatsapp",
  webhook_url:
    "https://api.example.net/prod/v1/channels/whatsapp/ch_KLEqIXFdJ4dmyKoGKne8uwW5kCpakQiMuSPKuHDL9p4",
  created_at: "2025-05-23T09:00:00.000Z",
  phone_number_id: "106540352242922",
};

export const REJECTION_EXAMPLE = {
  id: "01JVZ40000REJECT0000000000",
  channel_id: CHANNEL_EXAMPLE.id,
  received_at: "2025-05-23T10:15:31.000Z",
  path: "entry[0].changes[0].value.messages[0]",
  reason: "the mapped event is invalid",
  errors: [{ path: "occurred_at", message: "is required" }],
  raw: '{"id":"wamid.HBgL","type":"text"}',
};

export const WHATSAPP_WEBHOOK_EXAMPLE = {
  object: "whatsapp_business_account",
  entry: [
    {
      id: "102290129340398",
      changes: [
        {
          field: "messages",
          value: {
            messaging_product: "whatsapp",
            metadata: { display_phone_number: "15550783881", phone_number_id: "106540352242922" },
            contacts: [{ profile: { name: "Sheena Nelson" }, wa_id: "16505551234" }],
            messages: [
              {
                from: "16505551234",
                id: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
                timestamp: "1749416383",
                type: "text",
                text: { body: "Does it come in another color?" },
              },
            ],
          },
        },
      ],
    },
  ],
};

export const SUNCO_WEBHOOK_EXAMPLE = {
  app: { id: "5ebee0975ac5304b664a12fa" },
  webhook: { id: "5ebee0985ac5304b664a1300", version: "v2" },
  events: [
    {
      id: "5ebee0985ac5304b664a1301",
      createdAt: "2025-05-23T10:15:30.500Z",
      type: "conversation:message",
      payload: {
        conversation: { id: "c9a4e3f2b1d04e6f8a7b6c5d", type: "personal" },
        message: {
          id: "5ebee0985ac5304b664a1302",
          received: "2025-05-23T10:15:30.500Z",
          author: { type: "user", userId: "6a1b2c3d4e5f6a7b8c9d0e1f", displayName: "Sheena Nelson" },
          content: { type: "text", text: "Does it come in another color?" },
          source: { type: "web" },
        },
      },
    },
  ],
};
