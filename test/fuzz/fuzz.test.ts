/** The fuzz property in CI: thousands of raw ioctl buffers (a few hundred sequences). Longer: npm run fuzz -- <runs>. */
import { describe, it } from 'vitest';
import { loadModel } from '../../generator/generate.js';
import * as minimal from '../fixtures/minimal-golden/core/index.js';
import { MINIMAL } from '../helpers.js';
import { Rig } from '../runtime/rig.js';
import { fuzz } from './ioctl-fuzz.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 1500);

describe('ioctl fuzz', () => {
  it(`minimal device: ${RUNS} sequences of up to 12 calls`, async () => {
    const driver = loadModel(MINIMAL).drivers[0]!;
    await fuzz({ rig: () => Rig.minimal(), driver, encoders: minimal as never }, RUNS);
  }, 120_000);
});
