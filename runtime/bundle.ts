/**
 * The attribute bundle a handler receives (struct uverbs_attr_bundle): every attribute
 * already checked against the spec, objects already looked up and locked. Attributes
 * are named by id (the generated UVERBS_ATTRS_* constants). Inputs are read in place
 * from user memory, as the proposal's scatter-gather asks: no copy of driver data.
 */
import { AttrKind, lookup, type ActionSpec, type AttrSpec } from './contract.js';
import type { Device } from './device.js';
import { EFAULT, EINVAL, ENOENT, fail } from './errno.js';
import type { UverbsFile } from './file.js';
import { attrPtr } from './ioctl-buffer.js';
import type { UObject } from './uobject.js';
import type { UserMemory } from './user-memory.js';
import { ATTR_DATA, ATTR_FLAGS, ATTR_LEN, ATTR_SIZE, UVERBS_ATTR_F_VALID_OUTPUT, UVERBS_ATTR_UHW_IN, UVERBS_ATTR_UHW_OUT } from './wire.js';

/** Where an input's bytes are: a view, an offset in it, a length. */
export interface InputBytes {
  readonly view: DataView;
  readonly offset: number;
  readonly len: number;
}

const EMPTY: InputBytes = { view: new DataView(new ArrayBuffer(0)), offset: 0, len: 0 };

export class Bundle {
  /** Per slot: the index of the user's attribute, or -1 when absent. */
  readonly present: Int16Array;
  /** Per slot: the looked-up (or reserved) object of an idr/fd attribute. */
  readonly uobjects: (UObject | undefined)[];
  /** Per slot: the objects of an idrs_array attribute. */
  readonly arrays: (UObject[] | undefined)[];
  /** Per slot: a kernel copy of the data (UA_ALLOC_AND_COPY). */
  readonly copies: (Uint8Array | undefined)[];

  constructor(
    readonly device: Device,
    readonly file: UverbsFile,
    readonly action: ActionSpec,
    readonly memory: UserMemory,
    /** The kernel's copy of the user's attribute array. */
    readonly uattrs: DataView,
    /** The user address of that array, for writing back. */
    readonly uattrsAddr: number,
  ) {
    const n = action.attrs.length;
    this.present = new Int16Array(n).fill(-1);
    this.uobjects = new Array<UObject | undefined>(n);
    this.arrays = new Array<UObject[] | undefined>(n);
    this.copies = new Array<Uint8Array | undefined>(n);
  }

  private spec(id: number): AttrSpec {
    const s = lookup(this.action.byId, id);
    if (!s) throw new Error(`${this.action.name} has no attribute ${id}`);
    return s;
  }

  /** uverbs_attr_is_valid: the user sent it. */
  has(id: number): boolean {
    return this.present[this.spec(id).index]! >= 0;
  }

  private at(id: number): { s: AttrSpec; at: number } {
    const s = this.spec(id);
    const i = this.present[s.index]!;
    if (i < 0) fail(ENOENT, `${this.action.name}: attribute ${s.name} was not given`);
    return { s, at: i * ATTR_SIZE };
  }

  /** The length the user gave. */
  len(id: number): number {
    return this.uattrs.getUint16(this.at(id).at + ATTR_LEN, true);
  }

  /** An input's bytes: inline in the attribute, a kernel copy, or in place in user memory (EFAULT if unmapped). */
  input(id: number): InputBytes {
    if (!this.has(id)) return EMPTY;
    const { s, at } = this.at(id);
    const len = this.uattrs.getUint16(at + ATTR_LEN, true);
    if (len <= 8) return { view: this.uattrs, offset: at + ATTR_DATA, len };
    const copy = this.copies[s.index];
    if (copy) return { view: new DataView(copy.buffer, copy.byteOffset, copy.byteLength), offset: 0, len };
    const m = this.memory.access(attrPtr(this.uattrs, at), len, `${this.action.name} ${s.name}`);
    return { view: m.view, offset: m.offset, len };
  }

  /** uverbs_copy_from for a u32 (the attribute is exactly 4 bytes by spec). */
  u32(id: number): number {
    const b = this.input(id);
    if (b.len < 4) fail(EINVAL, `${this.action.name}: attribute ${id} is ${b.len} bytes, not 4`);
    return b.view.getUint32(b.offset, true);
  }

  u64(id: number): bigint {
    const b = this.input(id);
    if (b.len < 8) fail(EINVAL, `${this.action.name}: attribute ${id} is ${b.len} bytes, not 8`);
    return b.view.getBigUint64(b.offset, true);
  }

  /** uverbs_get_const: the value, or `def` when absent (ENOENT when absent with no default); EINVAL beyond `max`. */
  constIn(id: number, max: bigint, def?: bigint): bigint {
    if (!this.has(id)) {
      if (def === undefined) fail(ENOENT, `${this.action.name}: const attribute ${id} was not given`);
      return def;
    }
    const v = this.u64(id);
    if (v > max) fail(EINVAL, `${this.action.name}: const attribute ${id} is ${v}, above ${max}`);
    return v;
  }

  /** uverbs_get_flags64: 0 when absent; EINVAL for a bit outside `allowed`. */
  flags(id: number, allowed: bigint): bigint {
    if (!this.has(id)) return 0n;
    const b = this.input(id);
    const v = b.len === 4 ? BigInt(b.view.getUint32(b.offset, true)) : b.view.getBigUint64(b.offset, true);
    if ((v & ~allowed) !== 0n) fail(EINVAL, `${this.action.name}: flags 0x${v.toString(16)} have bits outside 0x${allowed.toString(16)}`);
    return v;
  }

  /** The element an enum_in attribute chose. */
  elemId(id: number): number {
    return this.uattrs.getUint8(this.at(id).at + 6);
  }

  /** The object of an idr/fd attribute: looked up and locked, or (access new) reserved. */
  uobject(id: number): UObject {
    const { s } = this.at(id);
    return this.uobjects[s.index]!;
  }

  /** The object of an optional idr/fd attribute, or undefined when absent. */
  optionalUobject(id: number): UObject | undefined {
    return this.has(id) ? this.uobject(id) : undefined;
  }

  /** The objects of an idrs_array attribute (empty when absent). */
  objectsArray(id: number): readonly UObject[] {
    return this.has(id) ? this.arrays[this.spec(id).index]! : [];
  }

  /** A raw fd attribute's value. */
  rawFd(id: number): number {
    return this.uattrs.getInt32(this.at(id).at + ATTR_DATA, true);
  }

  /** The driver's request bytes (UHW_IN), empty when absent. */
  udataIn(): InputBytes {
    return lookup(this.action.byId, UVERBS_ATTR_UHW_IN) ? this.input(UVERBS_ATTR_UHW_IN) : EMPTY;
  }

  /** Room the driver's response may take (UHW_OUT's len), 0 when absent. */
  udataOutLen(): number {
    return lookup(this.action.byId, UVERBS_ATTR_UHW_OUT) && this.has(UVERBS_ATTR_UHW_OUT) ? this.len(UVERBS_ATTR_UHW_OUT) : 0;
  }

  /**
   * uverbs_copy_to: writes `size` bytes made by `fill` to an output, as much as the
   * user's length takes, and marks it VALID_OUTPUT. Absent (optional) outputs are skipped.
   */
  output(id: number, size: number, fill: (v: DataView, o: number) => void): void {
    if (!this.has(id)) return;
    const { s, at } = this.at(id);
    if (s.kind !== AttrKind.PTR_OUT) throw new Error(`${this.action.name}: ${s.name} is not an output`);
    const len = this.uattrs.getUint16(at + ATTR_LEN, true);
    const scratch = new DataView(new ArrayBuffer(Math.max(size, len)));
    fill(scratch, 0);
    const n = s.zeroTrailing ? len : Math.min(len, size);
    this.memory.write(attrPtr(this.uattrs, at), new Uint8Array(scratch.buffer, 0, n), `${this.action.name} ${s.name}`);
    this.setOutput(at);
  }

  outputU32(id: number, v: number): void {
    this.output(id, 4, (w, o) => w.setUint32(o, v, true));
  }

  outputU64(id: number, v: bigint | number): void {
    this.output(id, 8, (w, o) => w.setBigUint64(o, BigInt(v), true));
  }

  /** uverbs_set_output: the VALID_OUTPUT flag in the user's attribute. */
  setOutput(at: number): void {
    const flags = this.uattrs.getUint16(at + ATTR_FLAGS, true) | UVERBS_ATTR_F_VALID_OUTPUT;
    const addr = this.uattrsAddr + at + ATTR_FLAGS;
    const m = this.memory.view(addr, 2);
    if (!m) fail(EFAULT, `${this.action.name}: the attribute array is no longer mapped`);
    m.view.setUint16(m.offset, flags, true);
  }
}
