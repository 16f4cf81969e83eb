/**
 * The attribute bundle a handler receives (struct uverbs_attr_bundle): every attribute
 * already checked against the spec, objects already looked up and locked. Attributes
 * are named by id (the generated UVERBS_ATTRS_* constants). Inputs are read in place
 * from user memory, as the proposal's scatter-gather asks: no copy of driver data.
 */
import { MAX_ACTION_ATTRS, type ActionPlan } from './action-plan.js';
import { AttrKind, lookup, type ActionSpec, type AttrSpec } from './contract.js';
import type { Device, Handler } from './device.js';
import { EFAULT, EINVAL, ENOENT, fail } from '../abi/errno.js';
import type { UverbsFile } from './uverbs-file.js';
import { attrPtr } from '../abi/wire.js';
import type { UObject } from './uobject.js';
import type { InputBytes, UserMemory } from '../process/user-memory.js';
import {
  ATTR_DATA, ATTR_FLAGS, ATTR_LEN, ATTR_SIZE, MAX_IOCTL_LENGTH, UVERBS_ATTR_F_VALID_OUTPUT, UVERBS_ATTR_UHW_IN, UVERBS_ATTR_UHW_OUT,
} from '../abi/wire.js';


const EMPTY: InputBytes = { view: new DataView(new ArrayBuffer(0)), offset: 0, len: 0 };

/** Where outputs shorter than their value are made before the part that fits is copied out; grown as needed. */
let aside: { readonly bytes: Uint8Array; readonly view: DataView } = withView(new Uint8Array(256));

function withView(bytes: Uint8Array): { readonly bytes: Uint8Array; readonly view: DataView } {
  return { bytes, view: new DataView(bytes.buffer) };
}

function scratch(size: number): { readonly bytes: Uint8Array; readonly view: DataView } {
  if (aside.bytes.byteLength < size) aside = withView(new Uint8Array(size));
  return aside;
}

/**
 * The bundle of one command, from the dispatcher's begin() to its end(). Bundles are the
 * kernel's memory for a command (the copy of its attribute array, its per-slot tables)
 * and the dispatcher reuses them: allocating one per command cost more than all of its
 * checks. So a bundle and what it returns belong to its command, and a handler must not
 * keep them past its end, as in the kernel, where the bundle is freed.
 */
export class Bundle {
  /** The kernel's copy of the user's attribute array. */
  readonly uattrs = new DataView(new ArrayBuffer(MAX_IOCTL_LENGTH));
  /** The same bytes as native 32-bit words, for copying in. */
  readonly words = new Uint32Array(this.uattrs.buffer);
  /** Per slot: the index of the user's attribute, valid where the slot's bit in `given` is set. */
  readonly index = new Uint8Array(MAX_ACTION_ATTRS);
  /**
   * The slots the user gave, as the kernel's attr_present bitmap: slots 0..31 in the
   * first word, 32..62 in the second. Cleared by start(); the dispatcher fills it.
   */
  readonly given = new Int32Array(2);
  /** Per slot: the looked-up (or reserved) object of an idr/fd attribute. */
  readonly uobjects: (UObject | undefined)[] = Array.from({ length: MAX_ACTION_ATTRS }, () => undefined);
  /** Per slot: the objects of an idrs_array attribute; made on first use (most actions have none). */
  arrays: (UObject[] | undefined)[] | undefined = undefined;
  /** Per slot: a kernel copy of the data (UA_ALLOC_AND_COPY); made on first use. */
  copies: (Uint8Array | undefined)[] | undefined = undefined;
  /** The slots of `uobjects` and `arrays` that hold objects, in the order taken: the first `nheld`. */
  readonly held: number[] = [];
  nheld = 0;

  // The command, set by start(); constant until end().
  device!: Device;
  file!: UverbsFile;
  plan!: ActionPlan<Handler>;
  action!: ActionSpec;
  memory!: UserMemory;
  /** The user address of the attribute array, for writing back. */
  uattrsAddr = 0;

  /** Takes the bundle for a command whose attribute array is already in `uattrs`. */
  start(device: Device, file: UverbsFile, plan: ActionPlan<Handler>, memory: UserMemory, uattrsAddr: number): this {
    this.device = device;
    this.file = file;
    this.plan = plan;
    this.action = plan.action;
    this.memory = memory;
    this.uattrsAddr = uattrsAddr;
    this.given[0] = 0;
    this.given[1] = 0;
    return this;
  }

  /** The index of the user's attribute in `slot`, or -1 when the user did not give it. */
  indexOf(slot: number): number {
    return (this.given[slot >>> 5]! & (1 << slot)) !== 0 ? this.index[slot]! : -1;
  }

  /** Records that the user's attribute `i` fills `slot`. */
  give(slot: number, i: number): void {
    this.given[slot >>> 5]! |= 1 << slot;
    this.index[slot] = i;
  }

  /** Records that `slot` holds objects to commit, abort or unlock at the end. */
  hold(slot: number): void {
    this.held[this.nheld++] = slot;
  }

  /** After end(): nothing held, ready for another command. */
  clear(): void {
    const held = this.held;
    for (let k = 0; k < this.nheld; k++) this.uobjects[held[k]!] = undefined;
    this.nheld = 0;
    this.arrays = undefined;
    this.copies = undefined;
  }

  private spec(id: number): AttrSpec {
    const s = lookup(this.action.byId, id);
    if (!s) throw new Error(`${this.action.name} has no attribute ${id}`);
    return s;
  }

  /** uverbs_attr_is_valid: the user sent it. */
  has(id: number): boolean {
    return this.indexOf(this.spec(id).index) >= 0;
  }

  private at(id: number): { s: AttrSpec; at: number } {
    const s = this.spec(id);
    const i = this.indexOf(s.index);
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
    const copy = this.copies?.[s.index];
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
    return this.has(id) ? this.arrays![this.spec(id).index]! : [];
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
    const n = s.zeroTrailing ? len : Math.min(len, size);
    const dst = this.memory.access(attrPtr(this.uattrs, at), n, `${this.action.name} ${s.name}`);
    if (n >= size) {
      // The whole value fits: made in place, on zeroed bytes (nothing of what was there shows through).
      dst.bytes.fill(0, dst.offset, dst.offset + n);
      fill(dst.view, dst.offset);
    } else {
      // Truncated to the user's length: made aside, then what fits is copied.
      const tmp = scratch(size);
      tmp.bytes.fill(0, 0, size);
      fill(tmp.view, 0);
      dst.bytes.set(tmp.bytes.subarray(0, n), dst.offset);
    }
    this.setOutput(at);
  }

  outputU32(id: number, v: number): void {
    this.output(id, 4, (w, o) => w.setUint32(o, v, true));
  }

  outputU64(id: number, v: bigint | number): void {
    this.output(id, 8, (w, o) => w.setBigUint64(o, BigInt(v), true));
  }

  /** The user address a pointer attribute carries (of more than 8 bytes, or an output). */
  pointer(id: number): number {
    return attrPtr(this.uattrs, this.at(id).at);
  }

  /** Marks an output the handler wrote through its pointer VALID_OUTPUT. */
  markOutput(id: number): void {
    this.setOutput(this.at(id).at);
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
