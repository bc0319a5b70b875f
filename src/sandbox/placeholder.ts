import Fastify, { type FastifyInstance } from "fastify";

/** Platforms whose emulator is not built yet; their sandbox port answers 501 honestly. */
export type PlaceholderPlatform = "maxim" | "webqq" | "vklive";

const TITLES: Record<PlaceholderPlatform, string> = {
  maxim: "MaxIM",
  webqq: "WebQQ",
  vklive: "VK Video Live",
};

/** A 501 body in the platform's own error shape, so its clients fail with a readable error. */
export function notImplementedBody(platform: PlaceholderPlatform): Record<string, unknown> {
  const message = `${TITLES[platform]} emulator not implemented yet`;
  switch (platform) {
    case "maxim":
      return { code: 501, message };
    case "webqq":
      return { retcode: 501, errmsg: message };
    case "vklive":
      return { error: "not_implemented", error_description: message };
  }
}

/**
 * Keeps a planned platform's port bound (so the port layout and the contract line never
 * change) and answers every request, whatever its method, path or body, with HTTP 501.
 */
export function createPlaceholder(platform: PlaceholderPlatform): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
  const body = notImplementedBody(platform);
  // Accept any body without parsing it, so no request can turn into a 400/415 instead.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer" }, (_req, _body, done) => done(null, undefined));
  app.setNotFoundHandler((_req, reply) => reply.code(501).send(body));
  app.setErrorHandler((_err, _req, reply) => reply.code(501).send(body));
  // A WebSocket upgrade (e.g. VK Live's Centrifugo path) gets the same answer as plain HTTP.
  app.server.on("upgrade", (_req, socket) => {
    const json = JSON.stringify(body);
    socket.end(
      `HTTP/1.1 501 Not Implemented\r\nContent-Type: application/json; charset=utf-8\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`,
    );
  });
  return app;
}
