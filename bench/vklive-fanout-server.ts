/**
 * Child process of bench/vklive-fanout.ts: the VK Live emulator on a file-backed store (as
 * the sandbox runs it), and a bare `ws` broadcaster as the baseline. IPC: `setup` creates a
 * channel, its owner's token and `count` signed connection tokens.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WebSocketServer } from "ws";
import { systemClock } from "../src/core/emulator/clock.js";
import { openStore } from "../src/core/emulator/store.js";
import { silentLogger } from "../src/core/log.js";
import { signJwt } from "../src/vklive/emulator/jwt.js";
import { createVkLiveEmulatorPlugin, vkliveStoreModule } from "../src/vklive/emulator.js";
import { serveIpc } from "./lib/ipc.js";

const dir = mkdtempSync(join(tmpdir(), "sb-bench-vklive-"));
const db = openStore({ file: join(dir, "bench.db"), modules: [vkliveStoreModule] });
const jwtSecret = "bench-secret";
// The emulator as the sandbox runs it: its plugin, on the sandbox's kind of store.
const plugin = createVkLiveEmulatorPlugin({
  jwtSecret,
  config: { pingIntervalSec: 3600, rateLimit: { requests: 1_000_000, windowMs: 60_000 } },
});
const emu = await plugin.create({
  db,
  dataDir: dir,
  log: silentLogger,
  clock: systemClock,
  urls: () => ({}),
});
const url = await emu.listen(0, "127.0.0.1", "127.0.0.1");

// Baseline: POST /send broadcasts the body as a push frame to every socket, nothing else.
const bare = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const frame = JSON.stringify({
      push: { channel: "bench", pub: { data: JSON.parse(Buffer.concat(chunks).toString()) } },
    });
    for (const c of wss.clients) c.send(frame);
    res.writeHead(200, { "content-type": "application/json" }).end("{}");
  });
});
const wss = new WebSocketServer({ server: bare });
await new Promise<void>((r) => bare.listen(0, "127.0.0.1", () => r()));
const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}`;

serveIpc(
  { url, bareUrl },
  {
    setup: (p: { count: number }) => {
      const a = emu.admin;
      const app = a.createApp({ redirectUri: "http://127.0.0.1:9/cb" });
      const owner = a.createUser({ nick: "bench-owner" }).userId;
      const ch = a.createChannel({ ownerId: owner, url: "bench" });
      const ownerToken = a.issueToken({
        clientId: app.clientId,
        userId: owner,
        scopes: ["chat:message:send"],
      }).access_token;
      const exp = Math.floor(Date.now() / 1000) + 3600;
      const tokens: string[] = [];
      for (let i = 0; i < p.count; i++) tokens.push(signJwt({ sub: String(100_000 + i), exp }, jwtSecret));
      return { channelUrl: ch.url, channel: `channel-chat:${ch.channelId}`, ownerToken, tokens };
    },
  },
  async () => {
    await emu.close();
    wss.close();
    bare.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  },
);
