/**
 * One realistic, valid example per event type and per message content type, defined once:
 * docs/events.md shows them, the OpenAPI document uses them as request and response
 * examples, and the unit tests validate them.
 *
 * The examples tell one conversation (`conv_4821`) on a web shop's chat: the customer asks
 * about an order, a bot hands over to an agent, and so on. Their `occurred_at` values use
 * every accepted input form (ISO-8601 with `Z` or an offset, unix seconds or milliseconds,
 * as numbers or strings). Everything is fixed: no clock, no randomness.
 */
import { encodeTime } from "ulid";
import {
  type CONTENT_TYPES,
  EVENT_TYPES,
  type EventInput,
  type EventType,
  type MessageContent,
  type StoredEvent,
} from "./schema.ts";
import { validateEventInput } from "./validate.ts";

export type ContentType = (typeof CONTENT_TYPES)[number];

/** An event as a client posts it: `occurred_at` in any accepted input form. */
export type EventExample<T extends EventType = EventType> = Omit<
  Extract<EventInput, { type: T }>,
  "occurred_at"
> & { occurred_at: string | number };

export type ContentExample<C extends ContentType = ContentType> = Extract<MessageContent, { type: C }>;

/** Freezes an example all the way down, so no consumer can change it for the others. */
function frozen<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) frozen(v);
    Object.freeze(value);
  }
  return value;
}

const CONVERSATION = "conv_4821";

const customer = { type: "customer", id: "cust_8842", display_name: "Ada Lovelace" } as const;
const agent = { type: "agent", id: "agent_17", display_name: "Grace Hopper" } as const;
const bot = { type: "bot", id: "bot_faq", display_name: "Answer Bot" } as const;
const system = { type: "system" } as const;

const web = { type: "web" } as const;
const api = { type: "api" } as const;

/** Ids of the examples that others refer to. */
const RECEIVED_ID = "evt_01JVYA81JB3K7QX9M2VB8R4T02";
const SENT_ID = "evt_01JVYAAAT03K7QX9M2VB8R4T08";

/** One example per message content type. */
export const CONTENT_EXAMPLES: { readonly [C in ContentType]: ContentExample<C> } = frozen({
  text: {
    type: "text",
    text: "Would you like a refund or a replacement?",
    actions: [
      { type: "reply", text: "Refund", payload: "REFUND" },
      { type: "reply", text: "Replacement", payload: "REPLACE" },
    ],
  },
  image: {
    type: "image",
    media_url: "https://cdn.example.com/products/lamp-red.jpg",
    media_type: "image/jpeg",
    alt_text: "A red desk lamp",
    text: "Back in stock",
    actions: [{ type: "link", text: "View", uri: "https://shop.example.com/p/lamp-red" }],
  },
  file: {
    type: "file",
    media_url: "https://cdn.example.com/invoices/1042.pdf",
    media_type: "application/pdf",
    file_name: "invoice-1042.pdf",
    size: 48213,
    text: "Your invoice",
  },
  audio: {
    type: "audio",
    media_url: "https://cdn.example.com/u/8842/voice-note.ogg",
    media_type: "audio/ogg",
    duration_ms: 4200,
  },
  video: {
    type: "video",
    media_url: "https://cdn.example.com/u/8842/unboxing.mp4",
    duration_ms: 12000,
  },
  location: {
    type: "location",
    latitude: 51.5072,
    longitude: -0.1276,
    name: "Parcel locker 12",
    address: "1 Example Street, London",
  },
  carousel: {
    type: "carousel",
    items: [
      {
        title: "Desk lamp",
        description: "Red, 40 cm",
        media_url: "https://cdn.example.com/products/lamp-red.jpg",
        actions: [{ type: "postback", text: "Buy", payload: "BUY_LAMP_RED" }],
      },
      { title: "Floor lamp", description: "Black, 150 cm" },
    ],
  },
  list: {
    type: "list",
    items: [{ title: "Track an order" }, { title: "Return an item" }],
    actions: [{ type: "location_request", text: "Share your location" }],
  },
  form: {
    type: "form",
    fields: [
      { type: "text", name: "order_number", label: "Order number" },
      {
        type: "select",
        name: "reason",
        label: "Reason",
        options: [
          { name: "damaged", label: "Arrived damaged" },
          { name: "late", label: "Arrived late" },
        ],
      },
    ],
  },
  form_response: {
    type: "form_response",
    fields: [
      { type: "text", name: "order_number", label: "Order number", value: "1042" },
      { type: "number", name: "quantity", label: "Quantity", value: 2 },
      { type: "checkbox", name: "gift_wrap", label: "Gift wrap", value: true },
      { type: "select", name: "sizes", label: "Sizes", value: ["M", "L"] },
    ],
  },
  template: {
    type: "template",
    name: "order_update",
    language: "en_US",
    components: [{ type: "body", parameters: [{ type: "text", text: "1042" }] }],
  },
  reaction: { type: "reaction", emoji: "👍", message_id: SENT_ID },
  unsupported: { type: "unsupported", raw_type: "contacts" },
});

/** One example per event type, as a client posts it to `POST /v1/events`. */
export const EVENT_EXAMPLES: { readonly [T in EventType]: EventExample<T> } = frozen({
  MessageReceived: {
    id: RECEIVED_ID,
    type: "MessageReceived",
    conversation_id: CONVERSATION,
    occurred_at: "2025-05-23T12:15:30.1239+02:00",
    channel: {
      type: "web",
      integration_id: "widget_main",
      metadata: { session_id: "s_93k2", url: "https://shop.example.com/orders/1042" },
    },
    author: customer,
    source: { system: "web_widget", event_id: "m_7Gx2" },
    metadata: { locale: "en-GB", returning_customer: true },
    message: { content: { type: "text", text: "Hi, where is my order #1042?" } },
  },
  MessageSent: {
    id: SENT_ID,
    type: "MessageSent",
    conversation_id: CONVERSATION,
    occurred_at: "2025-05-23T10:16:45.120Z",
    channel: web,
    author: agent,
    recipients: [{ type: "customer", id: "cust_8842" }],
    message: {
      content: {
        type: "text",
        text: "It left our warehouse this morning. Here is your invoice.",
        actions: [{ type: "postback", text: "Track my order", payload: "TRACK_ORDER_1042" }],
      },
      attachments: [
        {
          media_url: "https://cdn.example.com/invoices/1042.pdf",
          media_type: "application/pdf",
          file_name: "invoice-1042.pdf",
          size: 48213,
        },
      ],
      reply_to: RECEIVED_ID,
    },
  },
  MessageDelivered: {
    id: "evt_01JVYAAB903K7QX9M2VB8R4T09",
    type: "MessageDelivered",
    conversation_id: CONVERSATION,
    occurred_at: "1747995405600",
    channel: web,
    author: system,
    data: { message_id: SENT_ID },
  },
  MessageRead: {
    id: "evt_01JVYAAHH03K7QX9M2VB8R4T0A",
    type: "MessageRead",
    conversation_id: CONVERSATION,
    occurred_at: "1747995412",
    channel: web,
    author: customer,
    data: { message_id: SENT_ID },
  },
  MessageFailed: {
    id: "evt_01JVYAG9403K7QX9M2VB8R4T0E",
    type: "MessageFailed",
    conversation_id: CONVERSATION,
    occurred_at: "1747995600",
    channel: { type: "whatsapp", integration_id: "106540352242922" },
    author: system,
    source: { system: "whatsapp", raw_type: "failed" },
    data: {
      message_id: "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA",
      error: { code: 131047, reason: "More than 24 hours have passed since the customer last replied" },
    },
  },
  PostbackReceived: {
    id: "evt_01JVYAB33G3K7QX9M2VB8R4T0B",
    type: "PostbackReceived",
    conversation_id: CONVERSATION,
    occurred_at: "2025-05-23T10:17:10Z",
    channel: web,
    author: customer,
    data: { payload: "TRACK_ORDER_1042", text: "Track my order", message_id: SENT_ID },
  },
  ConversationOpened: {
    id: "evt_01JVYA74503K7QX9M2VB8R4T00",
    type: "ConversationOpened",
    conversation_id: CONVERSATION,
    occurred_at: "2025-05-23T10:15:00Z",
    channel: web,
    author: customer,
    data: { subject: "Where is my order?", priority: "normal" },
  },
  ConversationClosed: {
    id: "evt_01JVYB2K203K7QX9M2VB8R4T0G",
    type: "ConversationClosed",
    conversation_id: CONVERSATION,
    occurred_at: "2025-05-23T10:30:00.000Z",
    channel: web,
    author: agent,
    data: { reason: "solved" },
  },
  ConversationReopened: {
    id: "evt_01JVYCX6203K7QX9M2VB8R4T0J",
    type: "ConversationReopened",
    conversation_id: CONVERSATION,
    occurred_at: "2025-05-23T13:02:00+02:00",
    channel: web,
    author: customer,
    data: {},
  },
  ConversationAssigned: {
    id: "evt_01JVYA91643K7QX9M2VB8R4T05",
    type: "ConversationAssigned",
    conversation_id: CONVERSATION,
    occurred_at: 1747995362.5,
    channel: api,
    author: system,
    data: { assignee: { type: "agent", id: "agent_17" }, group_id: "tier-1" },
  },
  ConversationTransferred: {
    id: "evt_01JVYAEEH03K7QX9M2VB8R4T0D",
    type: "ConversationTransferred",
    conversation_id: CONVERSATION,
    occurred_at: "2025-05-23T10:19:00Z",
    channel: api,
    author: agent,
    data: { from: { type: "group", id: "tier-1" }, to: { type: "channel", id: "email" } },
  },
  ConversationTagged: {
    id: "evt_01JVYACKY03K7QX9M2VB8R4T0C",
    type: "ConversationTagged",
    conversation_id: CONVERSATION,
    occurred_at: "2025-05-23T10:18:00.000Z",
    channel: api,
    author: agent,
    data: { tags: ["vip", "refund"] },
  },
  ConversationUntagged: {
    id: "evt_01JVYASE303K7QX9M2VB8R4T0F",
    type: "ConversationUntagged",
    conversation_id: CONVERSATION,
    occurred_at: "2025-05-23T10:25:00.000Z",
    channel: api,
    author: agent,
    data: { tags: ["refund"] },
  },
  ConversationRated: {
    id: "evt_01JVYB4DN03K7QX9M2VB8R4T0H",
    type: "ConversationRated",
    conversation_id: CONVERSATION,
    occurred_at: "2025-05-23T10:31:00Z",
    channel: web,
    author: customer,
    data: { score: 5, comment: "Quick and friendly, thanks!" },
  },
  CustomerJoined: {
    id: "evt_01JVYA74CT3K7QX9M2VB8R4T01",
    type: "CustomerJoined",
    conversation_id: CONVERSATION,
    occurred_at: "2025-05-23T12:15:00.250+02:00",
    channel: web,
    author: customer,
    data: { participant: customer },
  },
  CustomerLeft: {
    id: "evt_01JVYDBTT03K7QX9M2VB8R4T0K",
    type: "CustomerLeft",
    conversation_id: CONVERSATION,
    occurred_at: "2025-05-23T11:10:00Z",
    channel: web,
    author: customer,
    data: { participant: { type: "customer", id: "cust_8842" } },
  },
  AgentJoined: {
    id: "evt_01JVYA91NR3K7QX9M2VB8R4T06",
    type: "AgentJoined",
    conversation_id: CONVERSATION,
    occurred_at: "2025-05-23T06:16:03-04:00",
    channel: web,
    author: agent,
    data: { participant: agent },
  },
  AgentLeft: {
    id: "evt_01JVYDBV9M3K7QX9M2VB8R4T0M",
    type: "AgentLeft",
    conversation_id: CONVERSATION,
    occurred_at: 1747998600500,
    channel: web,
    author: agent,
    data: { participant: { type: "agent", id: "agent_17" } },
  },
  BotJoined: {
    id: "evt_01JVYA82DR3K7QX9M2VB8R4T03",
    type: "BotJoined",
    conversation_id: CONVERSATION,
    occurred_at: 1747995331,
    channel: web,
    author: bot,
    data: { participant: bot },
  },
  BotLeft: {
    id: "evt_01JVYA925C3K7QX9M2VB8R4T07",
    type: "BotLeft",
    conversation_id: CONVERSATION,
    occurred_at: 1747995363500,
    channel: web,
    author: bot,
    data: { participant: { type: "bot", id: "bot_faq" } },
  },
  ControlPassed: {
    id: "evt_01JVYA90PG3K7QX9M2VB8R4T04",
    type: "ControlPassed",
    conversation_id: CONVERSATION,
    occurred_at: "2025-05-23T10:16:02.000Z",
    channel: web,
    author: bot,
    data: {
      from: { type: "bot", id: "bot_faq" },
      to: { type: "agent", id: "agent_17" },
      reason: "customer asked for a human",
    },
  },
});

/** How long after `occurred_at` the stored examples say the log received them. */
export const EXAMPLE_RECEIVE_DELAY_MS = 420;
/** The random part of the examples' sequences, less its last two characters (the type's index). */
const SEQUENCE_RANDOM = "7M4QX2KB9TRV8W";
const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/**
 * An example as the log stores and returns it: `occurred_at` in UTC with milliseconds, and
 * the log's `received_at` and `sequence` (a ULID of the receipt time), fixed for documentation.
 * Fields are in the order the API returns them.
 */
export function storedExample<T extends EventType>(type: T): Extract<StoredEvent, { type: T }> {
  const valid = validateEventInput(EVENT_EXAMPLES[type]);
  if (!valid.ok) throw new Error(`the ${type} example is invalid: ${JSON.stringify(valid.errors)}`);
  const { id, type: _type, conversation_id, occurred_at, ...rest } = valid.value;
  const receivedMs = Date.parse(occurred_at) + EXAMPLE_RECEIVE_DELAY_MS;
  const index = EVENT_TYPES.indexOf(type);
  const sequence = `${encodeTime(receivedMs, 10)}${SEQUENCE_RANDOM}${CROCKFORD[index >> 5]}${CROCKFORD[index & 31]}`;
  return {
    id: id as string,
    type,
    conversation_id,
    occurred_at,
    received_at: new Date(receivedMs).toISOString(),
    sequence,
    ...rest,
  } as Extract<StoredEvent, { type: T }>;
}
