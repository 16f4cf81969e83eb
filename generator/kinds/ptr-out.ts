/**
 * ptr_out: a buffer the kernel writes. Always by pointer (rdma-core's fill_attr_out);
 * the kernel sets VALID_OUTPUT on what it wrote. The caller may point it at memory of
 * its own (UserPtr); otherwise the encoder reserves room in the buffer's payload area.
 * An output of no fixed size needs a capacity: elements for arrays, bytes for bytes.
 * An optional output of fixed size is sent (room reserved) unless the caller gives false.
 */
import { LEN_UNLIMITED, valueSize, valueText, type AttrModel, type ValueModel } from '../model.js';
import { attrPointer } from './attr-words.js';
import type { Renderer } from './kind.js';
import { sizeText } from './ptr-in.js';
import { elementSize, getValue, valueOutType } from './values.js';

/** The bytes reserved for an output of fixed size, or undefined when the caller says. */
export function fixedLen(a: AttrModel): number | undefined {
  if (a.len !== LEN_UNLIMITED) return a.len;
  return valueSize(a.value!);
}

/** Expression: the bytes a capacity `x` stands for. */
function capacityBytes(value: ValueModel, x: string): string {
  return value.kind === 'array' ? `${x} * ${elementSize(value.element)}` : x;
}

export const ptrOut: Renderer = {
  // A fixed-size output is requested unless the caller says false (rdma-core asks for the outputs it knows).
  inType: (a) => (fixedLen(a) === undefined ? 'number | UserPtr' : a.mandatory ? 'true | UserPtr' : 'boolean | UserPtr'),
  inRequired: (a) => a.mandatory && fixedLen(a) === undefined,
  outType: (a) => valueOutType(a.value!),
  size: (a, x) => {
    const fixed = fixedLen(a);
    if (fixed !== undefined) return `if (!isUserPtr(${x})) extra += ${(fixed + 7) & ~7};`;
    return `if (typeof ${x} === 'number') extra += alignUp8(${capacityBytes(a.value!, x)});`;
  },
  encode: (a, x) => {
    const fixed = fixedLen(a);
    const len = fixed !== undefined ? String(fixed) : capacityBytes(a.value!, x);
    const advance = fixed !== undefined ? String((fixed + 7) & ~7) : 'alignUp8(len)';
    const own = fixed !== undefined ? attrPointer(a.id, fixed, 0, 'buf.addr + p') : `const len = ${len} as number;\n${attrPointer(a.id, 'len', 0, 'buf.addr + p')}`;
    return `if (isUserPtr(${x})) {\n${attrPointer(a.id, `${x}.len`, 0, `${x}.addr`)}\n} else {\n${own}\np += ${advance};\n}`;
  },
  decodeIn: (a, target) => {
    // Room the encoder reserved in the buffer reads back as the request for it; memory elsewhere as the UserPtr it was.
    const own = fixedLen(a) !== undefined ? 'true' : a.value!.kind === 'array' ? `len / ${elementSize(a.value!.element)}` : 'len';
    return `{\nconst addr = attrPtr(v, at);\nconst len = attrLenAt(v, at);\n${target} = addr >= buf.addr && addr + len <= buf.addr + b.length ? ${own} : new UserPtr(addr, len);\n}`;
  },
  decodeOut: (a, target, what) => {
    const guard = a.mandatory ? '' : 'if ((attrFlagsAt(v, at) & UVERBS_ATTR_F_VALID_OUTPUT) !== 0) ';
    return `${guard}{\nconst len = attrLenAt(v, at);\nconst r = payload(buf, at, len, ${JSON.stringify(what)});\n${target} = ${getValue(a.value!, 'r.view', 'r.offset', 'len')};\n}`;
  },
  describe: (a) => `out, ${valueText(a.value!)}, ${sizeText(a)}${a.isUdata ? ', driver data' : ''}`,
};
