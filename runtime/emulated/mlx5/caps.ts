/**
 * What the emulated mlx5 device is beyond the core device: a ConnectX-class adapter's
 * doorbell (UAR) layout, DEVX firmware access, the steering, packet pacing, VirtIO
 * and device memory features mlx5 adds, each as a field of Mlx5Caps. Set a feature to
 * null (or false) to take it away; the actions that need it then answer as a device
 * without it does. Numbers are of the order a ConnectX-6 Dx reports.
 */
import { IB_UVERBS_ACCESS_FLAGS as ACC } from '../../../generated/core/enums.js';
import {
  MLX5_IB_CQE_COMP_RES_FORMAT, MLX5_IB_UAPI_DM_TYPE, MLX5_USER_ALLOC_UCONTEXT_FLOW_ACTION_FLAGS as FAF, MLX5_USER_INLINE_MODE,
} from '../../../generated/mlx5/enums.js';
import { defaultCaps, isPow2, resolveCaps, type CoreCaps } from '../core/caps.js';

/** The e-switch in switchdev (offloads) mode: what MLX5_QUERY_PORT reports of each port's vport. */
export interface EswitchCaps {
  readonly vhcaId: number;
  readonly ownerVhcaId: number;
  /** Steering ICM roots of vport n are these plus n * 0x1000. */
  readonly icmRxBase: bigint;
  readonly icmTxBase: bigint;
  /** Register C0 metadata: vport n's traffic carries (n + 1) << 16 under this mask. */
  readonly regC0Mask: number;
}

/** MEMIC: on-chip memory mapped through a BAR, and the atomic operations it offers. */
export interface MemicCaps {
  /** Bit n set: operation n can be mapped with DM_MAP_OP_ADDR (memic_operations). */
  readonly operations: number;
  /** Where the operation addresses start in the BAR, in pages after the MEMIC region. */
  readonly opPageBase: number;
}

/** Software-owned steering ICM (DM_ALLOC of the SW_ICM types). */
export interface SwIcmCaps {
  /** Bytes of each SW ICM kind, by mlx5_ib_uapi_dm_type. */
  readonly sizes: Readonly<Record<number, number>>;
  /** Allocation block (1 << log_sw_icm_alloc_granularity). */
  readonly block: number;
  /** Device address of the first byte of each kind's region. */
  readonly base: bigint;
}

/** VirtIO (and TLP emulation) doorbell pages handed out as VAR objects. */
export interface VarCaps {
  readonly pages: number;
  readonly pageSize: number;
  /** The TLP emulation region exists (VAR_OBJ_ALLOC with MLX5_IB_UAPI_VAR_ALLOC_FLAG_TLP). */
  readonly tlpPages: number;
}

/** The packet pacing rate table (PP objects). */
export interface PpCaps {
  /** Entries 1..tableSize; index 0 means "no limit". */
  readonly tableSize: number;
  /** Rates in kb/s the table accepts. */
  readonly minRate: number;
  readonly maxRate: number;
}

/** Steering: the flow table kinds user space may use, their priorities, header rewrites and reformats. */
export interface SteeringCaps {
  /** Priorities per namespace (MLX5_IB_FLOW... BY_PASS priorities). */
  readonly priorities: number;
  /** Steering anchors (shared flow tables). */
  readonly anchors: boolean;
  readonly maxModifyHeaderActions: number;
  /** mlx5_ib_uapi_flow_action_packet_reformat_type values the device performs. */
  readonly reformats: readonly number[];
  readonly maxReformatHeader: number;
}

export interface Mlx5Caps extends CoreCaps {
  /** DEVX user contexts (log_max_uctx != 0): without them DEVX actions answer EOPNOTSUPP. */
  readonly devx: boolean;
  /** Write-combining mappings work (blue flame). */
  readonly wcSupport: boolean;
  /** Bytes of one blue-flame register (1 << log_bf_reg_size). */
  readonly bfRegSize: number;
  /** UARs in one system page (4K UARs on 4K pages: 1). */
  readonly uarsPerPage: number;
  /** Blue-flame registers a context may ask for at most (MLX5_MAX_BFREGS). */
  readonly maxBfregs: number;
  /** Blue-flame registers a context can take on demand (dynamic UARs). */
  readonly dynBfregs: number;
  /** Device UAR pages in all (the UAR index space). */
  readonly maxUars: number;
  readonly cacheLineSize: number;
  readonly maxSqDescSize: number;
  readonly maxRqDescSize: number;
  /** mlx5_user_inline_mode + 1 of the Ethernet ports. */
  readonly ethMinInline: number;
  /** Offset of the free-running clock in its page. */
  readonly coreClockOffset: bigint;
  readonly dumpFillMkey: number;
  /** mlx5_user_alloc_ucontext_flow_action_flags the device offers. */
  readonly flowActionFlags: number;
  /** Enhanced connection establishment options (ECE). */
  readonly ece: boolean;
  /** 128-byte CQEs, and their padding. */
  readonly cqe128: boolean;
  /** CQE compression: the mini-CQE formats offered (mlx5_ib_cqe_comp_res_format); 0 for none. */
  readonly cqeCompFormats: number;
  /** Striding RQ limits (log2 of stride bytes and strides per WQE). */
  readonly stridingRq: { readonly minStrideLog: number; readonly maxStrideLog: number; readonly minStridesLog: number; readonly maxStridesLog: number } | null;
  /** The event queue number of completion vector 0; vector n is served by firstCompEqn + n. */
  readonly firstCompEqn: number;
  /** Event types DEVX may subscribe to: affiliated (of an object) and unaffiliated. */
  readonly affiliatedEvents: readonly number[];
  readonly unaffiliatedEvents: readonly number[];
  /** The sysfs path of the affiliated data-direct DMA device, or null without one. */
  readonly dataDirectPath: string | null;
  readonly eswitch: EswitchCaps | null;
  readonly memic: MemicCaps | null;
  readonly swIcm: SwIcmCaps | null;
  readonly var: VarCaps | null;
  readonly pp: PpCaps | null;
  readonly steering: SteeringCaps;
}

/** enum mlx5_event (PRM event types) the device raises. */
export const Mlx5Event = {
  COMP: 0x00,
  PATH_MIG: 0x01,
  COMM_EST: 0x02,
  SQ_DRAINED: 0x03,
  SRQ_LAST_WQE: 0x13,
  SRQ_RQ_LIMIT: 0x14,
  CQ_ERROR: 0x04,
  WQ_CATAS_ERROR: 0x05,
  PATH_MIG_FAILED: 0x07,
  PORT_CHANGE: 0x09,
  WQ_INVAL_REQ_ERROR: 0x10,
  WQ_ACCESS_ERROR: 0x11,
  SRQ_CATAS_ERROR: 0x12,
  DCT_DRAINED: 0x1c,
  DCT_KEY_VIOLATION: 0x1d,
  XRQ_ERROR: 0x18,
  OBJECT_CHANGE: 0x27,
} as const;

/** Access a DEVX umem may be registered with. */
export const UMEM_ACCESS = ACC.IB_UVERBS_ACCESS_LOCAL_WRITE | ACC.IB_UVERBS_ACCESS_REMOTE_WRITE | ACC.IB_UVERBS_ACCESS_REMOTE_READ
  | ACC.IB_UVERBS_ACCESS_RELAXED_ORDERING;

export function defaultMlx5Caps(): Mlx5Caps {
  const core = defaultCaps();
  return {
    ...core,
    devx: true,
    wcSupport: true,
    bfRegSize: 512,
    uarsPerPage: 1,
    maxBfregs: 512 * 2,
    dynBfregs: 64,
    maxUars: 1 << 16,
    cacheLineSize: 64,
    maxSqDescSize: 1024,
    maxRqDescSize: 512,
    ethMinInline: MLX5_USER_INLINE_MODE.MLX5_USER_INLINE_MODE_L2,
    coreClockOffset: 0x1000n - 0x10n,
    dumpFillMkey: 0x1ff00,
    flowActionFlags: FAF.MLX5_USER_ALLOC_UCONTEXT_FLOW_ACTION_FLAGS_ESP_AES_GCM | FAF.MLX5_USER_ALLOC_UCONTEXT_FLOW_ACTION_FLAGS_ESP_AES_GCM_REQ_METADATA
      | FAF.MLX5_USER_ALLOC_UCONTEXT_FLOW_ACTION_FLAGS_ESP_AES_GCM_SPI_STEERING,
    ece: true,
    cqe128: true,
    cqeCompFormats: MLX5_IB_CQE_COMP_RES_FORMAT.MLX5_IB_CQE_RES_FORMAT_HASH | MLX5_IB_CQE_COMP_RES_FORMAT.MLX5_IB_CQE_RES_FORMAT_CSUM,
    stridingRq: { minStrideLog: 6, maxStrideLog: 13, minStridesLog: 3, maxStridesLog: 16 },
    firstCompEqn: 8,
    affiliatedEvents: [Mlx5Event.COMP, Mlx5Event.PATH_MIG, Mlx5Event.COMM_EST, Mlx5Event.SQ_DRAINED, Mlx5Event.SRQ_LAST_WQE, Mlx5Event.SRQ_RQ_LIMIT,
      Mlx5Event.CQ_ERROR, Mlx5Event.WQ_CATAS_ERROR, Mlx5Event.PATH_MIG_FAILED, Mlx5Event.WQ_INVAL_REQ_ERROR, Mlx5Event.WQ_ACCESS_ERROR,
      Mlx5Event.SRQ_CATAS_ERROR, Mlx5Event.DCT_DRAINED, Mlx5Event.DCT_KEY_VIOLATION, Mlx5Event.XRQ_ERROR, Mlx5Event.OBJECT_CHANGE],
    unaffiliatedEvents: [Mlx5Event.PORT_CHANGE],
    dataDirectPath: '/sys/devices/pci0000:00/0000:00:02.0/0000:03:00.1',
    eswitch: null,
    memic: { operations: 0x0f, opPageBase: 64 },
    swIcm: {
      sizes: {
        [MLX5_IB_UAPI_DM_TYPE.MLX5_IB_UAPI_DM_TYPE_STEERING_SW_ICM]: 1 << 22,
        [MLX5_IB_UAPI_DM_TYPE.MLX5_IB_UAPI_DM_TYPE_HEADER_MODIFY_SW_ICM]: 1 << 20,
        [MLX5_IB_UAPI_DM_TYPE.MLX5_IB_UAPI_DM_TYPE_HEADER_MODIFY_PATTERN_SW_ICM]: 1 << 18,
        [MLX5_IB_UAPI_DM_TYPE.MLX5_IB_UAPI_DM_TYPE_ENCAP_SW_ICM]: 1 << 20,
      },
      block: 4096,
      base: 0x4_0000_0000n,
    },
    var: { pages: 32, pageSize: 4096, tlpPages: 0 },
    pp: { tableSize: 128, minRate: 1000, maxRate: 100_000_000 },
    steering: { priorities: 16, anchors: true, maxModifyHeaderActions: 32, reformats: [0, 1, 2, 3], maxReformatHeader: 128 },
  };
}

/** A switchdev e-switch, for tests and users that want MLX5_QUERY_PORT to report vports. */
export function switchdevEswitch(): EswitchCaps {
  return { vhcaId: 2, ownerVhcaId: 0, icmRxBase: 0x1_0000_0000n, icmTxBase: 0x1_8000_0000n, regC0Mask: 0xffff0000 };
}

/** The defaults with `over` applied; throws on caps no device could have. */
export function resolveMlx5Caps(over: Partial<Mlx5Caps> = {}): Mlx5Caps {
  const caps: Mlx5Caps = { ...defaultMlx5Caps(), ...over };
  resolveCaps(caps); // the core's own checks
  const bad = (why: string): never => {
    throw new Error(`invalid Mlx5Caps: ${why}`);
  };
  if (!isPow2(caps.bfRegSize) || !isPow2(caps.uarsPerPage)) bad('bfRegSize and uarsPerPage are powers of two');
  if (caps.maxUars < 2 || caps.maxUars > 1 << 24) bad('UAR indexes are 24 bits');
  if (caps.var && caps.var.pageSize % caps.pageSize !== 0) bad('a VAR page is whole system pages');
  if (caps.pp && (caps.pp.tableSize < 1 || caps.pp.tableSize > 0xffff)) bad('the rate table has 1..65535 entries');
  if (caps.swIcm && !isPow2(caps.swIcm.block)) bad('swIcm.block must be a power of two');
  if (caps.firstCompEqn + caps.numCompVectors > 256) bad('event queue numbers are 8 bits in a CQ context');
  return caps;
}
