/**
 * The ioctl dispatcher (ib_uverbs_ioctl and ib_uverbs_cmd_verbs): header checks, the
 * dense lookup of the action, every attribute checked against the generated tables in
 * the kernel's order, objects looked up and locked (or reserved), the handler run,
 * then commit or abort, unlock and write back. Every call ends in 0 or one -errno;
 * nothing a caller sends throws out of here.
 *
 * The hot path (begin, parseAttrs, quickIdr, quickFd, finalize) writes wire offsets,
 * attribute kinds, access modes and object states as numbers, each named where it is
 * used: V8 folds neither an imported constant nor a property of a frozen object into
 * compiled code, it loads and checks it at every use, and in the table-driven parse that
 * cost a tenth of the time (npm run bench, parse+check). wire.ts, contract.ts and
 * uobject.ts define them; the slow path (processAttr, getObject) uses their names.
 */
import { Access, AttrKind, ANY_OBJECT, lookup, type AttrSpec, type PtrSpec } from './contract.js';
import { Bundle } from './bundle.js';
import {
  EFAULT, EINVAL, EIO, ENOIOCTLCMD, ENOTTY, EOPNOTSUPP, EPROTONOSUPPORT, UverbsError, fail,
} from '../abi/errno.js';
import type { UverbsFile } from './uverbs-file.js';
import type { Mapping } from '../process/user-memory.js';
import { attrPtr } from '../abi/wire.js';
import { UObject, unlock } from './uobject.js';
import { lookupUObject } from './lookup.js';
import {
  ATTR_DATA, ATTR_ELEM_ID, ATTR_FLAGS, ATTR_ID, ATTR_LEN, ATTR_RESERVED, ATTR_SIZE, HDR_SIZE, MAX_IOCTL_LENGTH, RDMA_VERBS_IOCTL,
  UVERBS_ATTR_F_MANDATORY,
} from '../abi/wire.js';
import { objectAt } from './object-file.js';

/** ioctl(2) on a uverbs file: 0 or -errno. */
export async function dispatch(file: UverbsFile, request: number, arg: number): Promise<number> {
  try {
    await run(file, request, arg);
    return 0;
  } catch (e) {
    if (e instanceof UverbsError) return -(e.errno === ENOIOCTLCMD ? ENOTTY : e.errno);
    // A handler bug must not escape as an exception either; the kernel would oops, we answer EIO and say why.
    noteInternalError(e);
    return -EIO;
  }
}

/** The last exception a handler (ioctl or write()) threw that was not a UverbsError (for tests and debugging). */
export let lastInternalError: unknown = undefined;

/** Keeps `e` as lastInternalError: a handler bug, answered EIO. */
export function noteInternalError(e: unknown): void {
  lastInternalError = e;
}

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
  const length = v.getUint16(o, true); // length
  const numAttrs = v.getUint16(o + 6, true); // num_attrs
  if (length > 4096 || length !== 24 + 16 * numAttrs) {
    fail(EINVAL, `header length ${length} does not match ${numAttrs} attributes (or exceeds ${MAX_IOCTL_LENGTH})`);
  }
  if (v.getUint32(o + 8, true) !== 0 || v.getUint32(o + 12, true) !== 0 || v.getUint32(o + 20, true) !== 0) { // reserved1, reserved2
    fail(EPROTONOSUPPORT, 'reserved header fields are not zero');
  }
  const objectId = v.getUint16(o + 2, true); // object_id
  const methodId = v.getUint16(o + 4, true); // method_id
  const driverId = v.getUint32(o + 16, true); // driver_id

  const device = file.device;
  if (file.closing) fail(EIO, 'the file is closing');
  device.enter();
  file.enter();
  let b: Bundle | undefined;
  try {
    if (driverId !== device.driverId) fail(EINVAL, `driver_id ${driverId} is not the device's (${device.driverId})`);
    const plan = device.plan(objectId, methodId);
    if (plan === undefined) fail(EPROTONOSUPPORT, `no action ${objectId}/${methodId}`);
    // After removal only destroy actions keep their handler (uverbs_disassociate_api).
    if (device.removed && plan.destroySlot < 0) fail(EIO, 'the device was removed');

    const uattrsAddr = arg + 24;
    const src = memory.find(uattrsAddr, 16 * numAttrs);
    if (!src) fail(EFAULT, `attribute array: ${ATTR_SIZE * numAttrs} bytes at 0x${uattrsAddr.toString(16)} are not mapped`);
    const offset = uattrsAddr - src.addr;
    const bundle = spare > 0 ? bundles[--spare]! : new Bundle();
    copyIn(bundle, src, offset, numAttrs);
    b = bundle.start(device, file, plan, memory, uattrsAddr);
    parseAttrs(bundle, numAttrs, src.view, offset);
    const given = bundle.given;
    if ((given[0]! & plan.mandatoryLo) !== plan.mandatoryLo || (given[1]! & plan.mandatoryHi) !== plan.mandatoryHi) {
      const action = plan.action;
      for (const slot of action.mandatory) {
        if (bundle.indexOf(slot) < 0) fail(EINVAL, `mandatory attribute ${action.attrs[slot]!.name} is missing`);
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

/**
 * copy_from_user of `numAttrs` attributes at `offset` of `src` into the bundle: natively
 * when aligned, one attribute (four words) per step, which lets V8 check the two arrays
 * once per attribute instead of once per word.
 */
function copyIn(b: Bundle, src: Mapping, offset: number, numAttrs: number): void {
  const from = src.words;
  if (from !== undefined && (offset & 3) === 0) {
    const to = b.words;
    for (let k = 0, f = offset >>> 2, end = 4 * numAttrs; k < end; k += 4, f += 4) {
      const w0 = from[f]!;
      const w1 = from[f + 1]!;
      const w2 = from[f + 2]!;
      const w3 = from[f + 3]!;
      to[k] = w0;
      to[k + 1] = w1;
      to[k + 2] = w2;
      to[k + 3] = w3;
    }
  } else {
    const v = src.view;
    const u = b.uattrs;
    for (let k = 0; k < 16 * numAttrs; k += 4) u.setUint32(k, v.getUint32(offset + k, true), true);
  }
}

/**
 * uverbs_set_attr for each attribute the user sent, in the user's order. The common
 * cases are decided here in line: a known input or output of plain length rules with
 * attr_data clear, and an idr or fd attribute whose object is there and free. Anything
 * else, and every error, goes to processAttr, which checks in the kernel's order. The
 * given-bitmap lives in locals meanwhile and is stored back into the bundle around
 * processAttr and at the end. `user` at `userOffset` is the user's own attribute array,
 * where a new object's handle is written.
 */
function parseAttrs(b: Bundle, numAttrs: number, user: DataView, userOffset: number): void {
  const uattrs = b.uattrs;
  const core = b.action.byId.core;
  const driver = b.action.byId.driver;
  const given = b.given;
  const index = b.index;
  let given0 = 0;
  let given1 = 0;
  for (let i = 0, at = 0; i < numAttrs; i++, at += 16) {
    // lookup() in line, with the tables of both namespaces read once
    const id = uattrs.getUint16(at, true); // attr_id
    const ns = id >>> 12;
    const s = ns === 0 ? core[id] : ns === 1 ? driver[id & 0xfff] : undefined;
    if (s !== undefined) {
      const slot = s.index;
      const bit = 1 << slot; // in word slot >>> 5 of the bitmap (a shift counts mod 32)
      if (((slot < 32 ? given0 : given1) & bit) === 0) {
        const kind = s.kind;
        if (kind <= 3) {
          // PTR_IN, PTR_OUT, CONST_IN, FLAGS_IN: len within bounds (then zero_trailing has
          // nothing to check), attr_data clear, and no kernel copy to make
          const len = uattrs.getUint16(at + 2, true); // len
          if (len >= s.minLen && len <= s.len && uattrs.getUint16(at + 6, true) === 0 && !(len > 8 && s.allocAndCopy)) {
            if (slot < 32) given0 |= bit;
            else given1 |= bit;
            index[slot] = i;
            continue;
          }
        } else if ((kind === 5 || kind === 6) && uattrs.getUint16(at + 2, true) === 0 && uattrs.getUint16(at + 6, true) === 0) {
          // IDR, FD: len 0, attr_data clear, data the handle or fd
          const lo = uattrs.getUint32(at + 8, true);
          const hi = uattrs.getUint32(at + 12, true);
          const u = kind === 5 ? quickIdr(b, s, lo, hi) : quickFd(b, s, lo, hi);
          if (u !== undefined) {
            if (slot < 32) given0 |= bit;
            else given1 |= bit;
            index[slot] = i;
            b.uobjects[slot] = u;
            b.hold(slot);
            if (s.access === 2) { // NEW: put_user of the handle
              user.setUint32(userOffset + at + 8, u.id, true);
              user.setUint32(userOffset + at + 12, 0, true);
            }
            continue;
          }
        }
      }
    }
    given[0] = given0;
    given[1] = given1;
    processAttr(b, i, user, userOffset);
    given0 = given[0]!;
    given1 = given[1]!;
  }
  given[0] = given0;
  given[1] = given1;
}

/** Bundles of ended commands, for the next ones (a command holds one from begin() to end()). */
const bundles: Bundle[] = [];
/** How many of `bundles` are free: a stack that never shrinks (Array pop would give its store back, and push take a new one). */
let spare = 0;
const BUNDLES_KEPT = 64;

function release(b: Bundle): void {
  b.clear();
  if (spare < BUNDLES_KEPT) bundles[spare++] = b;
}

/** The handler (after the type's release hook, for a destroy action), then UHW_OUT's VALID_OUTPUT. */
export async function invoke(b: Bundle): Promise<void> {
  const plan = b.plan;
  const handler = plan.handler;
  const slot = plan.destroySlot;
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
  const slot = b.plan.uhwOutSlot;
  const i = slot < 0 ? -1 : b.indexOf(slot);
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
  const access = s.access;
  const type = b.plan.objTypes[s.index];
  if (access === 2) { // NEW
    if (file.context === undefined || type === undefined) return undefined;
    const u = new UObject(type, file);
    file.reserve(u);
    return u;
  }
  if (hi !== 0 || lo > 0x7fffffff) return undefined;
  const u = device.idr.get(lo);
  // LIVE, and of the attribute's type unless it takes ANY_OBJECT
  if (u === undefined || u.file !== file || u.state !== 1 || (type === undefined ? s.objType !== 0xffff : u.type !== type)) return undefined;
  return quickLock(u, access);
}

/** getObject's common case for an fd attribute (read or write, not new), or undefined to leave it to getObject. */
function quickFd(b: Bundle, s: AttrSpec, lo: number, hi: number): UObject | undefined {
  const file = b.file;
  const access = s.access;
  const type = b.plan.objTypes[s.index];
  if (b.device.removed || access === 2 || type === undefined || hi !== 0 || lo > 0x7fffffff) return undefined; // not NEW
  const u = objectAt(file.process, lo);
  if (u === undefined || u.file !== file || u.type !== type || u.state !== 1) return undefined; // LIVE
  return quickLock(u, access);
}

/** tryLock's rule without its EBUSY: `u` locked for `access` (shared for read, else exclusive), or undefined when that conflicts. */
function quickLock(u: UObject, access: number): UObject | undefined {
  if (access === 0) { // READ
    if (u.usecnt < 0) return undefined;
    u.usecnt++;
  } else {
    if (u.usecnt !== 0) return undefined;
    u.usecnt = -1;
  }
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
  let id: number;
  if (s.kind === AttrKind.FD) {
    // An fd is an int sign-extended to 64 bits.
    id = lo | 0;
    if ((hi | 0) !== id >> 31) fail(EINVAL, `fd ${BigInt.asIntN(64, data64(lo, hi))} is out of range`);
  } else {
    id = hi === 0 ? lo : -1; // beyond 32 bits names nothing (ENOENT)
  }
  return lookupUObject(file, s.objType === ANY_OBJECT ? undefined : device.type(s.objType), id, s.access);
}

/** bundle_destroy: commit or abort new objects, unlock everything else. */
function finalize(b: Bundle, commit: boolean): void {
  const attrs = b.action.attrs;
  const held = b.held;
  const uobjects = b.uobjects;
  const arrays = b.arrays;
  const file = b.file;
  for (let k = 0, n = b.nheld; k < n; k++) {
    const slot = held[k]!;
    const access = attrs[slot]!.access;
    const u = uobjects[slot];
    if (u !== undefined) {
      uobjects[slot] = undefined;
      if (u.state !== 3) { // not DESTROYED
        if (access === 2) { // NEW
          if (commit) file.commit(u);
          else file.abort(u);
        } else unlock(u, access);
      }
    }
    const arr = arrays === undefined ? undefined : arrays[slot];
    if (arr !== undefined) for (const x of arr) unlock(x, access);
  }
  b.nheld = 0;
}
