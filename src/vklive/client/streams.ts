/** The catalog, categories, streams, stream records and videos. */
import type { CallOptions } from "../../core/call.js";
import {
  type Category,
  type ChannelData,
  LIMITS,
  type StreamInfo,
  type StreamRecord,
} from "../protocol/index.js";
import type { VkLiveTransport } from "./transport.js";

export async function onlineChannels(
  t: VkLiveTransport,
  o: CallOptions & { limit?: number; categoryId?: string; categoryType?: string } = {},
): Promise<ChannelData[]> {
  const query = {
    limit: o.limit ?? LIMITS.listLimit,
    category_id: o.categoryId,
    category_type: o.categoryType,
  };
  return (await t.call("onlineChannels", { query }, o)).data.channels;
}

export async function onlineCategories(
  t: VkLiveTransport,
  o: CallOptions & { limit?: number; categoryType?: string } = {},
): Promise<Category[]> {
  const query = { limit: o.limit ?? LIMITS.listLimit, category_type: o.categoryType };
  return (await t.call("onlineCategories", { query }, o)).data.categories;
}

export async function category(
  t: VkLiveTransport,
  categoryId: string,
  o: CallOptions = {},
): Promise<Category> {
  return (await t.call("category", { query: { category_id: categoryId } }, o)).data.category;
}

export async function searchCategories(
  t: VkLiveTransport,
  query: string,
  type: string,
  limit = 20,
  o: CallOptions = {},
): Promise<Category[]> {
  return (await t.call("searchCategories", { query: { query, type, limit } }, o)).data.categories;
}

export async function stream(
  t: VkLiveTransport,
  channelUrl: string,
  o: CallOptions = {},
): Promise<StreamInfo | null> {
  return (await t.call("stream", { query: { channel_url: channelUrl } }, o)).data.stream ?? null;
}

export async function streamRecords(
  t: VkLiveTransport,
  channelUrl: string,
  o: CallOptions & { limit?: number; offset?: number } = {},
): Promise<{ records: StreamRecord[]; isLast: boolean; offset: number }> {
  const query = { channel_url: channelUrl, limit: o.limit ?? 20, offset: o.offset };
  const body = await t.call("streamRecords", { query }, o);
  return {
    records: body.data?.stream_records ?? [],
    isLast: body.extra?.is_last ?? true,
    offset: body.extra?.offset ?? 0,
  };
}

export async function streamRecord(
  t: VkLiveTransport,
  recordId: string,
  o: CallOptions & { withSourceUrls?: boolean } = {},
): Promise<StreamRecord> {
  const query = { record_id: recordId, with_source_urls: o.withSourceUrls };
  return (await t.call("streamRecord", { query }, o)).data.stream_record;
}

export async function video(
  t: VkLiveTransport,
  videoId: string,
  o: CallOptions = {},
): Promise<Record<string, unknown>> {
  return (await t.call("video", { query: { video_id: videoId } }, o)).data.video;
}
