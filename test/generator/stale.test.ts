/** generated/ is committed: this fails when it no longer matches the spec (run npm run generate). */
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
