/**
 * What each platform gives the shared adapter conformance suite (test/adapters/conformance.test.ts):
 * an adapter logged in as one account over its emulator, a chat that account can write in, and
 * a peer who writes into that chat through the platform's own wire (its client or raw requests).
 */
import type { Adapter } from "../../src/core/adapter.js";
import type { Ref } from "../../src/core/model.js";

export interface AdapterFixture {
  adapter: Adapter;
  /** A chat the adapter's account and the peer share (a group, a direct chat or a stream chat). */
  chat: Ref;
  /** The peer's user, as a Ref of this adapter (for getUser). */
  peer: Ref;
  /** The peer writes `text` into `chat`; resolves once the platform has accepted it. */
  peerSend(text: string): Promise<void>;
  /** Stops the adapter (if still open) and the emulator. */
  close(): Promise<void>;
}

export interface AdapterHarness {
  platform: Adapter["platform"];
  /** A fresh emulator and a connected adapter. */
  start(): Promise<AdapterFixture>;
}
