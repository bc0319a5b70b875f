/** Test entry: a `switchboard`-like program with only the vklive commands registered. */
import { Command } from "commander";
import { registerVkLiveCommands } from "../../src/cli/vklive.js";

const program = new Command("switchboard").exitOverride();
registerVkLiveCommands(program);
try {
  await program.parseAsync(process.argv);
} catch (err) {
  if ((err as { code?: string }).code?.startsWith("commander.")) process.exit(1);
  process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
