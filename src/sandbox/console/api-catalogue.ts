/**
 * What each admin route takes and answers, for the `/_sandbox/api` page. Written from each
 * route's zod schema (the platforms' admin-routes.ts, http-faults.ts, console routes.ts); `?`
 * marks an optional field, `=x` its default. test/console/api-page.test.ts checks that every
 * mounted route has an entry here and every entry a mounted route, so the page can't go stale.
 * Errors are always `{error}` (VK Live: `{error, message}`) with a 4xx status.
 */

export interface AdminCallDoc {
  /** What the call does, in a few words. */
  what: string;
  /** Query string fields. */
  query?: string;
  /** JSON body fields. */
  body?: string;
  /** The JSON answer (200). */
  answer: string;
}

const HTTP_FAULTS_BODY =
  '{action:"delay", ms, durationMs?=60000, path?, account?} | {action:"fail", times?=1, path?, account?, …platform code} | {action:"ratelimit", limit, windowMs?=1000, durationMs?=60000, path?, account?} | {action:"drop", times?=1, path?, account?} | {action:"clear"}';
const HTTP_FAULTS_ANSWER = "{ok:true} ({ok, dropped} for drop)";
const HTTP_FAULTS_LIST = "{faults:[{fault, detail, remaining?, until?}]}";

/** Keyed `METHOD path`, as Fastify mounts them. */
export const ADMIN_CALLS: Readonly<Record<string, AdminCallDoc>> = {
  // ── generic ──
  "GET /_sandbox/health": { what: "is the sandbox up", answer: "{ok:true}" },
  "GET /_sandbox/api": {
    what: "this list (JSON with Accept: application/json)",
    answer: "HTML, or {faces:[{id,title,url}], calls:[{method,path,what,query?,body?,answer}]}",
  },

  // ── MAX ──
  "POST /_sandbox/max/users": {
    what: "create a MAX account",
    body: "{phone, firstName, lastName?, password? (2FA)}",
    answer: "{userId}",
  },
  "GET /_sandbox/max/users": {
    what: "look an account up by phone",
    query: "phone",
    answer: "{userId, phone, firstName, lastName} (404 when none)",
  },
  "GET /_sandbox/max/sms": {
    what: "the last SMS code sent to a phone",
    query: "phone",
    answer: "{phone, code} (404 when none)",
  },
  "GET /_sandbox/max/socket-cert": {
    what: "the self-signed certificate of MAX's socket transport (base+6), for clients to trust",
    answer: "PEM text (404 when the socket transport is plain TCP)",
  },
  "GET /_sandbox/max/qr": {
    what: "QR logins waiting for a phone",
    answer: "{pending:[{trackId, qrLink, expiresAt}]}",
  },
  "POST /_sandbox/max/qr/confirm": {
    what: "confirm a QR login as a user",
    body: "{trackId | qrLink, userId}",
    answer: "{ok:true} (404 when unknown, used or expired)",
  },
  "POST /_sandbox/max/chats": {
    what: "create a group or channel",
    body: '{ownerId, type?="CHAT"|"CHANNEL", title, memberIds?=[]}',
    answer: "{chatId}",
  },
  "POST /_sandbox/max/messages": {
    what: "write as any user (stored and pushed, opcode 128)",
    body: "{fromUserId, chatId | toUserId, text}",
    answer: "{chatId, messageId}",
  },
  "POST /_sandbox/max/bots/press": {
    what: "a MAX user presses a callback button of a message's inline keyboard (Bot API message_callback)",
    body: "{userId, chatId, messageId, payload?} (payload may be left out when the keyboard has one callback button)",
    answer: "{callbackId} (404 no such button/message, 403 not a member, 400 bad body)",
  },
  "POST /_sandbox/max/bots/start": {
    what: "a MAX user starts a bot: its dialog opens and the bot gets bot_started",
    body: "{userId, botId, payload?}",
    answer: "{chatId} (404 no such bot or user)",
  },
  "POST /_sandbox/max/faults": {
    what: "MAX fault injection",
    body: '{action:"drop", userId?} | {action:"delay", ms, durationMs?=60000, userId?} | {action:"fail", count?=1, error?, message?, opcode?, userId?} | {action:"rate-limit", limit, windowMs?=1000, durationMs?=60000, userId?} | {action:"clear"}',
    answer: "{ok:true} ({ok, dropped} for drop)",
  },
  "GET /_sandbox/max/stats": {
    what: "connections and faults",
    answer: "{connections, online, faults:{fails, delays}}",
  },

  // ── MaxIM ──
  "POST /_sandbox/maxim/apps": {
    what: "create an app, or one more admin token for it",
    body: "{appId (1-64 of A-Z a-z 0-9 _ -)}",
    answer: "{appId, adminToken}",
  },
  "GET /_sandbox/maxim/messages": {
    what: "messages sent (/message/send, /message/notify)",
    query: "appId?",
    answer: "{messages:[{msgId, appId, kind, from, to, toType, contentType, content, …}]}",
  },
  "GET /_sandbox/maxim/pushes": {
    what: "pushes sent (/push/notify) and the devices reached",
    query: "appId?",
    answer: "{pushes:[…]}",
  },
  "POST /_sandbox/maxim/faults": {
    what: "the next requests answer a MaxIM code",
    body: "{code (of the seed's table), path?, times?=1}",
    answer: "{ok:true}",
  },
  "DELETE /_sandbox/maxim/faults": { what: "clear MaxIM code faults", answer: "{ok:true}" },
  "POST /_sandbox/maxim/faults/http": {
    what: "shared HTTP faults (fail: code)",
    body: HTTP_FAULTS_BODY,
    answer: HTTP_FAULTS_ANSWER,
  },
  "GET /_sandbox/maxim/faults/http": { what: "shared HTTP faults in force", answer: HTTP_FAULTS_LIST },

  // ── WebQQ ──
  "POST /_sandbox/webqq/accounts": {
    what: "create a QQ account",
    body: "{qq, password, nick, longNick?}",
    answer: "{qq}",
  },
  "POST /_sandbox/webqq/friends": {
    what: "make two accounts friends (mutual)",
    body: "{qq, friend, markname?}",
    answer: "{ok:true}",
  },
  "POST /_sandbox/webqq/groups": {
    what: "create a group",
    body: "{name, owner, members?=[]}",
    answer: "{code, account, gid}",
  },
  "POST /_sandbox/webqq/discussions": {
    what: "create a discussion",
    body: "{name, owner, members?=[]}",
    answer: "{did}",
  },
  "POST /_sandbox/webqq/captcha": {
    what: "require a captcha at login",
    body: "{qq, required?=true}",
    answer: "{ok:true}",
  },
  "GET /_sandbox/webqq/captcha": { what: "the captcha code shown now", query: "qq", answer: "{qq, code}" },
  "POST /_sandbox/webqq/blocked": { what: "block logins", body: "{qq, blocked?=true}", answer: "{ok:true}" },
  "POST /_sandbox/webqq/messages": {
    what: "send as an account (delivered to poll2)",
    body: "{from, to | group | discu, text?, faces?:[id]}",
    answer: "{ok:true}",
  },
  "POST /_sandbox/webqq/typing": { what: "an input notify", body: "{from, to}", answer: "{ok:true}" },
  "GET /_sandbox/webqq/qr": { what: "QR logins waiting", answer: "{pending:[{token, state}]}" },
  "POST /_sandbox/webqq/qr/confirm": {
    what: "confirm (or only scan) a QR login",
    body: "{qq, token?, scanOnly?}",
    answer: "{token} (404 when none is pending)",
  },
  "POST /_sandbox/webqq/faults/poll": {
    what: "fail the next poll2",
    body: "{retcode | drop | duplicate, times?, probability?, qq?}",
    answer: "{ok:true}",
  },
  "POST /_sandbox/webqq/faults/send": {
    what: "sends answer 1202",
    body: "{times?, delivered?, probability?, qq?}",
    answer: "{ok:true}",
  },
  "POST /_sandbox/webqq/faults/clear": { what: "clear poll and send faults", answer: "{ok:true}" },
  "POST /_sandbox/webqq/kick": {
    what: "kick a session (kick_message, then 121)",
    body: "{qq}",
    answer: "{ok, kicked}",
  },
  "GET /_sandbox/webqq/stats": { what: "emulator counts", answer: "{sessions, polling, accounts, messages}" },
  "POST /_sandbox/webqq/faults/http": {
    what: "shared HTTP faults (fail: retcode)",
    body: HTTP_FAULTS_BODY,
    answer: HTTP_FAULTS_ANSWER,
  },
  "GET /_sandbox/webqq/faults/http": { what: "shared HTTP faults in force", answer: HTTP_FAULTS_LIST },

  // ── VK Video Live ──
  "POST /_sandbox/vklive/apps": {
    what: "create an OAuth app",
    body: "{redirectUri, webhookUrl?}",
    answer: "{clientId, secret, signatureKey}",
  },
  "POST /_sandbox/vklive/webhooks": {
    what: "set an app's webhook",
    body: "{clientId, url | null}",
    answer: "{ok:true}",
  },
  "POST /_sandbox/vklive/users": {
    what: "create a user",
    body: "{nick, nickColor? (0-15)}",
    answer: "{userId}",
  },
  "POST /_sandbox/vklive/channels": {
    what: "create a channel",
    body: "{ownerId, url (A-Z a-z 0-9 _ . -)}",
    answer: "{channelId, url}",
  },
  "POST /_sandbox/vklive/tokens": {
    what: "issue a user token",
    body: "{clientId, userId, scopes:[…], expiresIn?}",
    answer: "{access_token, refresh_token, expires_in}",
  },
  "POST /_sandbox/vklive/consent": {
    what: "what Allow (or Deny) in the consent window does",
    body: '{clientId, userId, redirectUri, scopes?, responseType?="code"|"token", state?, allow?}',
    answer: "{location}",
  },
  "POST /_sandbox/vklive/streams/start": {
    what: "start a stream",
    body: "{channelUrl, title?, categoryId?, viewers?}",
    answer: "{streamId}",
  },
  "POST /_sandbox/vklive/streams/stop": {
    what: "stop a stream",
    body: "{channelUrl}",
    answer: "{streamId | null}",
  },
  "POST /_sandbox/vklive/messages": {
    what: "write into a stream chat as a user",
    body: "{channelUrl, userId, text}",
    answer: "{messageId}",
  },
  "POST /_sandbox/vklive/messages/delete": {
    what: "delete a chat message",
    body: "{channelUrl, messageId}",
    answer: "{ok:true}",
  },
  "POST /_sandbox/vklive/follows": {
    what: "follow a channel",
    body: "{channelUrl, userId}",
    answer: "{ok:true}",
  },
  "POST /_sandbox/vklive/raids": {
    what: "a raid into a channel",
    body: "{channelUrl, fromChannelUrl, viewers?}",
    answer: "{ok:true}",
  },
  "POST /_sandbox/vklive/moderators": {
    what: "add a moderator",
    body: "{channelUrl, userId}",
    answer: "{ok:true}",
  },
  "POST /_sandbox/vklive/rewards": {
    what: "create a channel-points reward",
    body: "{channelUrl, name, price, description?, messageRequired?}",
    answer: "{rewardId}",
  },
  "POST /_sandbox/vklive/points": {
    what: "grant channel points",
    body: "{channelUrl, userId, amount}",
    answer: "{balance}",
  },
  "POST /_sandbox/vklive/demands": {
    what: "a user redeems a reward",
    body: "{channelUrl, userId, rewardId, text?}",
    answer: "{demandId}",
  },
  "POST /_sandbox/vklive/bans": {
    what: "ban or unban a channel",
    body: "{channelUrl, banned}",
    answer: "{ok:true}",
  },
  "POST /_sandbox/vklive/faults": {
    what: "the next REST / OAuth requests answer an error",
    body: "{error (a constant: send_too_fast …), path?, times?}",
    answer: "{ok:true}",
  },
  "POST /_sandbox/vklive/drop": {
    what: "close Centrifugo connections (code 3000)",
    body: '{userId? ("" = all)}',
    answer: "{dropped}",
  },
  "GET /_sandbox/vklive/deliveries": {
    what: "webhook deliveries",
    query: "clientId?",
    answer: "[{id, clientId, eventId, url, event, state, attempts, replyStatus, lastError}]",
  },
  "POST /_sandbox/vklive/deliveries/redeliver": {
    what: "send a delivery again",
    body: "{id}",
    answer: "{ok}",
  },
  "GET /_sandbox/vklive/stats": {
    what: "emulator counts",
    answer: "{tokenRequests:{…}, connections, published}",
  },
  "POST /_sandbox/vklive/faults/http": {
    what: "shared HTTP faults (fail: status)",
    body: HTTP_FAULTS_BODY,
    answer: HTTP_FAULTS_ANSWER,
  },
  "GET /_sandbox/vklive/faults/http": { what: "shared HTTP faults in force", answer: HTTP_FAULTS_LIST },

  // ── web console (docs/console.md) ──
  "GET /_sandbox/console/platforms": {
    what: "the console's platforms and their features",
    answer:
      "{platforms:[{id, title, url, available, features, chatKinds, faults}], traffic:{capturing, recording}}",
  },
  "GET /_sandbox/console/:platform/accounts": {
    what: "accounts",
    answer: "{accounts:[{id, name, detail?, online?}]}",
  },
  "GET /_sandbox/console/:platform/chats": {
    what: "chats (of one account with as)",
    query: "as?",
    answer: "{chats:[{id, kind, title, members?, lastActivity?}]}",
  },
  "GET /_sandbox/console/:platform/chats/:id/messages": {
    what: "history, oldest first (403 when as is not in the chat)",
    query: "as?, limit?=100 (max 1000)",
    answer: "{messages:[{id, chatId, authorId, authorName, time, text, edited?, attachments?}]}",
  },
  "POST /_sandbox/console/:platform/messages": {
    what: "write as a user",
    body: "{as, chatId | to, text}",
    answer: "{chatId, messageId}",
  },
  "POST /_sandbox/console/:platform/chats": {
    what: "create a chat as a user (kinds: chatKinds)",
    body: '{as, kind?="group"|"channel", title, members?=[]}',
    answer: "{chatId}",
  },
  "GET /_sandbox/console/inbox": {
    what: "SMS codes, QR logins, captchas, consents",
    answer: "{items:[{id, platform, kind, time, to, value?, status, confirmable?}]}",
  },
  "POST /_sandbox/console/:platform/inbox/:id/confirm": {
    what: "confirm a QR login or consent as a user",
    body: "{as}",
    answer: "{ok:true}",
  },
  "GET /_sandbox/console/:platform/files": {
    what: "stored files",
    answer: "{files:[{id, name, mime, size, ownerId?, time, previewUrl}]}",
  },
  "GET /_sandbox/console/:platform/files/:id": { what: "a stored file's bytes (inline)", answer: "the file" },
  "GET /_sandbox/console/:platform/tables": {
    what: "read-only tables",
    answer: "{tables:[{id, title, columns, rows}]}",
  },
  "POST /_sandbox/console/:platform/faults": {
    what: "apply a fault form (fields: /platforms faults)",
    body: "{action, …fields}",
    answer: "{ok:true, …}",
  },
  "GET /_sandbox/console/traffic": {
    what: "recorded traffic, oldest first (2000 per platform kept)",
    query: "platform?, account?, opcode?, path?, dir?, after?, limit?=500 (max 5000)",
    answer:
      "{capturing, records:[{id, platform, dir, time, size, account?, opcode?|method+path, summary?, payload}]}",
  },
  "DELETE /_sandbox/console/traffic": { what: "empty the traffic log", answer: "{ok:true}" },
  "POST /_sandbox/console/traffic/record": {
    what: "record traffic with no page open (on from the start)",
    body: "{on}",
    answer: "{ok, capturing}",
  },
  "GET /_sandbox/console/events": { what: "the live feed", answer: "server-sent events (text/event-stream)" },

  // ── MAX Bot API ──
  "POST /_sandbox/maxbot/bots": {
    what: "create a bot (a MAX user flagged as bot); its token is shown only here",
    body: "{name, username?, description?, token?} (a fixed token for scripts; 409 when taken)",
    answer: "{token, userId}",
  },
  "GET /_sandbox/maxbot/bots": {
    what: "the bots, without tokens, with their queued update counts",
    answer: "{bots:[{userId, name, username, createdAt, queued}]}",
  },
  "POST /_sandbox/maxbot/bots/:userId/chats": {
    what: "add a bot to a MAX chat (as admin with admin:true), on behalf of byUserId or the chat's owner",
    body: "{chatId, admin?, byUserId?}",
    answer: "{ok:true}",
  },
};
