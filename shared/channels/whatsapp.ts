/**
 * WhatsApp Cloud API webhook → unified events (docs/channels.md has the field-by-field table).
 * Pure: the body in, event inputs out. Validation, idempotency and storage are the ingest path's.
 */
import { deriveEventId } from "../usecases/ingest.ts";
import { arr, clip, compact, isObject, type Json, type Mapping, num, obj, str } from "./mapped.ts";

export const WHATSAPP_SYSTEM = "whatsapp";

/**
 * One timeline per customer per business number: `wa:{phone_number_id}:{wa_id}`. Both are
 * digit strings (ids and E.164 numbers without `+`), so the id pattern holds.
 */
export function whatsappConversationId(phoneNumberId: string, waId: string): string {
  return `wa:${phoneNumberId}:${waId}`;
}

/**
 * A status is its own provider event (one message is sent, then delivered, then read), so
 * its source id adds the status to the message id: `{wamid}:{status}`.
 */
export function statusSourceId(wamid: string, status: string): string {
  return `${wamid}:${status}`;
}

const MEDIA = ["image", "sticker", "document", "audio", "video"] as const;

/** Media may come without `url` (Meta then wants the id resolved): a stable reference instead. */
function mediaUrl(media: Json): string | undefined {
  const id = str(media.id);
  return str(media.url) ?? (id ? `whatsapp-media:${id}` : undefined);
}

interface Content {
  content: Json;
  metadata: Json;
}

function mediaContent(type: (typeof MEDIA)[number], media: Json): Content | undefined {
  const url = mediaUrl(media);
  if (!url) return undefined;
  const metadata: Json = compact({
    media_id: str(media.id),
    media_sha256: str(media.sha256),
    ...(media.voice === true ? { voice: true } : {}),
    ...(media.animated === true ? { animated: true } : {}),
  });
  const mime = str(media.mime_type);
  const caption = str(media.caption);
  switch (type) {
    case "image":
    case "sticker":
      return {
        content: compact({ type: "image", media_url: url, media_type: mime, text: caption }),
        metadata,
      };
    case "document":
      return {
        content: compact({
          type: "file",
          media_url: url,
          media_type: mime,
          file_name: str(media.filename),
          text: caption,
        }),
        metadata,
      };
    case "audio":
      return { content: compact({ type: "audio", media_url: url, media_type: mime }), metadata };
    case "video":
      // The unified video content has no caption field: it goes to metadata, not lost.
      return {
        content: compact({ type: "video", media_url: url, media_type: mime }),
        metadata: compact({ ...metadata, caption: clip(caption) }),
      };
  }
}

/** Shared contacts have no unified content type: kept as `unsupported`, summarized in metadata. */
function contactsSummary(contacts: unknown[]): string {
  return contacts
    .map((c) => {
      const card = obj(c);
      const name = str(obj(card.name).formatted_name) ?? str(obj(card.name).first_name) ?? "(no name)";
      const phones = arr(card.phones)
        .map((p) => str(obj(p).phone) ?? str(obj(p).wa_id))
        .filter((p): p is string => p !== undefined);
      return phones.length > 0 ? `${name}: ${phones.join(", ")}` : name;
    })
    .join("; ");
}

type MessageOut =
  | { kind: "message"; content: Json; metadata: Json }
  | { kind: "postback"; data: Json; metadata: Json };

function messageContent(m: Json): MessageOut {
  const type = str(m.type) ?? "unknown";
  const body = obj(m[type]);
  const unsupported = (rawType: string, metadata: Json = {}): MessageOut => ({
    kind: "message",
    content: { type: "unsupported", raw_type: rawType.slice(0, 128) },
    metadata,
  });
  if (type === "text" && str(body.body))
    return { kind: "message", content: { type: "text", text: body.body }, metadata: {} };
  if ((MEDIA as readonly string[]).includes(type)) {
    const media = mediaContent(type as (typeof MEDIA)[number], body);
    return media ? { kind: "message", ...media } : unsupported(type);
  }
  if (type === "location" && num(body.latitude) !== undefined && num(body.longitude) !== undefined) {
    return {
      kind: "message",
      content: compact({
        type: "location",
        latitude: body.latitude,
        longitude: body.longitude,
        name: str(body.name),
        address: str(body.address),
      }),
      metadata: compact({ location_url: clip(str(body.url)) }),
    };
  }
  if (type === "contacts")
    return unsupported("contacts", { contacts: clip(contactsSummary(arr(m.contacts))) });
  if (type === "reaction" && str(body.message_id)) {
    // An empty emoji is Meta's "reaction removed": the unified form omits it.
    return {
      kind: "message",
      content: compact({ type: "reaction", emoji: str(body.emoji), message_id: body.message_id }),
      metadata: {},
    };
  }
  if (type === "interactive") {
    const kind = str(body.type) ?? "unknown";
    const reply = obj(body[kind]);
    if ((kind === "button_reply" || kind === "list_reply") && typeof reply.id === "string") {
      return {
        kind: "postback",
        data: compact({ payload: reply.id, text: str(reply.title) }),
        metadata: compact({ interactive_type: kind, description: clip(str(reply.description)) }),
      };
    }
    return unsupported(`interactive:${kind}`);
  }
  if (type === "button" && typeof body.payload === "string") {
    return {
      kind: "postback",
      data: compact({ payload: body.payload, text: str(body.text) }),
      metadata: { interactive_type: "template_button" },
    };
  }
  // `unsupported` (e.g. an edit) says what it was in `unsupported.type`.
  return unsupported(type, compact({ unsupported_type: str(body.type) }));
}

function errorMetadata(errors: unknown): Json {
  const first = obj(arr(errors)[0]);
  return compact({ error_code: num(first.code), error_title: clip(str(first.title)) });
}

/** Maps a whole WhatsApp webhook body. Never throws on content: what it cannot map it reports. */
export function mapWhatsApp(body: unknown): Mapping {
  const out: Mapping = { events: [], ignored: [], rejected: [] };
  if (!isObject(body) || !Array.isArray(body.entry)) {
    out.rejected.push({ path: "(root)", reason: "not a WhatsApp webhook body (no entry[])", raw: body });
    return out;
  }
  for (const [e, entry] of arr(body.entry).entries()) {
    for (const [c, change] of arr(obj(entry).changes).entries()) {
      const base = `entry[${e}].changes[${c}]`;
      const ch = obj(change);
      if (ch.field !== "messages") {
        out.ignored.push({ path: base, reason: `field ${String(ch.field)} is not a message notification` });
        continue;
      }
      const value = obj(ch.value);
      const meta = obj(value.metadata);
      const phoneNumberId = str(meta.phone_number_id) ?? "";
      const businessNumber = str(meta.display_phone_number);
      const names = new Map<string, string>();
      for (const contact of arr(value.contacts)) {
        const waId = str(obj(contact).wa_id);
        const name = str(obj(obj(contact).profile).name);
        if (waId && name) names.set(waId, name);
      }
      const channel = (waId: string) => ({
        type: "whatsapp",
        integration_id: phoneNumberId || undefined,
        metadata: compact({
          business_phone_number: businessNumber,
          phone_number_id: phoneNumberId || undefined,
          customer_phone_number: waId,
          wa_id: waId,
        }),
      });
      const customer = (waId: string) =>
        compact({
          type: "customer",
          id: waId,
          display_name: names.get(waId),
          external_ids: { whatsapp: waId },
        });

      for (const [i, message] of arr(value.messages).entries()) {
        const path = `${base}.value.messages[${i}]`;
        const m = obj(message);
        const wamid = str(m.id);
        const from = str(m.from);
        if (!wamid || !from) {
          out.rejected.push({ path, reason: "message without id or from", raw: message });
          continue;
        }
        const mapped = messageContent(m);
        const context = obj(m.context);
        const replyTo = str(context.id);
        const metadata = compact({
          ...mapped.metadata,
          ...errorMetadata(m.errors),
          ...(context.forwarded === true ? { forwarded: true } : {}),
        });
        const envelope = {
          id: deriveEventId(WHATSAPP_SYSTEM, wamid),
          conversation_id: whatsappConversationId(phoneNumberId, from),
          occurred_at: m.timestamp,
          channel: compact(channel(from)),
          author: customer(from),
          source: { system: WHATSAPP_SYSTEM, event_id: wamid, raw_type: str(m.type) ?? "unknown" },
          ...(Object.keys(metadata).length > 0 ? { metadata } : {}),
        };
        const event =
          mapped.kind === "message"
            ? {
                ...envelope,
                type: "MessageReceived",
                message: compact({ content: mapped.content, reply_to: replyTo }),
              }
            : {
                ...envelope,
                type: "PostbackReceived",
                data: compact({ ...mapped.data, message_id: replyTo }),
              };
        out.events.push({ path, event, raw: message });
      }

      for (const [i, status] of arr(value.statuses).entries()) {
        const path = `${base}.value.statuses[${i}]`;
        const s = obj(status);
        const wamid = str(s.id);
        const recipient = str(s.recipient_id);
        const state = str(s.status);
        if (!wamid || !recipient || !state) {
          out.rejected.push({ path, reason: "status without id, recipient_id or status", raw: status });
          continue;
        }
        if (state === "sent") {
          // Accepted by WhatsApp, not yet delivered: no unified event says that (docs/channels.md).
          out.ignored.push({ path, reason: "status sent is not recorded" });
          continue;
        }
        const metadata = compact({
          whatsapp_conversation_id: str(obj(s.conversation).id),
          conversation_origin: str(obj(obj(s.conversation).origin).type),
          pricing_category: str(obj(s.pricing).category),
        });
        const sourceId = statusSourceId(wamid, state);
        const envelope = {
          id: deriveEventId(WHATSAPP_SYSTEM, sourceId),
          conversation_id: whatsappConversationId(phoneNumberId, recipient),
          occurred_at: s.timestamp,
          channel: compact(channel(recipient)),
          source: { system: WHATSAPP_SYSTEM, event_id: sourceId, raw_type: `status:${state}` },
          ...(Object.keys(metadata).length > 0 ? { metadata } : {}),
        };
        if (state === "delivered") {
          out.events.push({
            path,
            event: {
              ...envelope,
              type: "MessageDelivered",
              author: { type: "system" },
              data: { message_id: wamid },
            },
            raw: status,
          });
        } else if (state === "read") {
          // The customer read it: the receipt is theirs.
          out.events.push({
            path,
            event: {
              ...envelope,
              type: "MessageRead",
              author: customer(recipient),
              data: { message_id: wamid },
            },
            raw: status,
          });
        } else if (state === "failed") {
          const err = obj(arr(s.errors)[0]);
          const reason =
            str(obj(err.error_data).details) ?? str(err.message) ?? str(err.title) ?? "delivery failed";
          out.events.push({
            path,
            event: {
              ...envelope,
              type: "MessageFailed",
              author: { type: "system" },
              data: {
                message_id: wamid,
                error: compact({ code: num(err.code), reason: reason.slice(0, 4096) }),
              },
            },
            raw: status,
          });
        } else {
          out.rejected.push({ path, reason: `unknown status ${state}`, raw: status });
        }
      }
    }
  }
  return out;
}
