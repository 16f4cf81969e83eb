/**
 * ptr_in: data user space passes in, inline in the attribute when it is at most
 * 8 bytes (as rdma-core's fill_attr_in does), else by pointer to a payload.
 */
import { INLINE_MAX } from '../../runtime/abi/wire.js';
import { LEN_UNLIMITED, valueSize, valueText, type AttrModel, type ValueModel } from '../model.js';
import { attrPointer, attrU64, attrWords } from './attr-words.js';
import type { Renderer } from './kind.js';
import { getValue, putValue, valueByteLength, valueInType } from './values.js';

/** True when the value always fits inline: a scalar or a struct of at most 8 bytes. */
export const alwaysInline = (v: ValueModel): boolean => (valueSize(v) ?? INLINE_MAX + 1) <= INLINE_MAX;
/** True when the value never fits inline. */
const neverInline = (v: ValueModel): boolean => (valueSize(v) ?? 0) > INLINE_MAX;

export function sizeText(a: { len: number; minLen: number; zeroTrailing: boolean }): string {
  const max = a.len === LEN_UNLIMITED ? 'no limit' : `${a.len}`;
  const range = a.minLen === a.len ? `${a.len} bytes` : `${a.minLen}..${max} bytes`;
  return a.zeroTrailing ? `${range}, longer if the tail is zero` : range;
}

/** Encoding of one pointer-in value with element id `elem` (0 unless enum_in). */
export function encodePtrIn(a: AttrModel, value: ValueModel, x: string, elem: number): string {
  if (value.kind === 'scalar') {
    const size = valueSize(value)!;
    if (size === 8) return attrU64(a.id, 8, elem, x);
    const lo = size === 4 ? `${x} >>> 0` : `${x} & ${size === 2 ? '0xffff' : '0xff'}`;
    return attrWords(a.id, size, elem, lo, '0');
  }
  if (alwaysInline(value)) {
    const len = valueSize(value)!;
    return `${attrWords(a.id, len, elem, '0', '0')}\n${putValue(value, 'v', 'b', 'at + 8', x)}`;
  }
  const len = valueByteLength(value, x);
  const pointer = `${attrPointer(a.id, 'len', elem, 'buf.addr + p')}\n${putValue(value, 'v', 'b', 'p', x)}\np += alignUp8(len);`;
  const body = neverInline(value)
    ? `const len = ${len};\n${pointer}`
    : `const len = ${len};\nif (len <= 8) {\n${attrWords(a.id, 'len', elem, '0', '0')}\n${putValue(value, 'v', 'b', 'at + 8', x)}\n} else {\n${pointer}\n}`;
  return `if (isUserPtr(${x})) {\n${attrPointer(a.id, `${x}.len`, elem, `${x}.addr`)}\n} else {\n${body}\n}`;
}

export function sizePtrIn(value: ValueModel, x: string): string {
  if (alwaysInline(value)) return '';
  const len = valueByteLength(value, x);
  const fixed = valueSize(value);
  if (fixed !== undefined) return `if (!isUserPtr(${x})) extra += ${(fixed + 7) & ~7};`;
  return `if (!isUserPtr(${x}) && ${len} > 8) extra += alignUp8(${len});`;
}

/** Reads a pointer-in value back: inline or through the pointer. */
export function decodePtrIn(value: ValueModel, target: string, what: string): string {
  return `{\nconst len = attrLenAt(v, at);\nconst r = len <= 8 ? { view: v, offset: at + 8 } : payload(buf, at, len, ${JSON.stringify(what)});\n${target} = ${getValue(value, 'r.view', 'r.offset', 'len')};\n}`;
}

export function ptrInType(value: ValueModel): string {
  return alwaysInline(value) ? valueInType(value) : `${valueInType(value)} | UserPtr`;
}

export const ptrIn: Renderer = {
  inType: (a) => ptrInType(a.value!),
  inRequired: (a) => a.mandatory,
  outType: () => undefined,
  size: (a, x) => sizePtrIn(a.value!, x),
  encode: (a, x) => encodePtrIn(a, a.value!, x, 0),
  decodeIn: (a, target, what) => decodePtrIn(a.value!, target, what),
  decodeOut: () => '',
  describe: (a) => `in, ${valueText(a.value!)}, ${sizeText(a)}${a.isUdata ? ', driver data' : ''}`,
};
