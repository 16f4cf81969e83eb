/**
 * For every action of every driver: random valid requests encode and decode back to
 * themselves (what the kernel reads is what the caller gave), and what a kernel writes
 * back decodes to what it wrote.
 */
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../generator/generate.js';
import { pascalCase, type ActionModel, type DriverModel, type StructModel } from '../../generator/model.js';
import { attrPtr } from '../../runtime/abi/wire.js';
import { IoctlBuffer, attrAt, attrIdAt, attrLenAt, numAttrs } from '../../runtime/user/ioctl-buffer.js';
import { ATTR_FLAGS, UVERBS_ATTR_F_MANDATORY, UVERBS_ATTR_F_VALID_OUTPUT } from '../../runtime/abi/wire.js';
import { MINIMAL } from '../helpers.js';
import { element, rng, sampleIn, value, type Rng } from '../sample.js';

type Mod = Record<string, (...args: unknown[]) => unknown>;

const targets = [
  { name: 'minimal fixture', spec: MINIMAL, driver: 'core', load: () => import('../fixtures/minimal-golden/core/index.js') },
  { name: 'core', spec: 'spec', driver: 'core', load: () => import('../../generated/core/index.js') },
];

const CASES = 40;

function fns(mod: Mod, a: ActionModel): { encode: Function; decodeIn: Function; decodeOut: Function } {
  const P = pascalCase(a.name);
  return { encode: mod[`encode${P}`]!, decodeIn: mod[`decode${P}In`]!, decodeOut: mod[`decode${P}Out`]! };
}

/** Plays the kernel: writes every output of the request in `buf`, returns what it wrote. */
function writeBack(r: Rng, mod: Mod, d: DriverModel, a: ActionModel, buf: IoctlBuffer): Record<string, unknown> {
  const v = buf.view;
  const expected: Record<string, unknown> = {};
  for (let i = 0; i < numAttrs(v); i++) {
    const at = attrAt(i);
    const x = a.attributes.find((y) => y.id === attrIdAt(v, at))!;
    if ((x.kind === 'idr' || x.kind === 'fd') && x.access === 'new') {
      const h = x.kind === 'idr' ? Math.floor(r() * 2 ** 32) : Math.floor(r() * 2 ** 20);
      v.setUint32(at + 8, h, true);
      v.setUint32(at + 12, 0, true);
      expected[x.tsName] = h;
    } else if (x.kind === 'ptr_out') {
      if (!x.mandatory && r() < 0.3) continue; // the kernel did not write it: no VALID_OUTPUT
      const len = attrLenAt(v, at);
      const val = value(r, x.value!, len, len);
      const place = buf.resolve(attrPtr(v, at), len)!;
      writeValue(mod, x.value!, place.view, place.offset, val, d.structs);
      v.setUint16(at + ATTR_FLAGS, v.getUint16(at + ATTR_FLAGS, true) | UVERBS_ATTR_F_VALID_OUTPUT, true);
      expected[x.tsName] = val;
    }
  }
  return expected;
}

function writeValue(mod: Mod, t: NonNullable<ActionModel['attributes'][0]['value']>, view: DataView, o: number, val: unknown, structs: StructModel[]): void {
  const one = (e: { kind: 'scalar'; scalar: string } | { kind: 'struct'; struct: StructModel }, at: number, x: unknown): void => {
    if (e.kind === 'struct') mod[`encode${e.struct.tsName}`]!(view, at, x);
    else {
      const size = Number(e.scalar.slice(1)) / 8;
      const setter = `set${e.scalar.startsWith('u') ? (size === 8 ? 'BigUint' : 'Uint') : size === 8 ? 'BigInt' : 'Int'}${size * 8}` as 'setUint32';
      (view[setter] as (o: number, x: unknown, le: boolean) => void).call(view, at, x, true);
    }
  };
  void structs;
  if (t.kind === 'scalar' || t.kind === 'struct') one(t, o, val);
  else if (t.kind === 'bytes' || (t.kind === 'array' && t.element.kind === 'scalar' && t.element.scalar === 'u8')) new Uint8Array(view.buffer, view.byteOffset + o).set(val as Uint8Array);
  else {
    const e = t.element;
    const size = e.kind === 'scalar' ? Number(e.scalar.slice(1)) / 8 : e.struct.size;
    (val as unknown[]).forEach((x, i) => one(e, o + i * size, x));
  }
}

describe.each(targets)('round trips: $name', ({ spec, driver, load }) => {
  const d = loadModel(spec).drivers.find((x) => x.name === driver)!;
  const actions = d.types.flatMap((t) => t.actions.map((a) => ({ t, a, label: `${t.name}.${a.name}` })));

  it.each(actions)('$label', async ({ a }) => {
    const mod = (await load()) as unknown as Mod;
    const { encode, decodeIn, decodeOut } = fns(mod, a);
    const r = rng(a.id * 7919 + a.name.length);
    const buf = new IoctlBuffer(16384);
    for (let c = 0; c < CASES; c++) {
      const input = sampleIn(r, a);
      const used = encode(buf, input) as number;
      const v = buf.view;
      const sent = a.encodeOrder.filter((x) => x.tsName in input || (x.mandatory && (x.kind === 'ptr_out' || x.access === 'new')));
      expect(numAttrs(v)).toBe(sent.length);
      expect(v.getUint16(0, true)).toBe(24 + 16 * sent.length);
      expect(used).toBeGreaterThanOrEqual(24 + 16 * sent.length);
      expect(sent.map((_, i) => attrIdAt(v, attrAt(i)))).toEqual(sent.map((x) => x.id));
      for (let i = 0; i < sent.length; i++) expect(v.getUint16(attrAt(i) + ATTR_FLAGS, true)).toBe(UVERBS_ATTR_F_MANDATORY);
      expect(decodeIn(buf)).toEqual(input);
      const written = writeBack(r, mod, d, a, buf);
      expect(decodeOut(buf)).toEqual(written);
    }
  });

  it('clears MANDATORY on the attributes named optional', async () => {
    const mod = (await load()) as unknown as Mod;
    const a = actions.map((x) => x.a).find((x) => x.attributes.length > 1)!;
    const { encode } = fns(mod, a);
    const r = rng(1);
    const buf = new IoctlBuffer(16384);
    const input = sampleIn(r, a);
    const names = a.attributes.map((x) => x.name);
    encode(buf, input, names);
    for (let i = 0; i < numAttrs(buf.view); i++) expect(buf.view.getUint16(attrAt(i) + ATTR_FLAGS, true)).toBe(0);
  });
});

export { element };
