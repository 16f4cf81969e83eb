/** The fuzz property in CI: thousands of raw ioctl buffers per device. Longer: npm run fuzz -- <runs>. */
import { describe, it } from 'vitest';
import { fuzz } from './ioctl-fuzz.js';
import { coreTarget, minimalTarget } from './targets.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 1000);

describe('ioctl fuzz', () => {
  it(`minimal device: ${RUNS} sequences of up to 12 calls`, async () => {
    await fuzz(minimalTarget(), RUNS);
  }, 120_000);

  it(`emulated core device: ${RUNS} sequences of up to 12 calls`, async () => {
    await fuzz(coreTarget(), RUNS);
  }, 300_000);
});
