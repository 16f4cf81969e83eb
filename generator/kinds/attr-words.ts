/**
 * How generated encoders write a struct ib_uverbs_attr: in line, as four little-endian
 * u32 words, with the constant parts folded:
 *
 *   at + 0   attr_id | len << 16
 *   at + 4   flags | elem_id << 16        (the reserved byte is 0)
 *   at + 8   data, low 32 bits
 *   at + 12  data, high 32 bits
 *
 * No helper call per attribute: an encoder is too large for V8 to inline helpers into it
 * (its inlining budget is spent), and a call per attribute cost encoders about twice the
 * time of hand-written code. `v` is the buffer's DataView, `at` the attribute's offset,
 * `f` its flags.
 */

/** An expression made safe to embed in a larger one. */
const paren = (e: string): string => (/^[\w.]+$/.test(e) ? e : `(${e})`);

/** The two header words of the attribute: id, len, flags and elem_id. */
function head(id: number, len: number | string, elem: number): string {
  const w0 = len === 0 ? `${id}` : `${id} | (${typeof len === 'number' ? len : paren(len)} << 16)`;
  const w1 = elem === 0 ? 'f' : `f | (${elem} << 16)`;
  return `v.setUint32(at, ${w0}, true);\nv.setUint32(at + 4, ${w1}, true);`;
}

/** The attribute with its data given as two u32 halves (expressions). */
export function attrWords(id: number, len: number | string, elem: number, lo: string, hi: string): string {
  return `${head(id, len, elem)}\nv.setUint32(at + 8, ${lo}, true);\nv.setUint32(at + 12, ${hi}, true);`;
}

/** The attribute with a user address as its data (a number below 2^53, never negative). */
export function attrPointer(id: number, len: number | string, elem: number, addr: string): string {
  const a = paren(addr);
  return attrWords(id, len, elem, `${a} >>> 0`, `${a} / 0x1_0000_0000 >>> 0`);
}

/** The attribute with a 64-bit value as its data: two 32-bit writes for a number, one bigint write otherwise. */
export function attrU64(id: number, len: number | string, elem: number, x: string): string {
  return `${head(id, len, elem)}\nif (typeof ${x} === 'number') {\nv.setUint32(at + 8, ${x} >>> 0, true);\nv.setUint32(at + 12, Math.floor(${x} / 0x1_0000_0000) >>> 0, true);\n} else v.setBigUint64(at + 8, BigInt.asUintN(64, ${x}), true);`;
}

/** An object attribute (len 0) whose data is a signed 32-bit value sign-extended to 64 bits (an fd). */
export function attrS32(id: number, x: string): string {
  return attrWords(id, 0, 0, `${x} >>> 0`, `${x} < 0 ? 0xffffffff : 0`);
}

/** The ioctl header for `n` attributes (an expression) of action `method` of type `object`. */
export function headerWords(object: number, method: number): string {
  return [
    `v.setUint32(0, (24 + 16 * n) | (${object} << 16), true);`,
    `v.setUint32(4, ${method} | (n << 16), true);`,
    'v.setUint32(8, 0, true);',
    'v.setUint32(12, 0, true);',
    'v.setUint32(16, DRIVER_ID, true);',
    'v.setUint32(20, 0, true);',
  ].join('\n');
}
