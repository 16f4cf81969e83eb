/**
 * COMP_CNTR: pairs of counters (completions, errored completions) that QPs attached to
 * them advance; a table of caps.compCntr.maxCounters of them. Values wrap at
 * maxValue + 1, as a hardware counter of that width does.
 */
import { IB_UVERBS_COMP_CNTR_ENTRY as ENTRY, IB_UVERBS_COMP_CNTR_MODIFY_OP as OP } from '../../../generated/core/enums.js';
import {
  UVERBS_ATTRS_COMP_CNTR_CREATE, UVERBS_ATTRS_COMP_CNTR_MODIFY, UVERBS_ATTRS_COMP_CNTR_READ, UVERBS_ATTRS_QUERY_COMP_CNTR_CAPS,
} from '../../../generated/core/ids.js';
import type { Bundle } from '../../kernel/bundle.js';
import type { RemoveReasonId } from '../../kernel/device.js';
import { EINVAL, EOPNOTSUPP, fail } from '../../abi/errno.js';
import type { CompCntrCaps } from './caps.js';
import { coreState, recordOf, refuseIfUsed, type Base, type CoreState } from './state.js';

export interface CompCntr extends Base<'COMP_CNTR'> {
  comp: bigint;
  err: bigint;
}

function capsOf(s: CoreState): CompCntrCaps {
  const caps = s.caps.compCntr;
  if (!caps) fail(EOPNOTSUPP, 'the device has no completion counters');
  return caps;
}

/** ENOMEM when the device's counter table is full. */
export function newCompCntr(s: CoreState): CompCntr {
  s.room('COMP_CNTR', capsOf(s).maxCounters);
  return s.born<CompCntr>({ type: 'COMP_CNTR', usecnt: 0, released: false, comp: 0n, err: 0n });
}

export function releaseCompCntr(_s: CoreState, r: CompCntr, reason: RemoveReasonId): void {
  refuseIfUsed(r, reason, 'QPs');
}

function entryOf(b: Bundle, id: number): 'comp' | 'err' {
  const e = Number(b.constIn(id, 0xffff_ffffn));
  if (e === ENTRY.IB_UVERBS_COMP_CNTR_ENTRY_COMP) return 'comp';
  if (e === ENTRY.IB_UVERBS_COMP_CNTR_ENTRY_ERR) return 'err';
  return fail(EINVAL, `counter entry ${e} is neither COMP nor ERR`);
}

export const compCntrHandlers = {
  queryCompCntrCaps(b: Bundle): void {
    const A = UVERBS_ATTRS_QUERY_COMP_CNTR_CAPS;
    const caps = capsOf(coreState(b.device));
    b.outputU32(A.max_counters, caps.maxCounters);
    b.outputU64(A.max_value, caps.maxValue);
    b.outputU32(A.supported_qp_attach_ops, caps.supportedOps);
  },

  compCntrCreate(b: Bundle): void {
    b.uobject(UVERBS_ATTRS_COMP_CNTR_CREATE.handle).object = newCompCntr(coreState(b.device));
  },

  compCntrModify(b: Bundle): void {
    const A = UVERBS_ATTRS_COMP_CNTR_MODIFY;
    const caps = capsOf(coreState(b.device));
    const c = recordOf<CompCntr>(b.uobject(A.handle), 'COMP_CNTR');
    const entry = entryOf(b, A.entry);
    const op = Number(b.constIn(A.op, 0xffff_ffffn));
    const value = b.u64(A.value);
    if (op === OP.IB_UVERBS_COMP_CNTR_MODIFY_OP_SET) {
      if (value > caps.maxValue) fail(EINVAL, `${value} is above the counter's maximum ${caps.maxValue}`);
      c[entry] = value;
    } else if (op === OP.IB_UVERBS_COMP_CNTR_MODIFY_OP_INC) {
      c[entry] = (c[entry] + value) % (caps.maxValue + 1n);
    } else fail(EINVAL, `counter operation ${op} is neither SET nor INC`);
  },

  compCntrRead(b: Bundle): void {
    const A = UVERBS_ATTRS_COMP_CNTR_READ;
    capsOf(coreState(b.device));
    const c = recordOf<CompCntr>(b.uobject(A.handle), 'COMP_CNTR');
    b.outputU64(A.resp_value, c[entryOf(b, A.entry)]);
  },
};
