import { readFileSync, readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { jsonErrorOffset, lineColumn } from './json-position.js';
import { Problems } from './errors.js';

/** One spec file as read from disk: its path and its parsed JSON (not yet validated). */
export interface SpecFile {
  /** Path relative to the working directory, for messages. */
  path: string;
  json: unknown;
}

/** A driver's folder of spec files, e.g. spec/core or spec/mlx5. */
export interface SpecFolder {
  /** The folder's name, which must equal the driver's name. */
  name: string;
  path: string;
  files: SpecFile[];
}

/**
 * Reads every driver folder under `specRoot` (all folders but `schema`), each file
 * sorted by name so that output never depends on directory order.
 */
export function loadSpecRoot(specRoot: string, problems: Problems): SpecFolder[] {
  const folders: SpecFolder[] = [];
  let entries: string[];
  try {
    entries = readdirSync(specRoot).sort();
  } catch {
    problems.add(specRoot, '', 'the spec folder cannot be read', 'run from the repository root, or pass --spec <folder>');
    return folders;
  }
  for (const name of entries) {
    const path = join(specRoot, name);
    if (name === 'schema' || !statSync(path).isDirectory()) continue;
    folders.push(loadSpecFolder(path, name, problems));
  }
  if (folders.length === 0) {
    problems.add(specRoot, '', 'no driver folders found', 'add spec/core/driver.json');
  }
  return folders;
}

export function loadSpecFolder(path: string, name: string, problems: Problems): SpecFolder {
  const files: SpecFile[] = [];
  for (const entry of readdirSync(path).sort()) {
    if (!entry.endsWith('.json')) continue;
    const file = join(path, entry);
    const shown = shownPath(file);
    const text = readFileSync(file, 'utf8');
    try {
      files.push({ path: shown, json: JSON.parse(text) });
    } catch (e) {
      problems.add(shown, '', `not valid JSON: ${describeJsonError(e, text)}`, 'fix the JSON syntax at that place');
    }
  }
  if (files.length === 0) {
    problems.add(path, '', 'the driver folder has no .json files', 'add a driver.json declaring the driver, or remove the folder');
  }
  return { name, path, files };
}

/** JSON.parse's message, with the place it goes wrong as line and column. */
function describeJsonError(e: unknown, text: string): string {
  const msg = (e instanceof Error ? e.message : String(e)).replace(/, ".*" is not valid JSON$/s, '').replace(/ in JSON at position \d+.*$/s, '');
  const at = jsonErrorOffset(text);
  return at < 0 ? msg : `${msg} at ${lineColumn(text, at)}`;
}

/** A path as the user would type it: relative to the working directory when below it. */
export function shownPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? resolve(file) : rel;
}
