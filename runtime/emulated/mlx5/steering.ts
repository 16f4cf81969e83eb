/**
 * mlx5 steering: flow matchers (mask, table and priority of a group of rules), raw
 * flows made with CREATE_FLOW on a matcher, and steering anchors (a kernel table in
 * front of one priority, that DEVX rules may jump to).
 *
 * Raw flows and anchors hold the kernel's table of their namespace and priority (made
 * on first use, gone with its last holder, except that a table an anchor stood in front
 * of stays); a flow holds its matcher, destination and counter objects and flow
 * actions; a DEVX flow entry that jumps to an anchor's table holds the anchor.
 */
import { IB_UVERBS_QP_TYPE as QPT } from '../../../generated/core/enums.js';
import {
  IB_FLOW_FLAGS, IB_FLOW_FLAGS_MASK, MLX5_IB_CREATE_FLOW_FLAGS as FF, MLX5_IB_CREATE_FLOW_FLAGS_MASK, MLX5_IB_FLOW_TYPE, MLX5_IB_UAPI_FLOW_TABLE_TYPE as FT,
} from '../../../generated/mlx5/enums.js';
import { MLX5_IB_MATCH_PARAMS_SIZE } from '../../../generated/mlx5/structs.js';
import { UVERBS_ATTRS_CREATE_FLOW, UVERBS_ATTRS_FLOW_MATCHER_CREATE, UVERBS_ATTRS_STEERING_ANCHOR_CREATE } from '../../../generated/mlx5/ids.js';
import type { Bundle } from '../../kernel/bundle.js';
import type { RemoveReasonId } from '../../kernel/device.js';
import { EINVAL, EOPNOTSUPP, fail } from '../../abi/errno.js';
import { releaseFlow, type Flow } from '../core/flow.js';
import { portOf } from '../core/port.js';
import { base, drop, hold, optionalRecord, recordOf, refuseIfUsed, type Base, type CoreState } from '../core/state.js';
import type { DevxObj } from './devx-obj.js';
import type { Mlx5FlowAction } from './flow-action.js';
import type { Mlx5Qp } from './queues.js';
import { mlx5State, Namespace, type Mlx5State, type NamespaceName, type SteeringTable } from './state.js';
import { copyIn } from './udata.js';

export type FlowKind = 'normal' | 'sniffer' | 'all_default' | 'mc_default';
const FLOW_KINDS: readonly FlowKind[] = ['normal', 'sniffer', 'all_default', 'mc_default'];

export interface FlowMatcher extends Base<'FLOW_MATCHER'> {
  /** The 640-byte fte_match_param mask (a shorter one zero-filled). */
  readonly mask: Uint8Array;
  readonly flowKind: FlowKind;
  /** The rules' priority (normal matchers). */
  readonly priority: number;
  readonly criteria: number;
  readonly ftType: number;
  readonly ns: NamespaceName;
}

function matchParams(b: Bundle, id: number): Uint8Array {
  return new Uint8Array(copyIn(b.input(id), MLX5_IB_MATCH_PARAMS_SIZE).view.buffer);
}

export function releaseFlowMatcher(_s: CoreState, r: FlowMatcher, reason: RemoveReasonId): void {
  refuseIfUsed(r, reason, 'flows');
}

/** The table type a matcher is for: ft_type, or flow_flags (egress), or NIC RX. */
function matcherTable(b: Bundle, s: Mlx5State): { ftType: number; ns: NamespaceName } {
  const A = UVERBS_ATTRS_FLOW_MATCHER_CREATE;
  if (b.has(A.ft_type) && b.has(A.flow_flags)) fail(EINVAL, 'ft_type and flow_flags exclude each other');
  let ftType: number = FT.MLX5_IB_UAPI_FLOW_TABLE_TYPE_NIC_RX;
  if (b.has(A.ft_type)) ftType = Number(b.constIn(A.ft_type, 0xffff_ffffn));
  else if (b.has(A.flow_flags)) {
    const flags = Number(b.flags(A.flow_flags, BigInt(IB_FLOW_FLAGS_MASK)));
    if ((flags & ~IB_FLOW_FLAGS.IB_FLOW_ATTR_FLAGS_EGRESS) !== 0) fail(EINVAL, `flow flags 0x${flags.toString(16)}: only EGRESS chooses a table`);
    if (flags !== 0) ftType = FT.MLX5_IB_UAPI_FLOW_TABLE_TYPE_NIC_TX;
  }
  const ns = s.namespaceOf(ftType);
  const transport = ns === Namespace.RDMA_TRANSPORT_RX || ns === Namespace.RDMA_TRANSPORT_TX;
  if (b.has(A.ib_port)) {
    if (!transport) fail(EINVAL, 'ib_port is for the RDMA transport tables');
    portOf(s, b.u32(A.ib_port));
  } else if (transport) fail(EINVAL, 'an RDMA transport table is per port: ib_port is needed');
  // The RDMA transport tables need a UCAP the context would have been opened with; the device registers none.
  if (transport) fail(EOPNOTSUPP, 'the RDMA transport tables need an mlx5 UCAP this context does not hold');
  return { ftType, ns };
}

export interface SteeringAnchor extends Base<'STEERING_ANCHOR'> {
  readonly ftType: number;
  readonly priority: number;
  readonly table: SteeringTable;
  /** The anchor table's id, the jump target. */
  readonly ftId: number;
}

export function newSteeringAnchor(s: Mlx5State, ftType: number, priority: number): SteeringAnchor {
  if (!s.caps.steering.anchors) fail(EOPNOTSUPP, 'the device has no shared flow tables for anchors');
  const ns = s.namespaceOf(ftType);
  if (ns === Namespace.RDMA_TRANSPORT_RX || ns === Namespace.RDMA_TRANSPORT_TX) fail(EOPNOTSUPP, 'the RDMA transport tables take no anchors');
  const table = s.holdTable(ns, priority);
  table.anchorFtId ??= s.space('ft').alloc();
  const a = s.born<SteeringAnchor>({ ...base('STEERING_ANCHOR'), ftType, priority, table, ftId: table.anchorFtId });
  table.anchors.add(a);
  return a;
}

export function releaseSteeringAnchor(s: CoreState, r: SteeringAnchor, reason: RemoveReasonId): void {
  refuseIfUsed(r, reason, 'DEVX flow entries');
  r.table.anchors.delete(r);
  (s as Mlx5State).putTable(r.table);
}

/** A flow made by mlx5's CREATE_FLOW: a rule of a matcher's table, not a verbs flow on a QP. */
export interface RawFlow extends Base<'FLOW'> {
  readonly kind: 'raw';
  readonly matcher: FlowMatcher;
  readonly match: Uint8Array;
  readonly destQp: Mlx5Qp | undefined;
  readonly destDevx: DevxObj | undefined;
  readonly counter: { readonly obj: DevxObj; readonly offset: number } | undefined;
  readonly actions: readonly Mlx5FlowAction[];
  readonly tag: number | undefined;
  readonly flags: number;
  readonly table: SteeringTable;
}

/** What the FLOW type holds: verbs flows (write()'s CREATE_FLOW) and raw flows. */
export type AnyFlow = Flow | RawFlow;

export function isRawFlow(r: AnyFlow): r is RawFlow {
  return 'kind' in r && r.kind === 'raw';
}

export function releaseMlx5Flow(s: CoreState, r: AnyFlow): void {
  if (!isRawFlow(r)) {
    releaseFlow(s, r);
    return;
  }
  for (const h of [r.matcher, r.destQp, r.destDevx, r.counter?.obj, ...r.actions]) drop(h);
  (s as Mlx5State).putTable(r.table);
}

/** mlx5_ib_devx_is_flow_dest: a TIR or a flow table. */
function devxDestKind(o: DevxObj): 'tir' | 'table' {
  if (o.kind.name === 'TIR') return 'tir';
  if (o.kind.name === 'FLOW_TABLE') return 'table';
  return fail(EINVAL, `a DEVX ${o.kind.name} is not a flow destination`);
}

function rawFlow(b: Bundle, s: Mlx5State): RawFlow {
  const A = UVERBS_ATTRS_CREATE_FLOW;
  s.needNetRaw(b.file.process, 'CREATE_FLOW');
  const matcher = recordOf<FlowMatcher>(b.uobject(A.matcher), 'FLOW_MATCHER');
  if (matcher.flowKind !== 'normal') fail(EOPNOTSUPP, `a ${matcher.flowKind} matcher takes no raw flows`);
  const destQp = optionalRecord<Mlx5Qp>(b, A.dest_qp, 'QP');
  const destDevx = optionalRecord<DevxObj>(b, A.dest_devx, 'DEVX_OBJ');
  const flags = Number(b.flags(A.flags, BigInt(MLX5_IB_CREATE_FLOW_FLAGS_MASK)));
  const miss = (flags & FF.MLX5_IB_ATTR_CREATE_FLOW_FLAGS_DEFAULT_MISS) !== 0;
  const drop = (flags & FF.MLX5_IB_ATTR_CREATE_FLOW_FLAGS_DROP) !== 0;
  if (miss && drop) fail(EINVAL, 'DEFAULT_MISS and DROP exclude each other');
  if (destQp && destDevx) fail(EINVAL, 'one destination: a QP or a DEVX object');
  const ns = matcher.ns;
  const hasDest = destQp !== undefined || destDevx !== undefined;
  if ((miss || drop) && hasDest) fail(EINVAL, 'a flow that drops or misses has no destination');
  const destKind = destDevx ? devxDestKind(destDevx) : undefined;
  switch (ns) {
    case Namespace.BYPASS:
      if (!hasDest && !miss && !drop) fail(EINVAL, 'a NIC RX flow needs a destination');
      break;
    case Namespace.FDB:
    case Namespace.RDMA_RX:
      if (ns === Namespace.FDB && destQp) fail(EINVAL, 'an FDB flow goes to a DEVX flow table');
      if (!hasDest && !drop) fail(EINVAL, `a ${ns} flow needs a destination`);
      if (destDevx && destKind !== 'table') fail(EINVAL, `a ${ns} flow goes to a flow table, not a TIR`);
      break;
    case Namespace.EGRESS:
    case Namespace.RDMA_TX:
      if (destQp || destKind === 'tir') fail(EINVAL, 'a transmit flow goes to the port or a flow table, not to a QP or TIR');
      break;
  }
  if (destQp && destQp.qpType !== QPT.IB_UVERBS_QPT_RAW_PACKET) fail(EINVAL, 'a flow delivers to raw packet QPs only');
  let tag: number | undefined;
  if (b.has(A.tag)) {
    if (ns === Namespace.EGRESS || ns === Namespace.RDMA_TX) fail(EINVAL, 'transmitted packets carry no flow tag');
    tag = b.u32(A.tag);
    if (tag >= 1 << 24) fail(EINVAL, `flow tag 0x${tag.toString(16)} is above 24 bits`);
  }
  let counter: RawFlow['counter'];
  const counters = b.objectsArray(A.arr_counters_devx);
  if (counters.length > 0) {
    const obj = recordOf<DevxObj>(counters[0]!, 'DEVX_OBJ');
    if (obj.kind.name !== 'FLOW_COUNTER') fail(EINVAL, `a DEVX ${obj.kind.name} is not a flow counter`);
    let offset = 0;
    if (b.has(A.arr_counters_devx_offset)) {
      const x = b.input(A.arr_counters_devx_offset);
      if (x.len !== 4) fail(EINVAL, `arr_counters_devx_offset is ${x.len} bytes, not one u32`);
      offset = x.view.getUint32(x.offset, true);
      if (offset !== 0 && offset >= obj.bulk) fail(EINVAL, `counter offset ${offset} is beyond the bulk of ${obj.bulk}`);
    }
    counter = { obj, offset };
  }
  const actions: Mlx5FlowAction[] = [];
  for (const u of b.objectsArray(A.arr_flow_actions)) {
    const fa = recordOf<Mlx5FlowAction>(u, 'FLOW_ACTION');
    if (fa.kind !== 'modify_header' && fa.kind !== 'packet_reformat') fail(EOPNOTSUPP, `a ${fa.kind} flow action cannot be used by a raw flow`);
    if (actions.some((a) => a.kind === fa.kind)) fail(EINVAL, `two ${fa.kind} flow actions`);
    actions.push(fa);
  }
  const match = matchParams(b, A.match_value);
  const table = s.holdTable(ns, matcher.priority);
  const flow = s.born<RawFlow>({ ...base('FLOW'), kind: 'raw', matcher, match, destQp, destDevx, counter, actions, tag, flags, table });
  for (const h of [matcher, destQp, destDevx, counter?.obj, ...actions]) hold(h);
  return flow;
}

export const steeringHandlers = {
  mlx5FlowMatcherCreate(b: Bundle): void {
    const A = UVERBS_ATTRS_FLOW_MATCHER_CREATE;
    const s = mlx5State(b.device);
    const mask = matchParams(b, A.match_mask);
    const flowKind = FLOW_KINDS[b.elemId(A.flow_type)]!;
    let priority = 0;
    if (b.elemId(A.flow_type) === MLX5_IB_FLOW_TYPE.MLX5_IB_FLOW_TYPE_NORMAL) {
      const x = b.input(A.flow_type);
      priority = x.view.getUint16(x.offset, true);
    }
    const x = b.input(A.match_criteria);
    const criteria = x.view.getUint8(x.offset);
    const { ftType, ns } = matcherTable(b, s);
    b.uobject(A.handle).object = s.born<FlowMatcher>({ ...base('FLOW_MATCHER'), mask, flowKind, priority, criteria, ftType, ns });
  },

  mlx5CreateFlow(b: Bundle): void {
    b.uobject(UVERBS_ATTRS_CREATE_FLOW.handle).object = rawFlow(b, mlx5State(b.device));
  },

  mlx5SteeringAnchorCreate(b: Bundle): void {
    const A = UVERBS_ATTRS_STEERING_ANCHOR_CREATE;
    const s = mlx5State(b.device);
    s.needNetRaw(b.file.process, 'STEERING_ANCHOR_CREATE');
    const ftType = Number(b.constIn(A.ft_type, 0xffff_ffffn));
    const x = b.input(A.priority);
    const anchor = newSteeringAnchor(s, ftType, x.view.getUint16(x.offset, true));
    b.uobject(A.handle).object = anchor;
    b.outputU32(A.ft_id, anchor.ftId);
  },
};
