/**
 * write() commands of completion channels and CQs: CREATE_COMP_CHANNEL, CREATE_CQ,
 * EX_CREATE_CQ, RESIZE_CQ, DESTROY_CQ, EX_MODIFY_CQ, over the records ioctl's CQ
 * actions use (cq.ts).
 */
import { UVERBS_OBJECT } from '../../../../generated/core/ids.js';
import {
  decodeIbUverbsCreateCompChannel, decodeIbUverbsCreateCq, decodeIbUverbsDestroyCq, decodeIbUverbsExCreateCq, decodeIbUverbsExModifyCq,
  decodeIbUverbsResizeCq, encodeIbUverbsCreateCompChannelResp, encodeIbUverbsDestroyCqResp, encodeIbUverbsExCreateCqResp, encodeIbUverbsResizeCqResp,
  IB_UVERBS_EX_CREATE_CQ_RESP_SIZE, type IbUverbsExCreateCq,
} from '../../../../generated/core/structs.js';
import { Access } from '../../../kernel/contract.js';
import type { WriteHandler } from '../../../kernel/device.js';
import { EINVAL, EOPNOTSUPP, fail } from '../../../abi/errno.js';
import type { WriteBundle } from '../../../kernel/write-bundle.js';
import { grantedCqe, newCompChannel, newCq, type CompChannel, type Cq } from '../cq.js';
import { recordOf, type CoreState } from '../state.js';
import { readRecord, responseLength, typeOf, writeContext } from './common.js';

/** The kernel's IB_CQ_MODERATE: EX_MODIFY_CQ's only attribute. */
export const IB_CQ_MODERATE = 1;

/** A CQ's event moderation as EX_MODIFY_CQ last set it. */
export interface CqModeration {
  readonly count: number;
  readonly period: number;
}

const moderations = new WeakMap<Cq, CqModeration>();

/** The moderation EX_MODIFY_CQ set on `cq`; undefined before (an event per completion). */
export function cqModeration(cq: Cq): CqModeration | undefined {
  return moderations.get(cq);
}

/**
 * create_cq, shared by CREATE_CQ and EX_CREATE_CQ: the completion vector against the
 * device's (EINVAL, before anything else), the object, the completion channel when
 * comp_channel is not negative (the fd lookup's errno), then the device's CQ, reporting
 * to the file's default async event file. The response is the extended one, as much as
 * the user's room takes.
 */
function createCq(s: CoreState, wb: WriteBundle, cmd: IbUverbsExCreateCq): void {
  if (cmd.compVector >= s.caps.numCompVectors) fail(EINVAL, `comp_vector ${cmd.compVector} is not below ${s.caps.numCompVectors}`);
  const u = wb.create(typeOf(wb, UVERBS_OBJECT.CQ));
  const ctx = writeContext(wb);
  const channel = cmd.compChannel >= 0 ? recordOf<CompChannel>(wb.lookup(typeOf(wb, UVERBS_OBJECT.COMP_CHANNEL), cmd.compChannel, Access.READ), 'COMP_CHANNEL') : undefined;
  const cq = newCq(s, ctx, { cqe: cmd.cqe, compVector: cmd.compVector, flags: cmd.flags, userHandle: cmd.userHandle, channel, eventFile: ctx.defaultAsyncEvent });
  u.object = cq;
  u.userHandle = cmd.userHandle;
  wb.respond(
    (v, o) => encodeIbUverbsExCreateCqResp(v, o, { base: { cqHandle: u.id, cqe: cq.cqe }, responseLength: responseLength(wb, IB_UVERBS_EX_CREATE_CQ_RESP_SIZE) }),
    IB_UVERBS_EX_CREATE_CQ_RESP_SIZE,
  );
}

/**
 * resize_cq as mlx5 does it: 1..maxCqe entries asked (EINVAL), granted as at creation;
 * a CQ in user memory must still fit its buffer (EINVAL).
 */
function resizeCq(s: CoreState, cq: Cq, cqe: number): void {
  if (cqe < 1 || cqe > s.caps.maxCqe) fail(EINVAL, `cqe ${cqe} is not in 1..${s.caps.maxCqe}`);
  const granted = grantedCqe(cqe);
  if (cq.buffer) {
    const need = BigInt((granted + 1) * s.caps.cqeSize);
    if (cq.buffer.length < need) fail(EINVAL, `${granted + 1} slots need ${need} bytes, the CQ's buffer has ${cq.buffer.length}`);
  }
  cq.cqe = granted;
}

/** The write() handlers of completion channels and CQs, over `s`. */
export function cqWriteHandlers(
  s: CoreState,
): Record<'writeCreateCompChannel' | 'writeCreateCq' | 'writeExCreateCq' | 'writeResizeCq' | 'writeDestroyCq' | 'writeExModifyCq', WriteHandler> {
  return {
    writeCreateCompChannel(wb) {
      wb.request(decodeIbUverbsCreateCompChannel);
      const u = wb.create(typeOf(wb, UVERBS_OBJECT.COMP_CHANNEL));
      u.object = newCompChannel(s);
      wb.respond((v, o) => encodeIbUverbsCreateCompChannelResp(v, o, { fd: u.id }));
    },

    writeCreateCq(wb) {
      const cmd = wb.request(decodeIbUverbsCreateCq);
      createCq(s, wb, { userHandle: cmd.userHandle, cqe: cmd.cqe, compVector: cmd.compVector, compChannel: cmd.compChannel, compMask: 0, flags: 0, reserved: 0 });
    },

    writeExCreateCq(wb) {
      const cmd = wb.request(decodeIbUverbsExCreateCq);
      if (cmd.compMask !== 0) fail(EINVAL, `comp_mask 0x${cmd.compMask.toString(16)} is not 0`);
      if (cmd.reserved !== 0) fail(EINVAL, 'reserved is not 0');
      createCq(s, wb, cmd);
    },

    writeResizeCq(wb) {
      const cmd = wb.request(decodeIbUverbsResizeCq);
      const cq = readRecord<Cq>(wb, UVERBS_OBJECT.CQ, cmd.cqHandle, 'CQ');
      resizeCq(s, cq, cmd.cqe);
      wb.respond((v, o) => encodeIbUverbsResizeCqResp(v, o, { cqe: cq.cqe }));
    },

    /** ib_uverbs_destroy_cq: the CQ goes (EBUSY while a QP, SRQ or WQ uses it), then its event counts are written back. */
    writeDestroyCq(wb) {
      const cmd = wb.request(decodeIbUverbsDestroyCq);
      const cq = recordOf<Cq>(wb.destroy(typeOf(wb, UVERBS_OBJECT.CQ), cmd.cqHandle), 'CQ');
      wb.respond((v, o) => encodeIbUverbsDestroyCqResp(v, o, { compEventsReported: cq.compEventsReported, asyncEventsReported: cq.asyncEventsReported }));
    },

    /**
     * ib_uverbs_ex_modify_cq: attr_mask 0 or reserved non-zero is EINVAL, bits beyond
     * IB_CQ_MODERATE EOPNOTSUPP, then the CQ (EINVAL); a device without moderation
     * answers EOPNOTSUPP, a period beyond its longest EINVAL.
     */
    writeExModifyCq(wb) {
      const cmd = wb.request(decodeIbUverbsExModifyCq);
      if (cmd.attrMask === 0 || cmd.reserved !== 0) fail(EINVAL, 'attr_mask is 0 or reserved is not');
      if (cmd.attrMask > IB_CQ_MODERATE) fail(EOPNOTSUPP, `attr_mask 0x${cmd.attrMask.toString(16)} asks for more than moderation`);
      const cq = readRecord<Cq>(wb, UVERBS_OBJECT.CQ, cmd.cqHandle, 'CQ');
      const caps = s.caps.cqModeration;
      if (!caps) fail(EOPNOTSUPP, 'the device does not moderate CQ events');
      const { cqCount: count, cqPeriod: period } = cmd.attr;
      if (count > caps.maxCount || period > caps.maxPeriod) fail(EINVAL, `moderation ${count} completions / ${period} us is beyond ${caps.maxCount} / ${caps.maxPeriod}`);
      moderations.set(cq, { count, period });
    },
  };
}
