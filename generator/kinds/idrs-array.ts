/**
 * idrs_array: an array of u32 handles of one type, inline when it fits in 8 bytes
 * (at most two handles), else by pointer. The kernel checks the count's range.
 */
import { attrPointer, attrWords } from './attr-words.js';
import type { Renderer } from './kind.js';

export const idrsArray: Renderer = {
  inType: () => 'ArrayLike<number>',
  inRequired: (a) => a.mandatory,
  outType: () => undefined,
  size: (_a, x) => `if (${x}.length > 2) extra += alignUp8(${x}.length * 4);`,
  encode: (a, x) => `{\nconst len = ${x}.length * 4;\nconst o = len <= 8 ? at + 8 : p;\nif (len <= 8) {\n${attrWords(a.id, 'len', 0, '0', '0')}\n} else {\n${attrPointer(a.id, 'len', 0, 'buf.addr + p')}\np += alignUp8(len);\n}\nfor (let i = 0; i < ${x}.length; i++) v.setUint32(o + 4 * i, ${x}[i]!, true);\n}`,
  decodeIn: (_a, target, what) => `{\nconst len = attrLenAt(v, at);\nconst r = len <= 8 ? { view: v, offset: at + 8 } : payload(buf, at, len, ${JSON.stringify(what)});\n${target} = readArray(r.view, r.offset, len >>> 2, 4, (w, k) => w.getUint32(k, true));\n}`,
  decodeOut: () => '',
  describe: (a) => `in, ${a.minCount}..${a.maxCount} handles of ${a.object === '*' ? 'any type' : a.object}, ${a.access} access`,
};
