/**
 * MaxIM for the shared adapter conformance suite: the emulator plugin on loopback, alice's
 * adapter (her user token) connected, a group she owns with bob, and bob writing into the group
 * through his own MaxImClient (`/message/send` with his user token).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { systemClock } from "../../src/core/emulator/clock.js";
import { openStore } from "../../src/core/emulator/store.js";
import { silentLogger } from "../../src/core/log.js";
import { ref } from "../../src/core/model.js";
import { MaxImAdapter } from "../../src/maxim/adapter.js";
import { MaxImClient } from "../../src/maxim/client/index.js";
import { maximEmulatorPlugin, maximStoreModule } from "../../src/maxim/emulator.js";
import type { AdapterHarness } from "./harness.js";

const APP = "conformance";

export const harness: AdapterHarness = {
  platform: "maxim",
  async start() {
    const db = openStore({ file: null, modules: [maximStoreModule] });
    const emu = await maximEmulatorPlugin.create({
      db,
      dataDir: mkdtempSync(join(tmpdir(), "maxim-harness-")),
      log: silentLogger,
      clock: systemClock,
      urls: () => ({}),
    });
    const url = await emu.listen(0, "127.0.0.1", "127.0.0.1");
    const { adminToken } = emu.admin.createApp(APP);
    const admin = new MaxImClient({ url, appId: APP, adminToken, retries: 0 });
    const aliceId = (await admin.registerUser({ username: "alice", password: "pw-alice" })).user_id;
    const bobId = (await admin.registerUser({ username: "bob", password: "pw-bob" })).user_id;
    await admin.asUser(bobId).updateProfile({ nick_name: "Bob" });
    const group = await admin.asUser(aliceId).createGroup({ name: "conformance", user_list: [bobId] });

    const aliceToken = await admin.userToken({ name: "alice", password: "pw-alice" });
    const alice = new MaxImClient({ url, appId: APP, token: aliceToken.token, account: "alice" });
    const adapter = new MaxImAdapter(alice, { pollIntervalMs: 50 });
    await adapter.connect();
    const bobToken = await admin.userToken({ name: "bob", password: "pw-bob" });
    const bob = new MaxImClient({ url, appId: APP, token: bobToken.token });

    return {
      adapter,
      chat: ref("maxim", adapter.account, group.group_id),
      peer: ref("maxim", adapter.account, bobId),
      async peerSend(text: string) {
        await bob.sendMessage({ targets: [group.group_id], type: 2, content_type: 0, content: text });
      },
      async close() {
        await adapter.close();
        await bob.close();
        await admin.close();
        await emu.close();
        db.close();
      },
    };
  },
};
