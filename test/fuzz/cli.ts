/**
 * npm run fuzz -- [runs] [seed]: the fuzz property for longer than CI runs it.
 * Each run is a sequence of up to 12 ioctl calls against a fresh device.
 */
import { loadModel } from '../../generator/generate.js';
import * as minimal from '../fixtures/minimal-golden/core/index.js';
import { MINIMAL } from '../helpers.js';
import { Rig } from '../runtime/rig.js';
import { fuzz } from './ioctl-fuzz.js';

const [runsText = '10000', seedText] = process.argv.slice(2);
const runs = Number(runsText);
const seed = seedText === undefined ? Date.now() % 2 ** 31 : Number(seedText);
if (!Number.isSafeInteger(runs) || runs <= 0 || !Number.isSafeInteger(seed)) {
  process.stderr.write(`usage: npm run fuzz -- [runs] [seed]   (runs: a positive integer, got "${runsText}")\n`);
  process.exit(2);
}
const started = Date.now();
process.stdout.write(`fuzzing the minimal device: ${runs} sequences, seed ${seed}\n`);
try {
  await fuzz({ rig: () => Rig.minimal(), driver: loadModel(MINIMAL).drivers[0]!, encoders: minimal as never }, runs, seed);
  process.stdout.write(`ok: ${runs} sequences in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
} catch (e) {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}
