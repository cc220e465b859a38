/**
 * Sunshine Conversations v2 webhook → unified events (docs/channels.md has the field-by-field
 * table). Pure: the body in, event inputs out.
 */
import { deriveEventId } from "../usecases/ingest.ts";
import { arr, clip, compact, isObject, type Json, type Mapping, num, obj, str } from "./mapped.ts";

export const SUNCO_SYSTEM = "sunco";

/** SunCo `source.type` → unified `channel.type`; anything else is `other` (kept in metadata). */
const CHANNEL_OF: Record<string, string> = {
  web: "web",
  ios: "ios",
  android: "android",
  whatsapp: "whatsapp",
  messenger: "messenger",
  instagram: "instagram",
  telegram: "telegram",
  line: "line",
  viber: "viber",
  twilio: "sms",
  messagebird: "sms",
  mailgun: "email",
  "api:conversations": "api",
};

/** Provider events the log deliberately does not record (docs/channels.md says why). */
const IGNORED = new Set(["conversation:message:delivery:channel", "conversation:typing"]);

const ACTION_TYPES: Record<string, string> = {
  reply: "reply",
  postback: "postback",
  link: "link",
  webview: "webview",
  locationRequest: "location_request",
};

function channelOf(source: Json): Json {
  const type = str(source.type);
  return compact({
    type: (type && CHANNEL_OF[type]) ?? "other",
    integration_id: str(source.integrationId),
    metadata: type
      ? compact({
          source_type: type,
          original_message_id: str(source.originalMessageId),
        })
      : undefined,
  });
}

function actionsOf(actions: unknown): Json[] | undefined {
  const out = arr(actions)
    .map((a) => obj(a))
    .filter((a) => str(a.type) !== undefined && ACTION_TYPES[a.type as string] && str(a.text))
    .map((a) =>
      compact({
        type: ACTION_TYPES[a.type as string],
        text: a.text,
        payload: str(a.payload),
        uri: str(a.uri),
      }),
    );
  return out.length > 0 ? out : undefined;
}

function itemsOf(items: unknown): Json[] {
  return arr(items).map((i) => {
    const item = obj(i);
    return compact({
      title: str(item.title) ?? "(untitled)",
      description: str(item.description),
      media_url: str(item.mediaUrl),
      actions: actionsOf(item.actions),
    });
  });
}

/** SunCo message content → unified content, plus what only metadata can keep. */
export function suncoContent(content: Json): { content: Json; metadata: Json } {
  const type = str(content.type) ?? "unknown";
  const unsupported = { content: { type: "unsupported", raw_type: type.slice(0, 128) }, metadata: {} };
  switch (type) {
    case "text":
      if (!str(content.text)) return unsupported;
      return {
        content: compact({ type: "text", text: content.text, actions: actionsOf(content.actions) }),
        // A tapped quick reply arrives as text with its payload.
        metadata: compact({ payload: clip(str(content.payload)) }),
      };
    case "image":
      if (!str(content.mediaUrl)) return unsupported;
      return {
        content: compact({
          type: "image",
          media_url: content.mediaUrl,
          media_type: str(content.mediaType),
          alt_text: str(content.altText),
          text: str(content.text),
          actions: actionsOf(content.actions),
        }),
        metadata: compact({ media_size: num(content.mediaSize) }),
      };
    case "file":
      if (!str(content.mediaUrl)) return unsupported;
      return {
        content: compact({
          type: "file",
          media_url: content.mediaUrl,
          media_type: str(content.mediaType),
          size: num(content.mediaSize),
          text: str(content.text),
        }),
        metadata: compact({ alt_text: clip(str(content.altText)) }),
      };
    case "carousel":
    case "list": {
      const items = itemsOf(content.items);
      if (items.length === 0) return unsupported;
      return {
        content: compact({
          type,
          items,
          actions: type === "list" ? actionsOf(content.actions) : undefined,
        }),
        metadata: {},
      };
    }
    case "location": {
      const coords = obj(content.coordinates);
      if (num(coords.lat) === undefined || num(coords.long) === undefined) return unsupported;
      const place = obj(content.location);
      return {
        content: compact({
          type: "location",
          latitude: coords.lat,
          longitude: coords.long,
          name: str(place.name),
          address: str(place.address),
        }),
        metadata: {},
      };
    }
    case "form":
      return {
        content: {
          type: "form",
          fields: arr(content.fields).map((f) => {
            const field = obj(f);
            const options = arr(field.options).map((o) => ({
              name: String(obj(o).name ?? ""),
              label: String(obj(o).label ?? ""),
            }));
            return compact({
              type: field.type,
              name: field.name,
              label: field.label,
              options: options.length > 0 ? options : undefined,
            });
          }),
        },
        metadata: compact({
          submitted: typeof content.submitted === "boolean" ? content.submitted : undefined,
          block_chat_input: typeof content.blockChatInput === "boolean" ? content.blockChatInput : undefined,
        }),
      };
    case "formResponse":
      return {
        content: {
          type: "form_response",
          fields: arr(content.fields).map((f) => {
            const field = obj(f);
            const select = arr(field.select).map((o) => String(obj(o).name ?? obj(o).label ?? ""));
            // The answer sits in a field named after the field's type (text, email, select).
            const value =
              select.length > 0 ? select : (field.text ?? field.email ?? field[String(field.type)]);
            return { type: field.type, name: field.name, label: field.label, value };
          }),
        },
        metadata: {},
      };
    case "template": {
      const t = obj(content.template);
      const language = str(t.language) ?? str(obj(t.language).code);
      if (!str(t.name) || !language) return unsupported;
      return {
        content: compact({
          type: "template",
          name: t.name,
          language,
          components: Array.isArray(t.components) ? t.components : undefined,
        }),
        metadata: {},
      };
    }
    default:
      return unsupported;
  }
}

/** Customer, agent or bot: business authors with the `AI` subtype are bots (docs/channels.md). */
function authorOf(author: Json): Json {
  if (str(author.type) === "business") {
    const subtypes = arr(author.subtypes);
    return compact({
      type: subtypes.includes("AI") ? "bot" : "agent",
      display_name: str(author.displayName),
    });
  }
  const user = obj(author.user);
  return customerOf({ ...user, id: str(author.userId) ?? user.id }, str(author.displayName));
}

function customerOf(user: Json, displayName?: string): Json {
  const id = str(user.id);
  if (!id) return { type: "customer" };
  const externalId = str(user.externalId);
  return compact({
    type: "customer",
    id,
    display_name: displayName,
    external_ids: compact({ sunco: id, sunco_external_id: externalId }),
  });
}

function nonEmpty(metadata: Json): { metadata?: Json } {
  const m = compact(metadata);
  return Object.keys(m).length > 0 ? { metadata: m } : {};
}

/** Maps a whole SunCo v2 webhook body. Never throws on content: what it cannot map it reports. */
export function mapSunco(body: unknown): Mapping {
  const out: Mapping = { events: [], ignored: [], rejected: [] };
  if (!isObject(body) || !Array.isArray(body.events)) {
    out.rejected.push({
      path: "(root)",
      reason: "not a Sunshine Conversations v2 webhook body (no events[])",
      raw: body,
    });
    return out;
  }
  for (const [i, item] of arr(body.events).entries()) {
    const path = `events[${i}]`;
    const ev = obj(item);
    const type = str(ev.type) ?? "";
    const eventId = str(ev.id);
    const payload = obj(ev.payload);
    const conversationId = str(obj(payload.conversation).id);
    if (IGNORED.has(type)) {
      out.ignored.push({ path, reason: `${type} is not recorded` });
      continue;
    }
    if (!eventId || !conversationId) {
      out.rejected.push({ path, reason: "event without id or payload.conversation.id", raw: item });
      continue;
    }
    const envelope = {
      id: deriveEventId(SUNCO_SYSTEM, eventId),
      conversation_id: conversationId,
      occurred_at: ev.createdAt,
      source: { system: SUNCO_SYSTEM, event_id: eventId, raw_type: type.slice(0, 128) || "unknown" },
    };
    const user = obj(payload.user);
    const push = (event: Json) => out.events.push({ path, event: { ...envelope, ...event }, raw: item });

    switch (type) {
      case "conversation:message": {
        const message = obj(payload.message);
        const source = obj(message.source);
        const author = authorOf(obj(message.author));
        const mapped = suncoContent(obj(message.content));
        const quoted = obj(message.quotedMessage);
        const replyTo = str(obj(quoted.message).id) ?? str(quoted.messageId);
        push({
          type: author.type === "customer" ? "MessageReceived" : "MessageSent",
          // The moment on the source channel, when SunCo knows it.
          occurred_at: str(source.originalMessageTimestamp) ?? str(message.received) ?? ev.createdAt,
          channel: channelOf(source),
          author,
          message: compact({ content: mapped.content, reply_to: replyTo }),
          ...nonEmpty({ ...mapped.metadata, sunco_message_id: str(message.id) }),
        });
        break;
      }
      case "conversation:create":
        push({
          type: "ConversationOpened",
          channel: channelOf(obj(payload.source)),
          author: str(user.id) ? customerOf(user) : { type: "system" },
          data: {},
          ...nonEmpty({ creation_reason: str(payload.creationReason) }),
        });
        break;
      case "conversation:join":
      case "conversation:leave": {
        const who = customerOf(user);
        if (!str(who.id)) {
          out.rejected.push({ path, reason: `${type} without payload.user.id`, raw: item });
          break;
        }
        push({
          type: type === "conversation:join" ? "CustomerJoined" : "CustomerLeft",
          channel: channelOf(obj(payload.source)),
          author: who,
          data: { participant: { type: "customer", id: who.id } },
        });
        break;
      }
      case "conversation:read": {
        const activity = obj(payload.activity);
        push({
          type: "MessageRead",
          channel: channelOf(obj(activity.source)),
          author: authorOf(obj(activity.author)),
          // SunCo reports the whole conversation read, not one message.
          data: {},
        });
        break;
      }
      case "conversation:postback": {
        const postback = obj(payload.postback);
        if (typeof postback.payload !== "string") {
          out.rejected.push({ path, reason: "postback without payload", raw: item });
          break;
        }
        push({
          type: "PostbackReceived",
          channel: channelOf(obj(payload.source)),
          author: customerOf(user),
          data: compact({
            payload: postback.payload,
            text: str(postback.actionName),
            message_id: str(obj(postback.message).id),
          }),
        });
        break;
      }
      case "conversation:message:delivery:user":
      case "conversation:message:delivery:failure": {
        const messageId = str(obj(payload.message).id);
        if (!messageId) {
          out.rejected.push({ path, reason: `${type} without payload.message.id`, raw: item });
          break;
        }
        const common = {
          channel: channelOf(obj(payload.destination)),
          author: { type: "system" },
          recipients: [customerOf(user)],
          ...nonEmpty({
            external_message_id: clip(str(obj(arr(payload.externalMessages)[0]).id)),
            is_final_event: typeof payload.isFinalEvent === "boolean" ? payload.isFinalEvent : undefined,
          }),
        };
        if (type === "conversation:message:delivery:user") {
          push({ ...common, type: "MessageDelivered", data: { message_id: messageId } });
        } else {
          const error = obj(payload.error);
          push({
            ...common,
            type: "MessageFailed",
            data: {
              message_id: messageId,
              error: compact({
                code: str(error.code),
                reason: (str(error.message) ?? "delivery failed").slice(0, 4096),
              }),
            },
          });
        }
        break;
      }
      case "switchboard:passControl": {
        const active = obj(obj(payload.conversation).activeSwitchboardIntegration);
        const to = str(active.id);
        if (!to) {
          out.rejected.push({
            path,
            reason: "passControl without an active switchboard integration",
            raw: item,
          });
          break;
        }
        push({
          type: "ControlPassed",
          channel: { type: "api" },
          author: { type: "system" },
          data: compact({ to: { type: "integration", id: to }, reason: str(obj(payload.metadata).reason) }),
          ...nonEmpty({
            switchboard_integration_name: str(active.name),
            integration_type: str(active.integrationType),
          }),
        });
        break;
      }
      default:
        out.rejected.push({ path, reason: `event type ${type || "(none)"} is not mapped`, raw: item });
    }
  }
  return out;
}
