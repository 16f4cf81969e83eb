/**
 * uverbs-abi: generate [--check], model --json, decode <hex> [--write]. Every failure is one
 * clear message and a non-zero exit: 1 for a bad spec or stale output, 2 for a bad
 * command line. Never a stack trace.
 */
import { SpecError, UsageError, formatProblem } from './errors.js';
import { emitAll, loadModel, staleFiles, writeFiles } from './generate.js';
import { modelJson } from './model-json.js';
import { decodeIoctl, decodeWrite, parseHex } from './decode.js';

const USAGE = `usage: uverbs-abi <command> [options]

commands:
  generate [--check]       generate generated/ from spec/ (--check: write nothing, fail if stale)
  model --json             print the resolved model as JSON (drivers, types, actions, attributes)
  decode <hex> [--write]   pretty-print an ioctl buffer (or, with --write, a write() buffer) per the spec

common options:
  --spec <folder>          the spec folder (default: spec)
  --help                   help for a command`;

const HELP: Record<string, string> = {
  generate: `usage: uverbs-abi generate [--check] [--spec <folder>] [--out <folder>]

Loads every driver folder under the spec folder, validates each file against
spec/schema/uverbs-spec.schema.json, resolves and checks the ABI, and writes
TypeScript and docs to the output folder (default: generated), one folder per
driver. Only files whose content changed are written; files no longer generated
are removed.

  --check    write nothing; exit 1 and name the stale files if generated/ differs`,
  model: `usage: uverbs-abi model --json [--spec <folder>] [--driver <name>]

Prints the resolved model: {"drivers": [{"name", "driverId", "extends", "types":
[{"name", "cName", "id", "kind", "actions": [{"name", "cName", "id", "handler",
"attributes": [{"name", "cName", "id", "kind", "mandatory", ...}]}]}],
"releaseOrder", "writeCommands"}]}. A driver's entry is its merged view: the core
types with its extensions, plus its own types. See docs/model-json.md.

  --driver <name>   only this driver's entry`,
  decode: `usage: uverbs-abi decode <hex> [--write] [--driver <name>] [--addr <user address>] [--spec <folder>]

Decodes an ioctl buffer (struct ib_uverbs_ioctl_hdr and its attributes) given as
hex (spaces and 0x allowed): type, action, and each attribute by name with its
value. Unknown ids are shown as such. Pointers that fall inside the given bytes
are followed when --addr gives the user address of the first byte.

With --write, the bytes are what write() sends to the uverbs fd instead: struct
ib_uverbs_cmd_hdr (and ib_uverbs_ex_cmd_hdr for an extended command), then the
request: the command by name, each request field by name with its value (handles
named as such), bytes after the struct and the driver data as hex. The two
layouts cannot be told apart from their bytes alone, hence the flag.

  --write           decode a write() buffer (default: an ioctl buffer)
  --driver <name>   the driver whose view decodes it (ioctl default: by the header's
                    driver_id; write() buffers carry none, default: core)
  --addr <address>  user address of the buffer's first byte (hex or decimal)`,
};

interface Parsed {
  command: string;
  positional: string[];
  flags: Map<string, string | true>;
}

const KNOWN: Record<string, { bool: string[]; value: string[] }> = {
  generate: { bool: ['check', 'help'], value: ['spec', 'out'] },
  model: { bool: ['json', 'help'], value: ['spec', 'driver'] },
  decode: { bool: ['help', 'write'], value: ['spec', 'driver', 'addr'] },
};

function parse(argv: readonly string[]): Parsed {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    return { command: 'help', positional: [], flags: new Map() };
  }
  const known = KNOWN[command];
  if (!known) throw new UsageError(`unknown command "${command}"; the commands are: ${Object.keys(KNOWN).join(', ')}`);
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
    const [name, inline] = arg.slice(2).split('=', 2) as [string, string | undefined];
    if (known.bool.includes(name)) {
      if (inline !== undefined) throw new UsageError(`--${name} takes no value`);
      flags.set(name, true);
    } else if (known.value.includes(name)) {
      const value = inline ?? rest[++i];
      if (value === undefined || value.startsWith('--')) throw new UsageError(`--${name} needs a value`);
      flags.set(name, value);
    } else {
      throw new UsageError(`unknown option --${name} for "${command}"; it takes: ${[...known.bool, ...known.value].map((f) => `--${f}`).join(', ')}`);
    }
  }
  return { command, positional, flags };
}

const str = (p: Parsed, name: string, fallback: string): string => {
  const v = p.flags.get(name);
  return typeof v === 'string' ? v : fallback;
};

export async function main(argv: readonly string[], out: (s: string) => void = (s) => process.stdout.write(s),
  err: (s: string) => void = (s) => process.stderr.write(s)): Promise<number> {
  let p: Parsed;
  try {
    p = parse(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      err(`uverbs-abi: ${e.message}\n\n${USAGE}\n`);
      return 2;
    }
    throw e;
  }
  if (p.command === 'help') {
    out(`${USAGE}\n`);
    return 0;
  }
  if (p.flags.has('help')) {
    out(`${HELP[p.command]}\n`);
    return 0;
  }
  try {
    switch (p.command) {
      case 'generate':
        return generate(p, out, err);
      case 'model':
        return model(p, out);
      case 'decode':
        return decode(p, out);
    }
    return 2;
  } catch (e) {
    if (e instanceof SpecError) {
      err(`uverbs-abi: the spec has ${e.problems.length} problem${e.problems.length === 1 ? '' : 's'}; nothing was written:\n${e.problems.map(formatProblem).join('\n')}\n`);
      return 1;
    }
    if (e instanceof UsageError) {
      err(`uverbs-abi ${p.command}: ${e.message}\n\n${HELP[p.command]}\n`);
      return 2;
    }
    err(`uverbs-abi ${p.command}: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

function generate(p: Parsed, out: (s: string) => void, err: (s: string) => void): number {
  if (p.positional.length > 0) throw new UsageError(`unexpected argument "${p.positional[0]}"`);
  const outDir = str(p, 'out', 'generated');
  const files = emitAll(loadModel(str(p, 'spec', 'spec')), outDir);
  if (p.flags.has('check')) {
    const stale = staleFiles(outDir, files);
    if (stale.length > 0) {
      err(`uverbs-abi generate --check: ${stale.length} generated file${stale.length === 1 ? ' is' : 's are'} stale:\n${stale.map((s) => `  ${s}`).join('\n')}\nrun: npm run generate\n`);
      return 1;
    }
    out(`generated/ is up to date (${files.size} files)\n`);
    return 0;
  }
  const r = writeFiles(outDir, files);
  out(`wrote ${r.written.length}, removed ${r.removed.length}, unchanged ${r.unchanged} (${outDir})\n`);
  return 0;
}

function model(p: Parsed, out: (s: string) => void): number {
  if (!p.flags.has('json')) throw new UsageError('model needs --json (the only output format)');
  if (p.positional.length > 0) throw new UsageError(`unexpected argument "${p.positional[0]}"`);
  const m = loadModel(str(p, 'spec', 'spec'));
  const only = p.flags.get('driver');
  if (typeof only === 'string' && !m.drivers.some((d) => d.name === only)) {
    throw new UsageError(`no driver "${only}"; the drivers are: ${m.drivers.map((d) => d.name).join(', ')}`);
  }
  out(JSON.stringify(modelJson(m, typeof only === 'string' ? only : undefined), null, 2) + '\n');
  return 0;
}

function decode(p: Parsed, out: (s: string) => void): number {
  if (p.positional.length === 0) throw new UsageError('decode needs the buffer as hex');
  const bytes = parseHex(p.positional.join(''));
  const addrText = p.flags.get('addr');
  let addr: number | undefined;
  if (typeof addrText === 'string') {
    addr = Number(addrText);
    if (!Number.isSafeInteger(addr) || addr < 0) throw new UsageError(`--addr "${addrText}" is not an address (give hex like 0x7f0000000000 or decimal)`);
  }
  const m = loadModel(str(p, 'spec', 'spec'));
  const driver = p.flags.get('driver');
  const opts = { ...(typeof driver === 'string' ? { driver } : {}), ...(addr !== undefined ? { addr } : {}) };
  out((p.flags.has('write') ? decodeWrite(m, bytes, opts) : decodeIoctl(m, bytes, opts)) + '\n');
  return 0;
}
