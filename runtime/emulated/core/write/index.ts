/**
 * The emulated core device's write() handlers (ib_user_verbs.h's commands, by the
 * handler names of the generated write() table), over the same records and state as its
 * ioctl handlers: an object made by either path is used and destroyed by the other.
 * Each handler follows its command in Linux's uverbs_cmd.c: the order of its checks,
 * which lookups answer EINVAL for any failure and which keep the lookup's errno, and
 * what it writes back.
 */
import type { WriteHandlerName } from '../../../../generated/core/uapi.js';
import type { WriteHandler } from '../../../kernel/device.js';
import type { CoreState } from '../state.js';
import { contextWriteHandlers } from './context.js';
import { cqWriteHandlers } from './cq.js';
import { datapathWriteHandlers } from './datapath.js';
import { flowWriteHandlers } from './flow.js';
import { mrWriteHandlers } from './mr.js';
import { pdWriteHandlers } from './pd.js';
import { qpAttrWriteHandlers } from './qp-attr.js';
import { qpWriteHandlers } from './qp.js';
import { srqWriteHandlers } from './srq.js';
import { wqWriteHandlers } from './wq.js';
import { xrcdWriteHandlers } from './xrcd.js';

export { cqModeration, type CqModeration } from './cq.js';
export { deviceCapFlags } from './context.js';

/** Every write() handler the core device has, over `s`. */
export function coreWriteHandlers(s: CoreState): Partial<Record<WriteHandlerName, WriteHandler>> {
  return {
    ...contextWriteHandlers(s),
    ...pdWriteHandlers(s),
    ...xrcdWriteHandlers(s),
    ...mrWriteHandlers(s),
    ...cqWriteHandlers(s),
    ...qpWriteHandlers(s),
    ...qpAttrWriteHandlers(s),
    ...datapathWriteHandlers(s),
    ...srqWriteHandlers(s),
    ...wqWriteHandlers(s),
    ...flowWriteHandlers(s),
  };
}
