/**
 * The ioctl dispatcher (ib_uverbs_ioctl and ib_uverbs_cmd_verbs): header checks, the
 * dense lookup of the action, every attribute checked against the generated tables in
 * the kernel's order, objects looked up and locked (or reserved), the handler run,
 * then commit or abort, unlock and write back. Every call ends in 0 or one -errno;
 * nothing a caller sends throws out of here.
 */
import { Access, AttrKind, ANY_OBJECT, lookup, type ActionSpec, type AttrSpec, type PtrSpec } from './contract.js';
import { Bundle } from './bundle.js';
import {
  EBADF, EFAULT, EINVAL, EIO, ENOENT, ENOIOCTLCMD, ENOTTY, EOPNOTSUPP, EPROTONOSUPPORT, UverbsError, fail,
} from './errno.js';
import type { UverbsFile } from './file.js';
import type { Mapping } from './user-memory.js';
import { attrPtr } from './ioctl-buffer.js';
import { UObject, UObjectState, tryLock, unlock } from './uobject.js';
import {
  ATTR_DATA, ATTR_ELEM_ID, ATTR_FLAGS, ATTR_ID, ATTR_LEN, ATTR_RESERVED, ATTR_SIZE, HDR_DRIVER_ID, HDR_LENGTH, HDR_METHOD_ID,
  HDR_NUM_ATTRS, HDR_OBJECT_ID, HDR_RESERVED1, HDR_RESERVED2, HDR_SIZE, MAX_IOCTL_LENGTH, RDMA_VERBS_IOCTL, UVERBS_ATTR_F_MANDATORY,
  UVERBS_ATTR_UHW_OUT,
} from './wire.js';

/** ioctl(2) on a uverbs file: 0 or -errno. */
export async function dispatch(file: UverbsFile, request: number, arg: number): Promise<number> {
  try {
    await run(file, request, arg);
    return 0;
  } catch (e) {
    if (e instanceof UverbsError) return -(e.errno === ENOIOCTLCMD ? ENOTTY : e.errno);
    // A handler bug must not escape as an exception either; the kernel would oops, we answer EIO and say why.
    lastInternalError = e;
    return -EIO;
  }
}

/** The last exception a handler threw that was not a UverbsError (for tests and debugging). */
export let lastInternalError: unknown = undefined;

async function run(file: UverbsFile, request: number, arg: number): Promise<void> {
  const b = begin(file, request, arg);
  let ok = false;
  try {
    await invoke(b);
    ok = true;
  } finally {
    end(b, ok);
  }
}

/**
 * The checking half of a command, everything before the handler: the header, the
 * dense lookup of the action, every attribute in the kernel's order (objects looked up
 * and locked, or reserved and their handles written back), the mandatory ones. On
 * success the command is in flight on its file and device and the bundle holds what it
 * took: hand it to invoke() and then, always, to end(). On failure it has released
 * everything and throws a UverbsError.
 */
export function begin(file: UverbsFile, request: number, arg: number): Bundle {
  if (request >>> 0 !== RDMA_VERBS_IOCTL) fail(ENOIOCTLCMD, `ioctl request 0x${(request >>> 0).toString(16)} is not RDMA_VERBS_IOCTL`);
  const memory = file.process.memory;
  const hdr = memory.access(arg, HDR_SIZE, 'ioctl header');
  const v = hdr.view;
  const o = hdr.offset;
  const length = v.getUint16(o + HDR_LENGTH, true);
  const numAttrs = v.getUint16(o + HDR_NUM_ATTRS, true);
  if (length > MAX_IOCTL_LENGTH || length !== HDR_SIZE + ATTR_SIZE * numAttrs) {
    fail(EINVAL, `header length ${length} does not match ${numAttrs} attributes (or exceeds ${MAX_IOCTL_LENGTH})`);
  }
  if (v.getUint32(o + HDR_RESERVED1, true) !== 0 || v.getUint32(o + HDR_RESERVED1 + 4, true) !== 0 || v.getUint32(o + HDR_RESERVED2, true) !== 0) {
    fail(EPROTONOSUPPORT, 'reserved header fields are not zero');
  }
  const objectId = v.getUint16(o + HDR_OBJECT_ID, true);
  const methodId = v.getUint16(o + HDR_METHOD_ID, true);
  const driverId = v.getUint32(o + HDR_DRIVER_ID, true);

  const device = file.device;
  if (file.closing) fail(EIO, 'the file is closing');
  device.enter();
  file.enter();
  let b: Bundle | undefined;
  try {
    if (driverId !== device.driverId) fail(EINVAL, `driver_id ${driverId} is not the device's (${device.driverId})`);
    const type = device.type(objectId);
    const action = type && lookup(type.actions, methodId);
    if (!type || !action) fail(EPROTONOSUPPORT, `no action ${objectId}/${methodId}`);
    // After removal only destroy actions keep their handler (uverbs_disassociate_api).
    if (device.removed && destroySlot(action) < 0) fail(EIO, 'the device was removed');

    const uattrsAddr = arg + HDR_SIZE;
    const src = memory.find(uattrsAddr, ATTR_SIZE * numAttrs);
    if (!src) fail(EFAULT, `attribute array: ${ATTR_SIZE * numAttrs} bytes at 0x${uattrsAddr.toString(16)} are not mapped`);
    const offset = uattrsAddr - src.addr;
    const bundle = bundles.pop() ?? new Bundle();
    copyIn(bundle, src, offset, 4 * numAttrs);
    b = bundle.start(device, file, action, memory, uattrsAddr);
    const uattrs = bundle.uattrs;
    const byId = action.byId;
    for (let i = 0, at = 0; i < numAttrs; i++, at += ATTR_SIZE) {
      // The common case in line: a known input or output of plain length rules, attr_data clear.
      const s = lookup(byId, uattrs.getUint16(at + ATTR_ID, true));
      if (s !== undefined && b.indexOf(s.index) < 0) {
        if (s.kind <= AttrKind.FLAGS_IN) {
          const len = uattrs.getUint16(at + ATTR_LEN, true);
          if (!s.zeroTrailing && !s.allocAndCopy && len >= s.minLen && len <= s.len && uattrs.getUint16(at + ATTR_ELEM_ID, true) === 0) {
            b.give(s.index, i);
            if (s.mandatory) b.mandatoryGiven++;
            continue;
          }
        } else if ((s.kind === AttrKind.IDR || s.kind === AttrKind.FD) && uattrs.getUint16(at + ATTR_LEN, true) === 0 && uattrs.getUint16(at + ATTR_ELEM_ID, true) === 0) {
          const lo = uattrs.getUint32(at + ATTR_DATA, true);
          const hi = uattrs.getUint32(at + ATTR_DATA + 4, true);
          const u = s.kind === AttrKind.IDR ? quickIdr(b, s, lo, hi) : quickFd(b, s, lo, hi);
          if (u !== undefined) {
            b.give(s.index, i);
            if (s.mandatory) b.mandatoryGiven++;
            b.uobjects[s.index] = u;
            b.hold(s.index);
            if (s.access === Access.NEW) {
              src.view.setUint32(offset + at + ATTR_DATA, u.id, true);
              src.view.setUint32(offset + at + ATTR_DATA + 4, 0, true);
            }
            continue;
          }
        }
      }
      processAttr(b, i, src.view, offset); // everything else, and every error, in the kernel's order
    }
    const mandatory = action.mandatory;
    if (b.mandatoryGiven !== mandatory.length) {
      for (let k = 0; k < mandatory.length; k++) {
        const slot = mandatory[k]!;
        if (b.indexOf(slot) < 0) fail(EINVAL, `mandatory attribute ${action.attrs[slot]!.name} is missing`);
      }
    }
    return b;
  } catch (e) {
    try {
      if (b) finalize(b, false);
    } finally {
      if (b) release(b);
      file.leave();
      device.leave();
    }
    throw e;
  }
}

/** copy_from_user of `count` 32-bit words at `offset` of `src` into the bundle: word by word, natively when aligned. */
function copyIn(b: Bundle, src: Mapping, offset: number, count: number): void {
  const from = src.words;
  if (from && (offset & 3) === 0) {
    const to = b.words;
    const base = offset >>> 2;
    for (let k = 0; k < count; k++) to[k] = from[base + k]!;
  } else {
    const v = src.view;
    const u = b.uattrs;
    for (let k = 0; k < 4 * count; k += 4) u.setUint32(k, v.getUint32(offset + k, true), true);
  }
}

/** Bundles of ended commands, for the next ones (a command holds one from begin() to end()). */
const bundles: Bundle[] = [];
const BUNDLES_KEPT = 64;

function release(b: Bundle): void {
  b.clear();
  if (bundles.length < BUNDLES_KEPT) bundles.push(b);
}

/** Slot of a destroy action's object attribute, or -1. */
function destroySlot(action: ActionSpec): number {
  return action.objectSlot >= 0 && action.attrs[action.objectSlot]!.access === Access.DESTROY ? action.objectSlot : -1;
}

/** The handler (after the type's release hook, for a destroy action), then UHW_OUT's VALID_OUTPUT. */
export async function invoke(b: Bundle): Promise<void> {
  const action = b.action;
  const handler = b.device.handler(action);
  const slot = destroySlot(action);
  if (slot >= 0) {
    const u = b.uobjects[slot]!;
    b.file.destroy(u); // the type's hook may refuse with EBUSY; then nothing changed
    await handler(b); // it may still read the destroyed object's record (e.g. events reported)
  } else {
    await handler(b);
  }
  writeBackUdata(b);
}

/** UHW_OUT is marked written when the user gave it (the driver's response may be empty). */
export function writeBackUdata(b: Bundle): void {
  const uhwOut = lookup(b.action.byId, UVERBS_ATTR_UHW_OUT);
  const i = uhwOut ? b.indexOf(uhwOut.index) : -1;
  if (i >= 0) b.setOutput(i * ATTR_SIZE);
}

/** The end of every command begin() started: commit (ok) or abort new objects, unlock the rest, leave the file and device. */
export function end(b: Bundle, ok: boolean): void {
  try {
    finalize(b, ok);
  } finally {
    release(b);
    b.file.leave();
    b.device.leave();
  }
}

/**
 * uverbs_set_attr + uverbs_process_attr for the i-th attribute the user sent. `user` at
 * `userOffset` is the user's own attribute array, where a new object's id is written.
 */
function processAttr(b: Bundle, i: number, user: DataView, userOffset: number): void {
  const u = b.uattrs;
  const at = i * ATTR_SIZE;
  const id = u.getUint16(at + ATTR_ID, true);
  const s = lookup(b.action.byId, id);
  if (!s) {
    if ((u.getUint16(at + ATTR_FLAGS, true) & UVERBS_ATTR_F_MANDATORY) !== 0) fail(EPROTONOSUPPORT, `unknown attribute 0x${id.toString(16)} marked mandatory`);
    return;
  }
  if (b.indexOf(s.index) >= 0) fail(EINVAL, `attribute ${s.name} given twice`);
  const len = u.getUint16(at + ATTR_LEN, true);
  const elemId = u.getUint8(at + ATTR_ELEM_ID);
  const reserved = u.getUint8(at + ATTR_RESERVED);
  switch (s.kind) {
    case AttrKind.ENUM_IN: {
      const e = s.elements[elemId];
      if (elemId >= s.elements.length || !e) fail(EOPNOTSUPP, `element ${elemId} of ${s.name} is not one of ${s.elements.length}`);
      if (reserved !== 0) fail(EINVAL, `reserved byte of ${s.name} is not zero`);
      checkPtrIn(b, s, e, at, len, true);
      break;
    }
    case AttrKind.PTR_IN:
    case AttrKind.CONST_IN:
    case AttrKind.FLAGS_IN:
      checkPtrIn(b, s, s, at, len, false);
      break;
    case AttrKind.PTR_OUT:
      checkPtrLen(s, s, len);
      if (elemId !== 0 || reserved !== 0) fail(EINVAL, `reserved bits of ${s.name} are not zero`);
      break;
    case AttrKind.IDR:
    case AttrKind.FD:
    case AttrKind.RAW_FD: {
      if (elemId !== 0 || reserved !== 0) fail(EINVAL, `reserved bits of ${s.name} are not zero`);
      if (len !== 0) fail(EINVAL, `object attribute ${s.name} has len ${len}, not 0`);
      if (s.kind !== AttrKind.RAW_FD) {
        b.give(s.index, i);
        const obj = getObject(b, s, u.getUint32(at + ATTR_DATA, true), u.getUint32(at + ATTR_DATA + 4, true));
        b.uobjects[s.index] = obj;
        b.hold(s.index);
        // put_user of the new handle or fd into the user's attribute (never negative).
        if (s.access === Access.NEW) {
          user.setUint32(userOffset + at + ATTR_DATA, obj.id, true);
          user.setUint32(userOffset + at + ATTR_DATA + 4, 0, true);
        }
      }
      break;
    }
    case AttrKind.IDRS_ARRAY: {
      if (elemId !== 0 || reserved !== 0) fail(EINVAL, `reserved bits of ${s.name} are not zero`);
      if (len % 4 !== 0) fail(EINVAL, `${s.name} length ${len} is not a multiple of 4`);
      const count = len / 4;
      if (count < s.minCount || count > s.maxCount) fail(EINVAL, `${s.name} has ${count} handles, not ${s.minCount}..${s.maxCount}`);
      const src = len <= 8 ? { view: u, offset: at + ATTR_DATA } : b.memory.access(attrPtr(u, at), len, s.name);
      const objs: UObject[] = [];
      b.give(s.index, i);
      (b.arrays ??= new Array<UObject[] | undefined>(b.action.attrs.length))[s.index] = objs;
      b.hold(s.index); // finalize must see what was locked even if a lookup below fails half-way
      for (let k = 0; k < count; k++) objs.push(getObject(b, s, src.view.getUint32(src.offset + 4 * k, true), 0));
      break;
    }
  }
  b.give(s.index, i);
  if (s.mandatory) b.mandatoryGiven++;
}

function checkPtrLen(s: AttrSpec, p: PtrSpec, len: number): void {
  if (len < p.minLen || (!p.zeroTrailing && len > p.len)) {
    fail(EINVAL, `${s.name} has len ${len}, not ${p.minLen}..${p.len}`);
  }
}

function checkPtrIn(b: Bundle, s: AttrSpec, p: PtrSpec, at: number, len: number, isEnum: boolean): void {
  const u = b.uattrs;
  if (len > p.len && p.zeroTrailing && !tailCleared(b, at, len, p.len)) {
    fail(EOPNOTSUPP, `${s.name} is longer than ${p.len} bytes and its tail is not zero`);
  }
  checkPtrLen(s, p, len);
  if (!isEnum && (u.getUint8(at + ATTR_ELEM_ID) !== 0 || u.getUint8(at + ATTR_RESERVED) !== 0)) {
    fail(EINVAL, `reserved bits of ${s.name} are not zero`);
  }
  if (s.allocAndCopy && len > 8) (b.copies ??= new Array<Uint8Array | undefined>(b.action.attrs.length))[s.index] = b.memory.read(attrPtr(u, at), len, s.name);
}

function tailCleared(b: Bundle, at: number, len: number, from: number): boolean {
  const u = b.uattrs;
  if (len <= 8) {
    for (let k = from; k < len; k++) if (u.getUint8(at + ATTR_DATA + k) !== 0) return false;
    return true;
  }
  const m = b.memory.view(attrPtr(u, at) + from, len - from);
  if (!m) return false; // ib_is_buffer_cleared fails closed
  for (let k = 0; k < len - from; k++) if (m.view.getUint8(m.offset + k) !== 0) return false;
  return true;
}

/** The 64-bit data of an attribute from its two halves, for messages. */
const data64 = (lo: number, hi: number): bigint => (BigInt(hi) << 32n) | BigInt(lo);

/**
 * getObject's common case for an idr attribute, or undefined to leave it to getObject:
 * a new object on a live device and a file with a context, or a live object of this
 * file and of the right type whose lock is free. Takes exactly what getObject would.
 */
function quickIdr(b: Bundle, s: AttrSpec, lo: number, hi: number): UObject | undefined {
  const file = b.file;
  const device = b.device;
  if (device.removed) return undefined;
  if (s.access === Access.NEW) {
    if (file.context === undefined) return undefined;
    const u = new UObject(device.type(s.objType)!, file);
    file.reserve(u);
    return u;
  }
  if (hi !== 0 || lo > 0x7fffffff) return undefined;
  const u = device.idr.get(lo);
  if (u === undefined || u.file !== file || u.state !== UObjectState.LIVE || (s.objType !== ANY_OBJECT && u.type.id !== s.objType)) return undefined;
  if (s.access === Access.READ ? u.usecnt < 0 : u.usecnt !== 0) return undefined;
  tryLock(u, s.access);
  return u;
}

/** getObject's common case for an fd attribute (read or write, not new), or undefined to leave it to getObject. */
function quickFd(b: Bundle, s: AttrSpec, lo: number, hi: number): UObject | undefined {
  const file = b.file;
  if (b.device.removed || s.access === Access.NEW || hi !== 0 || lo > 0x7fffffff) return undefined;
  const u = file.process.objectAt(lo);
  if (u === undefined || u.file !== file || u.type.id !== s.objType || u.state !== UObjectState.LIVE) return undefined;
  if (s.access === Access.READ ? u.usecnt < 0 : u.usecnt !== 0) return undefined;
  tryLock(u, s.access);
  return u;
}

/** uverbs_get_uobject_from_file: look up and lock, or reserve for `new`. The data comes as two u32 halves. */
function getObject(b: Bundle, s: AttrSpec, lo: number, hi: number): UObject {
  const file = b.file;
  const device = b.device;
  if (s.access === Access.NEW) {
    const type = device.type(s.objType)!;
    if (device.removed) fail(EIO, 'the device was removed');
    if (file.context === undefined) fail(EINVAL, `no context on this file: GET_CONTEXT first (creating ${type.name})`);
    const u = new UObject(type, file);
    file.reserve(u);
    return u;
  }
  if (device.removed && s.access !== Access.DESTROY) fail(EIO, 'the device was removed');
  let u: UObject | undefined;
  if (s.kind === AttrKind.FD) {
    // An fd is an int sign-extended to 64 bits.
    const fd = lo | 0;
    if ((hi | 0) !== fd >> 31) fail(EINVAL, `fd ${BigInt.asIntN(64, data64(lo, hi))} is out of range`);
    u = file.process.objectAt(fd);
    if (!u || u.file !== file || u.type.id !== s.objType) fail(EBADF, `fd ${fd} is not a ${device.type(s.objType)?.name ?? '?'} of this file`);
  } else {
    const handle = hi === 0 && lo <= 0x7fffffff ? lo : -1;
    u = handle < 0 ? undefined : device.idr.get(handle);
    if (!u || u.file !== file || u.state === UObjectState.RESERVED || u.state === UObjectState.DESTROYED) {
      fail(ENOENT, `no object ${BigInt.asIntN(64, data64(lo, hi))} on this file`);
    }
    if (s.objType !== ANY_OBJECT && u.type.id !== s.objType) fail(EINVAL, `handle ${handle} is a ${u.type.name}, not a ${device.type(s.objType)?.name ?? '?'}`);
  }
  if (u.state === UObjectState.HW_GONE && s.access !== Access.DESTROY) fail(EIO, 'the object was released with its device');
  tryLock(u, s.access);
  return u;
}

/** bundle_destroy: commit or abort new objects, unlock everything else. */
function finalize(b: Bundle, commit: boolean): void {
  const attrs = b.action.attrs;
  const held = b.held;
  for (let k = 0, n = b.nheld; k < n; k++) {
    const slot = held[k]!;
    const s = attrs[slot]!;
    const u = b.uobjects[slot];
    if (u && u.state !== UObjectState.DESTROYED) {
      if (s.access === Access.NEW) {
        if (commit) b.file.commit(u);
        else b.file.abort(u);
      } else unlock(u, s.access);
    }
    const arr = b.arrays?.[slot];
    if (arr) for (const x of arr) unlock(x, s.access);
  }
}
