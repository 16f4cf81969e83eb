/**
 * Every record the emulated mlx5 device keeps beyond the core's, their constructors,
 * and the read and event sides of its files, for tests and for the write() path, e.g.
 *
 *   file.create(device.type(UVERBS_OBJECT.UAR)!, newUar(mlx5State(device), ctx, 'nc'))
 *
 * The core's records (PD, QP, ...) and constructors come from '../core/index.js'; the
 * mlx5 device extends some of them with a `mlx5` field (Mlx5Cq, Mlx5Qp, ...).
 */
export { Mlx5Context, mlx5ContextOf, devxUid, NON_FP_BFREGS_PER_UAR, type ContextRequest } from './context.js';
export {
  EQE_SIZE, MAX_ASYNC_BYTES, makeEqe, newDevxAsyncCmdFd, newDevxEventChannel, raiseDevxEvent, readAsyncCmd, readDevxEvent,
  type AsyncAnswer, type DevxAsyncCmdFd, type DevxEventChannel, type Subscription,
} from './devx-async.js';
export { MAX_SUBSCRIBED_TYPES } from './devx.js';
export { newDevxObj, type DevxObj } from './devx-obj.js';
export { newDevxUmem, umemPageSize, type DevxUmem } from './devx-umem.js';
export { newSwIcmDm, type MemicPlace, type Mlx5Dm, type Mlx5DmInfo } from './dm.js';
export { queryPortInfo, type Mlx5Mr } from './device.js';
export {
  MODIFY_ACTION_SIZE, newModifyHeader, newPacketReformat, type Mlx5EspAction, type Mlx5FlowAction, type ModifyHeaderAction, type PacketReformatAction,
} from './flow-action.js';
export { newPp, newUar, newVar, PP_CONTEXT_SIZE, uarObjectIndexes, type Pp, type Uar, type UarMapping, type Var } from './pages.js';
export { CONTEXT_MODIFIES, CQC, FTE, HDR, KINDS, Mailbox, Op, QPC, QP_TRANSITIONS, type PrmKind } from './prm.js';
export { type Mlx5Cq, type Mlx5CqInfo, type Mlx5Qp, type Mlx5QpInfo, type Mlx5RqInfo, type Mlx5Srq, type Mlx5Wq } from './queues.js';
export { Namespace, type NamespaceName, type RateEntry, type SteeringTable } from './state.js';
export { isRawFlow, newSteeringAnchor, type AnyFlow, type FlowKind, type FlowMatcher, type RawFlow, type SteeringAnchor } from './steering.js';
