/**
 * NewMessageBody `format`: the Bot API's markdown flavour and HTML subset (as the schema's "Text
 * formatting" section lists them) parsed into plain text and MAX markup elements. Also a bounded
 * random check: any input gives elements inside the text, and never throws.
 */
import { describe, expect, it } from "vitest";
import { formatText, parseHtml, parseMarkdown } from "../../src/maxbot/emulator/format.js";

const el = (type: string, from: number, length: number, extra: Record<string, unknown> = {}) => ({
  type,
  from,
  length,
  ...extra,
});

describe("markdown", () => {
  it("knows every documented marker", () => {
    const r = parseMarkdown("*a* _b_ **c** __d__ ~~e~~ ++f++ `g` ```h``` ^^i^^");
    expect(r.text).toBe("a b c d e f g h i");
    expect(r.elements).toEqual([
      el("EMPHASIZED", 0, 1),
      el("EMPHASIZED", 2, 1),
      el("STRONG", 4, 1),
      el("STRONG", 6, 1),
      el("STRIKETHROUGH", 8, 1),
      el("UNDERLINE", 10, 1),
      el("MONOSPACED", 12, 1),
      el("MONOSPACED", 14, 1),
      el("HIGHLIGHTED", 16, 1),
    ]);
  });

  it("links, user mentions, headings and quotes", () => {
    const r = parseMarkdown("[Docs](https://dev.max.ru) [Bob](max://user/42)\n# Title\n> said");
    expect(r.text).toBe("Docs Bob\nTitle\nsaid");
    expect(r.elements).toEqual([
      el("LINK", 0, 4, { attributes: { url: "https://dev.max.ru" } }),
      el("USER_MENTION", 5, 3, { entityId: 42 }),
      el("HEADING", 9, 5),
      el("QUOTE", 15, 4),
    ]);
  });

  it("nests styles, keeps code literal, honours escapes and leaves lone markers as text", () => {
    expect(parseMarkdown("**bold *and italic***").elements).toEqual(
      expect.arrayContaining([el("STRONG", 0, 15), el("EMPHASIZED", 5, 10)]),
    );
    expect(parseMarkdown("`**not bold**`")).toEqual({
      text: "**not bold**",
      elements: [el("MONOSPACED", 0, 12)],
    });
    expect(parseMarkdown("\\*x\\*")).toEqual({ text: "*x*", elements: [] });
    expect(parseMarkdown("2 * 3 = 6")).toEqual({ text: "2 * 3 = 6", elements: [] });
  });
});

describe("html", () => {
  it("maps the documented tags and strips others", () => {
    const r = parseHtml(
      '<b>a</b><strong>b</strong><i>c</i><em>d</em><del>e</del><s>f</s><ins>g</ins><u>h</u><code>i</code><pre>j</pre><mark>k</mark><a href="https://x.y">l</a><span>m</span>',
    );
    expect(r.text).toBe("abcdefghijklm");
    expect(r.elements.map((e) => e.type)).toEqual([
      "STRONG",
      "STRONG",
      "EMPHASIZED",
      "EMPHASIZED",
      "STRIKETHROUGH",
      "STRIKETHROUGH",
      "UNDERLINE",
      "UNDERLINE",
      "MONOSPACED",
      "MONOSPACED",
      "HIGHLIGHTED",
      "LINK",
    ]);
  });

  it("decodes entities, breaks lines on <br>, survives unclosed and stray tags", () => {
    expect(parseHtml("a &amp; b &lt;c&gt; &#33;<br>d")).toEqual({ text: "a & b <c> !\nd", elements: [] });
    expect(parseHtml("<b>open")).toEqual({ text: "open", elements: [] });
    expect(parseHtml("close</b> <blockquote>q</blockquote><h1>t</h1>")).toEqual({
      text: "close qt",
      elements: [el("QUOTE", 6, 1), el("HEADING", 7, 1)],
    });
  });
});

describe("any input", () => {
  it("gives elements inside the text and never throws (2000 random strings per format)", () => {
    const alphabet = [
      "*",
      "_",
      "~",
      "+",
      "^",
      "`",
      "[",
      "]",
      "(",
      ")",
      "\\",
      "#",
      ">",
      "<",
      "/",
      "b",
      "a",
      "&",
      ";",
      "\n",
      " ",
      "x",
      "é",
      "😀",
    ];
    let seed = 17;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (const format of ["markdown", "html"] as const) {
      for (let i = 0; i < 2000; i++) {
        let s = "";
        const len = rand(40);
        for (let j = 0; j < len; j++) s += alphabet[rand(alphabet.length)];
        const r = formatText(s, format);
        for (const e of r.elements) {
          const from = e.from as number;
          const length = e.length as number;
          expect(from).toBeGreaterThanOrEqual(0);
          expect(length).toBeGreaterThan(0);
          expect(from + length).toBeLessThanOrEqual(r.text.length);
        }
      }
    }
  });

  it("leaves text without a format untouched", () => {
    expect(formatText("**x**", undefined)).toEqual({ text: "**x**", elements: [] });
  });
});
