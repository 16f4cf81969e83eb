/**
 * DMAH: TLP processing hints for the device's writes into an MR. A CPU id becomes the
 * steering tag the platform's table gives that CPU (here its number, in the table of
 * the memory type asked for).
 */
import { UVERBS_ATTRS_DMAH_ALLOC } from '../../../generated/core/ids.js';
import type { Bundle } from '../../kernel/bundle.js';
import type { RemoveReasonId } from '../../kernel/device.js';
import { EINVAL, EOPNOTSUPP, EPERM, fail } from '../../abi/errno.js';
import { coreState, refuseIfUsed, type Base, type CoreState } from './state.js';

export type TphMemType = 'vm' | 'pm';

export interface DmahParams {
  readonly cpuId?: number | undefined;
  readonly memType?: TphMemType | undefined;
  readonly ph?: number | undefined;
}

export interface Dmah extends Base<'DMAH'> {
  readonly cpuId: number | undefined;
  readonly memType: TphMemType | undefined;
  readonly ph: number | undefined;
  /** The steering tag for cpuId, when one was given. */
  readonly steeringTag: number | undefined;
}

/** EPERM for a CPU the task may not run on (every CPU of the device's host is allowed), EINVAL for PH bits above the lowest two. */
export function newDmah(s: CoreState, p: DmahParams): Dmah {
  const caps = s.caps.dmah;
  if (!caps) fail(EOPNOTSUPP, 'the device takes no DMA handles');
  if (p.cpuId !== undefined && p.cpuId >= caps.numCpus) fail(EPERM, `CPU ${p.cpuId} is not in the task's allowed set 0..${caps.numCpus - 1}`);
  if (p.ph !== undefined && (p.ph & 0xfc) !== 0) fail(EINVAL, `processing hint 0x${p.ph.toString(16)} has bits above the lowest two`);
  const steeringTag = p.cpuId === undefined ? undefined : (p.memType === 'pm' ? 0x100 : 0) | p.cpuId;
  return s.born<Dmah>({ type: 'DMAH', usecnt: 0, released: false, cpuId: p.cpuId, memType: p.memType, ph: p.ph, steeringTag });
}

export function releaseDmah(_s: CoreState, r: Dmah, reason: RemoveReasonId): void {
  refuseIfUsed(r, reason, 'MRs');
}

export const dmahHandlers = {
  dmahAlloc(b: Bundle): void {
    const A = UVERBS_ATTRS_DMAH_ALLOC;
    const s = coreState(b.device);
    if (!s.caps.dmah) fail(EOPNOTSUPP, 'the device takes no DMA handles');
    const cpuId = b.has(A.cpu_id) ? b.u32(A.cpu_id) : undefined;
    const memType: TphMemType | undefined = b.has(A.tph_mem_type) ? (b.elemId(A.tph_mem_type) === 1 ? 'pm' : 'vm') : undefined;
    let ph: number | undefined;
    if (b.has(A.ph)) {
      const x = b.input(A.ph);
      ph = x.view.getUint8(x.offset);
    }
    b.uobject(A.handle).object = newDmah(s, { cpuId, memType, ph });
  },
};
