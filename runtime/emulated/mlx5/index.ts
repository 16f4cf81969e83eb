/**
 * The emulated mlx5 device: the core device's handlers and release hooks over an
 * Mlx5State, mlx5's versions of the core actions it extends (GET_CONTEXT with its UHW,
 * CQ/QP/SRQ/WQ creation with theirs, DM_ALLOC, REG_DMABUF_MR, ESP flow actions), and
 * every action and type of its own. See caps.ts for what the device is, records.ts for
 * the objects it keeps.
 *
 *   const device = createMlx5Device({ eswitch: switchdevEswitch() });
 *   const fd = process.open(device);
 */
import { uapi, type HandlerName, type ObjectTypeName, type WriteHandlerName } from '../../../generated/mlx5/uapi.js';
import { Device, type Handler, type TypeOps, type WriteHandler } from '../../kernel/device.js';
import { coreOps, releasedByHook, releaseHook } from '../core/index.js';
import { recordOf, type Base } from '../core/state.js';
import { resolveMlx5Caps, type Mlx5Caps } from './caps.js';
import { mlx5ContextHandlers } from './context.js';
import { deviceHandlers } from './device.js';
import { devxHandlers } from './devx.js';
import {
  devxAsyncHandlers, readAsyncCmd, readDevxEvent, releaseDevxAsyncCmdFd, releaseDevxEventChannel, type DevxAsyncCmdFd, type DevxEventChannel,
} from './devx-async.js';
import { devxObjHandlers, releaseDevxObj, type DevxObj } from './devx-obj.js';
import { devxUmemHandlers, releaseDevxUmem, type DevxUmem } from './devx-umem.js';
import { mlx5DmHandlers, releaseMlx5Dm, type Mlx5Dm } from './dm.js';
import { mlx5FlowActionHandlers, releaseMlx5FlowAction, type Mlx5FlowAction } from './flow-action.js';
import { pageHandlers, releasePp, releaseUar, releaseVar, type Pp, type Uar, type Var } from './pages.js';
import { queueHandlers, releaseMlx5Cq, releaseMlx5Qp, releaseMlx5Srq, releaseMlx5Wq, type Mlx5Cq, type Mlx5Qp, type Mlx5Srq, type Mlx5Wq } from './queues.js';
import { Mlx5State } from './state.js';
import { releaseFlowMatcher, releaseMlx5Flow, releaseSteeringAnchor, steeringHandlers, type AnyFlow, type FlowMatcher, type SteeringAnchor } from './steering.js';
import { registerDevice } from '../../kernel/char-device.js';

export { defaultMlx5Caps, Mlx5Event, resolveMlx5Caps, switchdevEswitch, type Mlx5Caps } from './caps.js';
export { mlx5State, Mlx5State } from './state.js';
export * from './records.js';

/**
 * The core write() commands whose objects mlx5 makes with driver data it reads from
 * ioctl's UHW attributes only (the context, CQs, QPs, SRQs, WQs; a shared QP, which
 * mlx5's QP release does not know): the emulated mlx5 device does not implement them
 * through write(), and they answer EOPNOTSUPP. Every other command runs the core's
 * handler over mlx5's state.
 */
const WRITE_NEEDS_MLX5_UDATA: readonly WriteHandlerName[] = [
  'writeGetContext', 'writeCreateCq', 'writeExCreateCq', 'writeResizeCq', 'writeCreateQp', 'writeExCreateQp', 'writeOpenQp', 'writeCreateSrq',
  'writeCreateXsrq', 'writeExCreateWq',
];

export function createMlx5Device(caps: Partial<Mlx5Caps> = {}): Device {
  const state = new Mlx5State(resolveMlx5Caps(caps));
  const core = coreOps(state);

  const handlers: Record<HandlerName, Handler> = {
    ...core.handlers,
    ...mlx5ContextHandlers,
    ...queueHandlers,
    ...mlx5DmHandlers,
    ...mlx5FlowActionHandlers,
    ...deviceHandlers,
    ...devxHandlers,
    ...devxObjHandlers,
    ...devxUmemHandlers,
    ...devxAsyncHandlers,
    ...pageHandlers,
    ...steeringHandlers,
    mlx5DestroyFlow: releasedByHook,
    mlx5DevxObjDestroy: releasedByHook,
    mlx5DevxUmemDereg: releasedByHook,
    mlx5FlowMatcherDestroy: releasedByHook,
    mlx5VarObjDestroy: releasedByHook,
    mlx5PpObjDestroy: releasedByHook,
    mlx5UarObjDestroy: releasedByHook,
    mlx5SteeringAnchorDestroy: releasedByHook,
  };

  const types: Record<ObjectTypeName, TypeOps> = {
    ...core.types,
    CQ: releaseHook<Mlx5Cq>(state, 'CQ', releaseMlx5Cq),
    QP: releaseHook<Mlx5Qp>(state, 'QP', releaseMlx5Qp),
    SRQ: releaseHook<Mlx5Srq>(state, 'SRQ', releaseMlx5Srq),
    WQ: releaseHook<Mlx5Wq>(state, 'WQ', releaseMlx5Wq),
    DM: releaseHook<Mlx5Dm>(state, 'DM', releaseMlx5Dm),
    FLOW: releaseHook<AnyFlow>(state, 'FLOW', releaseMlx5Flow),
    FLOW_ACTION: releaseHook<Mlx5FlowAction>(state, 'FLOW_ACTION', releaseMlx5FlowAction),
    DEVX_OBJ: releaseHook<DevxObj>(state, 'DEVX_OBJ', releaseDevxObj),
    DEVX_UMEM: releaseHook<DevxUmem>(state, 'DEVX_UMEM', releaseDevxUmem),
    DEVX_ASYNC_CMD_FD: { ...releaseHook<DevxAsyncCmdFd>(state, 'DEVX_ASYNC_CMD_FD', releaseDevxAsyncCmdFd), read: fdRead('DEVX_ASYNC_CMD_FD', readAsyncCmd) },
    DEVX_ASYNC_EVENT_FD: { ...releaseHook<DevxEventChannel>(state, 'DEVX_ASYNC_EVENT_FD', releaseDevxEventChannel), read: fdRead('DEVX_ASYNC_EVENT_FD', readDevxEvent) },
    FLOW_MATCHER: releaseHook<FlowMatcher>(state, 'FLOW_MATCHER', releaseFlowMatcher),
    STEERING_ANCHOR: releaseHook<SteeringAnchor>(state, 'STEERING_ANCHOR', releaseSteeringAnchor),
    UAR: releaseHook<Uar>(state, 'UAR', releaseUar),
    VAR: releaseHook<Var>(state, 'VAR', releaseVar),
    PP: releaseHook<Pp>(state, 'PP', releasePp),
  };

  const writeHandlers: Partial<Record<WriteHandlerName, WriteHandler>> = { ...core.writeHandlers };
  for (const name of WRITE_NEEDS_MLX5_UDATA) delete writeHandlers[name];

  return registerDevice(uapi, { handlers, types, writeHandlers }, state);
}

/** read(2) of a DEVX file: what `read` takes off the file for a buffer of `count` bytes, copied to user memory. */
function fdRead<R extends Base<string>>(type: R['type'], read: (r: R, room: number) => Uint8Array): NonNullable<TypeOps['read']> {
  return (u, memory, addr, count) => {
    const bytes = read(recordOf<R>(u, type), count);
    memory.write(addr, bytes, `read() of ${type}`);
    return bytes.length;
  };
}
