/**
 * Random but valid inputs and outputs for any action, built from the model: the same
 * shapes the generated decoders return (64-bit values as bigint, every struct field).
 */
import { LEN_UNLIMITED, SCALAR_SIZE, type ActionModel, type AttrModel, type FieldType, type Scalar, type ScalarOrStruct, type ValueModel } from '../generator/model.js';

export type Rng = () => number;

export function rng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const int = (r: Rng, max: number): number => Math.floor(r() * max);

export function scalar(r: Rng, s: Scalar): number | bigint {
  switch (s) {
    case 'u8': return int(r, 256);
    case 'u16': return int(r, 65536);
    case 'u32': return int(r, 2 ** 32);
    case 's8': return int(r, 256) - 128;
    case 's16': return int(r, 65536) - 32768;
    case 's32': return int(r, 2 ** 32) - 2 ** 31;
    case 'u64': return (BigInt(int(r, 2 ** 32)) << 32n) | BigInt(int(r, 2 ** 32));
    case 's64': return BigInt.asIntN(64, (BigInt(int(r, 2 ** 32)) << 32n) | BigInt(int(r, 2 ** 32)));
  }
}

function bytes(r: Rng, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = int(r, 256);
  return b;
}

function field(r: Rng, t: FieldType): unknown {
  switch (t.kind) {
    case 'scalar':
    case 'struct':
      return element(r, t);
    case 'array':
      if (t.element.kind === 'scalar' && t.element.scalar === 'u8') return bytes(r, t.count);
      return Array.from({ length: t.count }, () => element(r, t.element));
    case 'flex':
      return undefined;
  }
}

export function element(r: Rng, e: ScalarOrStruct): unknown {
  if (e.kind === 'scalar') return scalar(r, e.scalar);
  const out: Record<string, unknown> = {};
  for (const f of e.struct.fields) if (f.type.kind !== 'flex') out[f.tsName] = field(r, f.type);
  return out;
}

function elementSize(e: ScalarOrStruct): number {
  return e.kind === 'scalar' ? SCALAR_SIZE[e.scalar] : e.struct.size;
}

/** A value of a pointer attribute whose length lies within [minLen, len]. */
export function value(r: Rng, v: ValueModel, minLen: number, len: number): unknown {
  switch (v.kind) {
    case 'scalar':
    case 'struct':
      return element(r, v);
    case 'array': {
      const size = elementSize(v.element);
      const lo = Math.ceil(minLen / size);
      const hi = Math.max(lo, Math.min(Math.floor(len / size), lo + 4));
      const n = lo + int(r, hi - lo + 1);
      if (v.element.kind === 'scalar' && v.element.scalar === 'u8') return bytes(r, n);
      return Array.from({ length: n }, () => element(r, v.element));
    }
    case 'bytes': {
      const hi = Math.min(len, minLen + 40);
      return bytes(r, minLen + int(r, hi - minLen + 1));
    }
  }
}

/** The byte length a ptr_out reserves for the capacity the sample asks for. */
export function outCapacity(r: Rng, a: AttrModel): true | number {
  if (a.len !== LEN_UNLIMITED) return true;
  const v = a.value!;
  if (v.kind === 'scalar' || v.kind === 'struct') return true;
  return 1 + int(r, 4);
}

/** A request for the action: every mandatory input, each optional one half the time. */
export function sampleIn(r: Rng, a: ActionModel): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const x of a.attributes) {
    // Optional outputs of fixed size are sent unless refused, so a request always names them.
    const byDefault = x.kind === 'ptr_out' && outCapacity(r, x) === true;
    if (!x.mandatory && !byDefault && r() < 0.5) continue;
    const v = sampleAttr(r, x);
    if (v !== undefined) out[x.tsName] = v;
  }
  return out;
}

function sampleAttr(r: Rng, x: AttrModel): unknown {
  switch (x.kind) {
    case 'idr':
    case 'fd':
      return x.access === 'new' ? undefined : int(r, 2 ** 31);
    case 'raw_fd':
      return int(r, 1024);
    case 'ptr_in':
      return value(r, x.value!, x.minLen, x.len);
    case 'ptr_out':
      return outCapacity(r, x);
    case 'const_in': {
      const s = x.value!.kind === 'scalar' ? x.value!.scalar : 'u64';
      if (x.enum) {
        const v = x.enum.values[int(r, x.enum.values.length)]!.value;
        return SCALAR_SIZE[s] === 8 ? BigInt.asUintN(64, v) : Number(v);
      }
      return scalar(r, s);
    }
    case 'flags_in': {
      const mask = x.enum ? x.enum.mask : 0xffffffffn;
      const bits = BigInt(int(r, 2 ** 32)) & mask;
      return x.value!.kind === 'scalar' && x.value!.scalar === 'u64' ? bits : Number(bits & 0xffffffffn);
    }
    case 'enum_in': {
      const e = x.elements![int(r, x.elements!.length)]!;
      return { elem: e.name, value: value(r, e.value, e.minLen, e.len) };
    }
    case 'idrs_array': {
      const n = x.minCount! + int(r, Math.min(x.maxCount!, x.minCount! + 4) - x.minCount! + 1);
      return Array.from({ length: n }, () => int(r, 2 ** 31));
    }
  }
}
