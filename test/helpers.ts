import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { main } from '../cli/main.js';

export const MINIMAL = 'test/fixtures/minimal';

/** Runs the CLI in-process and captures what it prints. */
export async function runCli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, (s) => { out += s; }, (s) => { err += s; });
  return { code, out, err };
}

export function tempDir(prefix = 'uverbs-abi-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * A copy of a spec tree in a temp folder, each file's JSON handed to `mutate` by its
 * path relative to the tree (e.g. "core/types.json") and written back.
 */
export function specCopy(from: string, mutate: (files: Map<string, Json>) => void = () => {}): string {
  const dir = tempDir('uverbs-spec-');
  cpSync(from, dir, { recursive: true });
  const files = new Map<string, Json>();
  for (const rel of ['core/driver.json', 'core/types.json']) files.set(rel, JSON.parse(readFileSync(join(dir, rel), 'utf8')) as Json);
  mutate(files);
  for (const [rel, json] of files) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), JSON.stringify(json, null, 2));
  }
  return dir;
}
