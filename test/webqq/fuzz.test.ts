import fc from "fast-check";
import { afterAll, beforeAll, expect, it } from "vitest";
import { REFERER } from "../../src/webqq/protocol.js";
import { ALICE, type Harness, loggedIn, seedWorld, startEmulator } from "./harness.js";

let h: Harness;
let session: { clientid: string; psessionid: string; vfwebqq: string; ptwebqq: string };
beforeAll(async () => {
  h = await startEmulator({ pollTimeoutMs: 50 });
  seedWorld(h.emu);
  const c = await loggedIn(h.base, ALICE, "1234567890");
  session = { ...c.session! };
});
afterAll(async () => h.close());

const POSTS = [
  "/channel/login2",
  "/channel/poll2",
  "/channel/send_buddy_msg2",
  "/channel/send_qun_msg2",
  "/channel/send_discu_msg2",
  "/channel/send_sess_msg2",
  "/channel/get_recent_list2",
  "/api/get_user_friends2",
  "/api/get_group_name_list_mask2",
];
const GETS = [
  "/check",
  "/login",
  "/ptqrlogin",
  "/check_sig",
  "/channel/change_status2",
  "/channel/get_discu_info",
  "/channel/get_c2cmsg_sig2",
  "/api/get_group_info_ext2",
  "/api/get_friend_uin2",
  "/api/get_friend_info2",
  "/api/get_single_long_nick2",
  "/channel/get_offpic2",
];

const jsonish = fc.oneof(
  fc.json(),
  fc
    .record(
      {
        clientid: fc.oneof(fc.constant("1"), fc.string(), fc.integer()),
        psessionid: fc.oneof(fc.constant("x"), fc.string(), fc.constant(null)),
        content: fc.oneof(fc.string(), fc.json(), fc.constant('["hi",["face",1]]')),
        msg_id: fc.oneof(fc.integer(), fc.string()),
        to: fc.oneof(fc.integer(), fc.string()),
        vfwebqq: fc.string(),
        hash: fc.string(),
      },
      { requiredKeys: [] },
    )
    .map((o) => JSON.stringify(o)),
);

it("random form bodies and query strings always get a protocol answer, never a crash", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...POSTS),
      jsonish,
      fc.boolean(),
      fc.boolean(),
      async (path, r, useSession, withReferer) => {
        const form = new URLSearchParams();
        let rv = r;
        if (useSession) {
          try {
            const o = JSON.parse(r);
            if (o && typeof o === "object" && !Array.isArray(o)) {
              o.clientid = session.clientid;
              o.psessionid = session.psessionid;
              o.vfwebqq = session.vfwebqq;
              rv = JSON.stringify(o);
            }
          } catch {}
        }
        form.set("r", rv);
        const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" };
        if (withReferer) headers.referer = REFERER.d;
        if (useSession) headers.cookie = `ptwebqq=${session.ptwebqq}`;
        const res = await fetch(h.base + path, { method: "POST", body: form.toString(), headers });
        expect(res.status).toBeLessThan(500);
        const j = (await res.json()) as { retcode: unknown };
        expect(typeof j.retcode).toBe("number");
      },
    ),
    { numRuns: 150 },
  );
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...GETS),
      fc.dictionary(
        fc.constantFrom(
          "uin",
          "u",
          "p",
          "verifycode",
          "ptqrtoken",
          "ptsig",
          "newstatus",
          "did",
          "id",
          "to_uin",
          "gcode",
          "tuin",
          "type",
          "clientid",
          "psessionid",
          "vfwebqq",
          "file_path",
        ),
        fc.string(),
      ),
      async (path, q) => {
        const res = await fetch(`${h.base}${path}?${new URLSearchParams(q)}`);
        expect(res.status).toBeLessThan(500);
        await res.arrayBuffer();
      },
    ),
    { numRuns: 150 },
  );
  const health = await fetch(`${h.base}/web2/get_msg_tip`);
  expect(((await health.json()) as { retcode: number }).retcode).toBe(0);
}, 60_000);
