/**
 * MAX for the shared adapter conformance suite: the emulator on loopback, user A's MaxAdapter
 * (connected, signed in by SMS) and peer B, who writes into their shared group through his own
 * MaxClient over the MAX wire.
 */
import type { Ref } from "../../src/core/model.js";
import { MaxAdapter } from "../../src/max/adapter.js";
import { nextPhone, signedIn, startEmulator } from "../max/client-helpers.js";
import type { AdapterHarness } from "./harness.js";

export const harness: AdapterHarness = {
  platform: "max",
  async start() {
    const emu = await startEmulator();
    const a = await signedIn(emu, { phone: nextPhone(), account: "max-a" });
    const b = await signedIn(emu, { phone: nextPhone(), account: "max-b" });
    const group = await a.createGroup("Conformance", [b.userId!]);
    const adapter = new MaxAdapter(a);
    await adapter.connect();
    const ref = (id: string | number): Ref => ({ platform: "max", account: adapter.account, id: String(id) });
    return {
      adapter,
      chat: ref(group.id),
      peer: ref(b.userId!),
      async peerSend(text: string) {
        await b.sendMessage(group.id, text);
      },
      async close() {
        await adapter.close();
        await b.close();
        await emu.close();
      },
    };
  },
};
