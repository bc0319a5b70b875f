/** WebQQ message content: the `["font", …], "text", ["face", n], ["cface", …]` arrays. */
import { z } from "zod";
import { flattenExtra, lenient } from "../../core/extra.js";

export const Font = lenient({
  name: z.string(),
  size: z.union([z.string(), z.number()]),
  style: z.array(z.number()),
  color: z.string(),
});
export type Font = z.infer<typeof Font>;

export const DEFAULT_FONT: Font = { name: "宋体", size: "10", style: [0, 0, 0], color: "000000" };

/** A segment as we model it on both sides (send and receive). */
export type ContentItem =
  | { type: "text"; text: string }
  | { type: "face"; id: number }
  /** Group/discussion custom picture uploaded with cface_upload. */
  | { type: "cface"; name: string; fileId?: number; key?: string; server?: string }
  /** Buddy offline picture uploaded with upload_offline_pic. */
  | { type: "offpic"; filePath: string; name?: string; size?: number };

/** Sent content: a JSON *string* of the list with the font last (seed 002). */
export function encodeContent(items: readonly ContentItem[], font: Font = DEFAULT_FONT): string {
  const list: unknown[] = items.map((it): unknown => {
    if (it.type === "text") return it.text;
    if (it.type === "face") return ["face", it.id];
    if (it.type === "cface") return ["cface", "group", it.name];
    return ["offpic", it.filePath, it.name ?? "", it.size ?? 0];
  });
  list.push(["font", flattenExtra(font)]);
  return JSON.stringify(list);
}

/** Parses sent content (string) or received content (list); unknown items are dropped, fonts kept apart. */
export function decodeContent(raw: unknown): { items: ContentItem[]; font?: Font } | undefined {
  let list = raw;
  if (typeof raw === "string") {
    try {
      list = JSON.parse(raw) as unknown;
    } catch {
      return undefined;
    }
  }
  if (!Array.isArray(list)) return undefined;
  const items: ContentItem[] = [];
  let font: Font | undefined;
  for (const el of list) {
    if (typeof el === "string") {
      items.push({ type: "text", text: el });
      continue;
    }
    if (!Array.isArray(el) || typeof el[0] !== "string") return undefined;
    const [tag, a, b, c] = el as [string, unknown, unknown, unknown];
    if (tag === "font") {
      const f = Font.safeParse(a);
      if (!f.success) return undefined;
      font = f.data;
    } else if (tag === "face") {
      if (typeof a !== "number" || !Number.isInteger(a) || a < 0 || a > 1000) return undefined;
      items.push({ type: "face", id: a });
    } else if (tag === "cface") {
      // Sent: ["cface","group",name] or ["cface",name]; received: ["cface",{name,file_id,key,server}].
      if (a && typeof a === "object") {
        const o = a as Record<string, unknown>;
        if (typeof o.name !== "string") return undefined;
        const it: ContentItem = { type: "cface", name: o.name };
        if (typeof o.file_id === "number") it.fileId = o.file_id;
        if (typeof o.key === "string") it.key = o.key;
        if (typeof o.server === "string") it.server = o.server;
        items.push(it);
      } else if (typeof b === "string") items.push({ type: "cface", name: b });
      else if (typeof a === "string") items.push({ type: "cface", name: a });
      else return undefined;
    } else if (tag === "offpic") {
      if (a && typeof a === "object") {
        const o = a as Record<string, unknown>;
        if (typeof o.file_path !== "string") return undefined;
        items.push({ type: "offpic", filePath: o.file_path });
      } else if (typeof a === "string") {
        const it: ContentItem = { type: "offpic", filePath: a };
        if (typeof b === "string" && b) it.name = b;
        if (typeof c === "number") it.size = c;
        items.push(it);
      } else return undefined;
    } else {
      return undefined;
    }
  }
  return font ? { items, font } : { items };
}

/** Plain text of content (faces as `[face:n]`, pictures as `[image]`). */
export function contentText(items: readonly ContentItem[]): string {
  return items
    .map((it) => (it.type === "text" ? it.text : it.type === "face" ? `[face:${it.id}]` : "[image]"))
    .join("");
}

// ---------------------------------------------------------------------------------------------
// Request bodies (`r=` JSON)
