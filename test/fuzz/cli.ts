/**
 * npm run fuzz -- [runs] [seed]: the fuzz property for longer than CI runs it.
 * Each run is a sequence of up to 12 ioctl calls against a fresh device.
 */
import { fuzz } from './ioctl-fuzz.js';
import { coreTarget, minimalTarget } from './targets.js';

const [runsText = '10000', seedText] = process.argv.slice(2);
const runs = Number(runsText);
const seed = seedText === undefined ? Date.now() % 2 ** 31 : Number(seedText);
if (!Number.isSafeInteger(runs) || runs <= 0 || !Number.isSafeInteger(seed)) {
  process.stderr.write(`usage: npm run fuzz -- [runs] [seed]   (runs: a positive integer, got "${runsText}")\n`);
  process.exit(2);
}
const started = Date.now();
try {
  for (const [name, target] of [['minimal', minimalTarget()], ['emulated core', coreTarget()]] as const) {
    process.stdout.write(`fuzzing the ${name} device: ${runs} sequences, seed ${seed}\n`);
    await fuzz(target, runs, seed);
  }
  process.stdout.write(`ok: ${runs} sequences per device in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
} catch (e) {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}
