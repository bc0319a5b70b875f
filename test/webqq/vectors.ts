/**
 * Known-answer vectors for the WebQQ hashes. Each output comes from the seeds' own code or a
 * public client's code, never from src: the inputs were run through that code (CPython 3,
 * outside this repository) and the outputs pinned here in full.
 *
 * - Password: seed 002's Python line
 *   `md5(md5((md5("1234567890").digest()+uin)).hexdigest().upper()+"!B55").hexdigest().upper()`
 *   (/work/shared/seeds/002_ee433e9f126d3a49.txt), run as written (bytes for Python 3).
 * - Friend-list hash: `qHash(x, K)` of pandolia/qqbot, qqbot/qsession.py (commit 0dba09e5),
 *   the "EC/OK" generation that client sends to get_user_friends2 / get_group_name_list_mask2.
 * - QR token: `bknHash(qrsig, init_str=0)` of the same file (what it sends as `ptqrtoken`).
 *
 * Not usable (other generations): pa001024/reflex util/webqq/webqq_test.go pins
 * `5504143771AA56D507518086D3A13958` for a password hash whose inner md5 is lower-case hex (the
 * 2013-08 generation; the seed's inner hex is upper-case) and `FCF5FBFA` for a later
 * friend-hash generation.
 */
export interface PasswordVector {
  password: string;
  uin: number[];
  vcode: string;
  out: string;
  source: string;
}

export const PASSWORD_VECTORS: PasswordVector[] = [
  {
    password: "1234567890",
    uin: [0, 0, 0, 0, 0xa6, 0xce, 0xef, 0xfe],
    vcode: "!B55",
    out: "5AE2E1380BFBF5135AD578DFA1FD3EE9",
    source: "seed 002 Python line, as written",
  },
  {
    password: "1234567890",
    uin: [0, 0, 0, 0, 0xa5, 0x13, 0xed, 0x18],
    vcode: "ZKMM",
    out: "9822C1DB2FA4F53E6FE193936171714E",
    source: "seed 002 Python line with seed 004's uin bytes and vcode ZKMM",
  },
];

export interface FriendsHashVector {
  uin: number;
  ptwebqq: string;
  out: string;
  source: string;
}

export const FRIENDS_HASH_VECTORS: FriendsHashVector[] = [
  {
    uin: 10897944,
    ptwebqq: "72541a7b79772b8f09f72261b30e82b27e7712f44fa76884231d47b4d2894dc3",
    out: "094559E50F050C53",
    source: "pandolia/qqbot qHash on seed 002's uin and ptwebqq",
  },
  {
    uin: 2735284921,
    ptwebqq: "619c5c4ca4807d3b27aac8ab3a562d4165948290c4925686acaf73133c6ad727",
    out: "5CE6094A526D55F2",
    source: "pandolia/qqbot qHash on pa001024/reflex's test uin and ptwebqq",
  },
  {
    uin: 10897944,
    ptwebqq: "abcd",
    out: "614562E563056453",
    source: "pandolia/qqbot qHash",
  },
];

export interface Hash33Vector {
  input: string;
  out: number;
  source: string;
}

export const HASH33_VECTORS: Hash33Vector[] = [
  {
    input: "hJ9GvNx*oIvLjP5I5dQ19KPa3zwxNI62eALLO*g2JLbKPYsZIRsnbJIxNe74NzQQ",
    out: 1178303247,
    source: "pandolia/qqbot bknHash(init_str=0) on the qrsig cookie that file sets",
  },
  {
    input: "OBTwVJ1iHXWm0S7RtCuzONb5mcwGRCxQTvCNY5a*0S*Bk1tXvW569aol*M3-QyAP",
    out: 1671614838,
    source: "pandolia/qqbot bknHash(init_str=0)",
  },
];
