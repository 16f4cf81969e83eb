/**
 * The whole pipeline: load -> validate (ajv) -> resolve (typed model, merge, checks)
 * -> emit (one emitter per output) -> write only what changed. With `check`, nothing
 * is written and the stale files are reported.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve as resolvePath, sep } from 'node:path';
import { CONTRACT_VERSION } from '../runtime/kernel/contract.js';
import { Problems } from './errors.js';
import { loadSpecFolder, loadSpecRoot, type SpecFolder } from './load.js';
import type { DriverModel, Model } from './model.js';
import { resolve } from './resolve.js';
import { validateFolders } from './validate.js';
import { emitTypeActions, typeFileName } from './emit/actions.js';
import { clientClassName, emitClient } from './emit/client.js';
import { emitDocs } from './emit/docs.js';
import { emitEnums } from './emit/enums.js';
import { emitIds } from './emit/ids.js';
import { emitStructs } from './emit/structs.js';
import { header, type Provenance } from './emit/templates.js';
import { indent } from './emit/ts.js';
import { emitUapi } from './emit/uapi.js';
import { emitWrite } from './emit/write.js';
import { emitWriteClient, writeClientClassName } from './emit/write-client.js';
import { PACKAGE_ROOT, SHIPPED_SPEC } from './version.js';

/**
 * Loads, validates and resolves the spec folder `specRoot` (default: the spec this
 * package ships); throws SpecError listing every problem. A driver that extends one the
 * folder does not hold (a user's driver extending core) gets it from the shipped spec.
 */
export function loadModel(specRoot: string = SHIPPED_SPEC): Model {
  const problems = new Problems();
  const folders = loadSpecRoot(specRoot, problems);
  problems.throwIfAny();
  const shipped = shippedBases(folders, specRoot, problems);
  problems.throwIfAny();
  const all = [...shipped, ...folders];
  validateFolders(all, problems);
  problems.throwIfAny();
  const model = resolve(all, problems);
  return shipped.length ? { ...model, shipped: shipped.map((f) => f.name) } : model;
}

/** The name a driver folder's driver.json extends, if it says. */
function extendsOf(folder: SpecFolder): string | undefined {
  for (const f of folder.files) {
    const driver = (f.json as { driver?: { extends?: unknown } } | null)?.driver;
    if (typeof driver?.extends === 'string') return driver.extends;
  }
  return undefined;
}

/** The shipped driver folders that the drivers of `folders` extend, directly or through each other. */
function shippedBases(folders: readonly SpecFolder[], specRoot: string, problems: Problems): SpecFolder[] {
  if (resolvePath(specRoot) === resolvePath(SHIPPED_SPEC)) return [];
  const have = new Set(folders.map((f) => f.name));
  const out: SpecFolder[] = [];
  const wanted = folders.map(extendsOf);
  while (wanted.length) {
    const name = wanted.pop();
    if (name === undefined || have.has(name)) continue;
    const path = join(SHIPPED_SPEC, name);
    if (!existsSync(path)) continue; // resolve reports the missing driver where it is named
    const folder = loadSpecFolder(path, name, problems);
    have.add(name);
    out.unshift(folder);
    wanted.push(extendsOf(folder));
  }
  return out;
}

export interface EmitOptions {
  /** The output folder the files will be written under; the headers name the spec relative to it. */
  outDir?: string;
  /** The command that regenerates the output, for the headers (default: this package's npm run generate). */
  regenerate?: string;
}

/** Every generated file, by path relative to the output folder. */
export function emitAll(model: Model, options: EmitOptions = {}): Map<string, string> {
  const outDir = options.outDir ?? join(PACKAGE_ROOT, 'generated');
  const regenerate = options.regenerate ?? 'npm run generate';
  const files = new Map<string, string>();
  for (const d of model.drivers) {
    if (model.shipped?.includes(d.name)) continue;
    const p: Provenance = { sources: sourcesOf(model, d, outDir), regenerate };
    const ts = (path: string, doc: string, body: string): void => {
      files.set(`${d.name}/${path}`, indent(`${header(p, doc)}\n${body}`).trimEnd() + '\n');
    };
    ts('ids.ts', `Ids of the ${d.name} uverbs ABI.`, emitIds(d));
    ts('enums.ts', `Enums and flag sets of the ${d.name} uverbs ABI.`, emitEnums(d));
    ts('structs.ts', `Struct codecs of the ${d.name} uverbs ABI (x86-64 C layout, little-endian).`, emitStructs(d));
    for (const t of d.types) {
      if (t.actions.length === 0) continue;
      ts(typeFileName(t), `${t.name} (${t.cName}): ${t.doc}`, emitTypeActions(d, t));
    }
    ts('uapi.ts', `Kernel-side tables of the ${d.name} uverbs ABI.`, emitUapi(d, CONTRACT_VERSION));
    ts('client.ts', `The typed client of the ${d.name} uverbs ABI: a method per action, over a Transport.`, emitClient(d));
    ts('write.ts', `The user side of the ${d.name} write() ABI: command numbers, per command an encoder of the whole write() buffer and a decoder of its response.`, emitWrite(d));
    ts('write-client.ts', `The typed write() client of the ${d.name} uverbs ABI: a method per implemented command, by write(2) or INVOKE_WRITE, over a Transport.`, emitWriteClient(d));
    ts('index.ts', `The ${d.name} uverbs ABI: ids, enums, structs, per-action encoders and decoders, kernel tables, the typed client; the write() encoders, decoders and client.`, emitIndex(d));
    files.set(`${d.name}/README.md`, emitDocs(d, p));
  }
  return files;
}

/**
 * The spec files a driver's output comes from, its base drivers first: relative to the
 * output folder, or by package path for a base taken from the shipped spec.
 */
function sourcesOf(model: Model, d: DriverModel, outDir: string): string {
  const chain: string[] = [];
  for (let x: DriverModel | undefined = d; x; x = model.drivers.find((y) => y.name === x!.extends)) {
    const folder = dirname(resolvePath(x.origin.file));
    const shown = model.shipped?.includes(x.name)
      ? `uverbs-abi/spec/${x.name}`
      : relative(resolvePath(outDir), folder).split(sep).join('/');
    chain.unshift(`${shown}/*.json`);
  }
  return chain.join(' and ');
}

function emitIndex(d: DriverModel): string {
  const lines = [`export * from './ids.js';`, `export * from './enums.js';`, `export * from './structs.js';`];
  for (const t of d.types) if (t.actions.length > 0) lines.push(`export * from './${typeFileName(t).replace(/\.ts$/, '.js')}';`);
  lines.push(`export { uapi, type HandlerName, type ObjectTypeName } from './uapi.js';`);
  lines.push(`export { ${clientClassName(d)} } from './client.js';`);
  lines.push(`export * from './write.js';`);
  lines.push(`export { ${writeClientClassName(d)} } from './write-client.js';`);
  return lines.join('\n') + '\n';
}

export interface WriteResult {
  written: string[];
  removed: string[];
  unchanged: number;
}

/** Files under `outDir` that differ from `files`, are missing, or are no longer generated. */
export function staleFiles(outDir: string, files: Map<string, string>): string[] {
  const stale: string[] = [];
  for (const [path, content] of files) {
    const full = join(outDir, path);
    if (!existsSync(full) || readFileSync(full, 'utf8') !== content) stale.push(full);
  }
  for (const path of listFiles(outDir)) {
    if (!files.has(relative(outDir, path))) stale.push(path);
  }
  return stale.sort();
}

/** Writes what changed and removes what is no longer generated. */
export function writeFiles(outDir: string, files: Map<string, string>): WriteResult {
  const result: WriteResult = { written: [], removed: [], unchanged: 0 };
  for (const [path, content] of files) {
    const full = join(outDir, path);
    if (existsSync(full) && readFileSync(full, 'utf8') === content) {
      result.unchanged++;
      continue;
    }
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content);
    result.written.push(full);
  }
  for (const path of listFiles(outDir)) {
    if (!files.has(relative(outDir, path))) {
      rmSync(path);
      result.removed.push(path);
    }
  }
  return result;
}

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...listFiles(full));
    else out.push(full);
  }
  return out;
}
