/** generated/ is committed: this fails when it no longer matches the spec (run npm run generate). */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emitAll, loadModel, staleFiles } from '../../generator/generate.js';
import { runCli } from '../helpers.js';

describe('generated/', () => {
  it('matches the spec (run `npm run generate` if this fails)', () => {
    expect(staleFiles('generated', emitAll(loadModel('spec'), 'generated'))).toEqual([]);
  });

  it('generate --check exits 0 when up to date', async () => {
    const r = await runCli(['generate', '--check']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
  });
});

describe('drivers are independent', () => {
  it('the core alone generates generated/core again, byte for byte but for the provenance line', () => {
    const dir = mkdtempSync(join('test', '.tmp-'));
    try {
      cpSync('spec/core', join(dir, 'spec/core'), { recursive: true });
      const files = emitAll(loadModel(join(dir, 'spec')), 'generated');
      const body = (s: string): string => s.replace(/^(\/\/|<!--) (Code generated|Generated) by uverbs-abi from .*$/m, '');
      expect([...files.keys()].filter((k) => !k.startsWith('core/'))).toEqual([]);
      for (const [path, content] of files) expect([path, body(readFileSync(join('generated', path), 'utf8'))]).toEqual([path, body(content)]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
