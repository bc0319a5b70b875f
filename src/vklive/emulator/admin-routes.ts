/**
 * Sandbox admin API of the VK Live emulator (`/_sandbox/vklive/*`, JSON): the DESIGN.md fixed
 * minimum (apps, users, channels, tokens) plus what scripts need to drive a channel.
 */
import type { FastifyInstance, FastifyReply } from "fastify";
import { z } from "zod";
import { ERROR_STATUS, type ErrorCode } from "../protocol/index.js";
import { VkFault } from "./context.js";
import type { VkLiveAdmin } from "./server.js";

const Id = z.number().int().positive();
const Url = z.string().min(1).max(100);
const Text = z.string().min(1).max(1000);

const schemas = {
  apps: z.object({
    redirectUri: z.string().min(1).max(2048),
    webhookUrl: z.string().url().max(2048).nullish(),
  }),
  webhook: z.object({ clientId: Text, url: z.string().url().max(2048).nullable() }),
  users: z.object({
    nick: z.string().trim().min(1).max(64),
    nickColor: z.number().int().min(0).max(15).optional(),
  }),
  channels: z.object({ ownerId: Id, url: Url }),
  tokens: z.object({
    clientId: Text,
    userId: Id,
    scopes: z.array(z.string().max(100)).max(20),
    expiresIn: z.number().int().min(1).max(31_536_000).optional(),
  }),
  consent: z.object({
    clientId: Text,
    userId: Id,
    redirectUri: z.string().min(1).max(2048),
    scopes: z.array(z.string().max(100)).max(20).optional(),
    responseType: z.enum(["code", "token"]).optional(),
    state: z.string().max(2048).optional(),
    allow: z.boolean().optional(),
  }),
  streamStart: z.object({
    channelUrl: Url,
    title: z.string().max(140).optional(),
    categoryId: z.string().max(100).optional(),
    viewers: z.number().int().min(0).max(10_000_000).optional(),
  }),
  streamStop: z.object({ channelUrl: Url }),
  message: z.object({ channelUrl: Url, userId: Id, text: z.string().min(1).max(2000) }),
  messageDelete: z.object({ channelUrl: Url, messageId: Id }),
  follow: z.object({ channelUrl: Url, userId: Id }),
  raid: z.object({ channelUrl: Url, fromChannelUrl: Url, viewers: z.number().int().min(0).optional() }),
  moderator: z.object({ channelUrl: Url, userId: Id }),
  reward: z.object({
    channelUrl: Url,
    name: z.string().min(1).max(100),
    price: z.number().int().min(0).max(1_000_000_000),
    description: z.string().max(500).optional(),
    messageRequired: z.boolean().optional(),
  }),
  points: z.object({
    channelUrl: Url,
    userId: Id,
    amount: z.number().int().min(-1_000_000_000).max(1_000_000_000),
  }),
  demand: z.object({ channelUrl: Url, userId: Id, rewardId: Text, text: z.string().max(500).optional() }),
  ban: z.object({ channelUrl: Url, banned: z.boolean() }),
  fault: z.object({
    error: z.enum(Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]]),
    path: z.string().max(200).optional(),
    times: z.number().int().min(1).max(10_000).optional(),
  }),
  drop: z.object({ userId: z.union([Id, z.literal("")]).optional() }),
  redeliver: z.object({ id: Id }),
};

class BadRequest extends Error {}

function parse<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const r = schema.safeParse(value ?? {});
  if (r.success) return r.data;
  const i = r.error.issues[0];
  throw new BadRequest(`${i?.path.join(".") || "body"}: ${i?.message ?? "invalid"}`);
}

function fault(reply: FastifyReply, err: unknown): FastifyReply {
  if (err instanceof BadRequest) return reply.code(400).send({ error: "bad_request", message: err.message });
  if (err instanceof VkFault) {
    const status = ERROR_STATUS[err.error];
    return reply
      .code(status >= 500 ? 500 : status === 401 ? 400 : status)
      .send({ error: err.error, message: err.message });
  }
  throw err;
}

/** Mounts the VK Live admin routes on the sandbox's admin (console) server. */
export function registerVkLiveAdmin(app: FastifyInstance, admin: VkLiveAdmin): void {
  const post = <T extends z.ZodType>(path: string, schema: T, fn: (body: z.output<T>) => unknown) => {
    app.post(`/_sandbox/vklive/${path}`, async (req, reply) => {
      try {
        const out = fn(parse(schema, req.body));
        return reply.send(out ?? { ok: true });
      } catch (err) {
        return fault(reply, err);
      }
    });
  };
  post("apps", schemas.apps, (b) => admin.createApp(b));
  post("webhooks", schemas.webhook, (b) => admin.setWebhook(b.clientId, b.url));
  post("users", schemas.users, (b) => admin.createUser(b));
  post("channels", schemas.channels, (b) => admin.createChannel(b));
  post("tokens", schemas.tokens, (b) => admin.issueToken(b));
  post("consent", schemas.consent, (b) => admin.consent(b));
  post("streams/start", schemas.streamStart, (b) => admin.startStream(b));
  post("streams/stop", schemas.streamStop, (b) => admin.stopStream(b));
  post("messages", schemas.message, (b) => admin.postMessage(b));
  post("messages/delete", schemas.messageDelete, (b) => admin.deleteMessage(b));
  post("follows", schemas.follow, (b) => admin.follow(b));
  post("raids", schemas.raid, (b) => admin.raid(b));
  post("moderators", schemas.moderator, (b) => admin.addModerator(b));
  post("rewards", schemas.reward, (b) => admin.createReward(b));
  post("points", schemas.points, (b) => admin.grantPoints(b));
  post("demands", schemas.demand, (b) => admin.demandReward(b));
  post("bans", schemas.ban, (b) => admin.banChannel(b));
  post("faults", schemas.fault, (b) => admin.failNext(b.error, b));
  post("drop", schemas.drop, (b) => ({ dropped: admin.dropConnections(b.userId) }));
  post("deliveries/redeliver", schemas.redeliver, (b) => ({ ok: admin.redeliver(b.id) }));
  app.get("/_sandbox/vklive/deliveries", async (req) => {
    const q = (req.query ?? {}) as Record<string, unknown>;
    return admin.deliveries(typeof q.clientId === "string" ? q.clientId : undefined);
  });
  app.get("/_sandbox/vklive/stats", async () => admin.stats());
}
