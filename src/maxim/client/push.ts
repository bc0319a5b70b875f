/** MaxImClient: push notifications (app token), a device's alias and the user's push tags. */
import type { CallOptions } from "../../core/call.js";
import { MaxImEndpoints as E, type PushNotifyBody } from "../protocol.js";
import type { MaxImCore } from "./core.js";

export const pushApi = {
  pushNotify(this: MaxImCore, body: PushNotifyBody, options: CallOptions = {}) {
    return this.call(E.pushNotify, body, options);
  },
  bindPushAlias(this: MaxImCore, pushToken: string, alias?: string, options: CallOptions = {}) {
    return this.call(E.pushAlias, { push_token: pushToken, alias }, options);
  },
  pushTags(this: MaxImCore, options: CallOptions = {}) {
    return this.call(E.pushTags, {}, options);
  },
  addPushTags(this: MaxImCore, tags: string[], options: CallOptions = {}) {
    return this.call(E.addPushTags, { tags }, options);
  },
  removePushTags(this: MaxImCore, tags: string[], options: CallOptions = {}) {
    return this.call(E.removePushTags, { tags }, options);
  },
};

export type PushApi = typeof pushApi;
