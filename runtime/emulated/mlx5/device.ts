/**
 * mlx5's smaller additions: MLX5_QUERY_PORT (the e-switch facts software steering
 * needs), GET_DATA_DIRECT_SYSFS_PATH, PD_QUERY, and mlx5's access flags of
 * REG_DMABUF_MR (registration through the data-direct DMA device).
 */
import { IB_UVERBS_ACCESS_FLAGS as ACC } from '../../../generated/core/enums.js';
import { MLX5_IB_UAPI_QUERY_PORT_FLAGS as QPF, MLX5_IB_UAPI_REG_DMABUF_FLAGS, MLX5_IB_UAPI_REG_DMABUF_FLAGS_MASK } from '../../../generated/mlx5/enums.js';
import {
  UVERBS_ATTRS_GET_DATA_DIRECT_SYSFS_PATH, UVERBS_ATTRS_MLX5_QUERY_PORT, UVERBS_ATTRS_PD_QUERY, UVERBS_ATTRS_REG_DMABUF_MR,
} from '../../../generated/mlx5/ids.js';
import { encodeMlx5IbUapiQueryPort, MLX5_IB_UAPI_QUERY_PORT_SIZE, type Mlx5IbUapiQueryPort } from '../../../generated/mlx5/structs.js';
import type { Bundle } from '../../kernel/bundle.js';
import { EINVAL, ENODEV, ENOSPC, fail } from '../../abi/errno.js';
import { mrHandlers, type Mr } from '../core/mr.js';
import type { Pd } from '../core/pd.js';
import { portOf } from '../core/port.js';
import { recordOf } from '../core/state.js';
import type { EswitchCaps } from './caps.js';
import { mlx5ContextOf } from './context.js';
import { mlx5State } from './state.js';

/** What MLX5_QUERY_PORT reports of `port` (counted from 1): in switchdev mode, its vport's facts. */
export function queryPortInfo(eswitch: EswitchCaps | null, port: number): Mlx5IbUapiQueryPort {
  const none: Mlx5IbUapiQueryPort = { flags: 0n, vport: 0, vportVhcaId: 0, eswOwnerVhcaId: 0, rsvd0: 0, vportSteeringIcmRx: 0n, vportSteeringIcmTx: 0n, regC0: { value: 0, mask: 0 } };
  if (!eswitch) return none;
  const vport = port - 1;
  const flags = QPF.MLX5_IB_UAPI_QUERY_PORT_VPORT | QPF.MLX5_IB_UAPI_QUERY_PORT_VPORT_VHCA_ID | QPF.MLX5_IB_UAPI_QUERY_PORT_ESW_OWNER_VHCA_ID
    | QPF.MLX5_IB_UAPI_QUERY_PORT_VPORT_STEERING_ICM_RX | QPF.MLX5_IB_UAPI_QUERY_PORT_VPORT_STEERING_ICM_TX | QPF.MLX5_IB_UAPI_QUERY_PORT_VPORT_REG_C0;
  return {
    flags: BigInt(flags),
    vport,
    vportVhcaId: eswitch.vhcaId + vport,
    eswOwnerVhcaId: eswitch.ownerVhcaId,
    rsvd0: 0,
    vportSteeringIcmRx: eswitch.icmRxBase + BigInt(vport) * 0x1000n,
    vportSteeringIcmTx: eswitch.icmTxBase + BigInt(vport) * 0x1000n,
    regC0: { value: ((vport + 1) << 16) >>> 0, mask: eswitch.regC0Mask },
  };
}

/** An MR registered through the data-direct device. */
export interface Mlx5Mr extends Mr {
  mlx5?: { readonly dataDirect: boolean };
}

export const deviceHandlers = {
  mlx5QueryPort(b: Bundle): void {
    const A = UVERBS_ATTRS_MLX5_QUERY_PORT;
    const s = mlx5State(b.device);
    mlx5ContextOf(b.file);
    const port = b.u32(A.port_num);
    portOf(s, port);
    const info = queryPortInfo(s.caps.eswitch, port);
    b.output(A.resp, MLX5_IB_UAPI_QUERY_PORT_SIZE, (v, o) => encodeMlx5IbUapiQueryPort(v, o, info));
  },

  mlx5GetDataDirectSysfsPath(b: Bundle): void {
    const A = UVERBS_ATTRS_GET_DATA_DIRECT_SYSFS_PATH;
    const path = mlx5State(b.device).caps.dataDirectPath;
    if (path === null) fail(ENODEV, 'the device has no data-direct DMA device');
    const bytes = new TextEncoder().encode(`${path}\0`);
    if (bytes.length > b.len(A.path)) fail(ENOSPC, `the path takes ${bytes.length} bytes, the buffer ${b.len(A.path)}`);
    b.output(A.path, bytes.length, (v, o) => new Uint8Array(v.buffer, v.byteOffset + o, bytes.length).set(bytes));
  },

  mlx5PdQuery(b: Bundle): void {
    const A = UVERBS_ATTRS_PD_QUERY;
    b.outputU32(A.resp_pdn, recordOf<Pd>(b.uobject(A.handle), 'PD').pdn);
  },

  regDmabufMr(b: Bundle): void {
    const A = UVERBS_ATTRS_REG_DMABUF_MR;
    const s = mlx5State(b.device);
    const flags = Number(b.flags(A.mlx5_access_flags, BigInt(MLX5_IB_UAPI_REG_DMABUF_FLAGS_MASK)));
    const dataDirect = (flags & MLX5_IB_UAPI_REG_DMABUF_FLAGS.MLX5_IB_UAPI_REG_DMABUF_ACCESS_DATA_DIRECT) !== 0;
    if (dataDirect && s.caps.dataDirectPath === null) fail(EINVAL, 'DATA_DIRECT without a data-direct device');
    mrHandlers.regDmabufMr(b);
    const mr = recordOf<Mlx5Mr>(b.uobject(A.handle), 'MR');
    mr.mlx5 = { dataDirect };
    // The data-direct mkey is made without relaxed ordering, so the registration loses it.
    if (dataDirect) (mr as { access: number }).access &= ~ACC.IB_UVERBS_ACCESS_RELAXED_ORDERING;
  },
};
