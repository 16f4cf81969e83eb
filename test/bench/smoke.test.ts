/**
 * `npm run bench` runs: the bench in quick mode (BENCH_QUICK=1, a few iterations of
 * everything) as its own process, as npm runs it, exits 0 and prints every row of its
 * table, each with a value. No figure is checked: timings belong to docs/benchmarks.md,
 * not to the test suite.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/** The rows of the table, by figure; `N` is the large object count (1M, or fewer in quick mode). */
const ROWS: readonly RegExp[] = [
  /^encode CQ_CREATE: generated \/ hand-written$/,
  /^encode QP_CREATE: generated \/ hand-written$/,
  /^encode REG_MR: generated \/ hand-written$/,
  /^parse\+check CQ_CREATE: dispatcher \/ hand-written$/,
  /^parse\+check QP_CREATE: dispatcher \/ hand-written$/,
  /^parse\+check REG_MR: dispatcher \/ hand-written$/,
  /^round trip create\+destroy CQ \(client, in-process\)$/,
  /^stage: encode$/,
  /^stage: dispatch$/,
  /^stage: handler$/,
  /^stage: write-back$/,
  /^stage: decode$/,
  /^other: promises, transport, buffer pool$/,
  /^dispatch CQ_CREATE \(no handler\): \+64 driver types \/ core only$/,
  /^memory per live uobject at \w+ objects \(runtime's share\)$/,
  /^IDR alloc\+lookup\+lock\+unlock, 1k-handle working set: \w+ \/ 1k live$/,
  /^IDR alloc\+lookup\+lock\+unlock, lookups over all live: \w+ \/ 1k live$/,
  /^floor, a plain array in place of the IDR: \w+ \/ 1k live$/,
  /^IDR \/ plain array, lookups over all \w+ live$/,
  /^npm run generate, core \+ mlx5 \(new process, wall\)$/,
  /^generate \w+ spec \/ \w+ x core\+mlx5 \(in process\)$/,
];

describe('npm run bench', () => {
  it('runs in quick mode and prints every row of its table', () => {
    const r = spawnSync(process.execPath, ['--expose-gc', '--conditions=uverbs-abi-source', '--import', 'tsx', 'bench/main.ts'], {
      env: { ...process.env, BENCH_QUICK: '1' },
      encoding: 'utf8',
      timeout: 240_000,
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const cells = r.stdout
      .split('\n')
      .filter((l) => l.startsWith('| '))
      .slice(2) // the head and its rule
      .map((l) => l.split('|').slice(1, -1).map((c) => c.trim()));
    expect(cells.map((c) => c[0])).toHaveLength(ROWS.length);
    ROWS.forEach((row, k) => {
      expect(cells[k]![0]).toMatch(row);
      expect(cells[k]![3]).not.toBe(''); // the value
    });
  }, 300_000);
});
