/**
 * Text formatting of `NewMessageBody.format`: the Bot API's markdown flavour and HTML subset
 * parsed into plain text plus MAX user API markup elements (`{type:"STRONG", from, length}` …),
 * as the platform stores formatted messages. Offsets are UTF-16 code units of the plain text.
 *
 * Markdown: `**strong**` `__strong__`, `*em*` `_em_`, `~~strike~~`, `++underline++`, `` `code` ``
 * and ```` ```code``` ````, `^^highlight^^`, `[text](url)` (`max://user/<id>` is a mention),
 * `# heading` and `> quote` at line start, `\` escapes. HTML: b/strong, i/em, del/s, ins/u,
 * a href, pre/code, mark, blockquote, h1; other tags are stripped, their text kept.
 */

export interface FormattedText {
  text: string;
  elements: Record<string, unknown>[];
}

type Kind =
  | "STRONG"
  | "EMPHASIZED"
  | "STRIKETHROUGH"
  | "UNDERLINE"
  | "MONOSPACED"
  | "HIGHLIGHTED"
  | "HEADING"
  | "QUOTE"
  | "LINK";

class Builder {
  text = "";
  elements: Record<string, unknown>[] = [];

  mark(type: Kind, from: number, url?: string): void {
    const length = this.text.length - from;
    if (length <= 0) return;
    const mention = url ? /^max:\/\/user\/(\d{1,15})$/.exec(url) : null;
    if (mention) this.elements.push({ type: "USER_MENTION", from, length, entityId: Number(mention[1]) });
    else if (type === "LINK") this.elements.push({ type, from, length, attributes: { url } });
    else this.elements.push({ type, from, length });
  }

  result(): FormattedText {
    this.elements.sort((a, b) => (a.from as number) - (b.from as number));
    return { text: this.text, elements: this.elements };
  }
}

// ------------------------------------------------------------------ markdown

const PAIRS: readonly [string, Kind][] = [
  ["```", "MONOSPACED"],
  ["**", "STRONG"],
  ["__", "STRONG"],
  ["~~", "STRIKETHROUGH"],
  ["++", "UNDERLINE"],
  ["^^", "HIGHLIGHTED"],
  ["`", "MONOSPACED"],
  ["*", "EMPHASIZED"],
  ["_", "EMPHASIZED"],
];
const ESCAPABLE = /[\\`*_~+^[\]()#>]/;

function inline(src: string, from: number, to: number, out: Builder): void {
  let i = from;
  while (i < to) {
    const ch = src[i] as string;
    const next = src[i + 1];
    if (ch === "\\" && i + 1 < to && next !== undefined && ESCAPABLE.test(next)) {
      out.text += next;
      i += 2;
      continue;
    }
    if (ch === "[") {
      const labelEnd = src.indexOf("](", i + 1);
      const urlEnd = labelEnd < 0 ? -1 : src.indexOf(")", labelEnd + 2);
      if (labelEnd > i && urlEnd > labelEnd && urlEnd < to) {
        const url = src.slice(labelEnd + 2, urlEnd).trim();
        const start = out.text.length;
        inline(src, i + 1, labelEnd, out);
        if (url !== "") out.mark("LINK", start, url);
        i = urlEnd + 1;
        continue;
      }
    }
    let matched = false;
    for (const [marker, kind] of PAIRS) {
      if (!src.startsWith(marker, i)) continue;
      let end = src.indexOf(marker, i + marker.length);
      if (end <= i + marker.length || end + marker.length > to) continue;
      // In a run like `***` the outer marker closes last: `**bold *italic***`.
      while (kind !== "MONOSPACED" && end + marker.length < to && src[end + marker.length] === marker[0])
        end++;
      const start = out.text.length;
      // Code is literal: no markup inside it.
      if (kind === "MONOSPACED") out.text += src.slice(i + marker.length, end);
      else inline(src, i + marker.length, end, out);
      out.mark(kind, start);
      i = end + marker.length;
      matched = true;
      break;
    }
    if (!matched) {
      out.text += ch;
      i++;
    }
  }
}

export function parseMarkdown(src: string): FormattedText {
  const out = new Builder();
  let lineStart = 0;
  for (const [n, line] of src.split("\n").entries()) {
    if (n > 0) out.text += "\n";
    const heading = /^#{1,6} +/.exec(line);
    const quote = heading ? null : /^> ?/.exec(line);
    const block = heading ? "HEADING" : quote ? "QUOTE" : undefined;
    const offset = (heading ?? quote)?.[0].length ?? 0;
    const start = out.text.length;
    // Offsets are into the whole source; `inline` never looks past the end of its line.
    inline(src, lineStart + offset, lineStart + line.length, out);
    if (block) out.mark(block, start);
    lineStart += line.length + 1;
  }
  return out.result();
}

// ------------------------------------------------------------------ html

const HTML_KINDS: Record<string, Kind> = {
  b: "STRONG",
  strong: "STRONG",
  i: "EMPHASIZED",
  em: "EMPHASIZED",
  del: "STRIKETHROUGH",
  s: "STRIKETHROUGH",
  ins: "UNDERLINE",
  u: "UNDERLINE",
  pre: "MONOSPACED",
  code: "MONOSPACED",
  mark: "HIGHLIGHTED",
  blockquote: "QUOTE",
  h1: "HEADING",
  a: "LINK",
};
const ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'", nbsp: "\u00a0" };

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]{1,6}|#\d{1,7}|[a-z]{2,6});/gi, (whole, name: string) => {
    if (name[0] === "#") {
      const code =
        name[1] === "x" || name[1] === "X" ? Number.parseInt(name.slice(2), 16) : Number(name.slice(1));
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[name.toLowerCase()] ?? whole;
  });
}

export function parseHtml(src: string): FormattedText {
  const out = new Builder();
  const open: { tag: string; start: number; url?: string }[] = [];
  const tagRe = /<(\/?)([a-zA-Z][a-zA-Z0-9]*)((?:[^>"']|"[^"]*"|'[^']*')*)>/g;
  let last = 0;
  for (let m = tagRe.exec(src); m !== null; m = tagRe.exec(src)) {
    out.text += decodeEntities(src.slice(last, m.index));
    last = m.index + m[0].length;
    const closing = m[1] === "/";
    const tag = (m[2] as string).toLowerCase();
    if (tag === "br") {
      out.text += "\n";
      continue;
    }
    const kind = HTML_KINDS[tag];
    if (!kind) continue;
    if (!closing) {
      const href = /\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))/i.exec(m[3] ?? "");
      const url = href ? decodeEntities(href[1] ?? href[2] ?? href[3] ?? "") : undefined;
      open.push(url === undefined ? { tag, start: out.text.length } : { tag, start: out.text.length, url });
      continue;
    }
    const at = open.map((o) => o.tag).lastIndexOf(tag);
    if (at < 0) continue;
    const [entry] = open.splice(at, 1);
    if (!entry) continue;
    if (kind === "LINK") {
      if (entry.url) out.mark(kind, entry.start, entry.url);
    } else out.mark(kind, entry.start);
  }
  out.text += decodeEntities(src.slice(last));
  return out.result();
}

/** Text as the platform stores it for `format` (none: the text as is, no elements). */
export function formatText(text: string, format: "markdown" | "html" | null | undefined): FormattedText {
  if (format === "markdown") return parseMarkdown(text);
  if (format === "html") return parseHtml(text);
  return { text, elements: [] };
}
