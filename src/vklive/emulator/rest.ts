/**
 * The DevAPI REST methods (`/v1/*`), registered from the endpoint table: each entry of
 * VKLIVE_ENDPOINTS under `/v1/` with its handler (devapi/*.ts). Handlers run inside a
 * transaction and throw VkFault.
 */
import { DEVAPI_ENDPOINTS, type VkLiveEndpoint } from "../protocol/index.js";
import { catalogHandlers } from "./devapi/catalog.js";
import { channelsHandlers } from "./devapi/channels.js";
import { chatHandlers } from "./devapi/chat.js";
import { pointsHandlers } from "./devapi/points.js";
import type { Ctx, DevApiName, Handlers } from "./devapi/shared.js";

export { CATEGORIES, type Ctx, channelData } from "./devapi/shared.js";

export interface RouteDef extends VkLiveEndpoint {
  name: DevApiName;
  // biome-ignore lint/suspicious/noExplicitAny: each handler is typed by its entry's schemas
  handle(ctx: Ctx, query: any, body: any): unknown;
}

const HANDLERS: Handlers<DevApiName> = {
  ...channelsHandlers,
  ...chatHandlers,
  ...catalogHandlers,
  ...pointsHandlers,
};

/** Every DevAPI route: the table's entry and its handler. */
export const ROUTES: RouteDef[] = DEVAPI_ENDPOINTS.map((e) => {
  const name = e.name as DevApiName;
  return { ...e, name, handle: HANDLERS[name] as RouteDef["handle"] };
});

export type { ChannelRow } from "./context.js";
