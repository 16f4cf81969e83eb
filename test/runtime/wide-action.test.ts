/**
 * Actions with more than 32 attributes: the bundle records which slots were given in a
 * bitmap of two 32-bit words (the kernel's attr_present), so slots 32 and up take the
 * second word. The minimal spec's QUERY is widened here with driver attributes up to
 * the kernel's limit of 63 per method; one past it is refused when the device is made.
 */
import { describe, expect, it } from 'vitest';
import { MAX_ACTION_ATTRS } from '../../runtime/kernel/action-plan.js';
import { Access, AttrKind, NO_OBJECT, type ActionSpec, type AttrSpec, type TypeSpec, type UapiSpec } from '../../runtime/kernel/contract.js';
import { Device, type TypeOps } from '../../runtime/kernel/device.js';
import { EINVAL } from '../../runtime/abi/errno.js';
import { uapi } from '../fixtures/minimal-golden/core/index.js';
import { Rig } from './rig.js';
import { registerDevice } from '../../runtime/kernel/char-device.js';

const DRIVER_NS = 0x1000;

/** A u32 input in the driver namespace, at bundle slot `index`. */
function extra(index: number, mandatory: boolean): AttrSpec {
  return {
    id: DRIVER_NS + index, name: `extra_${index}`, kind: AttrKind.PTR_IN, index, mandatory, len: 4, minLen: 4, zeroTrailing: false,
    allocAndCopy: false, isUdata: false, objType: NO_OBJECT, access: Access.NONE, elements: [], minCount: 0, maxCount: 0, flagsMask: 0n,
  };
}

/** The minimal tables with DEVICE.QUERY grown to `total` attributes; the last one is mandatory. */
function widened(total: number): UapiSpec {
  const device = uapi.types.core[0]!;
  const query = device.actions.core[0]!;
  const attrs = [...query.attrs];
  for (let index = attrs.length; index < total; index++) attrs.push(extra(index, index === total - 1));
  const action: ActionSpec = {
    ...query,
    attrs,
    byId: { core: query.byId.core, driver: attrs.map((s, k) => (s.id === DRIVER_NS + k ? s : undefined)) }, // dense by the id's low 12 bits
    mandatory: [...query.mandatory, total - 1],
  };
  const type: TypeSpec = { ...device, actions: { core: [action], driver: [] } };
  return { ...uapi, types: { core: [type, ...uapi.types.core.slice(1)], driver: [] } };
}

/** A device whose QUERY handler reports the value of every extra attribute it was given. */
function wideDevice(total: number, seen: Map<number, number>): Device {
  const none: TypeOps = { release() {} };
  return registerDevice(widened(total), {
    handlers: {
      query(b) {
        for (let index = 3; index < total; index++) if (b.has(DRIVER_NS + index)) seen.set(index, b.u32(DRIVER_NS + index));
      },
      pdAlloc() {}, pdDestroy() {}, channelAlloc() {}, widgetCreate() {},
    },
    types: { PD: none, CHANNEL: none, WIDGET: none },
  });
}

const TOTAL = MAX_ACTION_ATTRS; // slots 0..62: the second word of the bitmap holds 32..62

function query(r: Rig, extras: number[]) {
  return {
    object: 0,
    method: 0,
    attrs: [
      { id: 0, len: 8, data: 1 },
      { id: 1, len: 16, data: r.addr(2048) },
      ...extras.map((index) => ({ id: DRIVER_NS + index, len: 4, data: 1000 + index })),
    ],
  };
}

describe('actions with more than 32 attributes', () => {
  it('every attribute reaches the handler at its own slot, in either word of the bitmap', async () => {
    const seen = new Map<number, number>();
    const r = new Rig(wideDevice(TOTAL, seen));
    const extras = [TOTAL - 1, 40, 31, 32, 3, 33, 50];
    expect(await r.send(query(r, extras))).toBe(0);
    expect([...seen].sort((a, b) => a[0] - b[0])).toEqual(extras.sort((a, b) => a - b).map((index) => [index, 1000 + index]));
  });

  it('a mandatory attribute in the second word, missing: EINVAL', async () => {
    const r = new Rig(wideDevice(TOTAL, new Map()));
    expect(await r.send(query(r, [40, 3]))).toBe(-EINVAL);
  });

  it('an attribute of the second word given twice: EINVAL', async () => {
    const r = new Rig(wideDevice(TOTAL, new Map()));
    expect(await r.send(query(r, [TOTAL - 1, 45, 45]))).toBe(-EINVAL);
  });

  it('an action of more attributes than the kernel can key is refused when the device is made', () => {
    expect(() => wideDevice(TOTAL + 1, new Map())).toThrow(/QUERY declares 64 attributes; the kernel keys at most 63 per method/);
  });
});
