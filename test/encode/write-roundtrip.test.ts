/**
 * For every implemented write() command of every driver: random requests encode into a
 * write() buffer whose header counts what follows it as the kernel reads it, whose
 * request decodes (with the generated struct decoders, at the header's end) to what
 * the caller gave, and whose response address names a zeroed room right after it; what
 * a kernel writes into that room (response struct, completion entries, driver data)
 * decodes back with the command's generated decoder.
 */
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../generator/generate.js';
import { pascalCase, type ScalarOrStruct, type StructModel, type WriteCommandModel } from '../../generator/model.js';
import { alignUp8, IoctlBuffer } from '../../runtime/user/ioctl-buffer.js';
import { IB_USER_VERBS_CMD_FLAG_EXTENDED } from '../../runtime/abi/wire.js';
import { MINIMAL } from '../helpers.js';
import { element, rng, type Rng } from '../sample.js';

type Fn = (...args: unknown[]) => unknown;
type Mod = Record<string, Fn>;

const targets = [
  { name: 'minimal fixture', spec: MINIMAL, driver: 'core', load: () => import('../fixtures/minimal-golden/core/index.js') },
  { name: 'core', spec: 'spec', driver: 'core', load: () => import('../../generated/core/index.js') },
  { name: 'mlx5', spec: 'spec', driver: 'mlx5', load: () => import('../../generated/mlx5/index.js') },
];

const CASES = 20;
const ADDR = 0x7f00_0000_4000;

const int = (r: Rng, max: number): number => Math.floor(r() * max);
const randomBytes = (r: Rng, n: number): Uint8Array => Uint8Array.from({ length: n }, () => int(r, 256));
/** Top-level flexible arrays of core data, each with its element type. */
const coreFlex = (s: StructModel | undefined): { tsName: string; e: ScalarOrStruct }[] =>
  (s?.fields ?? []).flatMap((f) => (f.type.kind === 'flex' && f.name !== 'driver_data' ? [{ tsName: f.tsName, e: f.type.element }] : []));
const nestedFlex = (s: StructModel, top = true): boolean =>
  s.fields.some((f) => (f.type.kind === 'flex' && !(top && f.name === 'driver_data')) || (f.type.kind === 'struct' && nestedFlex(f.type.struct, false)));
const size = (e: ScalarOrStruct): number => (e.kind === 'scalar' ? Number(e.scalar.slice(1)) / 8 : e.struct.size);

/** What a value reads back as: encoded by the generated codec into a scratch view, decoded again (unions and bigints alike). */
function normalized(mod: Mod, e: ScalarOrStruct, x: unknown): unknown {
  const v = new DataView(new ArrayBuffer(Math.max(8, size(e))));
  if (e.kind === 'struct') {
    mod[`encode${e.struct.tsName}`]!(v, 0, x);
    return mod[`decode${e.struct.tsName}`]!(v, 0);
  }
  return read(mod, e, (write(mod, e, v, 0, x), v), 0);
}

function write(mod: Mod, e: ScalarOrStruct, v: DataView, o: number, x: unknown): void {
  if (e.kind === 'struct') mod[`encode${e.struct.tsName}`]!(v, o, x);
  else if (e.scalar === 'u64') v.setBigUint64(o, BigInt(x as bigint), true);
  else if (e.scalar === 's64') v.setBigInt64(o, BigInt(x as bigint), true);
  else new DataView(v.buffer, v.byteOffset)[`set${e.scalar.startsWith('u') ? 'Uint' : 'Int'}${e.scalar.slice(1)}` as 'setUint32'](o, x as number, true);
}

function read(mod: Mod, e: ScalarOrStruct, v: DataView, o: number): unknown {
  if (e.kind === 'struct') return mod[`decode${e.struct.tsName}`]!(v, o);
  if (e.scalar === 'u64') return v.getBigUint64(o, true);
  if (e.scalar === 's64') return v.getBigInt64(o, true);
  return v[`get${e.scalar.startsWith('u') ? 'Uint' : 'Int'}${e.scalar.slice(1)}` as 'getUint32'](o, true);
}

interface Sample {
  request: Record<string, unknown>;
  extra: Record<string, unknown>;
}

function sample(r: Rng, w: WriteCommandModel): Sample {
  const word = w.extended ? 8 : 4;
  const request = element(r, { kind: 'struct', struct: w.request }) as Record<string, unknown>;
  if (!w.extended && w.request.fields[0]?.name === 'response') delete request.response;
  const extra: Record<string, unknown> = {};
  for (const f of coreFlex(w.request)) {
    extra[f.tsName] = Array.from({ length: int(r, 4) }, () => element(r, f.e));
  }
  if (nestedFlex(w.request)) extra.tail = randomBytes(r, int(r, 13));
  if (w.driverData) {
    extra.driverIn = randomBytes(r, word * int(r, 4));
    if (w.response) extra.driverOutLen = word * int(r, 3);
  }
  for (const f of coreFlex(w.response)) extra[f.tsName] = int(r, 4);
  return { request, extra };
}

describe.each(targets)('write() round trips: $name', ({ spec, driver, load }) => {
  const d = loadModel(spec).drivers.find((x) => x.name === driver)!;
  const commands = d.writeCommands.filter((w) => w.handler !== undefined);

  it.each(commands.map((w) => ({ w, label: w.name })))('$label', async ({ w }) => {
    const mod = (await load()) as unknown as Mod;
    const P = `Write${pascalCase(w.name)}`;
    const encode = mod[`encode${P}`]!;
    const decode = mod[`decode${P}Out`];
    const r = rng(w.command * 7919 + w.name.length + (w.extended ? 1 : 0));
    const buf = new IoctlBuffer(16384, ADDR);
    const hdr = w.extended ? 24 : 8;
    const word = w.extended ? 8 : 4;
    for (let c = 0; c < CASES; c++) {
      buf.bytes.fill(0xa5); // old contents must not leak into the request or the response room
      const { request, extra } = sample(r, w);
      const used = encode(buf, request, extra) as number;
      const v = buf.view;

      // The header counts what follows it as the kernel reads it.
      expect(v.getUint32(0, true)).toBe(w.extended ? (IB_USER_VERBS_CMD_FLAG_EXTENDED | w.command) >>> 0 : w.command);
      const flexLen = coreFlex(w.request).reduce((n, f) => n + (extra[f.tsName] as unknown[]).length * size(f.e), 0);
      const tail = extra.tail as Uint8Array | undefined;
      const coreLen = Math.ceil((w.request.size + flexLen + (tail?.length ?? 0)) / word) * word;
      const driverIn = (extra.driverIn as Uint8Array | undefined) ?? new Uint8Array(0);
      const flexOut = coreFlex(w.response).reduce((n, f) => n + (extra[f.tsName] as number) * size(f.e), 0);
      const coreRoom = w.response ? w.response.size + flexOut : 0;
      const driverOut = (extra.driverOutLen as number | undefined) ?? 0;
      expect(used).toBe(hdr + coreLen + driverIn.length);
      if (w.extended) {
        expect([v.getUint16(4, true), v.getUint16(6, true), v.getUint16(16, true), v.getUint16(18, true), v.getUint32(20, true)])
          .toEqual([coreLen / 8, coreRoom / 8, driverIn.length / 8, driverOut / 8, 0]);
      } else {
        expect([v.getUint16(4, true) * 4, v.getUint16(6, true) * 4]).toEqual([used, coreRoom + driverOut]);
      }

      // The request, its response address, what follows it, the padding, the driver data.
      const at = alignUp8(used);
      const respAt = w.extended ? Number(v.getBigUint64(8, true)) : w.response ? Number(v.getBigUint64(8, true)) : undefined;
      if (w.response) expect(respAt).toBe(ADDR + at);
      else if (w.extended) expect(respAt).toBe(0);
      const sent = { ...request, ...(!w.extended && w.response ? { response: BigInt(ADDR + at) } : {}) };
      expect(mod[`decode${w.request.tsName}`]!(v, hdr)).toEqual(normalized(mod, { kind: 'struct', struct: w.request }, sent));
      let p = hdr + w.request.size;
      for (const f of coreFlex(w.request)) {
        const e = f.e;
        for (const x of extra[f.tsName] as unknown[]) {
          expect(read(mod, e, v, p)).toEqual(normalized(mod, e, x));
          p += size(e);
        }
      }
      if (tail) {
        expect(buf.bytes.subarray(p, p + tail.length)).toEqual(tail);
        p += tail.length;
      }
      expect([...buf.bytes.subarray(p, hdr + coreLen)].every((b) => b === 0)).toBe(true);
      expect(buf.bytes.subarray(hdr + coreLen, used)).toEqual(driverIn);
      if (!w.response) {
        expect(decode).toBeUndefined();
        continue;
      }
      expect([...buf.bytes.subarray(used, at + coreRoom + driverOut)].every((b) => b === 0)).toBe(true);

      // Play the kernel: fill the room, then decode it.
      const response = element(r, { kind: 'struct', struct: w.response });
      write(mod, { kind: 'struct', struct: w.response }, v, at, response);
      const expected: Record<string, unknown> = { response: normalized(mod, { kind: 'struct', struct: w.response }, response) };
      let q = at + w.response.size;
      for (const f of coreFlex(w.response)) {
        const e = f.e;
        const xs = Array.from({ length: extra[f.tsName] as number }, () => element(r, e));
        xs.forEach((x) => { write(mod, e, v, q, x); q += size(e); });
        expected[f.tsName] = xs.map((x) => normalized(mod, e, x));
      }
      if (w.driverData) {
        const bytes = randomBytes(r, driverOut);
        buf.bytes.set(bytes, at + coreRoom);
        expected.driverOut = bytes;
      }
      expect(decode!(buf)).toEqual(expected);
    }
  });
});
