/**
 * The whole pipeline: load -> validate (ajv) -> resolve (typed model, merge, checks)
 * -> emit (one emitter per output) -> write only what changed. With `check`, nothing
 * is written and the stale files are reported.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Problems } from './errors.js';
import { loadSpecRoot } from './load.js';
import type { DriverModel, Model } from './model.js';
import { resolve } from './resolve.js';
import { validateFolders } from './validate.js';
import { emitTypeActions, typeFileName } from './emit/actions.js';
import { clientClassName, emitClient } from './emit/client.js';
import { emitDocs } from './emit/docs.js';
import { emitEnums } from './emit/enums.js';
import { emitIds } from './emit/ids.js';
import { emitStructs } from './emit/structs.js';
import { header } from './emit/templates.js';
import { indent } from './emit/ts.js';
import { emitUapi } from './emit/uapi.js';
import { emitWrite } from './emit/write.js';
import { emitWriteClient, writeClientClassName } from './emit/write-client.js';

const RUNTIME_DIR = fileURLToPath(new URL('../runtime', import.meta.url));

/** Loads, validates and resolves the spec; throws SpecError listing every problem. */
export function loadModel(specRoot: string): Model {
  const problems = new Problems();
  const folders = loadSpecRoot(specRoot, problems);
  problems.throwIfAny();
  validateFolders(folders, problems);
  problems.throwIfAny();
  return resolve(folders, problems);
}

/** Every generated file, by path relative to the output folder. */
export function emitAll(model: Model, outDir = 'generated'): Map<string, string> {
  const files = new Map<string, string>();
  for (const d of model.drivers) {
    // Generated code imports the runtime by a relative path from its driver folder.
    const runtime = relative(join(outDir, d.name), RUNTIME_DIR).split(sep).join('/');
    const sources = sourcesOf(model, d);
    const ts = (path: string, doc: string, body: string): void => {
      files.set(`${d.name}/${path}`, indent(`${header(sources, doc)}\n${body}`).trimEnd() + '\n');
    };
    ts('ids.ts', `Ids of the ${d.name} uverbs ABI.`, emitIds(d));
    ts('enums.ts', `Enums and flag sets of the ${d.name} uverbs ABI.`, emitEnums(d));
    ts('structs.ts', `Struct codecs of the ${d.name} uverbs ABI (x86-64 C layout, little-endian).`, emitStructs(d, runtime));
    for (const t of d.types) {
      if (t.actions.length === 0) continue;
      ts(typeFileName(t), `${t.name} (${t.cName}): ${t.doc}`, emitTypeActions(d, t, runtime));
    }
    ts('uapi.ts', `Kernel-side tables of the ${d.name} uverbs ABI.`, emitUapi(d, runtime));
    ts('client.ts', `The typed client of the ${d.name} uverbs ABI: a method per action, over a Transport.`, emitClient(d, runtime));
    ts('write.ts', `The user side of the ${d.name} write() ABI: command numbers, per command an encoder of the whole write() buffer and a decoder of its response.`, emitWrite(d, runtime));
    ts('write-client.ts', `The typed write() client of the ${d.name} uverbs ABI: a method per implemented command, by write(2) or INVOKE_WRITE, over a Transport.`, emitWriteClient(d, runtime));
    ts('index.ts', `The ${d.name} uverbs ABI: ids, enums, structs, per-action encoders and decoders, kernel tables, the typed client; the write() encoders, decoders and client.`, emitIndex(d));
    files.set(`${d.name}/README.md`, emitDocs(d, sources));
  }
  return files;
}

function sourcesOf(model: Model, d: DriverModel): string {
  const chain: string[] = [];
  for (let x: DriverModel | undefined = d; x; x = model.drivers.find((y) => y.name === x!.extends)) {
    chain.unshift(`${dirname(x.origin.file).split(sep).join('/')}/*.json`);
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
