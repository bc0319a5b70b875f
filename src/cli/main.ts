import { createRequire } from "node:module";
import { Command } from "commander";
import { exitCodeOf, hasReported, isVerbose, reportCliError } from "./errors.js";
import { registerMaxCommands } from "./max.js";
import { registerMaxBotCommands } from "./maxbot.js";
import { registerMaxImCommands } from "./maxim.js";
import { profileCommand } from "./profile-command.js";
import { sandboxCommand } from "./sandbox.js";
import { registerVkLiveCommands } from "./vklive.js";
import { registerWebQQCommands } from "./webqq.js";

/** The `switchboard` command line; subcommands live one per file next to this one. */
export function buildProgram(): Command {
  const pkg = createRequire(import.meta.url)("../../package.json") as {
    version: string;
    description: string;
  };
  const program = new Command("switchboard")
    .description(pkg.description)
    .version(pkg.version)
    .showHelpAfterError()
    .addCommand(sandboxCommand());
  registerMaxCommands(program);
  registerMaxImCommands(program);
  registerMaxBotCommands(program);
  registerWebQQCommands(program);
  registerVkLiveCommands(program);
  program.addCommand(profileCommand());
  return program;
}

/**
 * A failure outside the command's own await (a background rejection inside a client) is still
 * one readable line, never a stack; after a failure was already reported it is only echoed with
 * --verbose.
 */
function onStray(err: unknown): void {
  if (hasReported()) {
    if (isVerbose())
      process.stderr.write(`(after the error above) ${err instanceof Error ? err.stack : String(err)}\n`);
    return;
  }
  reportCliError(err);
  process.exit(exitCodeOf(err));
}
process.on("unhandledRejection", onStray);
process.on("uncaughtException", (err) => {
  onStray(err);
  // The process state is unknown after an uncaught exception: end it with the code already set.
  process.exit(typeof process.exitCode === "number" && process.exitCode !== 0 ? process.exitCode : 1);
});
// A reader that went away (`| head`, a killed parent) is not an error worth a stack.
for (const stream of [process.stdout, process.stderr])
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code !== "EPIPE" && err.code !== "EIO") onStray(err);
  });

try {
  await buildProgram().parseAsync(process.argv);
} catch (err) {
  // Any command's failure ends as one readable line, whatever platform it came from.
  reportCliError(err);
}
