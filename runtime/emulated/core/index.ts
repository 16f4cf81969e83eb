/**
 * The emulated core device: every action of the core ABI, the write() commands
 * (write/), and a release hook for every
 * object type, over one CoreState (Device.state). See caps.ts for what the device is,
 * records.ts for the objects it keeps. The model the write() commands call: qp-state.ts
 * (MODIFY_QP, QUERY_QP), datapath.ts (POST_SEND, POST_RECV, POST_SRQ_RECV) over the
 * loopback wire (loopback.ts), cq.ts (POLL_CQ, REQ_NOTIFY_CQ, completion channels),
 * mcast.ts (ATTACH_MCAST, DETACH_MCAST); completion channels and async event files
 * answer read() (TypeOps.read).
 *
 *   const device = createCoreDevice({ numCompVectors: 4 });
 *   const fd = process.open(device);
 */
import { uapi, type HandlerName, type ObjectTypeName, type WriteHandlerName } from '../../../generated/core/uapi.js';
import { Device, type Handler, type RemoveReasonId, type TypeOps, type WriteHandler } from '../../kernel/device.js';
import { asyncEventHandlers, readAsyncEvent, releaseAsyncEvent, type AsyncEvent } from './async-event.js';
import { resolveCaps, type CoreCaps } from './caps.js';
import { compCntrHandlers, releaseCompCntr, type CompCntr } from './comp-cntr.js';
import { contextHandlers } from './context.js';
import { cqHandlers, readCompEvent, releaseCompChannel, releaseCq, type CompChannel, type Cq } from './cq.js';
import { dmHandlers, releaseDm, type Dm } from './dm.js';
import { dmabufHandlers, releaseDmabuf, type Dmabuf } from './dmabuf.js';
import { dmahHandlers, releaseDmah, type Dmah } from './dmah.js';
import { countersHandlers, releaseCounters, releaseFlow, type Counters, type Flow } from './flow.js';
import { flowActionHandlers, releaseFlowAction, type FlowAction } from './flow-action.js';
import { mrHandlers, releaseMr, type Mr } from './mr.js';
import { releaseAh, releaseMw, releasePd, releaseXrcd, type Ah, type Mw, type Pd, type Xrcd } from './pd.js';
import { portHandlers } from './port.js';
import { qpHandlers, type Qp } from './qp.js';
import { releaseQpOrShared } from './shared-qp.js';
import { releaseSrq, srqHandlers, type Srq } from './srq.js';
import { CoreState, recordOf, type Base } from './state.js';
import { releaseRwqIndTbl, releaseWq, wqHandlers, type RwqIndTbl, type Wq } from './wq.js';
import { coreWriteHandlers } from './write/index.js';
import { registerDevice } from '../../kernel/char-device.js';

export { defaultCaps, LinkLayer, Mtu, PortState, resolveCaps, type CoreCaps, type PortCaps, type GidCaps } from './caps.js';
export { CoreState, coreState } from './state.js';
export * from './records.js';
export { pollCq, reqNotifyCq, type CqEntry } from './cq.js';
export { postRecv, postSend, postSrqRecv, type PostResult } from './datapath.js';
export { MULTICAST_QPN } from './loopback.js';
export { attachMcast, detachMcast } from './mcast.js';
export { isModifyOk, modifyQp, queryQp, type ModifyQpAttr, type QpAttr } from './qp-state.js';
export * from './verbs.js';
export type { AtomicTarget, RdmaTarget, RecvWr, SendWr, Sge, UdTarget } from './wr.js';
export { coreWriteHandlers, cqModeration, deviceCapFlags, type CqModeration } from './write/index.js';

/**
 * A destroy action with nothing to report: the runtime ran the type's release hook
 * before the handler, and that did all there is (uverbs_destroy_def_handler).
 */
export const releasedByHook: Handler = () => {};

export function createCoreDevice(caps: Partial<CoreCaps> = {}): Device {
  const state = new CoreState(resolveCaps(caps));
  return registerDevice(uapi, coreOps(state), state);
}

/**
 * The release hook of one type: the type's own release, then the bookkeeping every
 * type shares (released once, the live count, the test's release log). A driver's
 * device builds the hooks of its own types with it too.
 */
export function releaseHook<R extends Base<string>>(state: CoreState, type: R['type'], release: (s: CoreState, r: R, reason: RemoveReasonId) => void): TypeOps {
  return {
    release(u, reason) {
      const r = recordOf<R>(u, type);
      if (r.released) throw new Error(`${type} ${u.id} released twice`);
      release(state, r, reason); // with DESTROY it may refuse (EBUSY) before changing anything
      r.released = true;
      state.died(type);
      state.onRelease?.(u, reason);
    },
  };
}

/** What coreOps gives: the ioctl handlers, the release hooks and the write() handlers of the core device. */
export interface CoreOps {
  handlers: Record<HandlerName, Handler>;
  types: Record<ObjectTypeName, TypeOps>;
  writeHandlers: Partial<Record<WriteHandlerName, WriteHandler>>;
}

/**
 * Every core handler, write() handler and release hook over `state`: what
 * createCoreDevice runs, and what a driver's device (which extends the core ABI)
 * starts from and overrides.
 */
export function coreOps(state: CoreState): CoreOps {
  const handlers: Record<HandlerName, Handler> = {
    ...contextHandlers,
    ...portHandlers,
    ...asyncEventHandlers,
    ...cqHandlers,
    ...qpHandlers,
    ...srqHandlers,
    ...wqHandlers,
    ...mrHandlers,
    ...dmHandlers,
    ...dmahHandlers,
    ...dmabufHandlers,
    ...countersHandlers,
    ...flowActionHandlers,
    ...compCntrHandlers,
    pdDestroy: releasedByHook,
    ahDestroy: releasedByHook,
    mwDestroy: releasedByHook,
    xrcdDestroy: releasedByHook,
    flowDestroy: releasedByHook,
    rwqIndTblDestroy: releasedByHook,
    mrDestroy: releasedByHook,
    dmFree: releasedByHook,
    dmahFree: releasedByHook,
    countersDestroy: releasedByHook,
    flowActionDestroy: releasedByHook,
    compCntrDestroy: releasedByHook,
  };

  const hook = <R extends Base>(type: R['type'], release: (s: CoreState, r: R, reason: RemoveReasonId) => void): TypeOps => releaseHook<R>(state, type, release);

  const types: Record<ObjectTypeName, TypeOps> = {
    PD: hook<Pd>('PD', releasePd),
    COMP_CHANNEL: { ...hook<CompChannel>('COMP_CHANNEL', releaseCompChannel), read: readCompEvent },
    CQ: hook<Cq>('CQ', releaseCq),
    QP: hook<Qp>('QP', releaseQpOrShared),
    SRQ: hook<Srq>('SRQ', releaseSrq),
    AH: hook<Ah>('AH', releaseAh),
    MR: hook<Mr>('MR', releaseMr),
    MW: hook<Mw>('MW', releaseMw),
    FLOW: hook<Flow>('FLOW', releaseFlow),
    XRCD: hook<Xrcd>('XRCD', releaseXrcd),
    RWQ_IND_TBL: hook<RwqIndTbl>('RWQ_IND_TBL', releaseRwqIndTbl),
    WQ: hook<Wq>('WQ', releaseWq),
    FLOW_ACTION: hook<FlowAction>('FLOW_ACTION', releaseFlowAction),
    DM: hook<Dm>('DM', releaseDm),
    COUNTERS: hook<Counters>('COUNTERS', releaseCounters),
    ASYNC_EVENT: { ...hook<AsyncEvent>('ASYNC_EVENT', releaseAsyncEvent), read: readAsyncEvent },
    DMAH: hook<Dmah>('DMAH', releaseDmah),
    DMABUF: hook<Dmabuf>('DMABUF', releaseDmabuf),
    COMP_CNTR: hook<CompCntr>('COMP_CNTR', releaseCompCntr),
  };

  return { handlers, types, writeHandlers: coreWriteHandlers(state) };
}
