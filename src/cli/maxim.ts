/**
 * `switchboard maxim login | register | send | groups | members | push` — the MaxIM server API.
 * `login` checks an access-token and keeps it (0600, `maxim-tokens.json` in the config folder)
 * and remembers the URL, app id and acting user in the profile, so later calls need no flags.
 */
import { join } from "node:path";
import type { Command } from "commander";
import { FileCredentialStore } from "../core/credentials.js";
import { MaxImClient, type MaxImCredentials } from "../maxim/client/index.js";
import type { PushNotifyBody } from "../maxim/protocol.js";
import { cliAction as action, CliError } from "./errors.js";
import {
  type CommonFlags,
  emit,
  PLATFORMS,
  type Resolved,
  required,
  resolve,
  withCommon,
} from "./options.js";
import { configDir, saveProfile } from "./profile.js";
import { Prompter } from "./prompt.js";

interface MaxImFlags extends CommonFlags {
  appId?: string;
  token?: string;
  userId?: string;
  account?: string;
}

export function maximTokensPath(): string {
  return join(configDir(), "maxim-tokens.json");
}

function ids(list: string, what = "id"): number[] {
  return list.split(",").map((s) => {
    const n = Number(s.trim());
    if (!/^\d+$/.test(s.trim()) || !Number.isSafeInteger(n) || n <= 0)
      throw new CliError(`not a ${what}: "${s.trim()}" (expected a positive number)`);
    return n;
  });
}

interface MaxImRun extends Resolved {
  client: MaxImClient;
  appId: string;
}

/**
 * A client by the scheme. Without a token from --token or the environment, the one `login`
 * stored is loaded and checked (connect).
 */
async function setup(o: MaxImFlags, opts: { needToken?: boolean } = {}): Promise<MaxImRun> {
  const r = await resolve("maxim", o);
  const appId = required(r, "appId", "--app-id", r.setting("appId", o.appId));
  const token = r.setting("token", o.token);
  const userId = r.setting("userId", o.userId);
  const client = new MaxImClient({
    ...(r.url ? { url: r.url } : {}),
    appId,
    account: r.setting("account", o.account) ?? "default",
    credentials: new FileCredentialStore<MaxImCredentials>(maximTokensPath()),
    logger: r.log,
    ...(token ? { token } : {}),
    ...(userId ? { userId: ids(userId, "user id")[0] as number } : {}),
  });
  if (!token && opts.needToken !== false) await client.connect();
  return { ...r, client, appId };
}

const common = (cmd: Command) =>
  withCommon(cmd, "maxim")
    .option("--app-id <id>", "app_id (default $SWITCHBOARD_MAXIM_APP_ID, the profile's)")
    .option("--token <token>", "access-token (default $SWITCHBOARD_MAXIM_TOKEN, else the one `login` kept)")
    .option("--user-id <id>", "act as this user: the user_id header (default the profile's)")
    .option("--account <name>", "key of the kept token (default the profile's, else default)");

/** `switchboard maxim …` (token also from $MAXIM_ACCESS_TOKEN, URL from $MAXIM_ENDPOINT: older names). */
export function registerMaxImCommands(program: Command): void {
  const maxim = program.command("maxim").description("MaxIM server API");

  common(
    maxim
      .command("login")
      .description("check an access-token (prompted if not given) and keep it; remember URL, app id, user"),
  ).action(
    action(async (o: MaxImFlags) => {
      const r = await resolve("maxim", o);
      const appId = required(r, "appId", "--app-id", r.setting("appId", o.appId));
      let token = r.setting("token", o.token);
      if (!token) {
        const prompt = new Prompter();
        try {
          token = await prompt.askSecret("MaxIM access-token: ");
        } finally {
          prompt.close();
        }
      }
      const userId = r.setting("userId", o.userId);
      const account = r.setting("account", o.account) ?? "default";
      const client = new MaxImClient({
        ...(r.url ? { url: r.url } : {}),
        appId,
        token,
        account,
        credentials: new FileCredentialStore<MaxImCredentials>(maximTokensPath()),
        logger: r.log,
        ...(userId ? { userId: ids(userId, "user id")[0] as number } : {}),
      });
      const identity = await client.connect();
      const url = r.url ?? (PLATFORMS.maxim.production as string);
      await saveProfile(r.profileName, "maxim", {
        url,
        appId,
        account,
        ...(userId ? { userId } : {}),
      });
      const who = identity.userId === undefined ? "the app" : `user ${identity.userId}`;
      emit(
        r,
        { appId, userId: identity.userId ?? null, url, account, profile: r.profileName },
        `token accepted by ${url} for app ${appId}, acting as ${who}; kept in ${maximTokensPath()}, profile "${r.profileName}" remembers the URL and app id`,
      );
    }),
  );

  common(
    maxim.command("register <username> <password>").description("register a user (/user/register/v2)"),
  ).action(
    action(async (username: string, password: string, o: MaxImFlags) => {
      const r = await setup(o, { needToken: false });
      const user = await r.client.registerUser({ username, password });
      emit(r, user, `registered ${username}: user id ${user.user_id}`);
    }),
  );

  common(
    maxim.command("send <targets> <text>").description("send a text message to user ids (or --group ids)"),
  )
    .option("--group", "targets are group ids")
    .option("--from <userId>", "from_user_id")
    .option("--transaction-id <id>", "de-duplication id (makes the send safe to retry)")
    .action(
      action(
        async (
          targets: string,
          text: string,
          o: MaxImFlags & { group?: boolean; from?: string; transactionId?: string },
        ) => {
          const to = ids(targets, o.group ? "group id" : "user id");
          const from = o.from ? ids(o.from, "user id")[0] : undefined;
          const r = await setup(o);
          const answer = await r.client.sendMessage({
            targets: to,
            type: o.group ? 2 : 1,
            content_type: 0,
            content: text,
            ...(from !== undefined ? { from_user_id: from } : {}),
            ...(o.transactionId ? { transaction_id: o.transactionId } : {}),
          });
          emit(
            r,
            answer,
            `sent to ${o.group ? "group" : "user"}${to.length > 1 ? "s" : ""} ${to.join(", ")}`,
          );
        },
      ),
    );

  common(
    maxim.command("groups").description("groups the acting user (--user-id) has joined, with info"),
  ).action(
    action(async (o: MaxImFlags) => {
      const r = await setup(o);
      const list = await r.client.joinedGroups();
      const groups = list.length ? await r.client.groupsInfo(list) : [];
      emit(
        r,
        groups,
        groups.length
          ? groups.map((g) => `${String(g.group_id).padStart(15)}  ${g.name}  (owner ${g.owner})`)
          : "no groups",
      );
    }),
  );

  common(maxim.command("members <groupId>").description("every member of a group (follows the cursor)"))
    .option("--limit <n>", "page size", "1000")
    .action(
      action(async (groupId: string, o: MaxImFlags & { limit: string }) => {
        const group = ids(groupId, "group id")[0] as number;
        const limit = ids(o.limit, "page size")[0] as number;
        const r = await setup(o);
        const rows = [];
        for await (const m of r.client.members(group, { limit })) rows.push(m);
        emit(
          r,
          rows,
          rows.map((m) => `${String(m.user_id).padStart(15)}${m.display_name ? `  ${m.display_name}` : ""}`),
        );
      }),
    );

  common(maxim.command("push <body>").description("push a notification (/push/notify)"))
    .option("--title <title>")
    .option("--type <type>", "text | image | cmd", "text")
    .option("--tag <tags>", "comma-separated tags")
    .option("--alias <aliases>", "comma-separated aliases")
    .option("--users <ids>", "comma-separated user ids")
    .option("--push-tokens <tokens>", "comma-separated push tokens")
    .action(
      action(
        async (
          body: string,
          o: MaxImFlags & {
            title?: string;
            type: "text" | "image" | "cmd";
            tag?: string;
            alias?: string;
            users?: string;
            pushTokens?: string;
          },
        ) => {
          if (!["text", "image", "cmd"].includes(o.type))
            throw new CliError("--type must be text, image or cmd");
          const split = (s: string) => s.split(",").map((x) => x.trim());
          const audience: PushNotifyBody["audience"] = o.tag
            ? { tag: split(o.tag) }
            : o.alias
              ? { alias: split(o.alias) }
              : o.users
                ? { user_id: ids(o.users, "user id") }
                : o.pushTokens
                  ? { push_token: split(o.pushTokens) }
                  : "all";
          const r = await setup(o);
          const answer = await r.client.pushNotify({
            audience,
            message: { type: o.type, body, ...(o.title ? { title: o.title } : {}) },
          });
          const to = audience === "all" ? "everyone" : Object.keys(audience)[0];
          emit(r, answer, `pushed to ${to === "everyone" ? to : `the ${to} audience`}`);
        },
      ),
    );
}
