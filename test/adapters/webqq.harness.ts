/**
 * WebQQ for the shared adapter conformance suite: the emulator plugin on loopback, alice's
 * adapter connected, a group she shares with bob (who is also her friend), and bob writing
 * into the group through his own WebQQClient (send_qun_msg2 on the wire).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { systemClock } from "../../src/core/emulator/clock.js";
import { openStore } from "../../src/core/emulator/store.js";
import { silentLogger } from "../../src/core/log.js";
import { ref } from "../../src/core/model.js";
import { WebQQAdapter } from "../../src/webqq/adapter.js";
import { WebQQClient } from "../../src/webqq/client/index.js";
import { createWebQQEmulatorPlugin, webqqStoreModule } from "../../src/webqq/emulator.js";
import type { AdapterHarness } from "./harness.js";

const ALICE = 10897944;
const BOB = 2440652742;

export const harness: AdapterHarness = {
  platform: "webqq",
  async start() {
    const db = openStore({ file: null, modules: [webqqStoreModule] });
    const plugin = createWebQQEmulatorPlugin({ pollTimeoutMs: 1000 });
    const emu = await plugin.create({
      db,
      dataDir: mkdtempSync(join(tmpdir(), "webqq-harness-")),
      log: silentLogger,
      clock: systemClock,
      urls: () => ({}),
    });
    const url = await emu.listen(0, "127.0.0.1", "127.0.0.1");
    emu.admin.createAccount({ qq: ALICE, password: "pw-alice", nick: "alice" });
    emu.admin.createAccount({ qq: BOB, password: "pw-bob", nick: "bob" });
    emu.admin.addFriend(ALICE, BOB);
    const group = emu.admin.createGroup({ name: "conformance", owner: ALICE, members: [BOB] });

    const alice = new WebQQClient({
      url,
      account: String(ALICE),
      backoffBaseMs: 5,
      login: { qq: ALICE, password: "pw-alice" },
    });
    const adapter = new WebQQAdapter(alice);
    await adapter.connect();
    const bob = new WebQQClient({ url, backoffBaseMs: 5 });
    await bob.passwordLogin({ qq: BOB, password: "pw-bob" });

    const friends = await alice.friends();
    const bobUin = friends.info.find((i) => i.nick === "bob")?.uin;
    if (bobUin === undefined) throw new Error("bob is not among alice's friends");
    const chat = ref("webqq", adapter.account, `g:${group.gid}`);
    return {
      adapter,
      chat,
      peer: ref("webqq", adapter.account, bobUin),
      async peerSend(text: string) {
        await bob.sendGroup(group.gid, [{ type: "text", text }]);
      },
      async close() {
        await adapter.close();
        await bob.close();
        await emu.close();
        db.close();
      },
    };
  },
};
