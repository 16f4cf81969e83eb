/**
 * DM: blocks of the device's own memory, carved first-fit out of the memory every
 * context shares, in whole granules and at the alignment asked for.
 */
import { UVERBS_ATTRS_DM_ALLOC } from '../../../generated/core/ids.js';
import type { Bundle } from '../../kernel/bundle.js';
import type { RemoveReasonId } from '../../kernel/device.js';
import { EINVAL, EOPNOTSUPP, fail } from '../../abi/errno.js';
import { coreState, refuseIfUsed, type Base, type CoreState } from './state.js';

export interface Dm extends Base<'DM'> {
  /** Where the block starts in device memory. */
  readonly start: number;
  /** Bytes asked for; registrations must fit in them. */
  readonly length: bigint;
  /** Bytes reserved (whole granules). */
  readonly size: number;
  readonly alignLog: number;
}

/** ENOMEM when no free block fits, EINVAL for a length or alignment the device cannot have. */
export function newDm(s: CoreState, length: bigint, alignLog: number): Dm {
  const caps = s.caps.dm;
  if (!caps || !s.dm) fail(EOPNOTSUPP, 'the device has no memory to hand out');
  if (length === 0n || length > BigInt(caps.size)) fail(EINVAL, `a DM block is 1..${caps.size} bytes, not ${length}`);
  if (alignLog > caps.maxAlignLog) fail(EINVAL, `alignment 2^${alignLog} is above 2^${caps.maxAlignLog}`);
  const size = Math.ceil(Number(length) / caps.granule) * caps.granule;
  const start = s.dm.alloc(size, Math.max(caps.granule, 2 ** alignLog));
  return s.born<Dm>({ type: 'DM', usecnt: 0, released: false, start, length, size, alignLog });
}

export function releaseDm(s: CoreState, r: Dm, reason: RemoveReasonId): void {
  refuseIfUsed(r, reason, 'MRs');
  s.dm?.free(r.start);
}

export const dmHandlers = {
  dmAlloc(b: Bundle): void {
    const A = UVERBS_ATTRS_DM_ALLOC;
    const s = coreState(b.device);
    if (!s.caps.dm) fail(EOPNOTSUPP, 'the device has no memory to hand out');
    const length = b.u64(A.length);
    const alignment = b.u32(A.alignment);
    b.uobject(A.handle).object = newDm(s, length, alignment);
  },
};
