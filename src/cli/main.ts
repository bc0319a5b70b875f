import { createRequire } from "node:module";
import { Command } from "commander";
import { reportCliError } from "./errors.js";
import { registerMaxCommands } from "./max.js";
import { registerMaxImCommands } from "./maxim.js";
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
  registerWebQQCommands(program);
  registerVkLiveCommands(program);
  return program;
}

try {
  await buildProgram().parseAsync(process.argv);
} catch (err) {
  // Any command's failure ends as one readable line, whatever platform it came from.
  reportCliError(err);
}
