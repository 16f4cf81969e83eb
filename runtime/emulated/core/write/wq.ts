/**
 * write() commands of work queues and RSS indirection tables: EX_CREATE_WQ,
 * EX_MODIFY_WQ, EX_DESTROY_WQ, EX_CREATE_RWQ_IND_TBL, EX_DESTROY_RWQ_IND_TBL, over the
 * records ioctl's WQ actions use (wq.ts).
 */
import { UVERBS_OBJECT } from '../../../../generated/core/ids.js';
import {
  decodeIbUverbsExCreateRwqIndTable, decodeIbUverbsExCreateWq, decodeIbUverbsExDestroyRwqIndTable, decodeIbUverbsExDestroyWq, decodeIbUverbsExModifyWq,
  encodeIbUverbsExCreateRwqIndTableResp, encodeIbUverbsExCreateWqResp, encodeIbUverbsExDestroyWqResp, IB_UVERBS_EX_CREATE_RWQ_IND_TABLE_RESP_SIZE,
  IB_UVERBS_EX_CREATE_WQ_RESP_SIZE, IB_UVERBS_EX_DESTROY_WQ_RESP_SIZE,
} from '../../../../generated/core/structs.js';
import type { WriteHandler } from '../../../kernel/device.js';
import { EINVAL, EOPNOTSUPP, fail } from '../../../abi/errno.js';
import type { Cq } from '../cq.js';
import type { Pd } from '../pd.js';
import { recordOf, type CoreState } from '../state.js';
import { modifyWq, newRwqIndTbl, newWq, WqState, type Wq } from '../wq.js';
import { destroyCommand, readRecord, responseLength, typeOf, writeContext } from './common.js';

/** The kernel's ib_wq_attr_mask: what EX_MODIFY_WQ's attr_mask may ask to change. */
export const IB_WQ = { STATE: 1, CUR_STATE: 2, FLAGS: 4 } as const;
/** IB_USER_VERBS_MAX_LOG_IND_TBL_SIZE: the largest log_ind_tbl_size the command takes. */
export const IB_USER_VERBS_MAX_LOG_IND_TBL_SIZE = 0x0d;
const WQ_HANDLE_SIZE = 4;

/** The write() handlers of WQs and indirection tables, over `s`. */
export function wqWriteHandlers(
  s: CoreState,
): Record<'writeExCreateWq' | 'writeExModifyWq' | 'writeExDestroyWq' | 'writeExCreateRwqIndTbl' | 'writeExDestroyRwqIndTbl', WriteHandler> {
  return {
    /** ib_uverbs_ex_create_wq: comp_mask non-zero is EOPNOTSUPP; then the object, the PD and the CQ (EINVAL), the device's WQ. */
    writeExCreateWq(wb) {
      const cmd = wb.request(decodeIbUverbsExCreateWq);
      if (cmd.compMask !== 0) fail(EOPNOTSUPP, `comp_mask 0x${cmd.compMask.toString(16)} is not 0`);
      const u = wb.create(typeOf(wb, UVERBS_OBJECT.WQ));
      const ctx = writeContext(wb);
      const pd = readRecord<Pd>(wb, UVERBS_OBJECT.PD, cmd.pdHandle, 'PD');
      const cq = readRecord<Cq>(wb, UVERBS_OBJECT.CQ, cmd.cqHandle, 'CQ');
      const wq = newWq(s, {
        wqType: cmd.wqType, pd, cq, maxWr: cmd.maxWr, maxSge: cmd.maxSge, flags: cmd.createFlags, userHandle: cmd.userHandle, eventFile: ctx.defaultAsyncEvent,
      });
      u.object = wq;
      u.userHandle = cmd.userHandle;
      wb.respond((v, o) =>
        encodeIbUverbsExCreateWqResp(v, o, {
          responseLength: responseLength(wb, IB_UVERBS_EX_CREATE_WQ_RESP_SIZE), wqHandle: u.id, maxWr: wq.maxWr, maxSge: wq.maxSge, wqn: wq.wqn,
        }),
      );
    },

    /**
     * ib_uverbs_ex_modify_wq: attr_mask 0 or beyond state, current state and flags is
     * EINVAL; then the WQ (EINVAL); a state beyond ERR is EINVAL. An unnamed current
     * state is the WQ's, an unnamed new state the current one.
     */
    writeExModifyWq(wb) {
      const cmd = wb.request(decodeIbUverbsExModifyWq);
      if (cmd.attrMask === 0) fail(EINVAL, 'attr_mask asks for no change');
      if (cmd.attrMask > (IB_WQ.STATE | IB_WQ.CUR_STATE | IB_WQ.FLAGS)) fail(EINVAL, `attr_mask 0x${cmd.attrMask.toString(16)} has unknown bits`);
      const wq = readRecord<Wq>(wb, UVERBS_OBJECT.WQ, cmd.wqHandle, 'WQ');
      const flags = (cmd.attrMask & IB_WQ.FLAGS) !== 0 ? { flags: cmd.flags, flagsMask: cmd.flagsMask } : {};
      if ((cmd.attrMask & IB_WQ.CUR_STATE) !== 0 && cmd.currWqState > WqState.ERR) fail(EINVAL, `curr_wq_state ${cmd.currWqState} is not a WQ state`);
      const currState = (cmd.attrMask & IB_WQ.CUR_STATE) !== 0 ? cmd.currWqState : wq.state;
      if ((cmd.attrMask & IB_WQ.STATE) !== 0 && cmd.wqState > WqState.ERR) fail(EINVAL, `wq_state ${cmd.wqState} is not a WQ state`);
      const state = (cmd.attrMask & IB_WQ.STATE) !== 0 ? cmd.wqState : currState;
      modifyWq(s, wq, { currState, state, ...flags });
    },

    /** ib_uverbs_ex_destroy_wq: comp_mask non-zero is EOPNOTSUPP; the WQ goes (EBUSY while a table holds it), then its event count is written back. */
    writeExDestroyWq(wb) {
      const cmd = wb.request(decodeIbUverbsExDestroyWq);
      if (cmd.compMask !== 0) fail(EOPNOTSUPP, `comp_mask 0x${cmd.compMask.toString(16)} is not 0`);
      const wq = recordOf<Wq>(wb.destroy(typeOf(wb, UVERBS_OBJECT.WQ), cmd.wqHandle), 'WQ');
      wb.respond((v, o) =>
        encodeIbUverbsExDestroyWqResp(v, o, { responseLength: responseLength(wb, IB_UVERBS_EX_DESTROY_WQ_RESP_SIZE), eventsReported: wq.eventsReported }),
      );
    },

    /**
     * ib_uverbs_ex_create_rwq_ind_table: comp_mask non-zero is EOPNOTSUPP, a size beyond
     * 2^13 EINVAL; the 2^log_ind_tbl_size WQ handles follow the struct (ENOSPC when the
     * request is shorter, EOPNOTSUPP for non-zero bytes after them); each WQ is looked up
     * (EINVAL) before the object is allocated, then the device makes the table.
     */
    writeExCreateRwqIndTbl(wb) {
      const { cmd, rest } = wb.requestStart(decodeIbUverbsExCreateRwqIndTable);
      if (cmd.compMask !== 0) fail(EOPNOTSUPP, `comp_mask 0x${cmd.compMask.toString(16)} is not 0`);
      if (cmd.logIndTblSize > IB_USER_VERBS_MAX_LOG_IND_TBL_SIZE) fail(EINVAL, `log_ind_tbl_size ${cmd.logIndTblSize} is above ${IB_USER_VERBS_MAX_LOG_IND_TBL_SIZE}`);
      const n = 2 ** cmd.logIndTblSize;
      const handles = rest.next(n * WQ_HANDLE_SIZE);
      rest.finish();
      const wqs: Wq[] = [];
      for (let i = 0; i < n; i++) {
        wqs.push(readRecord<Wq>(wb, UVERBS_OBJECT.WQ, handles.view.getUint32(handles.offset + i * WQ_HANDLE_SIZE, true), 'WQ'));
      }
      const u = wb.create(typeOf(wb, UVERBS_OBJECT.RWQ_IND_TBL));
      const t = newRwqIndTbl(s, wqs);
      u.object = t;
      wb.respond((v, o) =>
        encodeIbUverbsExCreateRwqIndTableResp(v, o, {
          responseLength: responseLength(wb, IB_UVERBS_EX_CREATE_RWQ_IND_TABLE_RESP_SIZE), indTblHandle: u.id, indTblNum: t.indTblNum,
        }),
      );
    },

    writeExDestroyRwqIndTbl: destroyCommand(UVERBS_OBJECT.RWQ_IND_TBL, decodeIbUverbsExDestroyRwqIndTable, (c) => c.indTblHandle, (c) => {
      if (c.compMask !== 0) fail(EOPNOTSUPP, `comp_mask 0x${c.compMask.toString(16)} is not 0`);
    }),
  };
}
