/**
 * The generator: `npm run generate` for core + mlx5 as a user runs it (a new process,
 * wall time), and how generation grows with the spec: a synthetic spec 16 times larger
 * against 16 times the time of the real one, in process (loadModel + emitAll, no
 * writes), in interleaved rounds.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { emitAll, loadModel } from '../generator/generate.js';
import { gc, median, type Row, type Settings } from './harness.js';
import { syntheticSpec } from './synthetic-spec.js';

const sec = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

function wall(cmd: string, args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { stdio: 'pipe', encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return ms;
}

export function generateWallRow(s: Settings): Row {
  // Into a fresh folder each time: every file is written, and the repository is left alone.
  const out = mkdtempSync(join(tmpdir(), 'uverbs-generate-'));
  try {
    const runs = s.quick ? 1 : 5;
    const gen: number[] = [];
    const node: number[] = [];
    for (let i = 0; i < runs; i++) {
      rmSync(out, { recursive: true, force: true });
      gen.push(wall('npm', ['run', '--silent', 'generate', '--', '--out', out]));
      node.push(wall(process.execPath, ['-e', '0']));
    }
    const g = median(gen);
    return {
      figure: 'npm run generate, core + mlx5 (new process, wall)',
      measured: sec(g),
      baseline: `node -e 0: ${sec(median(node))}`,
      value: sec(g),
      target: '<= 1.5 s',
      met: g <= 1500,
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

function generateMs(specRoot: string): { ms: number; bytes: number } {
  gc();
  const t0 = performance.now();
  const files = emitAll(loadModel(specRoot));
  const ms = performance.now() - t0;
  let bytes = 0;
  for (const text of files.values()) bytes += text.length;
  return { ms, bytes };
}

export function generateScaleRow(s: Settings): Row {
  const factor = s.quick ? 2 : 16;
  const big = syntheticSpec('spec', factor);
  try {
    generateMs('spec'); // warm-up: modules, ajv's compiled schema, the JIT
    generateMs(big);
    const rounds = s.quick ? 1 : 5;
    const one: number[] = [];
    const many: number[] = [];
    const ratios: number[] = [];
    let sizes = { one: 0, many: 0 };
    for (let i = 0; i < rounds; i++) {
      let a: { ms: number; bytes: number };
      let b: { ms: number; bytes: number };
      if (i % 2 === 0) {
        a = generateMs('spec');
        b = generateMs(big);
      } else {
        b = generateMs(big);
        a = generateMs('spec');
      }
      one.push(a.ms);
      many.push(b.ms);
      ratios.push(b.ms / (factor * a.ms));
      sizes = { one: a.bytes, many: b.bytes };
    }
    if (sizes.many < (factor - 0.5) * sizes.one) throw new Error(`the synthetic spec generates ${sizes.many} bytes, not about ${factor} x ${sizes.one}`);
    const r = median(ratios);
    return {
      figure: `generate ${factor}x spec / ${factor} x core+mlx5 (in process)`,
      measured: `${sec(median(many))} (${(sizes.many / 1e6).toFixed(1)} MB out)`,
      baseline: `${factor} x ${sec(median(one))}`,
      value: r.toFixed(2),
      target: '<= 1.3',
      met: r <= 1.3,
    };
  } finally {
    rmSync(big, { recursive: true, force: true });
  }
}
