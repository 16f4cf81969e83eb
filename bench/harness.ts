/**
 * Timing for a noisy machine: every figure is a ratio of a candidate against a baseline
 * measured in the same run. Both are warmed up, then timed in rounds that alternate
 * which goes first (candidate, baseline, baseline, candidate, ...); each round yields
 * one ratio, and the figure is the median of those ratios (and of each side's time).
 *
 * A loop is `(n) => sink`: it runs its operation n times and returns something derived
 * from the work, so that nothing can be optimized away. Each figure writes its own
 * loops, so that every call site stays monomorphic and the callee can be inlined as it
 * would be in an application.
 */
import { performance } from 'node:perf_hooks';

export type Loop = (n: number) => unknown;
export type AsyncLoop = (n: number) => Promise<unknown>;

export interface Settings {
  /** BENCH_QUICK=1: a few iterations of everything, to check that the bench runs. */
  readonly quick: boolean;
  /** Timed rounds per figure (interleaved candidate/baseline pairs). */
  readonly rounds: number;
  /** Warm-up rounds before timing. */
  readonly warmup: number;
  /** How long one timed batch should last, in milliseconds. */
  readonly batchMs: number;
}

export function settings(): Settings {
  const quick = process.env.BENCH_QUICK === '1';
  return quick ? { quick, rounds: 1, warmup: 1, batchMs: 1 } : { quick, rounds: 15, warmup: 3, batchMs: 25 };
}

/** Defeats dead-code elimination: every loop's result is folded in here. */
export let sink = 0;
export function consume(x: unknown): void {
  sink = (sink + (typeof x === 'number' ? x : 1)) | 0;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Nanoseconds per operation of one batch of n. */
function timeBatch(loop: Loop, n: number): number {
  const t0 = performance.now();
  consume(loop(n));
  return ((performance.now() - t0) * 1e6) / n;
}

async function timeBatchAsync(loop: AsyncLoop, n: number): Promise<number> {
  const t0 = performance.now();
  consume(await loop(n));
  return ((performance.now() - t0) * 1e6) / n;
}

/** The batch size at which the slower of the loops takes about `batchMs`. */
function calibrate(loops: readonly Loop[], s: Settings, start = 64, max = 1 << 24): number {
  let n = start;
  for (;;) {
    const ms = Math.max(...loops.map((l) => (timeBatch(l, n) * n) / 1e6));
    if (ms >= s.batchMs || n >= max) return n;
    n = Math.min(max, ms <= 0 ? n * 8 : Math.ceil(n * Math.min(8, Math.max(1.5, (s.batchMs * 1.1) / ms))));
  }
}

export interface Comparison {
  /** Median ns per operation of the candidate. */
  readonly candidate: number;
  readonly baseline: number;
  /** Median of the per-round ratios candidate / baseline. */
  readonly ratio: number;
  /** Operations per batch. */
  readonly n: number;
}

/** Times `candidate` against `baseline` in interleaved rounds. */
export function compare(candidate: Loop, baseline: Loop, s: Settings, opts: { n?: number; rounds?: number } = {}): Comparison {
  const n = opts.n ?? calibrate([candidate, baseline], s);
  for (let i = 0; i < s.warmup; i++) {
    timeBatch(candidate, n);
    timeBatch(baseline, n);
  }
  const c: number[] = [];
  const b: number[] = [];
  const r: number[] = [];
  const rounds = opts.rounds ?? s.rounds;
  for (let i = 0; i < rounds; i++) {
    let tc: number;
    let tb: number;
    if (i % 2 === 0) {
      tc = timeBatch(candidate, n);
      tb = timeBatch(baseline, n);
    } else {
      tb = timeBatch(baseline, n);
      tc = timeBatch(candidate, n);
    }
    c.push(tc);
    b.push(tb);
    r.push(tc / tb);
  }
  return { candidate: median(c), baseline: median(b), ratio: median(r), n };
}

/** compare() for loops that await (the in-process transport is asynchronous). */
export async function compareAsync(candidate: AsyncLoop, baseline: AsyncLoop, s: Settings, n: number, rounds = s.rounds): Promise<Comparison> {
  for (let i = 0; i < s.warmup; i++) {
    await timeBatchAsync(candidate, n);
    await timeBatchAsync(baseline, n);
  }
  const c: number[] = [];
  const b: number[] = [];
  const r: number[] = [];
  for (let i = 0; i < rounds; i++) {
    let tc: number;
    let tb: number;
    if (i % 2 === 0) {
      tc = await timeBatchAsync(candidate, n);
      tb = await timeBatchAsync(baseline, n);
    } else {
      tb = await timeBatchAsync(baseline, n);
      tc = await timeBatchAsync(candidate, n);
    }
    c.push(tc);
    b.push(tb);
    r.push(tc / tb);
  }
  return { candidate: median(c), baseline: median(b), ratio: median(r), n };
}

/** Median ns per operation of an async loop on its own. */
export async function timeAsync(loop: AsyncLoop, s: Settings, n: number, rounds = s.rounds): Promise<number> {
  for (let i = 0; i < s.warmup; i++) await timeBatchAsync(loop, n);
  const t: number[] = [];
  for (let i = 0; i < rounds; i++) t.push(await timeBatchAsync(loop, n));
  return median(t);
}

/** A full garbage collection, when node runs with --expose-gc. */
export function gc(): boolean {
  const g = (globalThis as { gc?: () => void }).gc;
  if (!g) return false;
  g();
  g();
  return true;
}

/** One row of the bench's table. */
export interface Row {
  readonly figure: string;
  readonly measured: string;
  readonly baseline: string;
  /** The figure compared with its target: a ratio, or an absolute value with its unit. */
  readonly value: string;
  readonly target: string;
  /** true: met, false: missed, undefined: nothing to meet (reported only). */
  readonly met?: boolean | undefined;
}

export const ns = (x: number): string => (x >= 1e6 ? `${(x / 1e6).toFixed(2)} ms` : x >= 1e4 ? `${(x / 1e3).toFixed(1)} µs` : x >= 1e3 ? `${(x / 1e3).toFixed(2)} µs` : `${x.toFixed(1)} ns`);
export const ratio = (x: number): string => x.toFixed(2);
export const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;

export function ratioRow(figure: string, c: Comparison, target: number, unit = '/op'): Row {
  return { figure, measured: `${ns(c.candidate)}${unit}`, baseline: `${ns(c.baseline)}${unit}`, value: ratio(c.ratio), target: `<= ${target}`, met: c.ratio <= target };
}

/** The rows as one markdown table. */
export function table(rows: readonly Row[]): string {
  const head = ['figure', 'measured', 'baseline', 'value', 'target', 'met'];
  const cells = rows.map((r) => [r.figure, r.measured, r.baseline, r.value, r.target, r.met === undefined ? '' : r.met ? 'yes' : 'NO']);
  const w = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: readonly string[]): string => `| ${c.map((x, i) => x.padEnd(w[i]!)).join(' | ')} |`;
  return [line(head), line(w.map((n) => '-'.repeat(n))), ...cells.map(line)].join('\n');
}
