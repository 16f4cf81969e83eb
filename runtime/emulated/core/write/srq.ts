/**
 * write() commands of SRQs: CREATE_SRQ, CREATE_XSRQ, MODIFY_SRQ, QUERY_SRQ and
 * DESTROY_SRQ, over the records ioctl's SRQ actions use (srq.ts).
 */
import { IB_UVERBS_SRQ_TYPE as SRQT } from '../../../../generated/core/enums.js';
import { UVERBS_OBJECT } from '../../../../generated/core/ids.js';
import {
  decodeIbUverbsCreateSrq, decodeIbUverbsCreateXsrq, decodeIbUverbsDestroySrq, decodeIbUverbsModifySrq, decodeIbUverbsQuerySrq,
  encodeIbUverbsCreateSrqResp, encodeIbUverbsDestroySrqResp, encodeIbUverbsQuerySrqResp, type IbUverbsCreateXsrq,
} from '../../../../generated/core/structs.js';
import type { WriteHandler } from '../../../kernel/device.js';
import { EINVAL, fail } from '../../../abi/errno.js';
import type { WriteBundle } from '../../../kernel/write-bundle.js';
import type { Cq } from '../cq.js';
import type { Pd, Xrcd } from '../pd.js';
import { newSrq, type Srq } from '../srq.js';
import { recordOf, type CoreState } from '../state.js';
import { readRecord, typeOf, writeContext } from './common.js';

/** The kernel's ib_srq_attr_mask: what MODIFY_SRQ's attr_mask may ask to change. */
export const IB_SRQ = { MAX_WR: 1, LIMIT: 2 } as const;

/**
 * __uverbs_create_xsrq, shared by CREATE_SRQ (a basic SRQ) and CREATE_XSRQ: the
 * object, the XRCD of an XRC SRQ, the CQ of an XRC or tag-matching SRQ, the PD (every
 * lookup EINVAL), then the device's SRQ, reporting to the file's default async event
 * file. The SRQ number is reported for XRC SRQs only.
 */
function createSrq(s: CoreState, wb: WriteBundle, cmd: IbUverbsCreateXsrq): void {
  const u = wb.create(typeOf(wb, UVERBS_OBJECT.SRQ));
  const ctx = writeContext(wb);
  const xrc = cmd.srqType === SRQT.IB_UVERBS_SRQT_XRC;
  const xrcd = xrc ? readRecord<Xrcd>(wb, UVERBS_OBJECT.XRCD, cmd.xrcdHandle, 'XRCD') : undefined;
  const cq = xrc || cmd.srqType === SRQT.IB_UVERBS_SRQT_TM ? readRecord<Cq>(wb, UVERBS_OBJECT.CQ, cmd.cqHandle, 'CQ') : undefined;
  const pd = readRecord<Pd>(wb, UVERBS_OBJECT.PD, cmd.pdHandle, 'PD');
  const srq = newSrq(s, {
    srqType: cmd.srqType, pd, cq, xrcd, maxWr: cmd.maxWr, maxSge: cmd.maxSge, limit: cmd.srqLimit,
    maxNumTags: cmd.srqType === SRQT.IB_UVERBS_SRQT_TM ? cmd.maxNumTags : undefined, userHandle: cmd.userHandle, eventFile: ctx.defaultAsyncEvent,
  });
  u.object = srq;
  u.userHandle = cmd.userHandle;
  wb.respond((v, o) => encodeIbUverbsCreateSrqResp(v, o, { srqHandle: u.id, maxWr: srq.maxWr, maxSge: srq.maxSge, srqn: xrc ? srq.srqn : 0 }));
}

/** The write() handlers of SRQs, over `s`. */
export function srqWriteHandlers(s: CoreState): Record<'writeCreateSrq' | 'writeCreateXsrq' | 'writeModifySrq' | 'writeQuerySrq' | 'writeDestroySrq', WriteHandler> {
  return {
    writeCreateSrq(wb) {
      const c = wb.request(decodeIbUverbsCreateSrq);
      createSrq(s, wb, {
        response: c.response, userHandle: c.userHandle, srqType: SRQT.IB_UVERBS_SRQT_BASIC, pdHandle: c.pdHandle, maxWr: c.maxWr, maxSge: c.maxSge,
        srqLimit: c.srqLimit, maxNumTags: 0, xrcdHandle: 0, cqHandle: 0,
      });
    },

    writeCreateXsrq(wb) {
      createSrq(s, wb, wb.request(decodeIbUverbsCreateXsrq));
    },

    /**
     * ib_uverbs_modify_srq, then modify_srq as mlx5 does it: the SRQ (EINVAL); resizing
     * (IB_SRQ_MAX_WR) is refused (EINVAL); a limit must be below the SRQ's depth
     * (EINVAL). Other bits of attr_mask are not looked at.
     */
    writeModifySrq(wb) {
      const cmd = wb.request(decodeIbUverbsModifySrq);
      const srq = readRecord<Srq>(wb, UVERBS_OBJECT.SRQ, cmd.srqHandle, 'SRQ');
      if ((cmd.attrMask & IB_SRQ.MAX_WR) !== 0) fail(EINVAL, 'the device does not resize SRQs');
      if ((cmd.attrMask & IB_SRQ.LIMIT) !== 0) {
        if (cmd.srqLimit > srq.maxWr) fail(EINVAL, `SRQ limit ${cmd.srqLimit} is above its ${srq.maxWr} work requests`);
        srq.limit = cmd.srqLimit;
      }
    },

    writeQuerySrq(wb) {
      const cmd = wb.request(decodeIbUverbsQuerySrq);
      const srq = readRecord<Srq>(wb, UVERBS_OBJECT.SRQ, cmd.srqHandle, 'SRQ');
      wb.respond((v, o) => encodeIbUverbsQuerySrqResp(v, o, { maxWr: srq.maxWr, maxSge: srq.maxSge, srqLimit: srq.limit }));
    },

    /** ib_uverbs_destroy_srq: the SRQ goes (EBUSY while a QP uses it), then its event count is written back. */
    writeDestroySrq(wb) {
      const cmd = wb.request(decodeIbUverbsDestroySrq);
      const srq = recordOf<Srq>(wb.destroy(typeOf(wb, UVERBS_OBJECT.SRQ), cmd.srqHandle), 'SRQ');
      wb.respond((v, o) => encodeIbUverbsDestroySrqResp(v, o, { eventsReported: srq.eventsReported }));
    },
  };
}
