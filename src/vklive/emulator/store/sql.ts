/**
 * Every SQL statement the emulator runs on its `vklive_*` tables, by name (the console's, seed's
 * and fault profile's are in index.ts). The emulator prepares each once (a StatementCache) and
 * its handlers name what they run: \`emu.q(SQL.selectUsersById).get(id)\`.
 */
export const SQL = {
  // ── vklive_apps ──
  insertApp: `
    INSERT INTO vklive_apps (client_id, secret_hash, signature_key, redirect_uri, webhook_url, created_at)
    VALUES (?, ?, ?, ?, ?, ?)`,
  updateAppWebhook: "UPDATE vklive_apps SET webhook_url = ? WHERE client_id = ?",
  selectAppById: "SELECT * FROM vklive_apps WHERE client_id = ?",
  selectWebhookAppsOfUser: `
    SELECT DISTINCT a.client_id, a.webhook_url, a.signature_key FROM vklive_apps a
    JOIN vklive_tokens t ON t.client_id = a.client_id
    WHERE t.user_id = ? AND t.kind = 'refresh' AND t.revoked = 0 AND t.expires_at > ?
    AND a.webhook_url IS NOT NULL`,
  selectAppSignatureKey: "SELECT signature_key FROM vklive_apps WHERE client_id = ?",
  // ── vklive_balances ──
  addBalance: `
    INSERT INTO vklive_balances (channel_id, user_id, balance) VALUES (?, ?, ?)
    ON CONFLICT (channel_id, user_id) DO UPDATE SET balance = balance + excluded.balance RETURNING balance`,
  selectBalance: "SELECT balance FROM vklive_balances WHERE channel_id = ? AND user_id = ?",
  spendBalance: "UPDATE vklive_balances SET balance = balance - ? WHERE channel_id = ? AND user_id = ?",
  refundBalance: "UPDATE vklive_balances SET balance = balance + ? WHERE channel_id = ? AND user_id = ?",
  // ── vklive_channels ──
  selectChannelByUrl: "SELECT * FROM vklive_channels WHERE url = ?",
  channelUrlExists: "SELECT 1 FROM vklive_channels WHERE url = ?",
  insertChannel: "INSERT INTO vklive_channels (url, owner_id, stream_key, created_at) VALUES (?, ?, ?, ?)",
  updateChannelStatus: "UPDATE vklive_channels SET status = ? WHERE id = ?",
  // Live streams by viewers (partial index), filtered in SQL, stopping at the limit.
  selectLiveChannels: `
    SELECT c.*, s.category AS s_category FROM vklive_streams s INDEXED BY vklive_streams_live
    JOIN vklive_channels c ON c.id = s.channel_id
    WHERE s.ended_at IS NULL AND c.status != 'banned'
    AND (? IS NULL OR json_extract(s.category, '$.id') = ?)
    AND (? IS NULL OR json_extract(s.category, '$.type') = ?)
    ORDER BY s.viewers DESC, s.channel_id LIMIT ?`,
  updateChannelStreamSettings:
    "UPDATE vklive_channels SET stream_title = ?, category = ?, planned_at = ? WHERE id = ?",
  selectFirstChannelRefOfOwner: "SELECT id, url FROM vklive_channels WHERE owner_id = ? ORDER BY id LIMIT 1",
  selectFirstChannelOfOwner: "SELECT * FROM vklive_channels WHERE owner_id = ? ORDER BY id LIMIT 1",
  updateChannelChatSettings: "UPDATE vklive_channels SET chat_settings = ? WHERE id = ?",
  selectChannelById: "SELECT * FROM vklive_channels WHERE id = ?",
  selectChannelStatus: "SELECT status FROM vklive_channels WHERE id = ?",
  // ── vklive_codes ──
  selectCode: "SELECT * FROM vklive_codes WHERE code_hash = ?",
  markCodeUsed: "UPDATE vklive_codes SET used = 1, family_id = ? WHERE code_hash = ?",
  insertCode: `
    INSERT INTO vklive_codes (code_hash, client_id, user_id, redirect_uri, scopes, expires_at)
    VALUES (?, ?, ?, ?, ?, ?)`,
  // ── vklive_demands ──
  insertDemand:
    "INSERT INTO vklive_demands (id, channel_id, reward_id, user_id, message, created_at) VALUES (?, ?, ?, ?, ?, ?)",
  selectDemandById: "SELECT * FROM vklive_demands WHERE id = ?",
  selectDemandsOfChannel:
    "SELECT * FROM vklive_demands WHERE channel_id = ? ORDER BY created_at DESC, id LIMIT ?",
  selectDemandInChannel: "SELECT * FROM vklive_demands WHERE id = ? AND channel_id = ?",
  updateDemandStatus: "UPDATE vklive_demands SET status = ? WHERE id = ?",
  // ── vklive_follows ──
  insertFollow: "INSERT OR IGNORE INTO vklive_follows (channel_id, user_id, created_at) VALUES (?, ?, ?)",
  selectFollow: "SELECT created_at FROM vklive_follows WHERE channel_id = ? AND user_id = ?",
  countFollowers: "SELECT COUNT(*) AS n FROM vklive_follows WHERE channel_id = ?",
  // ── vklive_messages ──
  insertMessage: `
    INSERT INTO vklive_messages (channel_id, stream_id, author_id, parts, text, created_at)
    VALUES (?, ?, ?, ?, ?, ?)`,
  selectMessageById: "SELECT * FROM vklive_messages WHERE id = ?",
  markMessageDeleted:
    "UPDATE vklive_messages SET deleted = 1 WHERE id = ? AND channel_id = ? AND deleted = 0",
  // Counters and recency per author (vklive_chatters, kept by a trigger): no scan of the chat.
  countMessagesOfAuthor: `
    SELECT COALESCE((SELECT messages FROM vklive_chatters WHERE channel_id = ? AND user_id = ?), 0) AS n`,
  selectRecentAuthors: `
    SELECT user_id AS id FROM vklive_chatters WHERE channel_id = ? ORDER BY last_message_id DESC LIMIT ?`,
  selectLastMessageOfAuthor: `
    SELECT text, created_at FROM vklive_messages WHERE channel_id = ? AND author_id = ?
    ORDER BY id DESC LIMIT 1`,
  selectRecentMessages:
    "SELECT * FROM vklive_messages WHERE channel_id = ? AND deleted = 0 ORDER BY id DESC LIMIT ?",
  // ── vklive_moderators ──
  insertModerator: "INSERT OR IGNORE INTO vklive_moderators (channel_id, user_id) VALUES (?, ?)",
  isModerator: "SELECT 1 FROM vklive_moderators WHERE channel_id = ? AND user_id = ?",
  selectModerators: "SELECT user_id FROM vklive_moderators WHERE channel_id = ? ORDER BY user_id",
  // ── vklive_rewards ──
  insertReward: `
    INSERT INTO vklive_rewards (id, channel_id, name, description, price, is_message_required)
    VALUES (?, ?, ?, ?, ?, ?)`,
  selectRewardInChannel: "SELECT * FROM vklive_rewards WHERE id = ? AND channel_id = ?",
  selectRewardsOfChannel: "SELECT * FROM vklive_rewards WHERE channel_id = ? ORDER BY price, id LIMIT 200",
  selectRewardPrice: "SELECT price FROM vklive_rewards WHERE id = ?",
  selectRewardById: "SELECT * FROM vklive_rewards WHERE id = ?",
  // ── vklive_streams ──
  insertStream:
    "INSERT INTO vklive_streams (id, channel_id, title, category, started_at, viewers) VALUES (?, ?, ?, ?, ?, ?)",
  endStream: "UPDATE vklive_streams SET ended_at = ? WHERE id = ?",
  selectStreamById: "SELECT * FROM vklive_streams WHERE id = ?",
  selectLiveStream:
    "SELECT * FROM vklive_streams WHERE channel_id = ? AND ended_at IS NULL ORDER BY started_at DESC LIMIT 1",
  selectLiveCategories:
    "SELECT category, viewers FROM vklive_streams WHERE ended_at IS NULL AND category IS NOT NULL",
  selectEndedStreamsPage: `
    SELECT * FROM vklive_streams WHERE channel_id = ? AND ended_at IS NOT NULL
    ORDER BY started_at DESC, id LIMIT ? OFFSET ?`,
  selectEndedStream: "SELECT * FROM vklive_streams WHERE id = ? AND ended_at IS NOT NULL",
  updateStreamTitleCategory: "UPDATE vklive_streams SET title = ?, category = ? WHERE id = ?",
  selectStreamIdInChannel: "SELECT id FROM vklive_streams WHERE id = ? AND channel_id = ?",
  // ── vklive_tokens ──
  insertToken: `
    INSERT INTO vklive_tokens (token_hash, kind, grant_id, family_id, client_id, user_id, scopes, flow,
    redirect_uri, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  selectRefreshToken: "SELECT * FROM vklive_tokens WHERE token_hash = ? AND kind = 'refresh'",
  revokeGrant: "UPDATE vklive_tokens SET revoked = 1 WHERE grant_id = ?",
  revokeFamily: "UPDATE vklive_tokens SET revoked = 1 WHERE family_id = ? AND revoked = 0",
  selectTokenGrant: "SELECT grant_id, family_id, client_id FROM vklive_tokens WHERE token_hash = ?",
  selectAccessToken: "SELECT * FROM vklive_tokens WHERE token_hash = ? AND kind = 'access'",
  // ── vklive_users ──
  insertUser: "INSERT INTO vklive_users (nick, nick_color, created_at) VALUES (?, ?, ?)",
  selectUserById: "SELECT * FROM vklive_users WHERE id = ?",
  userExists: "SELECT id FROM vklive_users WHERE id = ?",
  selectUsersForConsent: "SELECT * FROM vklive_users ORDER BY id LIMIT 200",
  // ── vklive_webhook_deliveries ──
  insertDelivery: `
    INSERT INTO vklive_webhook_deliveries (client_id, event_id, url, event, state, created_at)
    VALUES (?, ?, ?, ?, 'pending', ?)`,
  // The newest 1,000 (admin and console), oldest first.
  selectDeliveries: `
    SELECT * FROM (SELECT * FROM vklive_webhook_deliveries WHERE (? IS NULL OR client_id = ?)
    ORDER BY id DESC LIMIT 1000) ORDER BY id`,
  selectDeliveryById: "SELECT * FROM vklive_webhook_deliveries WHERE id = ?",
  markDeliveryPending: "UPDATE vklive_webhook_deliveries SET state = 'pending' WHERE id = ?",
  markDeliveryAnswered:
    "UPDATE vklive_webhook_deliveries SET state = ?, attempts = ?, reply_status = ?, last_error = NULL WHERE id = ?",
  markDeliveryFailedAttempt:
    "UPDATE vklive_webhook_deliveries SET state = ?, attempts = ?, last_error = ? WHERE id = ?",
} as const;

/** One of the emulator's statements (nothing else may be prepared through `emu.q`). */
export type VkLiveSql = (typeof SQL)[keyof typeof SQL];
