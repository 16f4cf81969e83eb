/**
 * write() commands of memory regions and windows: REG_MR, REREG_MR, DEREG_MR, ALLOC_MW,
 * DEALLOC_MW, over the records ioctl's MR actions use (mr.ts, pd.ts).
 */
import { UVERBS_OBJECT } from '../../../../generated/core/ids.js';
import {
  decodeIbUverbsAllocMw, decodeIbUverbsDeallocMw, decodeIbUverbsDeregMr, decodeIbUverbsRegMr, decodeIbUverbsReregMr, encodeIbUverbsAllocMwResp,
  encodeIbUverbsRegMrResp, encodeIbUverbsReregMrResp,
} from '../../../../generated/core/structs.js';
import { Access } from '../../../kernel/contract.js';
import type { WriteHandler } from '../../../kernel/device.js';
import { EINVAL, EOPNOTSUPP, fail } from '../../../abi/errno.js';
import { checkMrAccess, newMr, reregMr, samePageOffset, vaSource, type Mr, type MrChange } from '../mr.js';
import { newMw, type Pd } from '../pd.js';
import { recordOf, type CoreState } from '../state.js';
import { destroyCommand, readRecord, typeOf } from './common.js';

/** The kernel's ib_mr_rereg_flags: what REREG_MR's flags may ask to change. */
export const IB_MR_REREG = { TRANS: 1, PD: 2, ACCESS: 4 } as const;
const IB_MR_REREG_SUPPORTED = IB_MR_REREG.TRANS | IB_MR_REREG.PD | IB_MR_REREG.ACCESS;

/** The write() handlers of MRs and MWs, over `s`. */
export function mrWriteHandlers(s: CoreState): Record<'writeRegMr' | 'writeReregMr' | 'writeDeregMr' | 'writeAllocMw' | 'writeDeallocMw', WriteHandler> {
  return {
    /**
     * ib_uverbs_reg_mr: start and hca_va must share their offset in a page (EINVAL, before
     * anything else), then the object, the access check, the PD (EINVAL), and the
     * device's registration (pinning: EFAULT for memory that is not mapped).
     */
    writeRegMr(wb) {
      const cmd = wb.request(decodeIbUverbsRegMr);
      if (!samePageOffset(s, cmd.start, cmd.hcaVa)) fail(EINVAL, 'start and hca_va differ in their offset within a page');
      const u = wb.create(typeOf(wb, UVERBS_OBJECT.MR));
      checkMrAccess(s, cmd.accessFlags);
      const pd = readRecord<Pd>(wb, UVERBS_OBJECT.PD, cmd.pdHandle, 'PD');
      const source = vaSource(wb.file.process, cmd.start, cmd.length, cmd.accessFlags);
      const mr = newMr(s, { pd, source, iova: cmd.hcaVa, length: cmd.length, access: cmd.accessFlags });
      u.object = mr;
      wb.respond((v, o) => encodeIbUverbsRegMrResp(v, o, { mrHandle: u.id, lkey: mr.lkey, rkey: mr.rkey }));
    },

    /**
     * ib_uverbs_rereg_mr: flags 0 is EINVAL, unknown bits EOPNOTSUPP; the MR is taken for
     * write (the lookup's own errno: ENOENT, EINVAL, EBUSY); a device memory MR is
     * EINVAL; then the new access and PD are checked and the device changes the MR.
     */
    writeReregMr(wb) {
      const cmd = wb.request(decodeIbUverbsReregMr);
      if (cmd.flags === 0) fail(EINVAL, 'flags ask for no change');
      if ((cmd.flags & ~IB_MR_REREG_SUPPORTED) !== 0) fail(EOPNOTSUPP, `flags 0x${cmd.flags.toString(16)} have bits beyond 0x${IB_MR_REREG_SUPPORTED.toString(16)}`);
      const trans = (cmd.flags & IB_MR_REREG.TRANS) !== 0;
      const newAccess = (cmd.flags & IB_MR_REREG.ACCESS) !== 0;
      if (trans && !samePageOffset(s, cmd.start, cmd.hcaVa)) fail(EINVAL, 'start and hca_va differ in their offset within a page');
      const mr = recordOf<Mr>(wb.lookup(typeOf(wb, UVERBS_OBJECT.MR), cmd.mrHandle, Access.WRITE), 'MR');
      if (mr.source.kind === 'dm') fail(EINVAL, 'a device memory MR cannot be registered again');
      if (newAccess) checkMrAccess(s, cmd.accessFlags);
      const pd = (cmd.flags & IB_MR_REREG.PD) !== 0 ? readRecord<Pd>(wb, UVERBS_OBJECT.PD, cmd.pdHandle, 'PD') : undefined;
      // The kernel also reserves an MR handle here in case the driver makes a new object; this device changes the MR in place.
      const access = newAccess ? cmd.accessFlags : mr.access;
      const change: MrChange = {
        translation: trans ? { source: vaSource(wb.file.process, cmd.start, cmd.length, access), iova: cmd.hcaVa, length: cmd.length } : undefined,
        pd,
        access: newAccess ? cmd.accessFlags : undefined,
      };
      reregMr(s, mr, change);
      wb.respond((v, o) => encodeIbUverbsReregMrResp(v, o, { lkey: mr.lkey, rkey: mr.rkey }));
    },

    writeDeregMr: destroyCommand(UVERBS_OBJECT.MR, decodeIbUverbsDeregMr, (c) => c.mrHandle),

    /** ib_uverbs_alloc_mw: the object, the PD (EINVAL), then the type (1 or 2, else EINVAL). */
    writeAllocMw(wb) {
      const cmd = wb.request(decodeIbUverbsAllocMw);
      const u = wb.create(typeOf(wb, UVERBS_OBJECT.MW));
      const pd = readRecord<Pd>(wb, UVERBS_OBJECT.PD, cmd.pdHandle, 'PD');
      const mw = newMw(s, pd, cmd.mwType);
      u.object = mw;
      wb.respond((v, o) => encodeIbUverbsAllocMwResp(v, o, { mwHandle: u.id, rkey: mw.rkey }));
    },

    writeDeallocMw: destroyCommand(UVERBS_OBJECT.MW, decodeIbUverbsDeallocMw, (c) => c.mwHandle),
  };
}
