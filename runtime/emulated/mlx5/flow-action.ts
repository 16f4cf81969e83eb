/**
 * mlx5's flow actions: header rewrites (a list of PRM set/add/copy actions) and packet
 * reformats (tunnel encapsulation and decapsulation), each for one flow table type and
 * kept in the firmware under an id; and mlx5's flags on the core's ESP action.
 *
 * All live in the FLOW_ACTION type beside the core's ESP actions; a flow using one
 * holds it, and destroy answers EBUSY meanwhile (the core's release).
 */
import {
  MLX5_IB_UAPI_FLOW_ACTION_FLAGS, MLX5_IB_UAPI_FLOW_ACTION_FLAGS_MASK, MLX5_IB_UAPI_FLOW_ACTION_PACKET_REFORMAT_TYPE as PRT,
  MLX5_USER_ALLOC_UCONTEXT_FLOW_ACTION_FLAGS as FAF,
} from '../../../generated/mlx5/enums.js';
import {
  UVERBS_ATTRS_FLOW_ACTION_CREATE_MODIFY_HEADER, UVERBS_ATTRS_FLOW_ACTION_CREATE_PACKET_REFORMAT, UVERBS_ATTRS_FLOW_ACTION_ESP_CREATE,
} from '../../../generated/mlx5/ids.js';
import type { Bundle } from '../../kernel/bundle.js';
import type { RemoveReasonId } from '../../kernel/device.js';
import { EINVAL, ENOENT, EOPNOTSUPP, fail } from '../../abi/errno.js';
import { flowActionHandlers, releaseFlowAction, type FlowAction } from '../core/flow-action.js';
import { base, recordOf, type Base, type CoreState } from '../core/state.js';
import { mlx5State, Namespace, type Mlx5State, type NamespaceName } from './state.js';
import { bytesOf } from './udata.js';

/** Bytes of one PRM header-modify action (set_action_in / add_action_in / copy_action_in). */
export const MODIFY_ACTION_SIZE = 8;
/** action_type, the top nibble of an action's first byte. */
const ACTION_SET = 1;
const ACTION_COPY = 3;

export interface ModifyHeaderAction extends Base<'FLOW_ACTION'> {
  readonly kind: 'modify_header';
  readonly ftType: number;
  readonly ns: NamespaceName;
  readonly actions: Uint8Array;
  /** The firmware's modify_header_id. */
  readonly fwId: number;
}

export interface PacketReformatAction extends Base<'FLOW_ACTION'> {
  readonly kind: 'packet_reformat';
  readonly reformatType: number;
  readonly ftType: number;
  readonly ns: NamespaceName;
  /** The header pushed (empty for a decapsulation to L2). */
  readonly data: Uint8Array;
  /** The firmware's packet_reformat_id; undefined for L2_TUNNEL_TO_L2, which is a plain decap. */
  readonly fwId: number | undefined;
}

/** An ESP action with mlx5's flags. */
export interface Mlx5EspAction extends FlowAction {
  mlx5Flags?: number;
}

export type Mlx5FlowAction = Mlx5EspAction | ModifyHeaderAction | PacketReformatAction;

/** Which table each reformat works in (mlx5_ib_flow_action_packet_reformat_valid). */
const REFORMAT_NS = new Map<number, NamespaceName>([
  [PRT.MLX5_IB_UAPI_FLOW_ACTION_PACKET_REFORMAT_TYPE_L2_TUNNEL_TO_L2, Namespace.BYPASS],
  [PRT.MLX5_IB_UAPI_FLOW_ACTION_PACKET_REFORMAT_TYPE_L2_TO_L2_TUNNEL, Namespace.EGRESS],
  [PRT.MLX5_IB_UAPI_FLOW_ACTION_PACKET_REFORMAT_TYPE_L3_TUNNEL_TO_L2, Namespace.BYPASS],
  [PRT.MLX5_IB_UAPI_FLOW_ACTION_PACKET_REFORMAT_TYPE_L2_TO_L3_TUNNEL, Namespace.EGRESS],
]);

export function newModifyHeader(s: Mlx5State, ftType: number, actions: Uint8Array): ModifyHeaderAction {
  const max = s.caps.steering.maxModifyHeaderActions;
  if (max === 0) fail(EOPNOTSUPP, 'the device has no header-modify actions');
  if (actions.length === 0 || actions.length % MODIFY_ACTION_SIZE !== 0) fail(EINVAL, `${actions.length} bytes are not whole ${MODIFY_ACTION_SIZE}-byte actions`);
  const ns = s.namespaceOf(ftType);
  if (actions.length / MODIFY_ACTION_SIZE > max) fail(EINVAL, `${actions.length / MODIFY_ACTION_SIZE} actions are more than the ${max} the device rewrites at once`);
  for (let o = 0; o < actions.length; o += MODIFY_ACTION_SIZE) {
    const type = actions[o]! >> 4;
    if (type < ACTION_SET || type > ACTION_COPY) fail(EINVAL, `action ${o / MODIFY_ACTION_SIZE} has type ${type}, not set, add or copy`);
  }
  return s.born<ModifyHeaderAction>({ ...base('FLOW_ACTION'), kind: 'modify_header', ftType, ns, actions, fwId: s.space('modify_header').alloc() });
}

export function newPacketReformat(s: Mlx5State, reformatType: number, ftType: number, data: Uint8Array | undefined): PacketReformatAction {
  const ns = s.namespaceOf(ftType);
  if (REFORMAT_NS.get(reformatType) !== ns || !s.caps.steering.reformats.includes(reformatType)) {
    fail(EOPNOTSUPP, `reformat ${reformatType} is not one the device does in the ${ns} table`);
  }
  const decap = reformatType === PRT.MLX5_IB_UAPI_FLOW_ACTION_PACKET_REFORMAT_TYPE_L2_TUNNEL_TO_L2;
  if (!decap && !data) fail(ENOENT, `reformat ${reformatType} needs data_buf`);
  const header = decap ? new Uint8Array(0) : data!;
  if (header.length > s.caps.steering.maxReformatHeader) fail(EINVAL, `a ${header.length}-byte header is longer than ${s.caps.steering.maxReformatHeader}`);
  return s.born<PacketReformatAction>({
    ...base('FLOW_ACTION'), kind: 'packet_reformat', reformatType, ftType, ns, data: header, fwId: decap ? undefined : s.space('reformat').alloc(),
  });
}

export function releaseMlx5FlowAction(s: CoreState, r: Mlx5FlowAction, reason: RemoveReasonId): void {
  releaseFlowAction(s, r as FlowAction, reason); // refuses (EBUSY) while a flow uses it
  const m = s as Mlx5State;
  if (r.kind === 'modify_header') m.space('modify_header').free(r.fwId);
  if (r.kind === 'packet_reformat' && r.fwId !== undefined) m.space('reformat').free(r.fwId);
}

export const mlx5FlowActionHandlers = {
  flowActionEspCreate(b: Bundle): void {
    const A = UVERBS_ATTRS_FLOW_ACTION_ESP_CREATE;
    const s = mlx5State(b.device);
    const flags = Number(b.flags(A.flags, BigInt(MLX5_IB_UAPI_FLOW_ACTION_FLAGS_MASK)));
    const metadata = (flags & MLX5_IB_UAPI_FLOW_ACTION_FLAGS.MLX5_IB_UAPI_FLOW_ACTION_FLAGS_REQUIRE_METADATA) !== 0;
    if (metadata && (s.caps.flowActionFlags & FAF.MLX5_USER_ALLOC_UCONTEXT_FLOW_ACTION_FLAGS_ESP_AES_GCM_REQ_METADATA) === 0) {
      fail(EOPNOTSUPP, 'the device cannot make ESP actions that require metadata');
    }
    flowActionHandlers.flowActionEspCreate(b);
    recordOf<Mlx5EspAction>(b.uobject(A.handle), 'FLOW_ACTION').mlx5Flags = flags;
  },

  mlx5FlowActionCreateModifyHeader(b: Bundle): void {
    const A = UVERBS_ATTRS_FLOW_ACTION_CREATE_MODIFY_HEADER;
    const s = mlx5State(b.device);
    const ftType = Number(b.constIn(A.ft_type, 0xffff_ffffn));
    b.uobject(A.handle).object = newModifyHeader(s, ftType, bytesOf(b, A.actions_prm));
  },

  mlx5FlowActionCreatePacketReformat(b: Bundle): void {
    const A = UVERBS_ATTRS_FLOW_ACTION_CREATE_PACKET_REFORMAT;
    const s = mlx5State(b.device);
    const type = Number(b.constIn(A.type, 0xffff_ffffn));
    const ftType = Number(b.constIn(A.ft_type, 0xffff_ffffn));
    b.uobject(A.handle).object = newPacketReformat(s, type, ftType, b.has(A.data_buf) ? bytesOf(b, A.data_buf) : undefined);
  },
};
