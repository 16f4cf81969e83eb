/**
 * Renderings of the values pointer attributes and struct fields carry: their TypeScript
 * types, and the expressions that write and read them in a DataView.
 */
import { SCALAR_SIZE, type FieldType, type Scalar, type ScalarOrStruct, type StructModel, type ValueModel } from '../model.js';

const is64 = (s: Scalar): boolean => s === 'u64' || s === 's64';

export function scalarInType(s: Scalar): string {
  return is64(s) ? 'number | bigint' : 'number';
}

export function scalarOutType(s: Scalar): string {
  return is64(s) ? 'bigint' : 'number';
}

const SETTER: Record<Scalar, string> = {
  u8: 'setUint8', u16: 'setUint16', u32: 'setUint32', s8: 'setInt8', s16: 'setInt16', s32: 'setInt32', u64: '', s64: '',
};
const GETTER: Record<Scalar, string> = {
  u8: 'getUint8', u16: 'getUint16', u32: 'getUint32', s8: 'getInt8', s16: 'getInt16', s32: 'getInt32', u64: 'getBigUint64', s64: 'getBigInt64',
};

/** Statement writing scalar `x` at `v`/`o`. */
export function putScalar(s: Scalar, v: string, o: string, x: string): string {
  if (s === 'u64') return `putU64(${v}, ${o}, ${x});`;
  if (s === 's64') return `putS64(${v}, ${o}, ${x});`;
  if (SCALAR_SIZE[s] === 1) return `${v}.${SETTER[s]}(${o}, ${x});`;
  return `${v}.${SETTER[s]}(${o}, ${x}, true);`;
}

export function getScalar(s: Scalar, v: string, o: string): string {
  if (SCALAR_SIZE[s] === 1) return `${v}.${GETTER[s]}(${o})`;
  return `${v}.${GETTER[s]}(${o}, true)`;
}

export function structHas64(s: StructModel, seen = new Set<StructModel>()): boolean {
  if (seen.has(s)) return false;
  seen.add(s);
  return s.fields.some((f) => {
    const e = f.type.kind === 'array' || f.type.kind === 'flex' ? f.type.element : f.type;
    return e.kind === 'scalar' ? is64(e.scalar) : structHas64(e.struct, seen);
  });
}

export const initName = (s: StructModel): string => `${s.tsName}Init`;
export const sizeConst = (s: StructModel): string => `${s.name.toUpperCase()}_SIZE`;
export const encodeFn = (s: StructModel): string => `encode${s.tsName}`;
export const decodeFn = (s: StructModel): string => `decode${s.tsName}`;

export function elementInType(e: ScalarOrStruct): string {
  return e.kind === 'scalar' ? scalarInType(e.scalar) : initName(e.struct);
}

export function elementOutType(e: ScalarOrStruct): string {
  return e.kind === 'scalar' ? scalarOutType(e.scalar) : e.struct.tsName;
}

export function elementSize(e: ScalarOrStruct): number {
  return e.kind === 'scalar' ? SCALAR_SIZE[e.scalar] : e.struct.size;
}

/** Statement writing element `x` at `v`/`o`. */
export function putElement(e: ScalarOrStruct, v: string, o: string, x: string): string {
  return e.kind === 'scalar' ? putScalar(e.scalar, v, o, x) : `${encodeFn(e.struct)}(${v}, ${o}, ${x});`;
}

export function getElement(e: ScalarOrStruct, v: string, o: string): string {
  return e.kind === 'scalar' ? getScalar(e.scalar, v, o) : `${decodeFn(e.struct)}(${v}, ${o})`;
}

const isBytes = (e: ScalarOrStruct): boolean => e.kind === 'scalar' && e.scalar === 'u8';

/** The TypeScript type of a struct field on input (all fields optional, zero by default). */
export function fieldInType(t: FieldType): string {
  switch (t.kind) {
    case 'scalar':
    case 'struct':
      return elementInType(t);
    case 'array':
    case 'flex':
      return isBytes(t.element) ? 'Uint8Array' : `ArrayLike<${elementInType(t.element)}>`;
  }
}

export function fieldOutType(t: FieldType): string {
  switch (t.kind) {
    case 'scalar':
    case 'struct':
      return elementOutType(t);
    case 'array':
    case 'flex':
      return isBytes(t.element) ? 'Uint8Array' : `${elementOutType(t.element)}[]`;
  }
}

/** The TypeScript type of a pointer attribute's value on input. */
export function valueInType(v: ValueModel): string {
  switch (v.kind) {
    case 'scalar':
    case 'struct':
      return elementInType(v);
    case 'array':
      return isBytes(v.element) ? 'Uint8Array' : `ArrayLike<${elementInType(v.element)}>`;
    case 'bytes':
      return 'Uint8Array';
  }
}

export function valueOutType(v: ValueModel): string {
  switch (v.kind) {
    case 'scalar':
    case 'struct':
      return elementOutType(v);
    case 'array':
      return isBytes(v.element) ? 'Uint8Array' : `${elementOutType(v.element)}[]`;
    case 'bytes':
      return 'Uint8Array';
  }
}

/** Expression: the byte length of value `x` (static for scalars and structs). */
export function valueByteLength(v: ValueModel, x: string): string {
  switch (v.kind) {
    case 'scalar':
    case 'struct':
      return String(elementSize(v));
    case 'array':
      return `${x}.length * ${elementSize(v.element)}`;
    case 'bytes':
      return `${x}.length`;
  }
}

/** Statements writing value `x` at `v`/`o`, where `bytes` is the Uint8Array behind `v`. */
export function putValue(v: ValueModel, view: string, bytes: string, o: string, x: string): string {
  switch (v.kind) {
    case 'scalar':
    case 'struct':
      return putElement(v, view, o, x);
    case 'array':
      if (isBytes(v.element)) return `${bytes}.set(${x}, ${o});`;
      return `for (let i = 0; i < ${x}.length; i++) { ${putElement(v.element, view, `${o} + i * ${elementSize(v.element)}`, `${x}[i]!`)} }`;
    case 'bytes':
      return `${bytes}.set(${x}, ${o});`;
  }
}

/** Expression reading a value of `len` bytes at `v`/`o`. */
export function getValue(v: ValueModel, view: string, o: string, len: string): string {
  switch (v.kind) {
    case 'scalar':
    case 'struct':
      return getElement(v, view, o);
    case 'array':
      if (isBytes(v.element)) return `copyBytes(${view}, ${o}, ${len})`;
      return `readArray(${view}, ${o}, Math.floor(${len} / ${elementSize(v.element)}), ${elementSize(v.element)}, (w, k) => ${getElement(v.element, 'w', 'k')})`;
    case 'bytes':
      return `copyBytes(${view}, ${o}, ${len})`;
  }
}
