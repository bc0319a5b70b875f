/**
 * VK Video Live for the shared adapter conformance suite: the emulator plugin on loopback,
 * alice's adapter (a user token with every scope) on her channel's stream chat, and bob writing
 * into that chat through his own VkLiveClient (POST /v1/chat/message/send on the wire).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { systemClock } from "../../src/core/emulator/clock.js";
import { openStore } from "../../src/core/emulator/store.js";
import { silentLogger } from "../../src/core/log.js";
import { ref } from "../../src/core/model.js";
import { VkLiveAdapter } from "../../src/vklive/adapter.js";
import { VkLiveClient } from "../../src/vklive/client/index.js";
import { vkliveEmulatorPlugin, vkliveStoreModule } from "../../src/vklive/emulator.js";
import { SCOPES } from "../../src/vklive/protocol/index.js";
import type { AdapterHarness } from "./harness.js";

export const harness: AdapterHarness = {
  platform: "vklive",
  async start() {
    const db = openStore({ file: null, modules: [vkliveStoreModule] });
    const emu = await vkliveEmulatorPlugin.create({
      db,
      dataDir: mkdtempSync(join(tmpdir(), "vklive-harness-")),
      log: silentLogger,
      clock: systemClock,
      urls: () => ({}),
    });
    const url = await emu.listen(0, "127.0.0.1", "127.0.0.1");
    const app = emu.admin.createApp({ redirectUri: "http://127.0.0.1:9/callback" });
    const alice = emu.admin.createUser({ nick: "alice" }).userId;
    const bob = emu.admin.createUser({ nick: "bob" }).userId;
    const { url: channelUrl } = emu.admin.createChannel({ ownerId: alice, url: "alice" });
    const token = (userId: number) => {
      const t = emu.admin.issueToken({ clientId: app.clientId, userId, scopes: SCOPES });
      return { accessToken: t.access_token, refreshToken: t.refresh_token, tokenType: "Bearer" };
    };
    const common = { url, clientId: app.clientId, clientSecret: app.secret, timeoutMs: 5000 };
    const client = new VkLiveClient({ ...common, account: "alice", tokens: token(alice) });
    const adapter = new VkLiveAdapter(client, { channels: [channelUrl] });
    await adapter.connect();
    const peer = new VkLiveClient({ ...common, account: "bob", tokens: token(bob) });
    return {
      adapter,
      chat: ref("vklive", adapter.account, channelUrl),
      peer: ref("vklive", adapter.account, bob),
      async peerSend(text: string) {
        await peer.sendMessage(channelUrl, text);
      },
      async close() {
        await adapter.close();
        await peer.close();
        await emu.close();
        db.close();
      },
    };
  },
};
