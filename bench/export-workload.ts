/**
 * The export benchmark's log: realistic support conversations of 20 events each (opened,
 * bot, hand-over to an agent, messages with and without attachments, delivery receipts, tags,
 * close, rating), over several channels and three months, about 1 KB of stored JSON per
 * event on average.
 */
import type { Json } from "./workload.ts";

const START = Date.parse("2025-03-01T08:00:00.000Z");
/** Conversations start over this span (three months of `occurred_at`). */
const SPAN_MS = 90 * 24 * 3600 * 1000;
const CHANNELS = ["whatsapp", "web", "email", "ios", "android", "messenger"] as const;
const LOCALES = ["en-GB", "de-DE", "fr-FR", "es-ES", "nl-NL"] as const;
const BRANDS = ["acme-shop", "acme-travel", "acme-bank"] as const;
const USER_AGENTS = [
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148",
  "AcmeApp/4.12.1 (Android 14; Pixel 8) okhttp/4.12.0",
] as const;
const TAGS = ["billing", "delivery", "refund", "vip", "complaint", "damaged", "feedback"] as const;

const CUSTOMER_LINES = [
  "Hi, my order #%N arrived yesterday but the box was damaged and one of the three items is missing. I have photos of the package if that helps. Could you check what happened and send the missing item?",
  "Hello, I was charged twice for order #%N on my credit card statement. The second charge is still pending but I would like it cancelled before it goes through. Can you confirm?",
  "I changed my delivery address after placing order #%N, but the tracking page still shows the old one. The parcel is out for delivery today, is there anything you can still do?",
  "Thanks for the quick answer. I tried the link you sent but it says the return window has expired, even though I received the parcel only nine days ago. What should I do now?",
  "Good morning, could you tell me whether the replacement for order #%N has shipped? I need it before the weekend because it is a birthday present.",
];
const AGENT_LINES = [
  "Thanks for reaching out and sorry about the trouble with order #%N. I have checked the shipment: the warehouse packed only two of the three items. I am sending the missing one today at no cost, and you will get a tracking link by email within the hour.",
  "I can see both charges for order #%N. The second one is an authorization that your bank will release automatically within 3 to 5 business days; I have also flagged it on our side so it cannot be captured.",
  "I have updated the address on order #%N and asked the carrier to reroute the parcel. If it still reaches the old address, the carrier will hold it at the nearest pickup point for seven days.",
  "You are right, the return window starts on the delivery date. I have extended it for order #%N, so the link will work again for the next 30 days. Sorry for the confusion!",
];
const BOT_LINES = [
  "Hi! I am the Acme assistant. I can track orders, start a return or connect you with an agent. What can I help you with today?",
  "I found order #%N. It was shipped with DHL and is expected to arrive tomorrow between 10:00 and 14:00. Is there anything else I can help with?",
];

function pick<T>(list: readonly T[], n: number): T {
  return list[n % list.length] as T;
}

function text(list: readonly string[], n: number, order: number): string {
  return pick(list, n).replace("%N", String(order));
}

/**
 * Event `n` of the log: conversation `n % conversations`, step `floor(n / conversations)`
 * of the 20-step script (so consecutive events belong to different conversations, as in a
 * busy tenant).
 */
export function exportEvent(n: number, conversations: number): Json {
  const c = n % conversations;
  const step = Math.floor(n / conversations) % 20;
  const channelType = pick(CHANNELS, c);
  const order = 100_000 + ((c * 7919) % 900_000);
  const customer = {
    type: "customer",
    id: `cust-${(c * 31) % 50_000}`,
    display_name: `Customer ${(c * 31) % 50_000}`,
    external_ids: { crm: `crm-${(c * 17) % 90_000}` },
  };
  const agent = { type: "agent", id: `agent-${c % 40}`, display_name: `Agent ${c % 40}` };
  const bot = { type: "bot", id: "acme-assistant", display_name: "Acme Assistant" };
  const system = { type: "system" };
  const conversationId = `conv-${channelType}-${String(c).padStart(6, "0")}`;
  const base = {
    id: `evt-${String(n).padStart(7, "0")}`,
    conversation_id: conversationId,
    occurred_at: new Date(
      START + Math.floor((c / conversations) * SPAN_MS) + step * 47_000 + (n % 1000),
    ).toISOString(),
    channel: {
      type: channelType,
      integration_id: `int-${channelType}-${c % 3}`,
      metadata:
        channelType === "whatsapp"
          ? { phone_number_id: "109876543210", display_phone_number: "+44 20 7946 0000" }
          : { site: "www.acme.example", page: `/orders/${order}` },
    },
    source: { system: "acme-widget", event_id: `src-${n}-${c}`, raw_type: "conversation.event" },
    metadata: {
      locale: pick(LOCALES, c),
      brand: pick(BRANDS, c),
      queue: c % 2 === 0 ? "tier-1" : "tier-2",
      sla_policy: c % 3 === 0 ? "premium-4h" : "standard-24h",
      ticket_url: `https://support.acme.example/agent/tickets/${order}`,
      user_agent: pick(USER_AGENTS, c),
      customer_since: 2015 + (c % 10),
      vip: c % 11 === 0,
    },
  };
  const message = (author: Json, body: string, extra: Json = {}) => ({
    ...base,
    type: author.type === "customer" ? "MessageReceived" : "MessageSent",
    author,
    message: { content: { type: "text", text: body, ...extra } },
  });
  const data = (type: string, author: Json, payload: Json) => ({ ...base, type, author, data: payload });
  switch (step) {
    case 0:
      return data("ConversationOpened", system, {
        subject: `Order #${order}: ${pick(TAGS, c)}`,
        priority: pick(["low", "normal", "high", "urgent"], c),
      });
    case 1:
      return data("CustomerJoined", system, {
        participant: { type: "customer", id: customer.id, display_name: customer.display_name },
      });
    case 2:
      return message(customer, text(CUSTOMER_LINES, c, order));
    case 3:
      return data("BotJoined", system, {
        participant: { type: "bot", id: bot.id, display_name: bot.display_name },
      });
    case 4:
      return message(bot, text(BOT_LINES, 0, order), {
        actions: [
          { type: "reply", text: "Track my order", payload: "TRACK" },
          { type: "reply", text: "Start a return", payload: "RETURN" },
          { type: "reply", text: "Talk to an agent", payload: "AGENT" },
        ],
      });
    case 5:
      return message(customer, text(CUSTOMER_LINES, c + 1, order));
    case 6:
      return data("ControlPassed", system, {
        from: { type: "bot", id: bot.id },
        to: { type: "group", id: `group-${pick(TAGS, c)}` },
        reason: "customer asked for an agent",
      });
    case 7:
      return data("ConversationAssigned", system, {
        assignee: { type: "agent", id: agent.id },
        group_id: `group-${pick(TAGS, c)}`,
      });
    case 8:
      return data("AgentJoined", system, {
        participant: { type: "agent", id: agent.id, display_name: agent.display_name },
      });
    case 9:
      return message(agent, text(AGENT_LINES, c, order));
    case 10:
      return data("MessageDelivered", system, {
        message_id: `evt-${String(n - conversations).padStart(7, "0")}`,
      });
    case 11:
      return data("MessageRead", customer, {
        message_id: `evt-${String(n - 2 * conversations).padStart(7, "0")}`,
      });
    case 12:
      return {
        ...base,
        type: "MessageReceived",
        author: customer,
        message: {
          content: {
            type: "image",
            media_url: `https://media.acme.example/uploads/${conversationId}/parcel-${n}.jpg`,
            media_type: "image/jpeg",
            alt_text: "photo of the damaged parcel",
            text: "Here is the photo of the box as it arrived.",
          },
          attachments: [
            {
              media_url: `https://media.acme.example/uploads/${conversationId}/label-${n}.pdf`,
              media_type: "application/pdf",
              file_name: `shipping-label-${order}.pdf`,
              size: 48_213 + (n % 5000),
            },
          ],
        },
      };
    case 13:
      return message(agent, text(AGENT_LINES, c + 1, order));
    case 14:
      return message(customer, text(CUSTOMER_LINES, c + 3, order));
    case 15:
      return data("ConversationTagged", agent, { tags: [pick(TAGS, c), pick(TAGS, c + 3)] });
    case 16:
      return message(agent, text(AGENT_LINES, c + 3, order));
    case 17:
      return data("ConversationClosed", agent, { reason: "solved" });
    case 18:
      return data("ConversationRated", customer, {
        score: 1 + (c % 5),
        comment:
          c % 2 === 0 ? "Quick and friendly, thank you!" : "Took a while, but it got sorted in the end.",
      });
    default:
      return data("AgentLeft", system, {
        participant: { type: "agent", id: agent.id, display_name: agent.display_name },
      });
  }
}
