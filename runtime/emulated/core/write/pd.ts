/**
 * write() commands of PDs and address handles: ALLOC_PD, DEALLOC_PD, CREATE_AH,
 * DESTROY_AH. The records are the ones the ioctl actions use (pd.ts), so a PD made here
 * serves ioctl's REG_MR and dies by ioctl's PD_DESTROY, and the other way round.
 */
import { UVERBS_OBJECT } from '../../../../generated/core/ids.js';
import {
  decodeIbUverbsAllocPd, decodeIbUverbsCreateAh, decodeIbUverbsDeallocPd, decodeIbUverbsDestroyAh, encodeIbUverbsAllocPdResp, encodeIbUverbsCreateAhResp,
} from '../../../../generated/core/structs.js';
import type { WriteHandler } from '../../../kernel/device.js';
import { newAh, newPd, type Pd } from '../pd.js';
import { portOf } from '../port.js';
import type { CoreState } from '../state.js';
import { destroyCommand, readRecord, typeOf } from './common.js';

/** The write() handlers of PDs and AHs, over `s`. */
export function pdWriteHandlers(s: CoreState): Record<'writeAllocPd' | 'writeDeallocPd' | 'writeCreateAh' | 'writeDestroyAh', WriteHandler> {
  return {
    writeAllocPd(wb) {
      wb.request(decodeIbUverbsAllocPd);
      const u = wb.create(typeOf(wb, UVERBS_OBJECT.PD));
      u.object = newPd(s);
      wb.respond((v, o) => encodeIbUverbsAllocPdResp(v, o, { pdHandle: u.id }));
    },

    writeDeallocPd: destroyCommand(UVERBS_OBJECT.PD, decodeIbUverbsDeallocPd, (c) => c.pdHandle),

    /**
     * ib_uverbs_create_ah: the port is checked before the PD is looked up (both EINVAL),
     * then the device checks the route (a RoCE port needs a GRH whose SGID exists).
     * The GRH is taken only when is_global says so; reserved fields are not looked at.
     */
    writeCreateAh(wb) {
      const cmd = wb.request(decodeIbUverbsCreateAh);
      const u = wb.create(typeOf(wb, UVERBS_OBJECT.AH));
      const a = cmd.attr;
      portOf(s, a.portNum);
      const pd = readRecord<Pd>(wb, UVERBS_OBJECT.PD, cmd.pdHandle, 'PD');
      const g = a.grh;
      u.object = newAh(s, pd, {
        port: a.portNum,
        dlid: a.dlid,
        sl: a.sl,
        srcPathBits: a.srcPathBits,
        staticRate: a.staticRate,
        grh: a.isGlobal ? { dgid: g.dgid, sgidIndex: g.sgidIndex, flowLabel: g.flowLabel, hopLimit: g.hopLimit, trafficClass: g.trafficClass } : undefined,
      });
      u.userHandle = cmd.userHandle;
      wb.respond((v, o) => encodeIbUverbsCreateAhResp(v, o, { ahHandle: u.id }));
    },

    writeDestroyAh: destroyCommand(UVERBS_OBJECT.AH, decodeIbUverbsDestroyAh, (c) => c.ahHandle),
  };
}
