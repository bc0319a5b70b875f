import { ErrorCode, type ErrorCodeValue } from "../protocol.js";

/** A protocol-native failure: becomes a `cmd: 3` packet with the seed's error payload. */
export class MaxProtocolError extends Error {
  constructor(
    readonly code: ErrorCodeValue | string,
    message: string,
    readonly localizedMessage: string = message,
    readonly title: string = "Ошибка",
  ) {
    super(message);
    this.name = "MaxProtocolError";
  }

  toPayload(): {
    error: string;
    message: string;
    localizedMessage: string;
    title: string;
    description: string;
  } {
    return {
      error: this.code,
      message: this.message,
      localizedMessage: this.localizedMessage,
      title: this.title,
      description: this.message,
    };
  }
}

export const notFound = (what: string) => new MaxProtocolError(ErrorCode.NOT_FOUND, `${what} not found`);
export const chatNotFound = () =>
  new MaxProtocolError(ErrorCode.CHAT_NOT_FOUND, "Chat not found", "Чат не найден");
export const accessDenied = (why = "Access denied") =>
  new MaxProtocolError(ErrorCode.CHAT_NO_ACCESS, why, "Недостаточно прав");
export const badPayload = (why: string) =>
  new MaxProtocolError(ErrorCode.PROTO_PAYLOAD, why, "Неверный запрос");
