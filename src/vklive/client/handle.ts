/** A channel's chat as one object: read, send, and its realtime events. */
import type { CallOptions } from "../../core/call.js";
import type { ChatMessage } from "../protocol/index.js";
import type { MessageContent } from "./chat.js";
import type { VkLiveClient } from "./index.js";
import type { RealtimeEvent } from "./realtime.js";

export class ChatHandle {
  constructor(
    readonly client: VkLiveClient,
    readonly channelUrl: string,
  ) {}

  messages(limit = 50, o: CallOptions = {}): Promise<ChatMessage[]> {
    return this.client.chatMessages(this.channelUrl, limit, o);
  }

  send(content: MessageContent, o: CallOptions & { streamId?: string } = {}): Promise<void> {
    return this.client.sendMessage(this.channelUrl, content, o);
  }

  /**
   * Subscribes (realtime opens once per client) and yields this chat's events; also the
   * private channels the token gives access to when `private` is set. Bounded: a reader that
   * falls the client's buffer behind gets `events_overflow`.
   */
  async *events(
    o: CallOptions & { private?: boolean; bufferSize?: number } = {},
  ): AsyncGenerator<RealtimeEvent> {
    const it = this.client.events({
      types: ["event"],
      ...(o.signal ? { signal: o.signal } : {}),
      ...(o.bufferSize !== undefined ? { bufferSize: o.bufferSize } : {}),
    });
    try {
      const wanted = new Set(await this.client.subscribe(this.channelUrl, o));
      for await (const e of it) if (wanted.has(e.data.channel)) yield e.data;
    } finally {
      await it.return?.();
    }
  }
}
