/** Channels, websocket tokens, the current user, roles and token info. */
import type { CallOptions } from "../../core/call.js";
import type {
  ChannelData,
  CurrentUser,
  StreamEditBody,
  TokenInfo,
  UserShort,
  WebSocketChannels,
} from "../protocol/index.js";
import type { VkLiveTransport } from "./transport.js";

export async function channel(
  t: VkLiveTransport,
  channelUrl: string,
  o: CallOptions & { withSourceUrls?: boolean; ip?: string } = {},
): Promise<ChannelData> {
  const query = { channel_url: channelUrl, with_source_urls: o.withSourceUrls, ip: o.ip };
  return (await t.call("channel", { query }, o)).data;
}

export async function channels(
  t: VkLiveTransport,
  urls: readonly string[],
  o: CallOptions = {},
): Promise<ChannelData[]> {
  const body = { channels: urls.map((url) => ({ url })) };
  return (await t.call("channels", { body }, o)).data.channels;
}

export async function channelCredentials(
  t: VkLiveTransport,
  channelUrl: string,
  o: CallOptions & { slotUrl?: string } = {},
): Promise<{ token: string; url: string }> {
  return (await t.call("channelCredentials", { query: { channel_url: channelUrl, slot_url: o.slotUrl } }, o))
    .data;
}

export async function editStream(
  t: VkLiveTransport,
  channelUrl: string,
  stream: StreamEditBody["stream"],
  o: CallOptions & { slotUrl?: string } = {},
): Promise<void> {
  await t.call(
    "editStream",
    { query: { channel_url: channelUrl, slot_url: o.slotUrl }, body: { stream } },
    o,
  );
}

/** The ws channel names of a channel (from GET /v1/channel). */
export async function wsChannels(
  t: VkLiveTransport,
  channelUrl: string,
  o: CallOptions = {},
): Promise<WebSocketChannels> {
  return (await channel(t, channelUrl, o)).channel.web_socket_channels ?? {};
}

export async function websocketToken(t: VkLiveTransport, o: CallOptions = {}): Promise<string> {
  return (await t.call("websocketToken", {}, o)).data.token;
}

export async function subscriptionTokens(
  t: VkLiveTransport,
  names: readonly string[],
  o: CallOptions = {},
): Promise<{ channel: string; token: string }[]> {
  return (await t.call("subscriptionTokens", { query: { channels: names.join(",") } }, o)).data
    .channel_tokens;
}

export async function currentUser(t: VkLiveTransport, o: CallOptions = {}): Promise<CurrentUser> {
  return (await t.call("currentUser", {}, o)).data;
}

export async function channelRoles(
  t: VkLiveTransport,
  channelUrl: string,
  o: CallOptions = {},
): Promise<{ roles: { id: string; name: string; users?: UserShort[] }[] }> {
  return (await t.call("channelRoles", { query: { channel_url: channelUrl } }, o)).data;
}

export async function tokenInfo(t: VkLiveTransport, o: CallOptions = {}): Promise<TokenInfo> {
  return (await t.call("tokenInfo", {}, o)).data;
}
