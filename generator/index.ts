/**
 * uverbs-abi/generator: the generator as a library. loadModel reads, validates and
 * resolves a spec folder; generate writes (or checks) the TypeScript and docs of its
 * drivers; decodeIoctl and decodeWrite print a buffer by the spec; modelJson gives the
 * model as the stable data `uverbs-abi model --json` prints.
 */
import { resolve } from 'node:path';
import { emitAll, loadModel, staleFiles, writeFiles } from './generate.js';
import { PACKAGE_ROOT, SHIPPED_SPEC } from './version.js';

export { loadModel, emitAll, staleFiles, writeFiles, type EmitOptions, type WriteResult } from './generate.js';
export { decodeIoctl, decodeWrite, parseHex } from './decode.js';
export { modelJson } from './model-json.js';
export { SpecError, UsageError, formatProblem, type SpecProblem } from './errors.js';
export type * from './model.js';
export { GENERATOR_VERSION, SHIPPED_SPEC } from './version.js';

export interface GenerateOptions {
  /** The spec folder (default: the spec this package ships). */
  spec?: string;
  /** The output folder (default: this package's generated/, for its own spec; ./generated otherwise). */
  out?: string;
  /** The command the file headers name for regenerating (default: this package's `npm run generate`). */
  regenerate?: string;
  /** Write nothing: report the stale files instead. */
  check?: boolean;
}

export interface GenerateResult {
  /** The output folder, as given or defaulted. */
  outDir: string;
  /** How many files the spec generates. */
  files: number;
  written: string[];
  removed: string[];
  unchanged: number;
  /** With `check`: the files that differ, are missing or are no longer generated (empty: up to date). */
  stale?: string[];
}

/**
 * The command the headers of generated files name for regenerating them: this
 * package's `npm run generate` for its own spec and output, otherwise the CLI with the
 * folders as given.
 */
export function regenerateCommand(options: Pick<GenerateOptions, 'spec' | 'out'>): string {
  if (options.spec === undefined && options.out === undefined) return 'npm run generate';
  const spec = options.spec === undefined ? '' : ` --spec ${options.spec}`;
  const out = options.out === undefined ? '' : ` --out ${options.out}`;
  return `uverbs-abi generate${spec}${out}`;
}

/** Generates the TypeScript and docs of a spec folder's drivers; throws SpecError listing every problem of the spec. */
export function generate(options: GenerateOptions = {}): GenerateResult {
  const ownSpec = options.spec === undefined || resolve(options.spec) === SHIPPED_SPEC;
  const outDir = options.out ?? (ownSpec ? resolve(PACKAGE_ROOT, 'generated') : 'generated');
  const files = emitAll(loadModel(options.spec), { outDir, regenerate: options.regenerate ?? regenerateCommand(options) });
  if (options.check) return { outDir, files: files.size, written: [], removed: [], unchanged: 0, stale: staleFiles(outDir, files) };
  return { outDir, files: files.size, ...writeFiles(outDir, files) };
}
