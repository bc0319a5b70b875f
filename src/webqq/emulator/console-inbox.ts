/** The console inbox of WebQQ: captcha codes shown to logins, and QR logins waiting for a phone. */
import type { ConsoleInboxItem, ConsoleSink } from "../../core/emulator/console.js";
import type { WebQQAdmin } from "./admin.js";
import type { AccountLite } from "./console-util.js";
import type { ConsoleQueries } from "./store/console.js";

/** Inbox entries kept per kind (oldest dropped first). */
const INBOX_LIMIT = 200;
/** A captcha check lives 5 minutes in the emulator (login.ts). */
const CAPTCHA_TTL_MS = 5 * 60_000;

export class WebQQInbox {
  private readonly captchas: ConsoleInboxItem[] = [];
  private readonly qrs: ConsoleInboxItem[] = [];
  private readonly qrConfirmed = new Set<number>();

  constructor(
    private readonly admin: WebQQAdmin,
    private readonly q: ConsoleQueries,
    private readonly sink: () => ConsoleSink | undefined,
  ) {}

  private push(list: ConsoleInboxItem[], item: ConsoleInboxItem): void {
    list.push(item);
    if (list.length > INBOX_LIMIT) list.splice(0, list.length - INBOX_LIMIT);
    this.sink()?.inbox(item);
  }

  /** Adds the captcha codes now shown for these accounts (default: every account that needs one). */
  syncCaptchas(qqs?: number[]): void {
    const list = qqs ?? (this.q.captchaAccounts.all() as { qq: number }[]).map((r) => r.qq);
    for (const qq of list) {
      const code = this.admin.captcha(qq);
      if (!code) continue;
      const id = `captcha:${qq}:${code}`;
      if (this.captchas.some((c) => c.id === id)) continue;
      const acc = this.q.account.get(qq) as AccountLite | undefined;
      this.push(this.captchas, {
        id,
        platform: "webqq",
        kind: "captcha",
        time: Date.now(),
        to: acc ? `${qq} (${acc.nick})` : String(qq),
        value: code,
        status: "new",
      });
    }
  }

  addQr(token: number): void {
    if (this.qrs.some((i) => i.id === `qr:${token}`)) return;
    this.push(this.qrs, {
      id: `qr:${token}`,
      platform: "webqq",
      kind: "qr",
      time: Date.now(),
      to: "QR login",
      value: "waiting",
      status: "pending",
      confirmable: true,
    });
  }

  markQrConfirmed(token: number): void {
    if (this.qrConfirmed.has(token)) return;
    this.remember(token);
    const item = this.items().find((i) => i.id === `qr:${token}`);
    if (item) this.sink()?.inbox(item);
  }

  /** Remembers a confirmed QR login; as bounded as the list (the oldest tokens go first). */
  private remember(token: number): void {
    this.qrConfirmed.add(token);
    for (const old of this.qrConfirmed) {
      if (this.qrConfirmed.size <= INBOX_LIMIT) break;
      this.qrConfirmed.delete(old);
    }
  }

  items(): ConsoleInboxItem[] {
    this.syncCaptchas();
    for (const p of this.admin.pendingQr()) this.addQr(p.token);
    const now = Date.now();
    const captchas = this.captchas.map((item) => {
      const [, qq, code] = item.id.split(":");
      const current = this.admin.captcha(Number(qq)) === code && now - item.time < CAPTCHA_TTL_MS;
      return { ...item, status: current ? item.status : "expired" } as ConsoleInboxItem;
    });
    const pending = new Map(this.admin.pendingQr().map((p) => [p.token, p.state]));
    const qrs = this.qrs.map((item): ConsoleInboxItem => {
      const token = Number(item.id.slice(3));
      const state = pending.get(token);
      // Confirmed by anyone (the console, POST /_sandbox/webqq/qr/confirm, the CLI): the emulator
      // says so until the client uses it; once used (ptqrlogin answered 0) `markQrConfirmed` remembers.
      if (this.admin.qrState(token) === "confirmed") this.remember(token);
      if (this.qrConfirmed.has(token))
        return { ...item, status: "confirmed", value: "confirmed", confirmable: false };
      if (state) return { ...item, status: "pending", value: state, confirmable: true };
      return { ...item, status: "expired", value: "expired", confirmable: false };
    });
    return [...captchas, ...qrs];
  }
}
