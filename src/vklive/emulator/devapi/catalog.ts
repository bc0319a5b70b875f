/** DevAPI handlers: The catalog, categories, streams, records and videos. */
import type { Category, ChannelData } from "../../protocol/index.js";
import { type ChannelRow, channelByUrl, fail, liveStream, type StreamRow, streamInfo } from "../context.js";
import { SQL } from "../store/sql.js";
import { CATEGORIES, channelData, type Handlers, recordOf } from "./shared.js";

export const catalogHandlers: Handlers<
  | "onlineChannels"
  | "onlineCategories"
  | "category"
  | "searchCategories"
  | "stream"
  | "streamRecords"
  | "streamRecord"
  | "video"
> = {
  onlineChannels(ctx, q) {
    // Filtered and limited in SQL: the cost is the page, not every live channel.
    const rows = ctx.emu
      .q(SQL.selectLiveChannels)
      .all(
        q.category_id || null,
        q.category_id || null,
        q.category_type || null,
        q.category_type || null,
        q.limit,
      ) as (ChannelRow & {
      s_category: string | null;
    })[];
    const out: ChannelData[] = rows.map((r) => channelData(ctx, r));
    return { channels: out };
  },
  onlineCategories(ctx, q) {
    const rows = ctx.emu.q(SQL.selectLiveCategories).all() as { category: string; viewers: number }[];
    const byId = new Map<string, Category & { counters: { viewers: number } }>();
    for (const r of rows) {
      const c = JSON.parse(r.category) as Category;
      if (q.category_type && c.type !== q.category_type) continue;
      const cur = byId.get(c.id) ?? { ...c, counters: { viewers: 0 } };
      cur.counters.viewers += r.viewers;
      byId.set(c.id, cur);
    }
    return {
      categories: [...byId.values()]
        .sort((a, b) => b.counters.viewers - a.counters.viewers)
        .slice(0, q.limit),
    };
  },
  category(_ctx, q) {
    const c = CATEGORIES.find((x) => x.id === q.category_id) ?? fail("not_found", "Category not found");
    return { category: { ...c, counters: { viewers: 0 } } };
  },
  searchCategories(_ctx, q) {
    const needle = q.query.toLowerCase();
    return {
      categories: CATEGORIES.filter((c) => c.type === q.type && c.title.toLowerCase().includes(needle))
        .slice(0, q.limit)
        .map((c) => ({ ...c, counters: { viewers: 0 } })),
    };
  },
  stream(ctx, q) {
    const ch = channelByUrl(ctx.emu, q.channel_url);
    const live = liveStream(ctx.emu, ch.id);
    return { stream: live ? streamInfo(live) : null };
  },
  streamRecords(ctx, q) {
    const ch = channelByUrl(ctx.emu, q.channel_url);
    const offset = q.offset ?? 0;
    const rows = ctx.emu.q(SQL.selectEndedStreamsPage).all(ch.id, q.limit + 1, offset) as StreamRow[];
    const page = rows.slice(0, q.limit);
    return {
      data: { stream_records: page.map(recordOf) },
      extra: { is_last: rows.length <= q.limit, offset: offset + page.length },
    };
  },
  streamRecord(ctx, q) {
    const row = ctx.emu.q(SQL.selectEndedStream).get(q.record_id) as StreamRow | undefined;
    if (!row) fail("not_found", "Stream record not found");
    const rec = { ...recordOf(row), reactions: [] as { count: number; type: string }[] };
    return {
      stream_record: q.with_source_urls
        ? { ...rec, source_urls: [{ type: "hls", url: `${ctx.origin}/records/${row.id}.m3u8` }] }
        : rec,
    };
  },
  video(ctx, q) {
    const id = q.video_id.startsWith("v") ? q.video_id.slice(1) : "";
    const row = ctx.emu.q(SQL.selectEndedStream).get(id) as StreamRow | undefined;
    if (!row) fail("not_found", "Video not found");
    const r = recordOf(row);
    return { video: { id: q.video_id, title: r.title, duration: r.duration, created_at: r.created_at } };
  },
};
