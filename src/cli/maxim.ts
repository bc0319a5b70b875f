import type { Command } from "commander";
import { MaxImClient } from "../maxim/client/index.js";
import { DEFAULT_ENDPOINT, type PushNotifyBody } from "../maxim/protocol.js";
import { cliAction as action } from "./errors.js";

interface Common {
  endpoint: string;
  appId: string;
  token?: string;
  userId?: string;
}

function client(o: Common): MaxImClient {
  const token = o.token ?? process.env.MAXIM_ACCESS_TOKEN;
  return new MaxImClient({
    url: o.endpoint,
    appId: o.appId,
    token,
    ...(o.userId ? { userId: ids(o.userId)[0] as number } : {}),
  });
}

function ids(list: string): number[] {
  return list.split(",").map((s) => {
    const n = Number(s.trim());
    if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`not an id: ${s}`);
    return n;
  });
}

function out(v: unknown): void {
  process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);
}

/** `switchboard maxim register | send | groups | members | push` (token also from MAXIM_ACCESS_TOKEN). */
export function registerMaxImCommands(program: Command): void {
  const maxim = program.command("maxim").description("MaxIM server API");
  const common = (cmd: Command) =>
    cmd
      .option("--endpoint <url>", "api_endpoint", process.env.MAXIM_ENDPOINT ?? DEFAULT_ENDPOINT)
      .requiredOption("--app-id <id>", "app_id", process.env.MAXIM_APP_ID)
      .option("--token <token>", "access-token (default $MAXIM_ACCESS_TOKEN)")
      .option("--user-id <id>", "act as this user (user_id header)");

  common(
    maxim.command("register <username> <password>").description("register a user (/user/register/v2)"),
  ).action(
    action(async (username: string, password: string, o: Common) =>
      out(await client(o).registerUser({ username, password })),
    ),
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
          o: Common & { group?: boolean; from?: string; transactionId?: string },
        ) => {
          out(
            await client(o).sendMessage({
              targets: ids(targets),
              type: o.group ? 2 : 1,
              content_type: 0,
              content: text,
              ...(o.from ? { from_user_id: Number(o.from) } : {}),
              ...(o.transactionId ? { transaction_id: o.transactionId } : {}),
            }),
          );
        },
      ),
    );

  common(maxim.command("groups").description("groups the --user-id user has joined, with info")).action(
    action(async (o: Common) => {
      const c = client(o);
      const list = await c.joinedGroups();
      out(list.length ? await c.groupsInfo(list) : []);
    }),
  );

  common(maxim.command("members <groupId>").description("every member of a group (follows the cursor)"))
    .option("--limit <n>", "page size", "1000")
    .action(
      action(async (groupId: string, o: Common & { limit: string }) => {
        const rows = [];
        for await (const m of client(o).members(ids(groupId)[0] as number, { limit: Number(o.limit) }))
          rows.push(m);
        out(rows);
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
          o: Common & {
            title?: string;
            type: "text" | "image" | "cmd";
            tag?: string;
            alias?: string;
            users?: string;
            pushTokens?: string;
          },
        ) => {
          const split = (s: string) => s.split(",").map((x) => x.trim());
          const audience: PushNotifyBody["audience"] = o.tag
            ? { tag: split(o.tag) }
            : o.alias
              ? { alias: split(o.alias) }
              : o.users
                ? { user_id: ids(o.users) }
                : o.pushTokens
                  ? { push_token: split(o.pushTokens) }
                  : "all";
          out(
            await client(o).pushNotify({
              audience,
              message: { type: o.type, body, ...(o.title ? { title: o.title } : {}) },
            }),
          );
        },
      ),
    );
}
