/**
 * uverbs-abi: the command line. Every failure is one clear message and a non-zero exit:
 * 1 for a bad spec or stale output, 2 for a bad command line. Never a stack trace.
 */
import { SpecError, UsageError, formatProblem } from '../generator/errors.js';
import { GENERATOR_VERSION } from '../generator/version.js';
import type { Command, Io, Parsed } from './command.js';
import { decodeCommand } from './decode.js';
import { generateCommand } from './generate.js';
import { modelCommand } from './model.js';

const COMMANDS: readonly Command[] = [generateCommand, modelCommand, decodeCommand];

const USAGE = `usage: uverbs-abi <command> [options]

commands:
${COMMANDS.map((c) => `  ${c.usage}`).join('\n')}

common options:
  --spec <folder>          the spec folder (default: the spec this package ships)
  --help                   help for a command
  --version                the package's version`;

function parse(argv: readonly string[]): Parsed | 'help' | 'version' {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') return 'help';
  if (name === '--version' || name === '-v') return 'version';
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    throw new UsageError(`unknown ${name.startsWith('-') ? 'option' : 'command'} "${name}"; the commands are: ${COMMANDS.map((c) => c.name).join(', ')}`);
  }
  const flags = new Map<string, string | true>();
  const positional: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (arg === '-h') {
      flags.set('help', true);
      continue;
    }
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const [flagName, inline] = arg.slice(2).split('=', 2) as [string, string | undefined];
    if (command.bool.includes(flagName)) {
      if (inline !== undefined) throw new UsageError(`--${flagName} takes no value`);
      flags.set(flagName, true);
    } else if (command.value.includes(flagName)) {
      const value = inline ?? rest[++i];
      if (value === undefined || value.startsWith('--')) throw new UsageError(`--${flagName} needs a value`);
      flags.set(flagName, value);
    } else {
      throw new UsageError(`unknown option --${flagName} for "${name}"; it takes: ${[...command.bool, ...command.value].map((f) => `--${f}`).join(', ')}`);
    }
  }
  return { command: name, positional, flags };
}

export async function main(argv: readonly string[], out: (s: string) => void = (s) => process.stdout.write(s),
  err: (s: string) => void = (s) => process.stderr.write(s)): Promise<number> {
  let p: Parsed | 'help' | 'version';
  try {
    p = parse(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      err(`uverbs-abi: ${e.message}\n\n${USAGE}\n`);
      return 2;
    }
    throw e;
  }
  if (p === 'help') {
    out(`${USAGE}\n`);
    return 0;
  }
  if (p === 'version') {
    out(`${GENERATOR_VERSION}\n`);
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === (p as Parsed).command)!;
  if (p.flags.has('help')) {
    out(`${command.help}\n`);
    return 0;
  }
  const io: Io = { out, err };
  try {
    return await command.run(p, io);
  } catch (e) {
    if (e instanceof SpecError) {
      err(`uverbs-abi: the spec has ${e.problems.length} problem${e.problems.length === 1 ? '' : 's'}; nothing was written:\n${e.problems.map(formatProblem).join('\n')}\n`);
      return 1;
    }
    if (e instanceof UsageError) {
      err(`uverbs-abi ${command.name}: ${e.message}\n\n${command.help}\n`);
      return 2;
    }
    err(`uverbs-abi ${command.name}: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}
