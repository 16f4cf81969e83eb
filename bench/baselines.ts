/**
 * Hand-written baselines: what a careful programmer would write by hand for the three
 * calls the bench times, with no spec and no generator.
 *
 * Encoders: DataView writes of exactly the bytes the generated CQ_CREATE, QP_CREATE and
 * REG_MR encoders write for the bench's inputs, in rdma-core's attribute order, with the
 * optional attributes rdma-core's ibv_cmd_* functions test for, 64-bit values as two
 * 32-bit halves (numbers below 2^53), each 16-byte attribute as four u32 writes (the
 * fewest a DataView allows), straight-line at constant offsets where the layout is fixed
 * and with no helper calls (V8 stops inlining helpers into a function this long).
 *
 * Parsers: a minimal kernel-side parse and check of those buffers, one function per
 * action, as a hand-written ioctl handler would do it: the header checks, a switch over
 * the attribute ids the action takes (unknown ones ignored unless MANDATORY), each
 * length and reserved field checked, duplicates and missing mandatory attributes
 * refused. Like any kernel code they first copy the attribute array out of user memory
 * (copy_from_user, here into one reused buffer, word by word) and read the copy. For
 * everything that is not parsing (fencing the file and device, reserving a new object,
 * looking a handle up and try-locking it, and undoing that) they call the same runtime
 * functions the dispatcher calls, so the comparison isolates the table-driven parse and
 * check.
 */
import type { Device } from '../runtime/kernel/device.js';
import { EBADF, EFAULT, EINVAL, EIO, ENOENT, EPROTONOSUPPORT, fail } from '../runtime/abi/errno.js';
import type { UverbsFile } from '../runtime/kernel/uverbs-file.js';
import { Access, type AccessId, type TypeSpec } from '../runtime/kernel/contract.js';
import { UObject, UObjectState, tryLock, unlock } from '../runtime/kernel/uobject.js';
import type { Mapping } from '../runtime/process/user-memory.js';
import { objectAt } from '../runtime/kernel/object-file.js';

const TWO_32 = 0x1_0000_0000;
const MANDATORY = 1;

// ---------------------------------------------------------------- encoders

export interface HandCqCreate {
  cqe: number;
  userHandle: number;
  compVector: number;
  compChannel?: number;
  eventFd?: number;
  flags?: number;
}

/**
 * ibv_cmd_create_cq_ex's buffer: handle, resp_cqe, cqe, user_handle, [comp_channel],
 * comp_vector, [event_fd], [flags]. Straight-line writes at constant offsets where the
 * layout is fixed; every attribute MANDATORY.
 */
export function handEncodeCqCreate(v: DataView, addr: number, x: HandCqCreate): number {
  const channel = x.compChannel;
  const event = x.eventFd;
  const flags = x.flags;
  const n = 5 + (channel !== undefined ? 1 : 0) + (event !== undefined ? 1 : 0) + (flags !== undefined ? 1 : 0);
  const resp = addr + ((24 + 16 * n + 7) & ~7);
  v.setUint32(0, (24 + 16 * n) | (3 << 16), true); // length, object_id CQ
  v.setUint32(4, 0 | (n << 16), true); // method_id CQ_CREATE, num_attrs
  v.setUint32(8, 0, true); // reserved1
  v.setUint32(12, 0, true);
  v.setUint32(16, 0, true); // driver_id
  v.setUint32(20, 0, true); // reserved2
  v.setUint32(24, 0, true); // HANDLE: id 0, len 0
  v.setUint32(28, 1, true); // MANDATORY
  v.setUint32(32, 0, true);
  v.setUint32(36, 0, true);
  v.setUint32(40, 6 | (4 << 16), true); // RESP_CQE: a u32 after the attributes
  v.setUint32(44, 1, true);
  v.setUint32(48, resp >>> 0, true);
  v.setUint32(52, (resp / TWO_32) >>> 0, true);
  v.setUint32(56, 1 | (4 << 16), true); // CQE
  v.setUint32(60, 1, true);
  v.setUint32(64, x.cqe >>> 0, true);
  v.setUint32(68, 0, true);
  const uh = x.userHandle;
  v.setUint32(72, 2 | (8 << 16), true); // USER_HANDLE
  v.setUint32(76, 1, true);
  v.setUint32(80, uh >>> 0, true);
  v.setUint32(84, (uh / TWO_32) >>> 0, true);
  let at = 88;
  if (channel !== undefined) {
    v.setUint32(at, 3, true); // COMP_CHANNEL: an fd
    v.setUint32(at + 4, 1, true);
    v.setUint32(at + 8, channel >>> 0, true);
    v.setUint32(at + 12, channel < 0 ? 0xffffffff : 0, true);
    at += 16;
  }
  v.setUint32(at, 4 | (4 << 16), true); // COMP_VECTOR
  v.setUint32(at + 4, 1, true);
  v.setUint32(at + 8, x.compVector >>> 0, true);
  v.setUint32(at + 12, 0, true);
  at += 16;
  if (event !== undefined) {
    v.setUint32(at, 7, true); // EVENT_FD
    v.setUint32(at + 4, 1, true);
    v.setUint32(at + 8, event >>> 0, true);
    v.setUint32(at + 12, event < 0 ? 0xffffffff : 0, true);
    at += 16;
  }
  if (flags !== undefined) {
    v.setUint32(at, 5 | (4 << 16), true); // FLAGS
    v.setUint32(at + 4, 1, true);
    v.setUint32(at + 8, flags >>> 0, true);
    v.setUint32(at + 12, 0, true);
  }
  return resp - addr + 8;
}

export interface HandQpCreate {
  pdHandle: number;
  sendCqHandle: number;
  recvCqHandle: number;
  type: number;
  userHandle: number;
  cap: { maxSendWr: number; maxRecvWr: number; maxSendSge: number; maxRecvSge: number; maxInlineData: number };
  eventFd?: number;
  flags?: number;
}

/**
 * ibv_cmd_create_qp_ex2's buffer for a QP on a PD and CQs: pd, send_cq, recv_cq,
 * handle, type, user_handle, cap (20 bytes after the attributes), [event_fd], [flags],
 * resp_cap, resp_qp_num.
 */
export function handEncodeQpCreate(v: DataView, addr: number, x: HandQpCreate): number {
  const event = x.eventFd;
  const flags = x.flags;
  const n = 9 + (event !== undefined ? 1 : 0) + (flags !== undefined ? 1 : 0);
  const start = (24 + 16 * n + 7) & ~7;
  v.setUint32(0, (24 + 16 * n) | (4 << 16), true); // length, object_id QP
  v.setUint32(4, 0 | (n << 16), true); // method_id QP_CREATE, num_attrs
  v.setUint32(8, 0, true);
  v.setUint32(12, 0, true);
  v.setUint32(16, 0, true);
  v.setUint32(20, 0, true);
  v.setUint32(24, 2, true); // PD_HANDLE
  v.setUint32(28, 1, true);
  v.setUint32(32, x.pdHandle >>> 0, true);
  v.setUint32(36, 0, true);
  v.setUint32(40, 4, true); // SEND_CQ_HANDLE
  v.setUint32(44, 1, true);
  v.setUint32(48, x.sendCqHandle >>> 0, true);
  v.setUint32(52, 0, true);
  v.setUint32(56, 5, true); // RECV_CQ_HANDLE
  v.setUint32(60, 1, true);
  v.setUint32(64, x.recvCqHandle >>> 0, true);
  v.setUint32(68, 0, true);
  v.setUint32(72, 0, true); // HANDLE
  v.setUint32(76, 1, true);
  v.setUint32(80, 0, true);
  v.setUint32(84, 0, true);
  v.setUint32(88, 9 | (8 << 16), true); // TYPE: const_in, 8 bytes
  v.setUint32(92, 1, true);
  v.setUint32(96, x.type >>> 0, true);
  v.setUint32(100, 0, true);
  const uh = x.userHandle;
  v.setUint32(104, 7 | (8 << 16), true); // USER_HANDLE
  v.setUint32(108, 1, true);
  v.setUint32(112, uh >>> 0, true);
  v.setUint32(116, (uh / TWO_32) >>> 0, true);
  const cap = addr + start;
  v.setUint32(120, 8 | (20 << 16), true); // CAP: struct ib_uverbs_qp_cap after the attributes
  v.setUint32(124, 1, true);
  v.setUint32(128, cap >>> 0, true);
  v.setUint32(132, (cap / TWO_32) >>> 0, true);
  const c = x.cap;
  v.setUint32(start, c.maxSendWr, true);
  v.setUint32(start + 4, c.maxRecvWr, true);
  v.setUint32(start + 8, c.maxSendSge, true);
  v.setUint32(start + 12, c.maxRecvSge, true);
  v.setUint32(start + 16, c.maxInlineData, true);
  let at = 136;
  if (event !== undefined) {
    v.setUint32(at, 12, true); // EVENT_FD
    v.setUint32(at + 4, 1, true);
    v.setUint32(at + 8, event >>> 0, true);
    v.setUint32(at + 12, event < 0 ? 0xffffffff : 0, true);
    at += 16;
  }
  if (flags !== undefined) {
    v.setUint32(at, 10 | (4 << 16), true); // FLAGS
    v.setUint32(at + 4, 1, true);
    v.setUint32(at + 8, flags >>> 0, true);
    v.setUint32(at + 12, 0, true);
    at += 16;
  }
  const respCap = cap + 24;
  v.setUint32(at, 13 | (20 << 16), true); // RESP_CAP
  v.setUint32(at + 4, 1, true);
  v.setUint32(at + 8, respCap >>> 0, true);
  v.setUint32(at + 12, (respCap / TWO_32) >>> 0, true);
  const qpNum = cap + 48;
  v.setUint32(at + 16, 14 | (4 << 16), true); // RESP_QP_NUM
  v.setUint32(at + 20, 1, true);
  v.setUint32(at + 24, qpNum >>> 0, true);
  v.setUint32(at + 28, (qpNum / TWO_32) >>> 0, true);
  return start + 56;
}

export interface HandRegMr {
  addr: number;
  iova: number;
  pdHandle: number;
  length: number;
  accessFlags: number;
}

/** ibv_cmd_reg_mr_ex's buffer for a virtual address: addr, iova, handle, resp_lkey, resp_rkey, pd, length, access_flags. */
export function handEncodeRegMr(v: DataView, addr: number, x: HandRegMr): number {
  const lkey = addr + 152;
  const rkey = addr + 160;
  const va = x.addr;
  const iova = x.iova;
  const length = x.length;
  v.setUint32(0, 152 | (7 << 16), true); // length, object_id MR
  v.setUint32(4, 5 | (8 << 16), true); // method_id REG_MR, num_attrs
  v.setUint32(8, 0, true);
  v.setUint32(12, 0, true);
  v.setUint32(16, 0, true);
  v.setUint32(20, 0, true);
  v.setUint32(24, 4 | (8 << 16), true); // ADDR
  v.setUint32(28, 1, true);
  v.setUint32(32, va >>> 0, true);
  v.setUint32(36, (va / TWO_32) >>> 0, true);
  v.setUint32(40, 3 | (8 << 16), true); // IOVA
  v.setUint32(44, 1, true);
  v.setUint32(48, iova >>> 0, true);
  v.setUint32(52, (iova / TWO_32) >>> 0, true);
  v.setUint32(56, 0, true); // HANDLE
  v.setUint32(60, 1, true);
  v.setUint32(64, 0, true);
  v.setUint32(68, 0, true);
  v.setUint32(72, 9 | (4 << 16), true); // RESP_LKEY
  v.setUint32(76, 1, true);
  v.setUint32(80, lkey >>> 0, true);
  v.setUint32(84, (lkey / TWO_32) >>> 0, true);
  v.setUint32(88, 10 | (4 << 16), true); // RESP_RKEY
  v.setUint32(92, 1, true);
  v.setUint32(96, rkey >>> 0, true);
  v.setUint32(100, (rkey / TWO_32) >>> 0, true);
  v.setUint32(104, 1, true); // PD_HANDLE
  v.setUint32(108, 1, true);
  v.setUint32(112, x.pdHandle >>> 0, true);
  v.setUint32(116, 0, true);
  v.setUint32(120, 5 | (8 << 16), true); // LENGTH
  v.setUint32(124, 1, true);
  v.setUint32(128, length >>> 0, true);
  v.setUint32(132, (length / TWO_32) >>> 0, true);
  v.setUint32(136, 6 | (4 << 16), true); // ACCESS_FLAGS
  v.setUint32(140, 1, true);
  v.setUint32(144, x.accessFlags >>> 0, true);
  v.setUint32(148, 0, true);
  return 168;
}

// ---------------------------------------------------------------- parsers

/** What a hand-written parse took: up to three looked-up objects, one new one. */
export class Taken {
  created: UObject | undefined = undefined;
  a: UObject | undefined = undefined;
  aAccess: AccessId = Access.READ;
  b: UObject | undefined = undefined;
  c: UObject | undefined = undefined;
  d: UObject | undefined = undefined;
  file: UverbsFile | undefined = undefined;

  reset(file: UverbsFile): this {
    this.created = this.a = this.b = this.c = this.d = undefined;
    this.file = file;
    return this;
  }

  /** Abort the new object, unlock the others, leave the file and device. */
  release(): void {
    const f = this.file!;
    if (this.created) f.abort(this.created);
    if (this.a) unlock(this.a, this.aAccess);
    if (this.b) unlock(this.b, Access.READ);
    if (this.c) unlock(this.c, Access.READ);
    if (this.d) unlock(this.d, Access.READ);
    f.leave();
    f.device.leave();
  }
}

interface Ids {
  readonly cq: TypeSpec;
  readonly qp: TypeSpec;
  readonly mr: TypeSpec;
  readonly pd: TypeSpec;
  readonly asyncEvent: TypeSpec;
}

export function typesOf(device: Device): Ids {
  return { pd: device.type(1)!, cq: device.type(3)!, qp: device.type(4)!, mr: device.type(7)!, asyncEvent: device.type(16)! };
}

/** The header: lengths, reserved fields, the action, the driver; then the file and device are entered. Returns the attribute array's offset in `v`. */
function checkHeader(file: UverbsFile, v: DataView, o: number, object: number, method: number): number {
  const length = v.getUint16(o, true);
  const n = v.getUint16(o + 6, true);
  if (length > 4096 || length !== 24 + 16 * n) fail(EINVAL, 'bad header length');
  if (v.getUint32(o + 8, true) !== 0 || v.getUint32(o + 12, true) !== 0 || v.getUint32(o + 20, true) !== 0) fail(EPROTONOSUPPORT, 'reserved');
  if (file.closing) fail(EIO, 'closing');
  if (v.getUint16(o + 2, true) !== object || v.getUint16(o + 4, true) !== method) fail(EPROTONOSUPPORT, 'no such action');
  if (v.getUint32(o + 16, true) !== file.device.driverId) fail(EINVAL, 'driver_id');
  if (file.device.removed) fail(EIO, 'removed');
  return n;
}

/** The kernel's copy of the attribute array: one buffer, reused. */
const kcopy = new DataView(new ArrayBuffer(4096));
const kwords = new Uint32Array(kcopy.buffer);

/** copy_from_user of `n` attributes at `arg + 24`; returns where they are in user memory, for put_user. */
function copyAttrs(file: UverbsFile, arg: number, n: number): Mapping {
  const m = file.process.memory.find(arg + 24, 16 * n);
  if (!m) fail(EFAULT, 'attributes');
  const off = arg + 24 - m.addr;
  if (m.words && (off & 3) === 0) {
    const from = m.words;
    const base = off >>> 2;
    for (let k = 0; k < 4 * n; k++) kwords[k] = from[base + k]!;
  } else {
    for (let k = 0; k < 16 * n; k += 4) kcopy.setUint32(k, m.view.getUint32(off + k, true), true);
  }
  return m;
}

/** Reserves the new object and writes its handle into the user's attribute `i` (put_user). */
function newObject(file: UverbsFile, t: TypeSpec, v: DataView, at: number, user: Mapping, userAt: number): UObject {
  if (v.getUint16(at + 2, true) !== 0 || v.getUint16(at + 6, true) !== 0) fail(EINVAL, 'object attribute');
  if (file.context === undefined) fail(EINVAL, 'no context');
  const u = new UObject(t, file);
  file.reserve(u);
  user.view.setUint32(userAt + 8, u.id, true);
  user.view.setUint32(userAt + 12, 0, true);
  return u;
}

function idrRead(file: UverbsFile, t: TypeSpec, v: DataView, at: number): UObject {
  if (v.getUint16(at + 2, true) !== 0 || v.getUint16(at + 6, true) !== 0) fail(EINVAL, 'object attribute');
  const hi = v.getUint32(at + 12, true);
  const lo = v.getUint32(at + 8, true);
  const u = hi === 0 && lo <= 0x7fffffff ? file.device.idr.get(lo) : undefined;
  if (!u || u.file !== file || u.state !== UObjectState.LIVE) fail(ENOENT, 'no such object');
  if (u.type !== t) fail(EINVAL, 'wrong type');
  tryLock(u, Access.READ);
  return u;
}

function fdRead(file: UverbsFile, t: TypeSpec, v: DataView, at: number): UObject {
  if (v.getUint16(at + 2, true) !== 0 || v.getUint16(at + 6, true) !== 0) fail(EINVAL, 'object attribute');
  const x = v.getInt32(at + 8, true);
  if (v.getInt32(at + 12, true) !== (x < 0 ? -1 : 0)) fail(EINVAL, 'fd out of range');
  const u = objectAt(file.process, x);
  if (!u || u.file !== file || u.type !== t) fail(EBADF, 'bad fd');
  if (u.state !== UObjectState.LIVE) fail(EIO, 'gone');
  tryLock(u, Access.READ);
  return u;
}

/** An input of exactly `len` bytes with clear reserved bits. */
function exact(v: DataView, at: number, len: number): void {
  if (v.getUint16(at + 2, true) !== len || v.getUint16(at + 6, true) !== 0) fail(EINVAL, 'bad length');
}

/** A flags_in attribute: 4 or 8 bytes inline. */
function flags(v: DataView, at: number): void {
  const len = v.getUint16(at + 2, true);
  if ((len !== 4 && len !== 8) || v.getUint16(at + 6, true) !== 0) fail(EINVAL, 'bad length');
}

function unknown(v: DataView, at: number): void {
  if ((v.getUint16(at + 4, true) & MANDATORY) !== 0) fail(EPROTONOSUPPORT, 'unknown mandatory attribute');
}

function once(seen: number, bit: number): number {
  if ((seen & bit) !== 0) fail(EINVAL, 'attribute given twice');
  return seen | bit;
}

/** CQ_CREATE: handle (new), cqe, user_handle, comp_vector, resp_cqe, event_fd (fd of ASYNC_EVENT). */
export function handCheckCqCreate(file: UverbsFile, ids: Ids, arg: number, t: Taken): Taken {
  const mem = file.process.memory;
  const h = mem.access(arg, 24, 'header');
  const n = checkHeader(file, h.view, h.offset, 3, 0);
  const user = copyAttrs(file, arg, n);
  const userAttrs = arg + 24 - user.addr;
  const v = kcopy;
  file.device.enter();
  file.enter();
  t.reset(file);
  try {
    let seen = 0;
    for (let i = 0, at = 0; i < n; i++, at += 16) {
      switch (v.getUint16(at, true)) {
        case 0:
          seen = once(seen, 1);
          t.created = newObject(file, ids.cq, v, at, user, userAttrs + at);
          break;
        case 1:
          seen = once(seen, 2);
          exact(v, at, 4);
          break;
        case 2:
          seen = once(seen, 4);
          exact(v, at, 8);
          break;
        case 4:
          seen = once(seen, 16);
          exact(v, at, 4);
          break;
        case 6:
          seen = once(seen, 64);
          exact(v, at, 4);
          break;
        case 7:
          seen = once(seen, 128);
          t.b = fdRead(file, ids.asyncEvent, v, at);
          break;
        default:
          unknown(v, at);
      }
    }
    if ((seen & 0x57) !== 0x57) fail(EINVAL, 'a mandatory attribute is missing');
    return t;
  } catch (e) {
    t.release();
    throw e;
  }
}

/** QP_CREATE with a PD and CQs: pd, send_cq, recv_cq (idr read), handle (new), type, user_handle, cap, event_fd, resp_cap, resp_qp_num. */
export function handCheckQpCreate(file: UverbsFile, ids: Ids, arg: number, t: Taken): Taken {
  const mem = file.process.memory;
  const h = mem.access(arg, 24, 'header');
  const n = checkHeader(file, h.view, h.offset, 4, 0);
  const user = copyAttrs(file, arg, n);
  const userAttrs = arg + 24 - user.addr;
  const v = kcopy;
  file.device.enter();
  file.enter();
  t.reset(file);
  try {
    let seen = 0;
    for (let i = 0, at = 0; i < n; i++, at += 16) {
      switch (v.getUint16(at, true)) {
        case 0:
          seen = once(seen, 1);
          t.created = newObject(file, ids.qp, v, at, user, userAttrs + at);
          break;
        case 2:
          seen = once(seen, 1 << 2);
          t.a = idrRead(file, ids.pd, v, at);
          t.aAccess = Access.READ;
          break;
        case 4:
          seen = once(seen, 1 << 4);
          t.b = idrRead(file, ids.cq, v, at);
          break;
        case 5:
          seen = once(seen, 1 << 5);
          t.c = idrRead(file, ids.cq, v, at);
          break;
        case 7:
          seen = once(seen, 1 << 7);
          exact(v, at, 8);
          break;
        case 8:
          seen = once(seen, 1 << 8);
          exact(v, at, 20);
          break;
        case 9:
          seen = once(seen, 1 << 9);
          exact(v, at, 8);
          break;
        case 12:
          seen = once(seen, 1 << 12);
          t.d = fdRead(file, ids.asyncEvent, v, at);
          break;
        case 13:
          seen = once(seen, 1 << 13);
          exact(v, at, 20);
          break;
        case 14:
          seen = once(seen, 1 << 14);
          exact(v, at, 4);
          break;
        default:
          unknown(v, at);
      }
    }
    const mandatory = 1 | (1 << 7) | (1 << 8) | (1 << 9) | (1 << 13) | (1 << 14);
    if ((seen & mandatory) !== mandatory) fail(EINVAL, 'a mandatory attribute is missing');
    return t;
  } catch (e) {
    t.release();
    throw e;
  }
}

/** REG_MR of a virtual address: addr, iova, handle (new), resp_lkey, resp_rkey, pd (idr read), length, access_flags. */
export function handCheckRegMr(file: UverbsFile, ids: Ids, arg: number, t: Taken): Taken {
  const mem = file.process.memory;
  const h = mem.access(arg, 24, 'header');
  const n = checkHeader(file, h.view, h.offset, 7, 5);
  const user = copyAttrs(file, arg, n);
  const userAttrs = arg + 24 - user.addr;
  const v = kcopy;
  file.device.enter();
  file.enter();
  t.reset(file);
  try {
    let seen = 0;
    for (let i = 0, at = 0; i < n; i++, at += 16) {
      switch (v.getUint16(at, true)) {
        case 0:
          seen = once(seen, 1);
          t.created = newObject(file, ids.mr, v, at, user, userAttrs + at);
          break;
        case 1:
          seen = once(seen, 2);
          t.a = idrRead(file, ids.pd, v, at);
          t.aAccess = Access.READ;
          break;
        case 3:
          seen = once(seen, 1 << 3);
          exact(v, at, 8);
          break;
        case 4:
          seen = once(seen, 1 << 4);
          exact(v, at, 8);
          break;
        case 5:
          seen = once(seen, 1 << 5);
          exact(v, at, 8);
          break;
        case 6:
          seen = once(seen, 1 << 6);
          flags(v, at);
          break;
        case 9:
          seen = once(seen, 1 << 9);
          exact(v, at, 4);
          break;
        case 10:
          seen = once(seen, 1 << 10);
          exact(v, at, 4);
          break;
        default:
          unknown(v, at);
      }
    }
    const mandatory = 1 | 2 | (1 << 3) | (1 << 5) | (1 << 6) | (1 << 9) | (1 << 10);
    if ((seen & mandatory) !== mandatory) fail(EINVAL, 'a mandatory attribute is missing');
    return t;
  } catch (e) {
    t.release();
    throw e;
  }
}
