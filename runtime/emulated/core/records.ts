/**
 * Every record the emulated core device keeps, and their constructors: what the ioctl
 * actions and the write() commands (ALLOC_PD, CREATE_AH, OPEN_XRCD, ...) create objects
 * with, and what tests create them with through UverbsFile.create, e.g.
 *
 *   file.create(device.type(UVERBS_OBJECT.PD)!, newPd(coreState(device)))
 *
 * Constructors check what the device checks and take their references; a record made
 * and never handed to the runtime is simply never released.
 */
export { newAsyncEvent, type AsyncEvent, type AsyncEventEntry } from './async-event.js';
export { newCompCntr, type CompCntr } from './comp-cntr.js';
export { newContext, type Context, type MmapEntry } from './context.js';
export { grantedCqe, newCompChannel, newCq, type CompChannel, type Cq, type CqParams } from './cq.js';
export { newDm, type Dm } from './dm.js';
export { newDmabuf, type Dmabuf } from './dmabuf.js';
export { newDmah, type Dmah, type DmahParams, type TphMemType } from './dmah.js';
export { newCounters, newFlow, type CounterKind, type Counters, type Flow, type FlowFilter, type FlowMatch, type FlowParams } from './flow.js';
export { type EspEncap, type EspReplay, type EspSa, type FlowAction } from './flow-action.js';
export { checkMrAccess, mrBytes, newMr, reregMr, vaSource, type Mr, type MrChange, type MrParams, type MrSource } from './mr.js';
export { newAh, newMw, newPd, newXrcd, type Ah, type AhAttr, type Grh, type Mw, type Pd, type Xrcd, type XrcdShare } from './pd.js';
export { grantQpCap, newQp, type Qp, type QpBuffers, type QpParams } from './qp.js';
export { grantSrq, newSrq, type Srq, type SrqParams } from './srq.js';
export { isSharedQp, openSharedQp, type SharedQp } from './shared-qp.js';
export { modifyWq, newRwqIndTbl, newWq, WqState, type RwqIndTbl, type Wq, type WqChange, type WqParams } from './wq.js';
export type { UserBuffer } from './umem.js';
