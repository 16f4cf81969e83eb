/**
 * CQ and COMP_CHANNEL. A CQ's size follows mlx5: the requested count plus one, rounded
 * up to a power of two, minus one (one slot always stays empty), and above the device's
 * maximum the request is refused.
 */
import { IB_UVERBS_EX_CREATE_CQ_FLAGS_MASK } from '../../../generated/core/enums.js';
import { UVERBS_ATTRS_CQ_CREATE, UVERBS_ATTRS_CQ_DESTROY } from '../../../generated/core/ids.js';
import { encodeIbUverbsDestroyCqResp, IB_UVERBS_DESTROY_CQ_RESP_SIZE } from '../../../generated/core/structs.js';
import type { Bundle } from '../../bundle.js';
import type { RemoveReasonId } from '../../device.js';
import { EINVAL, ENOENT, EOPNOTSUPP, fail } from '../../errno.js';
import { eventFileFor, type AsyncEvent } from './async-event.js';
import { roundupPow2 } from './caps.js';
import { contextOf, type Context } from './context.js';
import { coreState, optionalRecord, recordOf, refuseIfUsed, type Base, type CoreState } from './state.js';
import { bufferDesc, dmabufRange, pinUserMemory, type UserBuffer } from './umem.js';

export interface CompChannel extends Base<'COMP_CHANNEL'> {
  /** Completion events queued for read(): the user_handle of each CQ that fired. */
  readonly events: bigint[];
  /** Closed (or its device gone): readers are woken and see end of file. */
  closed: boolean;
}

export function newCompChannel(s: CoreState): CompChannel {
  return s.born<CompChannel>({ type: 'COMP_CHANNEL', usecnt: 0, released: false, events: [], closed: false });
}

export function releaseCompChannel(_s: CoreState, r: CompChannel): void {
  r.closed = true;
}

export interface CqParams {
  readonly cqe: number;
  readonly compVector: number;
  readonly flags?: number;
  readonly userHandle?: bigint;
  readonly channel?: CompChannel | undefined;
  readonly eventFile?: AsyncEvent | undefined;
  /** A CQ buffer user space allocated; without it the device allocates its own. */
  readonly buffer?: UserBuffer | undefined;
}

export interface Cq extends Base<'CQ'> {
  readonly cqn: number;
  /** Entries granted: at least those asked for (RESIZE_CQ changes it). */
  cqe: number;
  readonly compVector: number;
  readonly flags: number;
  readonly userHandle: bigint;
  readonly channel: CompChannel | undefined;
  readonly eventFile: AsyncEvent | undefined;
  readonly buffer: UserBuffer | undefined;
  compEventsReported: number;
  asyncEventsReported: number;
}

/** The CQE count the device grants for a request of `cqe` (mlx5: roundup_pow_of_two(cqe + 1) - 1). */
export function grantedCqe(cqe: number): number {
  return roundupPow2(cqe + 1) - 1;
}

export function newCq(s: CoreState, ctx: Context, p: CqParams): Cq {
  const flags = p.flags ?? 0;
  if (p.compVector >= ctx.numCompVectors) fail(EINVAL, `comp_vector ${p.compVector} is not below num_comp_vectors ${ctx.numCompVectors}`);
  if (p.cqe < 1 || p.cqe > s.caps.maxCqe) fail(EINVAL, `cqe ${p.cqe} is not in 1..${s.caps.maxCqe}`);
  if ((flags & ~s.caps.cqCreateFlags) !== 0) fail(EOPNOTSUPP, `CQ flags 0x${flags.toString(16)} are not all supported (0x${s.caps.cqCreateFlags.toString(16)})`);
  const cqe = grantedCqe(p.cqe);
  if (p.buffer) {
    if (!s.caps.cqUserBuffers) fail(EINVAL, 'the device does not take user-supplied CQ buffers');
    const need = BigInt((cqe + 1) * s.caps.cqeSize);
    if (p.buffer.length < need) fail(EINVAL, `a CQ of ${cqe + 1} slots needs ${need} bytes of buffer, not ${p.buffer.length}`);
  }
  return s.born<Cq>({
    type: 'CQ', usecnt: 0, released: false,
    cqn: s.cqns.alloc(),
    cqe,
    compVector: p.compVector,
    flags,
    userHandle: p.userHandle ?? 0n,
    channel: p.channel,
    eventFile: p.eventFile,
    buffer: p.buffer,
    compEventsReported: 0,
    asyncEventsReported: 0,
  });
}

export function releaseCq(s: CoreState, r: Cq, reason: RemoveReasonId): void {
  refuseIfUsed(r, reason, 'QPs, SRQs or WQs');
  s.cqns.free(r.cqn);
}

/** The CQ buffer attributes, in the kernel's order of checks. */
function cqBuffer(b: Bundle): UserBuffer | undefined {
  const A = UVERBS_ATTRS_CQ_CREATE;
  const p = b.file.process;
  const u64 = (id: number, name: string): bigint => {
    if (!b.has(id)) fail(ENOENT, `CQ_CREATE: ${name} is needed with the buffer given`);
    return b.u64(id);
  };
  const given = [A.buffer_va, A.buffer_fd, A.buffer_offset, A.buffer_length].some((id) => b.has(id));
  if (b.has(A.buf_umem)) {
    if (given) fail(EINVAL, 'CQ_CREATE: buf_umem excludes buffer_va, buffer_fd, buffer_offset and buffer_length');
    return bufferDesc(b, A.buf_umem, 'CQ buffer');
  }
  if (b.has(A.buffer_va)) {
    const va = b.u64(A.buffer_va);
    const length = u64(A.buffer_length, 'buffer_length');
    if (b.has(A.buffer_fd) || b.has(A.buffer_offset)) fail(EINVAL, 'CQ_CREATE: buffer_va excludes buffer_fd and buffer_offset');
    return pinUserMemory(p, va, length, 'CQ buffer');
  }
  if (b.has(A.buffer_fd)) {
    const fd = b.rawFd(A.buffer_fd);
    const offset = u64(A.buffer_offset, 'buffer_offset');
    const length = u64(A.buffer_length, 'buffer_length');
    return dmabufRange(p, fd, offset, length, 'CQ buffer');
  }
  if (given) fail(EINVAL, 'CQ_CREATE: buffer_offset or buffer_length without a buffer');
  return undefined;
}

export const cqHandlers = {
  cqCreate(b: Bundle): void {
    const A = UVERBS_ATTRS_CQ_CREATE;
    const s = coreState(b.device);
    const ctx = contextOf(b.file);
    const compVector = b.u32(A.comp_vector);
    const cqe = b.u32(A.cqe);
    const userHandle = b.u64(A.user_handle);
    const flags = Number(b.flags(A.flags, BigInt(IB_UVERBS_EX_CREATE_CQ_FLAGS_MASK)));
    const channel = optionalRecord<CompChannel>(b, A.comp_channel, 'COMP_CHANNEL');
    const eventFile = eventFileFor(b, A.event_fd, ctx);
    const buffer = cqBuffer(b);
    const cq = newCq(s, ctx, { cqe, compVector, flags, userHandle, channel, eventFile, buffer });
    const u = b.uobject(A.handle);
    u.object = cq;
    u.userHandle = userHandle;
    b.outputU32(A.resp_cqe, cq.cqe);
  },

  cqDestroy(b: Bundle): void {
    const A = UVERBS_ATTRS_CQ_DESTROY;
    const cq = recordOf<Cq>(b.uobject(A.handle), 'CQ');
    b.output(A.resp, IB_UVERBS_DESTROY_CQ_RESP_SIZE, (v, o) =>
      encodeIbUverbsDestroyCqResp(v, o, { compEventsReported: cq.compEventsReported, asyncEventsReported: cq.asyncEventsReported }),
    );
  },
};
