/**
 * write() commands that change or read a QP after its creation: MODIFY_QP,
 * EX_MODIFY_QP, QUERY_QP, ATTACH_MCAST, DETACH_MCAST, over the QP state model
 * (qp-state.ts) and multicast groups (mcast.ts).
 */
import { UVERBS_OBJECT } from '../../../../generated/core/ids.js';
import {
  decodeIbUverbsAttachMcast, decodeIbUverbsDetachMcast, decodeIbUverbsExModifyQp, decodeIbUverbsModifyQp, decodeIbUverbsQueryQp,
  encodeIbUverbsExModifyQpResp, encodeIbUverbsQueryQpResp, IB_UVERBS_EX_MODIFY_QP_RESP_SIZE, type IbUverbsModifyQp,
} from '../../../../generated/core/structs.js';
import type { WriteHandler } from '../../../kernel/device.js';
import { EOPNOTSUPP, fail } from '../../../abi/errno.js';
import type { WriteBundle } from '../../../kernel/write-bundle.js';
import { attachMcast, detachMcast } from '../mcast.js';
import { modifyQp, queryQp } from '../qp-state.js';
import type { Qp } from '../qp.js';
import type { CoreState } from '../state.js';
import { QP_ATTR_STANDARD_BITS, QpAttrMask } from '../verbs.js';
import { readRecord, responseLength } from './common.js';

/** The attr_mask bits EX_MODIFY_QP takes: up to IB_USER_LAST_QP_ATTR_MASK (the rate limit); the bit after is kept for extending the mask. */
const EX_MODIFY_QP_BITS = (QpAttrMask.RATE_LIMIT << 1) - 1;

/** modify_qp, shared by both commands: the QP (EINVAL for any lookup failure), then the state model with the request's attributes. */
function modify(s: CoreState, wb: WriteBundle, base: IbUverbsModifyQp, rateLimit: number): void {
  const qp = readRecord<Qp>(wb, UVERBS_OBJECT.QP, base.qpHandle, 'QP');
  modifyQp(s, qp, base.attrMask, { ...base, rateLimit });
}

/** The QP a multicast command names (EINVAL for any lookup failure). */
function mcastQp(wb: WriteBundle, handle: number): Qp {
  return readRecord<Qp>(wb, UVERBS_OBJECT.QP, handle, 'QP');
}

/** The write() handlers that modify, query and attach QPs, over `s`. */
export function qpAttrWriteHandlers(
  s: CoreState,
): Record<'writeModifyQp' | 'writeExModifyQp' | 'writeQueryQp' | 'writeAttachMcast' | 'writeDetachMcast', WriteHandler> {
  return {
    /** ib_uverbs_modify_qp: attr_mask bits outside the standard ones (the rate limit among them) are EOPNOTSUPP before the QP is looked up. */
    writeModifyQp(wb) {
      const cmd = wb.request(decodeIbUverbsModifyQp);
      if ((cmd.attrMask & ~QP_ATTR_STANDARD_BITS) !== 0) fail(EOPNOTSUPP, `attr_mask 0x${cmd.attrMask.toString(16)} has bits beyond MODIFY_QP's`);
      modify(s, wb, cmd, 0);
    },

    /** ib_uverbs_ex_modify_qp: bits beyond the rate limit are EOPNOTSUPP; after the change, the response's length as the room takes it. */
    writeExModifyQp(wb) {
      const cmd = wb.request(decodeIbUverbsExModifyQp);
      if ((cmd.base.attrMask & ~EX_MODIFY_QP_BITS) !== 0) fail(EOPNOTSUPP, `attr_mask 0x${cmd.base.attrMask.toString(16)} has bits beyond EX_MODIFY_QP's`);
      modify(s, wb, cmd.base, cmd.rateLimit);
      wb.respond(
        (v, o) => encodeIbUverbsExModifyQpResp(v, o, { responseLength: responseLength(wb, IB_UVERBS_EX_MODIFY_QP_RESP_SIZE) }),
        IB_UVERBS_EX_MODIFY_QP_RESP_SIZE,
      );
    },

    /** ib_uverbs_query_qp: the QP (EINVAL), then its attributes, capabilities and address vectors. */
    writeQueryQp(wb) {
      const cmd = wb.request(decodeIbUverbsQueryQp);
      const qp = readRecord<Qp>(wb, UVERBS_OBJECT.QP, cmd.qpHandle, 'QP');
      const resp = queryQp(qp);
      wb.respond((v, o) => encodeIbUverbsQueryQpResp(v, o, resp));
    },

    writeAttachMcast(wb) {
      const cmd = wb.request(decodeIbUverbsAttachMcast);
      attachMcast(s, mcastQp(wb, cmd.qpHandle), cmd.gid, cmd.mlid);
    },

    writeDetachMcast(wb) {
      const cmd = wb.request(decodeIbUverbsDetachMcast);
      detachMcast(s, mcastQp(wb, cmd.qpHandle), cmd.gid, cmd.mlid);
    },
  };
}
