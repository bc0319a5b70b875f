import { randomBytes, scryptSync, timingSafeEqual } from "node:crypto";

export function hashPassword(password: string): string {
  const salt = randomBytes(8);
  return `${salt.toString("hex")}:${scryptSync(password, salt, 32, { N: 1024 }).toString("hex")}`;
}

export function checkPassword(password: string, stored: string): boolean {
  const [salt, hash] = stored.split(":");
  if (!salt || !hash) return false;
  const got = scryptSync(password, Buffer.from(salt, "hex"), 32, { N: 1024 });
  return timingSafeEqual(got, Buffer.from(hash, "hex"));
}
