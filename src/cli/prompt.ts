/** Reads answers from stdin line by line; works with a terminal and with piped input. */
import { createInterface } from "node:readline";
import { CliError } from "./errors.js";

export class Prompter {
  private readonly rl = createInterface({ input: process.stdin, terminal: false });
  private readonly lines = this.rl[Symbol.asyncIterator]();

  async ask(question: string): Promise<string> {
    process.stderr.write(question);
    const next = await this.lines.next();
    if (next.done) throw new CliError("stdin closed before an answer was given (pass the value as a flag)");
    return String(next.value).trim();
  }

  /**
   * Asks for a secret. On a terminal nothing is echoed (raw mode, read key by key); piped
   * input is read as an ordinary line. Ends the prompter: a secret is always the last question.
   */
  async askSecret(question: string): Promise<string> {
    const stdin = process.stdin;
    if (!stdin.isTTY) return this.ask(question);
    this.close();
    process.stderr.write(question);
    stdin.setRawMode(true);
    stdin.resume();
    try {
      return await new Promise<string>((resolve, reject) => {
        let value = "";
        const onData = (chunk: Buffer) => {
          for (const ch of chunk.toString("utf8")) {
            if (ch === "\r" || ch === "\n") {
              stdin.off("data", onData);
              process.stderr.write("\n");
              return resolve(value);
            }
            if (ch === "\u0003") {
              stdin.off("data", onData);
              return reject(new CliError("cancelled"));
            }
            if (ch === "\u007f" || ch === "\b") value = value.slice(0, -1);
            else value += ch;
          }
        };
        stdin.on("data", onData);
      });
    } finally {
      stdin.setRawMode(false);
      stdin.pause();
    }
  }

  close(): void {
    this.rl.close();
  }
}
