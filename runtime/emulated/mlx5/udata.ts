/**
 * The driver's own data of a core action (UHW_IN / UHW_OUT, the kernel's ib_udata) and
 * the other byte inputs mlx5 handlers read: copied out of user memory into a buffer of
 * the struct's size, so that a short request reads as zero-filled (ib_copy_from_udata
 * of min(inlen, size)) and nothing reads past what the user gave.
 */
import type { Bundle } from '../../kernel/bundle.js';
import type { InputBytes } from '../../process/user-memory.js';
import { UVERBS_ATTR_UHW_OUT } from '../../abi/wire.js';

export interface Udata {
  /** `size` bytes: the user's, then zeros. */
  readonly view: DataView;
  /** How many bytes the user gave (inlen). */
  readonly len: number;
  /** Whether every byte the user gave beyond `size` is zero (ib_is_udata_cleared). */
  readonly tailCleared: boolean;
}

/** A copy of `x`, `size` bytes long. */
export function copyIn(x: InputBytes, size: number): Udata {
  const out = new Uint8Array(Math.max(size, 0));
  const n = Math.min(x.len, size);
  for (let i = 0; i < n; i++) out[i] = x.view.getUint8(x.offset + i);
  let tailCleared = true;
  for (let i = size; i < x.len; i++) {
    if (x.view.getUint8(x.offset + i) !== 0) {
      tailCleared = false;
      break;
    }
  }
  return { view: new DataView(out.buffer), len: x.len, tailCleared };
}

/** The UHW request, `size` bytes. */
export function udataIn(b: Bundle, size: number): Udata {
  return copyIn(b.udataIn(), size);
}

/** All of an input's bytes, copied (a DEVX command or a match buffer the device keeps). */
export function bytesOf(b: Bundle, id: number): Uint8Array {
  const x = b.input(id);
  const out = new Uint8Array(x.len);
  for (let i = 0; i < x.len; i++) out[i] = x.view.getUint8(x.offset + i);
  return out;
}

/** Writes the driver's response (as much as the user's UHW_OUT takes; nothing when absent). */
export function udataOut(b: Bundle, size: number, fill: (v: DataView, o: number) => void): void {
  if (b.udataOutLen() > 0) b.output(UVERBS_ATTR_UHW_OUT, size, fill);
}
