/**
 * npm run bench: every figure of the benchmark issue, each against a baseline measured
 * in the same run, printed as one table. See docs/benchmarks.md for what each row
 * measures and the figures of a recorded run.
 *
 *   npm run bench                 (node --expose-gc --conditions=uverbs-abi-source --import tsx bench/main.ts)
 *   BENCH_QUICK=1 npm run bench   a few iterations of everything: checks that it runs
 */
import { cpus } from 'node:os';
import { encodeRows } from './encode.js';
import { generateScaleRow, generateWallRow } from './generate.js';
import { settings, sink, table, type Row } from './harness.js';
import { parseRows } from './parse.js';
import { roundTripRows } from './roundtrip.js';
import { dispatchScaleRow, idrRows } from './scale.js';

const s = settings();
const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
console.log(`uverbs-abi bench${s.quick ? ' (BENCH_QUICK: a few iterations, figures not meaningful)' : ''}: node ${process.version}, ${cpus().length} x ${cpu}`);
console.log(`ratios are medians of ${s.rounds} interleaved rounds of candidate and baseline; "value" is what the target is about`);
console.log('');

const rows: Row[] = [];
rows.push(...encodeRows(s));
rows.push(...(await parseRows(s)));
rows.push(...(await roundTripRows(s)));
rows.push(await dispatchScaleRow(s));
rows.push(...idrRows(s));
rows.push(generateWallRow(s));
rows.push(generateScaleRow(s));
console.log(table(rows));
if (sink === 0x7fffffff) console.log(''); // keeps the loops' results alive
