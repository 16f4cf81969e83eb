/** uverbs-abi generate: the spec to TypeScript and docs, writing only what changed. */
import { relative } from 'node:path';
import { UsageError } from '../generator/errors.js';
import { generate, regenerateCommand } from '../generator/index.js';
import { flag, type Command } from './command.js';

export const generateCommand: Command = {
  name: 'generate',
  usage: 'generate [--check]       the spec to TypeScript and docs (--check: write nothing, fail if stale)',
  help: `usage: uverbs-abi generate [--check] [--spec <folder>] [--out <folder>]

Loads every driver folder under the spec folder, validates each file against
the schema its "$schema" names (uverbs-spec.schema.json), resolves and checks
the ABI, and writes TypeScript and docs to the output folder, one folder per
driver. Only files whose content changed are written; files no longer generated
are removed. Generated code imports the runtime as uverbs-abi/codegen.

A driver whose "extends" names a driver the folder does not hold (your driver
extending core) takes it from the spec this package ships; only the folder's
own drivers are generated.

  --spec <folder>   the spec folder (default: the spec this package ships)
  --out <folder>    the output folder (default: generated/ of this package with
                    its own spec; ./generated with --spec)
  --check           write nothing; exit 1 and name the stale files if the output differs`,
  bool: ['check', 'help'],
  value: ['spec', 'out'],
  run(p, io) {
    if (p.positional.length > 0) throw new UsageError(`unexpected argument "${p.positional[0]}"`);
    const spec = flag(p, 'spec');
    const out = flag(p, 'out');
    const options = { ...(spec !== undefined ? { spec } : {}), ...(out !== undefined ? { out } : {}) };
    const r = generate({ ...options, check: p.flags.has('check') });
    if (r.stale) {
      if (r.stale.length > 0) {
        const again = regenerateCommand(options);
        io.err(`uverbs-abi generate --check: ${r.stale.length} generated file${r.stale.length === 1 ? ' is' : 's are'} stale:\n${r.stale.map((s) => `  ${s}`).join('\n')}\nrun: ${again}\n`);
        return 1;
      }
      io.out(`${shown(r.outDir)} is up to date (${r.files} files)\n`);
      return 0;
    }
    io.out(`wrote ${r.written.length}, removed ${r.removed.length}, unchanged ${r.unchanged} (${shown(r.outDir)})\n`);
    return 0;
  },
};

/** A folder as the user would type it: relative to the working directory. */
function shown(dir: string): string {
  return relative(process.cwd(), dir) || '.';
}
