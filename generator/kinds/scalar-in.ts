/**
 * const_in and flags_in: a scalar passed inline. const_in is always 8 bytes
 * (rdma-core's fill_attr_const_in); flags_in is 4 or 8 bytes of bits from a flag set.
 */
import { SCALAR_SIZE, type AttrModel, type Scalar } from '../model.js';
import { attrU64, attrWords } from './attr-words.js';
import type { Renderer } from './kind.js';
import { getScalar, scalarInType } from './values.js';

/** Statement: the inline value, read as the type the spec gives it (the kernel range-checks const_in). */
function readInline(a: AttrModel, target: string): string {
  const s: Scalar = a.value!.kind === 'scalar' ? a.value!.scalar : 'u64';
  return `${target} = ${getScalar(s, 'v', 'at + 8')};`;
}

export const constIn: Renderer = {
  inType: (a) => scalarInType(a.value!.kind === 'scalar' ? a.value!.scalar : 'u64'),
  inRequired: (a) => a.mandatory,
  outType: () => undefined,
  size: () => '',
  encode: (a, x) => attrU64(a.id, 8, 0, x),
  decodeIn: (a, target) => readInline(a, target),
  decodeOut: () => '',
  describe: (a) => `in, const ${a.value!.kind === 'scalar' ? a.value!.scalar : ''}${a.enum ? ` (enum ${a.enum.name})` : ''}, 8 bytes inline${a.defaultValue !== undefined ? `, default ${a.defaultValue}` : ''}`,
};

export const flagsIn: Renderer = {
  inType: (a) => scalarInType(a.value!.kind === 'scalar' ? a.value!.scalar : 'u32'),
  inRequired: (a) => a.mandatory,
  outType: () => undefined,
  size: () => '',
  encode: (a, x) => {
    const wide = a.value!.kind === 'scalar' && SCALAR_SIZE[a.value!.scalar] === 8;
    return wide ? attrU64(a.id, 8, 0, x) : attrWords(a.id, 4, 0, `${x} >>> 0`, '0');
  },
  decodeIn: (a, target) => {
    const wide = a.value!.kind === 'scalar' && SCALAR_SIZE[a.value!.scalar] === 8;
    return wide ? `${target} = v.getBigUint64(at + 8, true);` : `${target} = v.getUint32(at + 8, true);`;
  },
  decodeOut: () => '',
  describe: (a) => `in, flags of ${a.enum?.name ?? '?'}, 4 or 8 bytes inline`,
};
