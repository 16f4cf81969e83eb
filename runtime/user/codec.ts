/**
 * Value codecs generated struct and attribute code calls: 64-bit values as two 32-bit
 * writes when they are numbers (below 2^53), one bigint write otherwise; byte copies.
 */
import { TWO_32 } from '../abi/wire.js';

export function putU64(v: DataView, off: number, x: number | bigint): void {
  if (typeof x === 'number') {
    v.setUint32(off, x >>> 0, true);
    v.setUint32(off + 4, Math.floor(x / TWO_32) >>> 0, true);
  } else v.setBigUint64(off, BigInt.asUintN(64, x), true);
}

export function putS64(v: DataView, off: number, x: number | bigint): void {
  if (typeof x === 'number') {
    v.setUint32(off, x >>> 0, true);
    v.setInt32(off + 4, Math.floor(x / TWO_32), true);
  } else v.setBigInt64(off, BigInt.asIntN(64, x), true);
}

/** A copy of `len` bytes at `off` of `v`. */
export function copyBytes(v: DataView, off: number, len: number): Uint8Array {
  return new Uint8Array(v.buffer, v.byteOffset + off, len).slice();
}

/** `count` elements of `size` bytes from `off`, each read by `get(view, offset)`. */
export function readArray<T>(v: DataView, off: number, count: number, size: number, get: (w: DataView, o: number) => T): T[] {
  const out: T[] = new Array<T>(count);
  for (let i = 0; i < count; i++) out[i] = get(v, off + i * size);
  return out;
}
