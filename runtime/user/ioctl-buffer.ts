/**
 * The user-space side of an ioctl: a reusable buffer that lives at a user address.
 * Generated encoders write the header, the attribute array and every out-of-line
 * payload into it (payloads after the attributes, 8-byte aligned), so a pointer
 * attribute's data is `addr + offset`. Generated decoders read outputs back from it.
 *
 * The helpers below are the small, allocation-free primitives generated code calls.
 */
import {
  ATTR_DATA, ATTR_ELEM_ID, ATTR_FLAGS, ATTR_ID, ATTR_LEN, ATTR_SIZE, HDR_DRIVER_ID, HDR_LENGTH, HDR_METHOD_ID,
  HDR_NUM_ATTRS, HDR_OBJECT_ID, HDR_RESERVED1, HDR_RESERVED2, HDR_SIZE, TWO_32, attrPtr,
} from '../abi/wire.js';

/** Memory outside the buffer that a pointer attribute may name (a caller's own struct, say). */
export interface UserMemoryReader {
  /** A view of `len` bytes at user address `addr`, or undefined if not mapped. */
  view(addr: number, len: number): { view: DataView; offset: number } | undefined;
}

const USER_PTR: unique symbol = Symbol('uverbs-abi UserPtr');

/**
 * A pointer into user memory the caller manages: given instead of a value, the encoder
 * writes only the pointer and length (the proposal's scatter-gather: no copy).
 */
export class UserPtr {
  /** The brand isUserPtr() tests. */
  readonly [USER_PTR] = true;

  constructor(
    readonly addr: number,
    readonly len: number,
  ) {}
}

/**
 * Whether `x` is a UserPtr, by its brand. Generated encoders test this rather than
 * `instanceof UserPtr`: once a class's `name` has been redefined (esbuild's keepNames,
 * which tsx and many bundler setups use), V8 no longer lowers `instanceof` against it
 * to a map check, and each test costs a builtin call (about 13 ns against 1 ns here).
 */
export function isUserPtr(x: unknown): x is UserPtr {
  return typeof x === 'object' && x !== null && (x as { [USER_PTR]?: unknown })[USER_PTR] === true;
}

/** Where buffers live unless told otherwise: a plausible user-space address. */
export const DEFAULT_BUFFER_ADDR = 0x7f00_0000_0000;

export class IoctlBuffer {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  /**
   * bytes.byteLength, kept as a plain field: encoders test it on every call, and a typed
   * array's byteLength getter costs them a third of their time.
   */
  readonly capacity: number;
  /** The user address of byte 0; below 2^53. */
  readonly addr: number;
  /** Resolves pointers that lie outside this buffer, when decoding. */
  memory: UserMemoryReader | undefined;

  constructor(capacity = 4096, addr = DEFAULT_BUFFER_ADDR, bytes?: Uint8Array) {
    if (!Number.isSafeInteger(addr) || addr < 0 || addr % 8 !== 0) {
      throw new RangeError(`IoctlBuffer address ${addr} must be a non-negative, 8-byte aligned integer below 2^53`);
    }
    this.bytes = bytes ?? new Uint8Array(capacity);
    this.view = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
    this.capacity = this.bytes.byteLength;
    this.addr = addr;
    this.memory = undefined;
  }

  /** Throws before anything is written if `size` bytes do not fit. */
  ensure(size: number, what: string): void {
    if (size > this.capacity) {
      throw new RangeError(`${what} needs ${size} bytes but the IoctlBuffer holds ${this.capacity}; allocate a larger buffer`);
    }
  }

  /** Finds `len` bytes at user address `addr`, in this buffer or in `memory`. */
  resolve(addr: number, len: number): { view: DataView; offset: number } | undefined {
    const off = addr - this.addr;
    if (off >= 0 && off + len <= this.bytes.byteLength) return { view: this.view, offset: off };
    return this.memory?.view(addr, len);
  }
}

export const alignUp8 = (n: number): number => (n + 7) & ~7;

export function putHeader(v: DataView, numAttrs: number, objectId: number, methodId: number, driverId: number): void {
  v.setUint16(HDR_LENGTH, HDR_SIZE + ATTR_SIZE * numAttrs, true);
  v.setUint16(HDR_OBJECT_ID, objectId, true);
  v.setUint16(HDR_METHOD_ID, methodId, true);
  v.setUint16(HDR_NUM_ATTRS, numAttrs, true);
  v.setUint32(HDR_RESERVED1, 0, true);
  v.setUint32(HDR_RESERVED1 + 4, 0, true);
  v.setUint32(HDR_DRIVER_ID, driverId, true);
  v.setUint32(HDR_RESERVED2, 0, true);
}

/** Writes one attribute whose data is given as two 32-bit halves. */
export function putAttr(v: DataView, at: number, id: number, len: number, flags: number, elemId: number, lo: number, hi: number): void {
  v.setUint16(at + ATTR_ID, id, true);
  v.setUint16(at + ATTR_LEN, len, true);
  v.setUint16(at + ATTR_FLAGS, flags, true);
  v.setUint8(at + ATTR_ELEM_ID, elemId);
  v.setUint8(at + ATTR_ELEM_ID + 1, 0);
  v.setUint32(at + ATTR_DATA, lo, true);
  v.setUint32(at + ATTR_DATA + 4, hi, true);
}

/** An attribute whose data is a 64-bit value (inline u64, or a pointer). */
export function putAttr64(v: DataView, at: number, id: number, len: number, flags: number, elemId: number, x: number | bigint): void {
  if (typeof x === 'number') putAttr(v, at, id, len, flags, elemId, x >>> 0, Math.floor(x / TWO_32) >>> 0);
  else {
    putAttr(v, at, id, len, flags, elemId, 0, 0);
    v.setBigUint64(at + ATTR_DATA, BigInt.asUintN(64, x), true);
  }
}

/** An attribute whose data is a signed 32-bit value sign-extended to 64 bits (an fd). */
export function putAttrS32(v: DataView, at: number, id: number, flags: number, x: number): void {
  putAttr(v, at, id, 0, flags, 0, x >>> 0, x < 0 ? 0xffffffff : 0);
}

export function attrDataS32(v: DataView, at: number): number {
  return v.getInt32(at + ATTR_DATA, true);
}

/** Flags, id, len of the i-th attribute of the buffer's header. */
export const attrAt = (i: number): number => HDR_SIZE + ATTR_SIZE * i;
export const numAttrs = (v: DataView): number => v.getUint16(HDR_NUM_ATTRS, true);
export const attrIdAt = (v: DataView, at: number): number => v.getUint16(at + ATTR_ID, true);
export const attrLenAt = (v: DataView, at: number): number => v.getUint16(at + ATTR_LEN, true);
export const attrFlagsAt = (v: DataView, at: number): number => v.getUint16(at + ATTR_FLAGS, true);
export const attrElemAt = (v: DataView, at: number): number => v.getUint8(at + ATTR_ELEM_ID);

/** Where an out-of-line payload of `len` bytes named by the attribute at `at` lies; throws if unmapped. */
export function payload(buf: IoctlBuffer, at: number, len: number, what: string): { view: DataView; offset: number } {
  const addr = attrPtr(buf.view, at);
  const r = buf.resolve(addr, len);
  if (!r) throw new RangeError(`${what}: ${len} bytes at user address 0x${addr.toString(16)} are outside the buffer and no user memory resolves them`);
  return r;
}

/** UVERBS_ATTR_F_MANDATORY unless the caller named the attribute optional (rdma-core's attr_optional). */
export function mandatoryFlag(optional: readonly string[] | undefined, name: string): number {
  return optional === undefined || !optional.includes(name) ? 1 : 0;
}
