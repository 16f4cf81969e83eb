/**
 * MR: user memory, dma-buf and device memory registrations, ODP prefetch advice, query.
 * Keys are the device's memory keys: an index shifted left by 8 with a rolling variant
 * byte below, never 0; lkey and rkey are the same key, as on mlx5.
 */
import {
  IB_UVERBS_ACCESS_FLAGS as ACC, IB_UVERBS_ACCESS_FLAGS_MASK, IB_UVERBS_ADVISE_MR_ADVICE, IB_UVERBS_ADVISE_MR_FLAG_MASK,
} from '../../../generated/core/enums.js';
import {
  UVERBS_ATTRS_ADVISE_MR, UVERBS_ATTRS_DM_MR_REG, UVERBS_ATTRS_QUERY_MR, UVERBS_ATTRS_REG_DMABUF_MR, UVERBS_ATTRS_REG_MR,
} from '../../../generated/core/ids.js';
import { decodeIbUverbsSge, IB_UVERBS_SGE_SIZE } from '../../../generated/core/structs.js';
import type { Bundle } from '../../kernel/bundle.js';
import { EFAULT, EINVAL, ENOENT, EOPNOTSUPP, fail } from '../../abi/errno.js';
import type { Process } from '../../process/process.js';
import type { UserMemory } from '../../process/user-memory.js';
import type { Dm } from './dm.js';
import type { Dmah } from './dmah.js';
import type { Pd } from './pd.js';
import { coreState, drop, hold, optionalRecord, recordOf, type Base, type CoreState } from './state.js';
import { dmabufRange, pinUserMemory, type UserBuffer } from './umem.js';

/**
 * Where an MR's bytes are: a range of a process's address space (`memory`), a dma-buf
 * or device memory. ODP registrations pin nothing: pages are faulted in on use or by
 * ADVISE_MR.
 */
export type MrSource =
  | { readonly kind: 'va'; readonly addr: bigint; readonly pinned: UserBuffer | undefined; readonly memory: UserMemory }
  | { readonly kind: 'dmabuf'; readonly buffer: UserBuffer }
  | { readonly kind: 'dm'; readonly dm: Dm; readonly offset: bigint };

export interface MrParams {
  readonly pd: Pd;
  readonly source: MrSource;
  readonly iova: bigint;
  readonly length: bigint;
  readonly access: number;
  readonly dmah?: Dmah | undefined;
}

export interface Mr extends Base<'MR'> {
  /** PD, translation, access and keys change under REREG_MR; the handle stays. */
  pd: Pd;
  source: MrSource;
  readonly dmah: Dmah | undefined;
  iova: bigint;
  length: bigint;
  /** The access granted: optional bits the device does not honour are dropped. */
  access: number;
  lkey: number;
  rkey: number;
  /** Bytes ADVISE_MR asked the device to fault in. */
  prefetched: bigint;
}

const LOCAL_WRITE = ACC.IB_UVERBS_ACCESS_LOCAL_WRITE;
/** The access a dma-buf registration may ask for. */
const DMABUF_ACCESS = ACC.IB_UVERBS_ACCESS_LOCAL_WRITE | ACC.IB_UVERBS_ACCESS_REMOTE_READ | ACC.IB_UVERBS_ACCESS_REMOTE_WRITE
  | ACC.IB_UVERBS_ACCESS_REMOTE_ATOMIC | ACC.IB_UVERBS_ACCESS_RELAXED_ORDERING;
/** What device memory (MEMIC) can be registered with. */
const DM_ACCESS = ACC.IB_UVERBS_ACCESS_LOCAL_WRITE | ACC.IB_UVERBS_ACCESS_REMOTE_WRITE | ACC.IB_UVERBS_ACCESS_REMOTE_READ
  | ACC.IB_UVERBS_ACCESS_REMOTE_ATOMIC | ACC.IB_UVERBS_ACCESS_ZERO_BASED;
/** Of the optional access bits (which a device may ignore), the one this device honours. */
const HONOURED_OPTIONAL = ACC.IB_UVERBS_ACCESS_RELAXED_ORDERING;
const U64_END = 1n << 64n;

/** ib_check_mr_access. */
export function checkMrAccess(s: CoreState, access: number): void {
  if ((access & (ACC.IB_UVERBS_ACCESS_REMOTE_ATOMIC | ACC.IB_UVERBS_ACCESS_REMOTE_WRITE)) !== 0 && (access & LOCAL_WRITE) === 0) {
    fail(EINVAL, 'remote write and remote atomic access need local write');
  }
  // IB_ACCESS_SUPPORTED: ioctl refuses these bits as flags already; write() reaches this check with them.
  if ((access & ~IB_UVERBS_ACCESS_FLAGS_MASK) !== 0) fail(EINVAL, `access 0x${(access >>> 0).toString(16)} has bits outside 0x${IB_UVERBS_ACCESS_FLAGS_MASK.toString(16)}`);
  if ((access & ACC.IB_UVERBS_ACCESS_ON_DEMAND) !== 0 && !s.caps.odp) fail(EOPNOTSUPP, 'the device does not page on demand');
  if ((access & ACC.IB_UVERBS_ACCESS_FLUSH_GLOBAL) !== 0 && !s.caps.flushGlobal) fail(EOPNOTSUPP, 'the device cannot flush to global visibility');
  if ((access & ACC.IB_UVERBS_ACCESS_FLUSH_PERSISTENT) !== 0 && !s.caps.flushPersistent) fail(EOPNOTSUPP, 'the device cannot flush to persistence');
}

/** The length and end of a registration: 1..maxMrSize bytes that do not wrap. */
function checkMrRange(s: CoreState, iova: bigint, length: bigint): void {
  if (length === 0n || length > s.caps.maxMrSize) fail(EINVAL, `an MR is 1..${s.caps.maxMrSize} bytes, not ${length}`);
  if (iova + length > U64_END) fail(EINVAL, `iova 0x${iova.toString(16)} + ${length} wraps`);
}

/** What the device grants of the access asked for: the optional bits it does not honour are dropped. */
function grantedAccess(access: number): number {
  return access & (~ACC.IB_UVERBS_ACCESS_OPTIONAL_RANGE | HONOURED_OPTIONAL);
}

export function newMr(s: CoreState, p: MrParams): Mr {
  checkMrRange(s, p.iova, p.length);
  s.room('MR', s.caps.maxMr);
  const key = s.allocKey();
  const mr = s.born<Mr>({
    type: 'MR', usecnt: 0, released: false, pd: p.pd, source: p.source, dmah: p.dmah, iova: p.iova, length: p.length, access: grantedAccess(p.access),
    lkey: key, rkey: key, prefetched: 0n,
  });
  s.keys.set(key, mr);
  hold(mr.pd);
  hold(mr.dmah);
  if (mr.source.kind === 'dm') hold(mr.source.dm);
  return mr;
}

export function releaseMr(s: CoreState, r: Mr): void {
  drop(r.pd);
  drop(r.dmah);
  if (r.source.kind === 'dm') drop(r.source.dm);
  s.freeKey(r.lkey);
}

/** What REREG_MR changes, each part only when its IB_MR_REREG_* bit asks for it. */
export interface MrChange {
  /** IB_MR_REREG_TRANS: new memory, iova and length. */
  readonly translation?: { readonly source: MrSource; readonly iova: bigint; readonly length: bigint } | undefined;
  /** IB_MR_REREG_PD. */
  readonly pd?: Pd | undefined;
  /** IB_MR_REREG_ACCESS (checked with checkMrAccess by the caller). */
  readonly access?: number | undefined;
}

/**
 * rereg_user_mr of an MR of user memory or a dma-buf (the command refuses device
 * memory MRs first): the MR changes under the same handle. A new translation gets a new
 * key, as the device builds a new memory key for it; a new PD or access keeps the key.
 * Nothing changes when the device refuses (EINVAL for a length it cannot map).
 */
export function reregMr(s: CoreState, mr: Mr, c: MrChange): void {
  const t = c.translation;
  if (t) checkMrRange(s, t.iova, t.length);
  if (t) {
    const key = s.allocKey();
    s.freeKey(mr.lkey);
    s.keys.set(key, mr);
    mr.lkey = key;
    mr.rkey = key;
    mr.source = t.source;
    mr.iova = t.iova;
    mr.length = t.length;
    mr.prefetched = 0n;
  }
  if (c.pd && c.pd !== mr.pd) {
    drop(mr.pd);
    hold(c.pd);
    mr.pd = c.pd;
  }
  if (c.access !== undefined) mr.access = grantedAccess(c.access);
}

/**
 * The source of a registration of `length` bytes at `addr` of process `p`: pinned
 * (ib_umem_get: every byte mapped, EFAULT otherwise) unless the access asks for
 * on-demand paging.
 */
export function vaSource(p: Process, addr: bigint, length: bigint, access: number): MrSource {
  const odp = (access & ACC.IB_UVERBS_ACCESS_ON_DEMAND) !== 0;
  return { kind: 'va', addr, pinned: odp ? undefined : pinUserMemory(p, addr, length, 'MR'), memory: p.memory };
}

/**
 * The bytes of `mr` at iova `addr`, `len` of them, as the device reaches them: the
 * mapping of the process's memory or the device memory holding them. Undefined when
 * the MR does not cover the range, when its pages are not mapped now (an unpinned ODP
 * range, or memory unmapped since), or when the device cannot reach them (a dma-buf of
 * another device's memory).
 */
export function mrBytes(s: CoreState, mr: Mr, addr: bigint, len: number): { bytes: Uint8Array; offset: number } | undefined {
  if (addr < mr.iova || addr + BigInt(len) > mr.iova + mr.length) return undefined;
  const at = addr - mr.iova;
  switch (mr.source.kind) {
    case 'va': {
      const va = mr.source.addr + at;
      if (va + BigInt(len) > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
      const m = mr.source.memory.find(Number(va), len);
      return m ? { bytes: m.bytes, offset: Number(va) - m.addr } : undefined;
    }
    case 'dm':
      return s.dm ? { bytes: s.dm.bytes, offset: mr.source.dm.start + Number(mr.source.offset + at) } : undefined;
    case 'dmabuf':
      return undefined;
  }
}

/** Whether two addresses sit at the same offset within a page (an MR's start and its iova must). */
export function samePageOffset(s: CoreState, a: bigint, b: bigint): boolean {
  const mask = BigInt(s.caps.pageSize - 1);
  return (a & mask) === (b & mask);
}

function outputKeys(b: Bundle, mr: Mr, lkeyId: number, rkeyId: number): void {
  b.outputU32(lkeyId, mr.lkey);
  b.outputU32(rkeyId, mr.rkey);
}

export const mrHandlers = {
  regMr(b: Bundle): void {
    const A = UVERBS_ATTRS_REG_MR;
    const s = coreState(b.device);
    const pd = recordOf<Pd>(b.uobject(A.pd_handle), 'PD');
    const iova = b.u64(A.iova);
    const length = b.u64(A.length);
    const addr = b.has(A.addr) ? b.u64(A.addr) : undefined;
    const fdOffset = b.has(A.fd_offset) ? b.u64(A.fd_offset) : undefined;
    const fd = b.has(A.fd) ? b.rawFd(A.fd) : undefined;
    let allowed = BigInt(IB_UVERBS_ACCESS_FLAGS_MASK);
    if (fd !== undefined) {
      if (!s.caps.dmabufMr) fail(EOPNOTSUPP, 'the device cannot register dma-bufs');
      if (fdOffset === undefined || addr !== undefined) fail(EINVAL, 'fd needs fd_offset and excludes addr');
      if (!samePageOffset(s, fdOffset, iova)) fail(EINVAL, 'fd_offset and iova differ in their offset within a page');
      allowed = BigInt(DMABUF_ACCESS);
    } else {
      if (addr === undefined || fdOffset !== undefined) fail(EINVAL, 'without fd, addr is needed and fd_offset refused');
      if (!samePageOffset(s, addr, iova)) fail(EINVAL, 'addr and iova differ in their offset within a page');
    }
    const dmah = optionalRecord<Dmah>(b, A.dma_handle, 'DMAH');
    const access = Number(b.flags(A.access_flags, allowed));
    checkMrAccess(s, access);
    const p = b.file.process;
    const source: MrSource = fd !== undefined ? { kind: 'dmabuf', buffer: dmabufRange(p, fd, fdOffset!, length, 'MR') } : vaSource(p, addr!, length, access);
    const mr = newMr(s, { pd, source, iova, length, access, dmah });
    b.uobject(A.handle).object = mr;
    outputKeys(b, mr, A.resp_lkey, A.resp_rkey);
  },

  regDmabufMr(b: Bundle): void {
    const A = UVERBS_ATTRS_REG_DMABUF_MR;
    const s = coreState(b.device);
    if (!s.caps.dmabufMr) fail(EOPNOTSUPP, 'the device cannot register dma-bufs');
    const pd = recordOf<Pd>(b.uobject(A.pd_handle), 'PD');
    const offset = b.u64(A.offset);
    const length = b.u64(A.length);
    const iova = b.u64(A.iova);
    const fd = b.u32(A.fd) | 0;
    const access = Number(b.flags(A.access_flags, BigInt(DMABUF_ACCESS)));
    if (!samePageOffset(s, offset, iova)) fail(EINVAL, 'offset and iova differ in their offset within a page');
    checkMrAccess(s, access);
    const source: MrSource = { kind: 'dmabuf', buffer: dmabufRange(b.file.process, fd, offset, length, 'MR') };
    const mr = newMr(s, { pd, source, iova, length, access });
    b.uobject(A.handle).object = mr;
    outputKeys(b, mr, A.resp_lkey, A.resp_rkey);
  },

  dmMrReg(b: Bundle): void {
    const A = UVERBS_ATTRS_DM_MR_REG;
    const s = coreState(b.device);
    if (!s.caps.dm) fail(EOPNOTSUPP, 'the device has no memory to register');
    const offset = b.u64(A.offset);
    const length = b.u64(A.length);
    const access = Number(b.flags(A.access_flags, BigInt(IB_UVERBS_ACCESS_FLAGS_MASK)));
    if ((access & ACC.IB_UVERBS_ACCESS_ZERO_BASED) === 0) fail(EINVAL, 'device memory is registered zero based: access_flags needs ZERO_BASED');
    checkMrAccess(s, access);
    const pd = recordOf<Pd>(b.uobject(A.pd_handle), 'PD');
    const dm = recordOf<Dm>(b.uobject(A.dm_handle), 'DM');
    if (offset > dm.length || length > dm.length || length > dm.length - offset) {
      fail(EINVAL, `${length} bytes at offset ${offset} do not fit the ${dm.length}-byte DM`);
    }
    if ((access & ~DM_ACCESS) !== 0) fail(EINVAL, `device memory takes access 0x${DM_ACCESS.toString(16)}, not 0x${access.toString(16)}`);
    const mr = newMr(s, { pd, source: { kind: 'dm', dm, offset }, iova: 0n, length, access });
    b.uobject(A.handle).object = mr;
    outputKeys(b, mr, A.resp_lkey, A.resp_rkey);
  },

  queryMr(b: Bundle): void {
    const A = UVERBS_ATTRS_QUERY_MR;
    const mr = recordOf<Mr>(b.uobject(A.handle), 'MR');
    b.outputU32(A.resp_lkey, mr.lkey);
    b.outputU32(A.resp_rkey, mr.rkey);
    b.outputU64(A.resp_length, mr.length);
    b.outputU64(A.resp_iova, mr.iova);
  },

  adviseMr(b: Bundle): void {
    const A = UVERBS_ATTRS_ADVISE_MR;
    const s = coreState(b.device);
    if (!s.caps.odp) fail(EOPNOTSUPP, 'the device takes no advice: it does not page on demand');
    const pd = recordOf<Pd>(b.uobject(A.pd_handle), 'PD');
    const advice = Number(b.constIn(A.advice, 0xffff_ffffn));
    b.flags(A.flags, BigInt(IB_UVERBS_ADVISE_MR_FLAG_MASK));
    const list = b.input(A.sge_list);
    if (list.len === 0 || list.len % IB_UVERBS_SGE_SIZE !== 0) fail(EINVAL, `sge_list is ${list.len} bytes, not whole ${IB_UVERBS_SGE_SIZE}-byte entries`);
    if (!Object.values(IB_UVERBS_ADVISE_MR_ADVICE).includes(advice as never)) fail(EOPNOTSUPP, `advice ${advice} is not one the device takes`);
    const write = advice === IB_UVERBS_ADVISE_MR_ADVICE.IB_UVERBS_ADVISE_MR_ADVICE_PREFETCH_WRITE;
    const todo: { mr: Mr; length: bigint }[] = [];
    for (let o = 0; o < list.len; o += IB_UVERBS_SGE_SIZE) {
      const sge = decodeIbUverbsSge(list.view, list.offset + o);
      const k = s.keys.get(sge.lkey);
      const mr = k?.type === 'MR' ? (k as Mr) : undefined;
      // get_prefetchable_mr: only this PD's ODP MRs, writable ones for a write prefetch.
      if (!mr || mr.pd !== pd || (mr.access & ACC.IB_UVERBS_ACCESS_ON_DEMAND) === 0 || (write && (mr.access & LOCAL_WRITE) === 0)) {
        fail(ENOENT, `lkey 0x${sge.lkey.toString(16)} names no ${write ? 'writable ' : ''}on-demand MR of this PD`);
      }
      const len = BigInt(sge.length);
      if (sge.addr < mr.iova || sge.addr + len > mr.iova + mr.length) fail(EFAULT, `${len} bytes at 0x${sge.addr.toString(16)} are outside MR 0x${mr.lkey.toString(16)}`);
      todo.push({ mr, length: len });
    }
    for (const t of todo) t.mr.prefetched += t.length;
  },
};
