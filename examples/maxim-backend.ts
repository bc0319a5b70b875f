/**
 * MaxIM app back end: makes sure its users and their group exist, then posts to the group as the
 * owner. Safe to run again: users are registered once and logged in after that, the group is
 * found by name.
 *
 *   npm start
 *   node --import tsx examples/maxim-backend.ts
 *
 * Environment (optional): SWITCHBOARD_MAXIM_URL (the sandbox's `maxim` URL; `npm start`'s by
 * default), MAXIM_APP_ID and MAXIM_ADMIN_TOKEN (default: the demo app of --seed demo).
 */
import { ApiError } from "switchboard";
import { MaxImClient } from "switchboard/maxim";

const url = process.env.SWITCHBOARD_MAXIM_URL ?? "http://127.0.0.1:8702";
const app = new MaxImClient({
  url,
  appId: process.env.MAXIM_APP_ID ?? "switchboard-demo",
  adminToken: process.env.MAXIM_ADMIN_TOKEN ?? "demo-admin-token",
});
await app.connect();

/** Registers `username` the first time; later runs log in (10004: the user already exists). */
async function ensureUser(username: string, password: string): Promise<number> {
  try {
    return (await app.registerUser({ username, password })).user_id;
  } catch (err) {
    if (!(err instanceof ApiError && err.code === 10004)) throw err;
  }
  const { token } = await app.userToken({ name: username, password });
  const user = app.withToken(token);
  const { userId } = await user.connect();
  await user.close();
  if (userId === undefined) throw new Error(`no user id for ${username}`);
  return userId;
}

const ownerId = await ensureUser("backend_owner", "backend-owner-pass");
const memberId = await ensureUser("backend_member", "backend-member-pass");
const owner = app.asUser(ownerId); // the app token acting as the owner (`user_id` header)

const groupName = "Backend example";
const joined = await owner.joinedGroups();
const known = joined.length > 0 ? await owner.groupsInfo(joined) : [];
const existing = known.find((group) => group.name === groupName);
const groupId =
  existing?.group_id ?? (await owner.createGroup({ name: groupName, user_list: [memberId] })).group_id;

await owner.sendMessage({
  targets: [groupId],
  type: 2, // a group message
  content_type: 0, // text
  content: `build finished at ${new Date().toISOString()}`,
  transaction_id: crypto.randomUUID().replaceAll("-", ""), // one per message: retries are stored once
});
console.log(
  `MaxIM back end: group ${groupId} (${existing ? "found" : "created"}), owner ${ownerId}, member ${memberId}; posted`,
);
await app.close();
