/**
 * The "resumed" criterion of the drop → resumed measurement (bench/max-client.ts): every message
 * sent while the client was away has been delivered, exactly once, whichever way it came.
 *
 * Most come back through the history catch-up (`catchUp: true`), but the reconnect delay is
 * uniform in [0, 250) ms: when it is short, the client is back, logged in and caught up before
 * the last of them is even sent, and those arrive as ordinary live pushes (`catchUp: false`).
 * Counting only catch-up deliveries would wait forever for messages that were delivered already.
 */
export interface DeliveredMessage {
  message: { text: string };
  catchUp?: boolean;
}

export class MissedLedger {
  private readonly pending = new Set<string>();
  private readonly delivered = new Set<string>();
  /** Missed messages that came back through the history catch-up. */
  viaCatchUp = 0;
  /** Missed messages sent after the client was back, so delivered as live pushes. */
  viaLive = 0;
  /** Texts delivered more than once (a correctness failure, never a timing one). */
  readonly duplicates: string[] = [];

  /** Registers a message before it is sent; its text must be unique. */
  expect(text: string): void {
    this.pending.add(text);
  }

  /** Feed every `message` event of the client here; messages never expected are ignored. */
  onMessage(event: DeliveredMessage): void {
    const text = event.message.text;
    if (this.delivered.has(text)) {
      this.duplicates.push(text);
      return;
    }
    if (!this.pending.delete(text)) return;
    this.delivered.add(text);
    if (event.catchUp) this.viaCatchUp++;
    else this.viaLive++;
  }

  /** Every expected message has been delivered. */
  get complete(): boolean {
    return this.pending.size === 0;
  }

  /** How many expected messages are still missing. */
  get outstanding(): number {
    return this.pending.size;
  }
}
