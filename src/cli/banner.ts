/**
 * The sandbox's human start-up banner: one line per endpoint, the seeded accounts with their
 * ids grouped by platform, and how to log in on each (where MAX SMS codes come from).
 * `--json` prints the contract line instead (sandbox.ts); this text is for people.
 */
import type { Logger } from "../core/log.js";
import type { Sandbox } from "../sandbox/index.js";

export interface BannerFlags {
  smsCode?: string | undefined;
}

const FACES: [key: "max" | "maxim" | "webqq" | "vklive", title: string][] = [
  ["max", "MAX"],
  ["maxim", "MaxIM"],
  ["webqq", "WebQQ"],
  ["vklive", "VK Live"],
];

/** How to log in with the CLI on each platform (the URL filled in). */
function loginHint(platform: string, url: string): string {
  switch (platform) {
    case "max":
      return `switchboard max login --url ${url} --phone <phone>`;
    case "maxim":
      return `switchboard maxim login --url ${url} --app-id <app> --token <admin token>`;
    case "webqq":
      return `switchboard webqq login --url ${url} --qq <qq> --password <password>`;
    default:
      return `switchboard vklive login --url ${url} --client-id <app> --client-secret <secret> --redirect-uri <uri>`;
  }
}

export function banner(sandbox: Sandbox, flags: BannerFlags, log: Logger): string {
  const { urls } = sandbox;
  const lines = [
    "Switchboard sandbox is running",
    `  console + admin API  ${urls.console}  (web console: open it in a browser)`,
    `  MAX                  ${urls.max}`,
    `  MaxIM                ${urls.maxim}`,
    `  WebQQ                ${urls.webqq}`,
    `  VK Video Live        ${urls.vklive}`,
    `  MAX Bot API          ${urls.maxbot}`,
  ];
  if (urls.maxSocket) lines.push(`  MAX socket transport ${urls.maxSocket}`);
  const inbox = `GET ${urls.console}/_sandbox/max/sms?phone=<phone>`;
  if (flags.smsCode)
    lines.push(`MAX SMS codes: every phone gets ${flags.smsCode} (--sms-code); also ${inbox}`);
  else if (log.isLevelEnabled("info"))
    lines.push(
      `MAX SMS codes: random per request (fix one with --sms-code); in the log below ("SMS code for …"), the console's Inbox and ${inbox}`,
    );
  else
    lines.push(
      `MAX SMS codes: random per request (fix one with --sms-code); in the console's Inbox and ${inbox}`,
    );
  lines.push(
    sandbox.dataFile
      ? `Data: ${sandbox.dataFile} (files in ${sandbox.filesDir})`
      : "Data: in memory (gone on exit)",
  );
  const report = sandbox.seedReport;
  if (report && report.accounts.length > 0) {
    lines.push(
      `${report.source === "demo" ? "Demo" : "Seeded"} accounts (ids as the platforms and admin API use them):`,
    );
    for (const [key, title] of FACES) {
      const accounts = report.accounts.filter((a) => a.platform === key);
      if (accounts.length === 0) continue;
      lines.push(`  ${title}`);
      const idWidth = Math.max(...accounts.map((a) => a.id.length));
      for (const a of accounts) {
        // A password goes with the login; other notes (admin tokens, live channels) on their own lines.
        const secrets = a.notes?.filter((n) => /^[\w ]*password: /i.test(n)) ?? [];
        const others = a.notes?.filter((n) => !secrets.includes(n)) ?? [];
        // A WebQQ login is its id: shown once.
        const login = a.login !== a.id ? `  ${a.login}` : "";
        const name = a.name !== a.login ? `  ${a.name}` : "";
        const secret = secrets.length ? `  (${secrets.join("; ")})` : "";
        lines.push(`    id ${a.id.padEnd(idWidth)}${login}${name}${secret}`);
        for (const note of others) lines.push(`      ${note}`);
      }
      lines.push(`    log in: ${loginHint(key, urls[key])}`);
    }
  }
  lines.push("Press Ctrl+C to stop.");
  return `${lines.join("\n")}\n`;
}
