/**
 * Pictures as the emulator serves them (issue 12 item 7): the type comes from the magic bytes,
 * never from the upload's name; anything that is not an image is served as an attachment of
 * type application/octet-stream; every answer carries nosniff and a CSP that lets nothing run.
 * Markup (HTML, SVG, XML: a `<` after an optional BOM and whitespace) is refused at upload.
 */
import type { FastifyReply } from "fastify";
import { sniffImage } from "./console-util.js";

/** The image type of `data` by its magic bytes, or undefined when it is not a known image. */
export const imageType = (data: Buffer): string | undefined => sniffImage(data);

/** Whether `data` starts like markup a browser could render (after a BOM and whitespace). */
export function looksLikeMarkup(data: Buffer): boolean {
  let i = data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf ? 3 : 0;
  // UTF-16 BOMs: look at the first code unit's low byte.
  const step = (data[0] === 0xff && data[1] === 0xfe) || (data[0] === 0xfe && data[1] === 0xff) ? 2 : 1;
  if (step === 2) i = data[0] === 0xff ? 2 : 3;
  for (; i < data.length && i < 1024; i += step) {
    const c = data[i] as number;
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0c) continue;
    return c === 0x3c;
  }
  return false;
}

/** The CSP of every picture answer: no scripts, no subresources, a sandboxed document. */
export const PICTURE_CSP = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox";

/** Sends stored picture bytes with the headers above. */
export function sendPicture(reply: FastifyReply, data: Buffer, name: string): FastifyReply {
  reply.header("x-content-type-options", "nosniff").header("content-security-policy", PICTURE_CSP);
  const type = imageType(data);
  if (type) return reply.type(type).send(data);
  const safe = name.replace(/[^A-Za-z0-9._-]/g, "_").slice(-80) || "file";
  return reply
    .type("application/octet-stream")
    .header("content-disposition", `attachment; filename="${safe}"`)
    .send(data);
}

/** JSON for a `<script>` block: `<`, `>`, `&` and the JS line separators escaped. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${(c.codePointAt(0) as number).toString(16).padStart(4, "0")}`,
  );
}
