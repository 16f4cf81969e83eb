/**
 * A simulated user address space: buffers mapped at 64-bit addresses (below 2^53).
 * The kernel side reads and writes user memory only through it; an access that is not
 * wholly inside one mapping answers EFAULT, as copy_from_user / copy_to_user do.
 */
import { EFAULT, fail } from '../abi/errno.js';
import type { UserMemoryReader } from '../user/ioctl-buffer.js';

/** Where bytes read from user memory (or carried inline) are: a view, an offset in it, a length. */
export interface InputBytes {
  readonly view: DataView;
  readonly offset: number;
  readonly len: number;
}

export interface Mapping {
  readonly addr: number;
  readonly bytes: Uint8Array;
  readonly view: DataView;
  /** addr + bytes.byteLength, kept as a plain number: lookups test it, and a typed array's byteLength getter is slow. */
  readonly end: number;
  /** The same bytes as native 32-bit words, when they start 4-byte aligned: for fast copies (endianness does not matter to a copy). */
  readonly words: Uint32Array | undefined;
}

/** Where the first mapping goes: a typical mmap base on x86-64. */
const MAP_BASE = 0x7f00_0000_0000;
const PAGE = 4096;

export class UserMemory implements UserMemoryReader {
  /** Sorted by address, non-overlapping. */
  private readonly maps: Mapping[] = [];
  private next = MAP_BASE;

  /** Maps `len` bytes (page-aligned, zeroed) and returns the mapping. */
  map(len: number): Mapping {
    const addr = this.next;
    this.next += Math.ceil(Math.max(len, 1) / PAGE) * PAGE + PAGE; // a guard page between mappings
    return this.mapAt(addr, new Uint8Array(len));
  }

  /** Maps existing bytes at `addr` (e.g. an IoctlBuffer's). */
  mapAt(addr: number, bytes: Uint8Array): Mapping {
    if (!Number.isSafeInteger(addr) || addr < PAGE) throw new RangeError(`cannot map at 0x${addr.toString(16)}`);
    const end = addr + bytes.byteLength;
    const i = this.maps.findIndex((m) => m.addr >= addr);
    const prev = this.maps[(i === -1 ? this.maps.length : i) - 1];
    const nextMap = i === -1 ? undefined : this.maps[i];
    if ((prev && prev.addr + prev.bytes.byteLength > addr) || (nextMap && nextMap.addr < end)) {
      throw new RangeError(`mapping 0x${addr.toString(16)}..0x${end.toString(16)} overlaps another`);
    }
    const words = bytes.byteOffset % 4 === 0 ? new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 2) : undefined;
    const m: Mapping = { addr, bytes, view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), end, words };
    this.maps.splice(i === -1 ? this.maps.length : i, 0, m);
    if (end + PAGE > this.next) this.next = Math.ceil((end + PAGE) / PAGE) * PAGE;
    return m;
  }

  unmap(addr: number): void {
    const i = this.maps.findIndex((m) => m.addr === addr);
    if (i >= 0) this.maps.splice(i, 1);
  }

  /** The mapping holding [addr, addr + len), or undefined. */
  find(addr: number, len: number): Mapping | undefined {
    if (!Number.isSafeInteger(addr) || addr < 0 || len < 0) return undefined;
    let lo = 0;
    let hi = this.maps.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const m = this.maps[mid]!;
      if (addr < m.addr) hi = mid - 1;
      else if (addr >= m.end) lo = mid + 1;
      else return addr + len <= m.end ? m : undefined;
    }
    return len === 0 ? this.maps.find((m) => m.end === addr) : undefined;
  }

  view(addr: number, len: number): { view: DataView; offset: number } | undefined {
    const m = this.find(addr, len);
    return m ? { view: m.view, offset: addr - m.addr } : undefined;
  }

  /** copy_from_user: the view and offset of `len` readable bytes, or EFAULT. */
  access(addr: number, len: number, what: string): { view: DataView; bytes: Uint8Array; offset: number } {
    const m = this.find(addr, len);
    if (!m) fail(EFAULT, `${what}: ${len} bytes at 0x${addr.toString(16)} are not mapped`);
    return { view: m.view, bytes: m.bytes, offset: addr - m.addr };
  }

  /** copy_from_user into a fresh array. */
  read(addr: number, len: number, what: string): Uint8Array {
    const a = this.access(addr, len, what);
    return a.bytes.slice(a.offset, a.offset + len);
  }

  /** copy_to_user. */
  write(addr: number, src: Uint8Array, what: string): void {
    const a = this.access(addr, src.byteLength, what);
    a.bytes.set(src, a.offset);
  }
}
