/** DevAPI handlers: Channel points: balance, rewards, demands. */
import { randomUUID } from "node:crypto";
import { LIMITS } from "../../protocol/index.js";
import { channelByUrl, emitEvent, fail } from "../context.js";
import { SQL } from "../store/sql.js";
import {
  type DemandRow,
  demandOf,
  expandParts,
  type Handlers,
  partsLength,
  requireStaff,
  requireUser,
  rewardOf,
} from "./shared.js";

export const pointsHandlers: Handlers<
  "channelPoints" | "rewards" | "activateReward" | "rewardDemands" | "resolveDemand"
> = {
  channelPoints(ctx, q) {
    const ch = channelByUrl(ctx.emu, q.channel_url);
    const row = ctx.emu.q(SQL.selectBalance).get(ch.id, ctx.p.userId) as { balance: number } | undefined;
    return { balance: row?.balance ?? 0, channel_point: { name: "Баллы канала", icon_url: "" } };
  },
  rewards(ctx, q) {
    const ch = channelByUrl(ctx.emu, q.channel_url);
    const rows = ctx.emu.q(SQL.selectRewardsOfChannel).all(ch.id) as Parameters<typeof rewardOf>[0][];
    return { rewards: rows.map(rewardOf) };
  },
  activateReward(ctx, q, b) {
    const ch = channelByUrl(ctx.emu, q.channel_url);
    const me = requireUser(ctx);
    const reward = ctx.emu.q(SQL.selectRewardInChannel).get(b.reward.id, ch.id) as
      | Parameters<typeof rewardOf>[0]
      | undefined;
    if (!reward) fail("not_found", "Reward not found");
    if (!reward.is_enabled) fail("unprocessable_entity", "Reward is disabled");
    if (reward.is_message_required && !b.reward.message) fail("missing_param", "reward.message is required");
    const bal = ctx.emu.q(SQL.selectBalance).get(ch.id, me.id) as { balance: number } | undefined;
    if ((bal?.balance ?? 0) < reward.price) fail("unprocessable_entity", "Not enough channel points");
    ctx.emu.q(SQL.spendBalance).run(reward.price, ch.id, me.id);
    const parts = b.reward.message ? expandParts(ctx, b.reward.message.parts) : null;
    if (parts && partsLength(parts) > LIMITS.messageLength) fail("message_too_long");
    const id = randomUUID();
    ctx.emu
      .q(SQL.insertDemand)
      .run(id, ch.id, reward.id, me.id, parts ? JSON.stringify(parts) : null, ctx.now);
    const demand = demandOf(ctx, ch, ctx.emu.q(SQL.selectDemandById).get(id) as DemandRow);
    emitEvent(ctx.emu, ch, "channel_points_reward_demand_create", { demand, channel_url: ch.url });
    return { demand };
  },
  rewardDemands(ctx, q) {
    const ch = channelByUrl(ctx.emu, q.channel_url);
    requireStaff(ctx, ch);
    const rows = ctx.emu.q(SQL.selectDemandsOfChannel).all(ch.id, q.limit ?? LIMITS.listLimit) as DemandRow[];
    return { demands: rows.map((r) => demandOf(ctx, ch, r)) };
  },
  resolveDemand(ctx, q, b) {
    const ch = channelByUrl(ctx.emu, q.channel_url);
    requireStaff(ctx, ch);
    const d = ctx.emu.q(SQL.selectDemandInChannel).get(b.demand_id, ch.id) as DemandRow | undefined;
    if (!d) fail("not_found", "Demand not found");
    if (d.status !== "pending") fail("unprocessable_entity", "Demand is already resolved");
    ctx.emu.q(SQL.updateDemandStatus).run(b.status, d.id);
    if (b.status === "rejected") {
      const reward = ctx.emu.q(SQL.selectRewardPrice).get(d.reward_id) as { price: number } | undefined;
      ctx.emu.q(SQL.refundBalance).run(reward?.price ?? 0, ch.id, d.user_id);
    }
    return {};
  },
};
