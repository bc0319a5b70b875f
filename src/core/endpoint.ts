/**
 * Endpoint tables: each platform's `protocol` declares every method once — its opcode or HTTP
 * method + path, who may call it, and its request and response schemas. The client's methods
 * and the emulator's routes are both driven by (or checked against) that one table, so no path
 * literal or opcode number is written twice.
 */
import type { z } from "zod";

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** One REST method. `auth` names the platform's credential kinds (`admin`, `user`, `app` …). */
export interface HttpEndpoint<
  Req extends z.ZodType = z.ZodType,
  Res extends z.ZodType = z.ZodType,
  Auth extends string = string,
> {
  method: HttpMethod;
  /** Path on the platform's base URL; `:name` marks a path parameter. */
  path: string;
  auth: Auth;
  /** Body (POST/PUT/PATCH) or query (GET/DELETE) schema: strict, used by the emulator and before sending. */
  request: Req;
  /** The success payload: lenient (unknown fields kept), used by the client to parse answers. */
  response: Res;
}

/** One opcode of an RPC socket protocol (MAX). */
export interface RpcEndpoint<Req extends z.ZodType = z.ZodType, Res extends z.ZodType = z.ZodType> {
  opcode: number;
  /** Before login, after login, or both. */
  auth: "none" | "session" | "any";
  request: Req;
  response: Res;
}

/** Keeps each entry's literal types (paths, methods, schemas) for typed clients and routes. */
export function defineEndpoints<const T extends Record<string, HttpEndpoint>>(table: T): T {
  return table;
}

export function defineRpc<const T extends Record<string, RpcEndpoint>>(table: T): T {
  return table;
}

export type RequestOf<E> = E extends { request: infer R extends z.ZodType } ? z.input<R> : never;
export type ResponseOf<E> = E extends { response: infer R extends z.ZodType } ? z.output<R> : never;

/** `/group/:id/members` with `{id: 7}` → `/group/7/members` (values URI-encoded). */
export function fillPath(path: string, params: Record<string, string | number>): string {
  return path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, (_, name: string) => {
    const v = params[name];
    if (v === undefined) throw new Error(`missing path parameter ${name} for ${path}`);
    return encodeURIComponent(String(v));
  });
}
