/** Channel points: balance, rewards, activations (demands) and their resolution. */
import type { CallOptions } from "../../core/call.js";
import type { Reward, RewardDemand, SendPart } from "../protocol/index.js";
import type { VkLiveTransport } from "./transport.js";

export async function channelPoints(
  t: VkLiveTransport,
  channelUrl: string,
  o: CallOptions = {},
): Promise<{ balance: number; channel_point?: unknown }> {
  return (await t.call("channelPoints", { query: { channel_url: channelUrl } }, o)).data;
}

export async function rewards(
  t: VkLiveTransport,
  channelUrl: string,
  o: CallOptions = {},
): Promise<Reward[]> {
  return (await t.call("rewards", { query: { channel_url: channelUrl } }, o)).data.rewards;
}

export async function activateReward(
  t: VkLiveTransport,
  channelUrl: string,
  rewardId: string,
  message?: string,
  o: CallOptions = {},
): Promise<RewardDemand> {
  const reward: { id: string; message?: { parts: SendPart[] } } = { id: rewardId };
  if (message) reward.message = { parts: [{ text: { content: message } }] };
  return (await t.call("activateReward", { query: { channel_url: channelUrl }, body: { reward } }, o)).data
    .demand;
}

export async function rewardDemands(
  t: VkLiveTransport,
  channelUrl: string,
  o: CallOptions & { limit?: number } = {},
): Promise<RewardDemand[]> {
  return (await t.call("rewardDemands", { query: { channel_url: channelUrl, limit: o.limit } }, o)).data
    .demands;
}

export async function resolveDemand(
  t: VkLiveTransport,
  channelUrl: string,
  demandId: string,
  status: "approved" | "rejected",
  o: CallOptions = {},
): Promise<void> {
  await t.call(
    "resolveDemand",
    { query: { channel_url: channelUrl }, body: { demand_id: demandId, status } },
    o,
  );
}
