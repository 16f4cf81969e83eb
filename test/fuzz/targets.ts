/** The devices the fuzz property runs against: the minimal spec's and the emulated core device. */
import { loadModel } from '../../generator/generate.js';
import * as core from '../../generated/core/index.js';
import { createCoreDevice } from '../../runtime/emulated/core/index.js';
import * as minimal from '../fixtures/minimal-golden/core/index.js';
import { MINIMAL } from '../helpers.js';
import { Rig } from '../runtime/rig.js';
import type { FuzzTarget } from './ioctl-fuzz.js';
import { uverbsFileAt } from '../../runtime/kernel/char-device.js';

export function minimalTarget(): FuzzTarget {
  return {
    rig: () => Rig.minimal(),
    prepare: async (r, fd) => {
      uverbsFileAt(r.process, fd)!.context = {};
    },
    driver: loadModel(MINIMAL).drivers[0]!,
    encoders: minimal as never,
  };
}

export function coreTarget(): FuzzTarget {
  const prepare = async (r: Rig, fd: number): Promise<void> => {
    const rc = await r.call(core.encodeGetContext, {}, fd);
    if (rc !== 0) throw new Error(`GET_CONTEXT failed: ${rc}`);
  };
  return {
    rig: async () => {
      const r = new Rig(createCoreDevice(), undefined, false);
      await prepare(r, r.fd);
      return r;
    },
    prepare,
    driver: loadModel('spec').drivers.find((d) => d.name === 'core')!,
    encoders: core as never,
  };
}
