/**
 * What the emulated core device is: its limits, its optional features and its ports,
 * in one object. The defaults describe a plausible dual-port adapter (one InfiniBand
 * port, one RoCE port) with limits of the order mlx5 reports; a test or a user passes a
 * Partial<CoreCaps> to change any of them (set a feature to null to take it away, and
 * the actions that need it answer EOPNOTSUPP as a device without it does).
 */
import {
  IB_UVERBS_CORE_SUPPORT, IB_UVERBS_DEVICE_CAP_FLAGS as DCF, IB_UVERBS_EX_CREATE_CQ_FLAGS, IB_UVERBS_GID_TYPE, IB_UVERBS_ODP_TRANSPORT_CAP_BITS as ODP,
  IB_UVERBS_QP_ATTACH_COMP_CNTR_OP, IB_UVERBS_QP_TYPE, IB_UVERBS_QUERY_PORT_CAP_FLAGS as PCF, IB_UVERBS_RAW_PACKET_CAPS as RPC, IB_UVERBS_SRQ_TYPE,
  IB_UVERBS_WQ_FLAGS,
} from '../../../generated/core/enums.js';

/** rdma_port_get_link_layer values (IB_LINK_LAYER_*). */
export const LinkLayer = { UNSPECIFIED: 0, INFINIBAND: 1, ETHERNET: 2 } as const;
/** enum ib_port_state. */
export const PortState = { NOP: 0, DOWN: 1, INIT: 2, ARMED: 3, ACTIVE: 4, ACTIVE_DEFER: 5 } as const;
/** enum ib_port_phys_state. */
export const PhysState = { SLEEP: 1, POLLING: 2, DISABLED: 3, TRAINING: 4, LINK_UP: 5, LINK_ERROR_RECOVERY: 6 } as const;
/** enum ib_mtu: 1..5 for 256..4096 bytes. */
export const Mtu = { MTU_256: 1, MTU_512: 2, MTU_1024: 3, MTU_2048: 4, MTU_4096: 5 } as const;
/** enum ib_port_width (bits, not multipliers). */
export const Width = { X1: 1, X4: 2, X8: 4, X12: 8, X2: 16 } as const;
/** enum ib_port_speed (bits). */
export const Speed = { SDR: 1, DDR: 2, QDR: 4, FDR10: 8, FDR: 16, EDR: 32, HDR: 64, NDR: 128, XDR: 256 } as const;
/** enum ib_port_capability_mask2_bits. */
export const PortCap2 = {
  SET_NODE_DESC_SUP: 1 << 0, EX_PORT_INFO_EXT_SUP: 1 << 1, VIRT_SUP: 1 << 2, SWITCH_PORT_STATE_TABLE_SUP: 1 << 3,
  LINK_WIDTH_2X_SUP: 1 << 4, LINK_SPEED_HDR_SUP: 1 << 5, LINK_SPEED_NDR_SUP: 1 << 10, EXTENDED_SPEEDS2_SUP: 1 << 11,
  LINK_SPEED_XDR_SUP: 1 << 12,
} as const;

/** One populated entry of a port's GID table. */
export interface GidCaps {
  readonly index: number;
  /** IPv6 notation ("fe80::1", "::ffff:192.168.1.20" and full forms). */
  readonly gid: string;
  readonly type: (typeof IB_UVERBS_GID_TYPE)[keyof typeof IB_UVERBS_GID_TYPE];
}

/** A port as QUERY_PORT reports it, plus its GID table. */
export interface PortCaps {
  readonly linkLayer: number;
  readonly state: number;
  readonly physState: number;
  readonly maxMtu: number;
  readonly activeMtu: number;
  readonly activeWidth: number;
  /** Lane speed, uncapped (active_speed_ex); the legacy field caps it at NDR. */
  readonly activeSpeed: number;
  readonly portCapFlags: number;
  readonly portCapFlags2: number;
  readonly maxMsgSz: number;
  readonly gidTblLen: number;
  readonly pkeyTblLen: number;
  readonly lid: number;
  readonly smLid: number;
  readonly lmc: number;
  readonly smSl: number;
  readonly maxVlNum: number;
  readonly subnetTimeout: number;
  readonly initTypeReply: number;
  /** ib_uverbs_query_port_flags (GRH_REQUIRED). */
  readonly flags: number;
  /** The ifindex of the port's net device (RoCE), 0 without one. */
  readonly netdevIfindex: number;
  readonly gids: readonly GidCaps[];
}

/** IPsec ESP offload (FLOW_ACTION_ESP_*). */
export interface EspCaps {
  /** AES-GCM key lengths in bytes the crypto engine takes. */
  readonly keyLens: readonly number[];
  /** ICV lengths in bytes it can produce. */
  readonly icvLens: readonly number[];
  /** Largest anti-replay bitmap, in packets. */
  readonly maxReplayWindow: number;
  /** Tunnel mode (an outer IP header from encap). */
  readonly tunnel: boolean;
  /** FULL_OFFLOAD (the device builds the ESP packet), as opposed to inline crypto only. */
  readonly fullOffload: boolean;
}

/** Completion counters (COMP_CNTR, QP_ATTACH_COMP_CNTR). */
export interface CompCntrCaps {
  readonly maxCounters: number;
  readonly maxValue: bigint;
  /** ib_uverbs_qp_attach_comp_cntr_op bits the device can count. */
  readonly supportedOps: number;
}

/** On-device memory (DM_ALLOC, DM_MR_REG). */
export interface DmCaps {
  /** Bytes of device memory shared by every context. */
  readonly size: number;
  /** Allocation granule: lengths are rounded up to it (MEMIC works in 64-byte units). */
  readonly granule: number;
  /** Largest log2 alignment DM_ALLOC accepts. */
  readonly maxAlignLog: number;
}

/** TPH steering hints (DMAH_ALLOC). */
export interface DmahCaps {
  /** CPUs 0..numCpus-1 exist and the calling task may run on all of them. */
  readonly numCpus: number;
}

/**
 * What QUERY_DEVICE and EX_QUERY_DEVICE report beyond the limits the device enforces
 * elsewhere in CoreCaps: its identity and the ib_device_attr fields nothing else here
 * decides. The rest of those answers (max_qp, max_cqe, ODP, device memory, ...) come
 * from the caps the handlers check, so that what the device says is what it does.
 */
export interface DeviceAttrs {
  /** Firmware version as mlx5 packs it: major << 32 | minor << 16 | sub-minor. */
  readonly fwVer: bigint;
  /** The node GUID, as written (the device reports it in network byte order). */
  readonly nodeGuid: bigint;
  readonly sysImageGuid: bigint;
  /** PCI vendor and device ids, hardware revision. */
  readonly vendorId: number;
  readonly vendorPartId: number;
  readonly hwVer: number;
  /**
   * ib_uverbs_device_cap_flags the device has whatever its other caps say; the bits
   * that follow from other caps (XRC, memory windows, flushes, ...) are added to them.
   */
  readonly deviceCapFlags: bigint;
  readonly maxSgeRd: number;
  /** RDMA reads and atomics a QP may have outstanding, as responder and as initiator. */
  readonly maxQpRdAtom: number;
  readonly maxQpInitRdAtom: number;
  /** enum ib_atomic_cap: 0 none, 1 within the HCA, 2 global. */
  readonly atomicCap: number;
  readonly maxMcastGrp: number;
  readonly maxMcastQpAttach: number;
  readonly localCaAckDelay: number;
  /** Valid bits of a completion timestamp, and the clock's frequency in kHz. */
  readonly timestampMask: bigint;
  readonly hcaCoreClock: bigint;
  /** ib_uverbs_raw_packet_caps. */
  readonly rawPacketCaps: number;
  /** RSS: QP types that spread over indirection tables (a bit per ib_qp_type), how many tables. */
  readonly rssQpTypes: number;
  readonly maxRwqIndirectionTables: number;
  /** Tag matching: rendezvous header size, operations in flight, SGEs per tag, ib_uverbs_tm_cap flags. */
  readonly tmMaxRndvHdrSize: number;
  readonly tmMaxOps: number;
  readonly tmMaxSge: number;
  readonly tmFlags: number;
  /** ODP operations per transport (ib_uverbs_odp_transport_cap_bits), when the device pages on demand. */
  readonly odpTransportCaps: number;
}

/** CQ moderation (EX_MODIFY_CQ): the most completions and microseconds an event may wait for. */
export interface CqModerationCaps {
  readonly maxCount: number;
  readonly maxPeriod: number;
}

export interface CoreCaps {
  readonly numCompVectors: number;
  /** GET_CONTEXT's core_support (ib_uverbs_core_support). */
  readonly coreSupport: bigint;
  readonly pageSize: number;

  /** Largest CQE count (a power of two minus one, as devices report it). */
  readonly maxCqe: number;
  readonly maxCq: number;
  /** Bytes per CQE, for sizing user-supplied CQ buffers. */
  readonly cqeSize: number;
  /** ib_uverbs_ex_create_cq_flags the device honours. */
  readonly cqCreateFlags: number;
  /** CQ_CREATE with a buffer user space allocated (buffer_va, buffer_fd, buf_umem). */
  readonly cqUserBuffers: boolean;
  /** Event moderation of CQs; null: EX_MODIFY_CQ answers EOPNOTSUPP. */
  readonly cqModeration: CqModerationCaps | null;

  readonly maxQp: number;
  /** Largest work queue, in work requests (a power of two). */
  readonly maxQpWr: number;
  readonly maxSge: number;
  readonly maxInlineData: number;
  /** QP types the device creates (ib_uverbs_qp_type values). */
  readonly qpTypes: readonly number[];
  /** The first QP number handed out (0 and 1 are the special QPs). */
  readonly firstQpn: number;
  /** RDMA reads and atomics a QP may have outstanding as responder (max_qp_rd_atom: the limit of max_dest_rd_atomic). */
  readonly maxQpRdAtom: number;
  /** RDMA reads and atomics a QP may have outstanding as initiator (max_qp_init_rd_atom: the limit of max_rd_atomic). */
  readonly maxQpInitRdAtom: number;

  readonly maxSrq: number;
  /** Largest SRQ, in work requests (a power of two minus one). */
  readonly maxSrqWr: number;
  readonly maxSrqSge: number;
  readonly srqTypes: readonly number[];
  /** Tags a tag-matching SRQ can hold. */
  readonly maxNumTags: number;
  readonly firstSrqn: number;

  readonly maxWq: number;
  /** ib_uverbs_wq_flags the device honours. */
  readonly wqFlags: number;
  readonly firstWqn: number;
  /** Largest RWQ indirection table, log2 (IB_USER_VERBS_MAX_LOG_IND_TBL_SIZE is 13). */
  readonly maxLogIndTblSize: number;

  readonly maxPd: number;
  readonly maxMr: number;
  readonly maxMrSize: bigint;
  /** On-demand paging: ACCESS_ON_DEMAND registrations and ADVISE_MR. */
  readonly odp: boolean;
  /** REG_DMABUF_MR and REG_MR with an fd. */
  readonly dmabufMr: boolean;
  /** ACCESS_FLUSH_GLOBAL / ACCESS_FLUSH_PERSISTENT (IB_DEVICE_FLUSH_*). */
  readonly flushGlobal: boolean;
  readonly flushPersistent: boolean;
  readonly maxAh: number;
  readonly maxMw: number;

  /** Doorbell pages each context can mmap, and so export as dma-bufs (DMABUF_ALLOC); 0 disables. */
  readonly uarPagesPerContext: number;
  /** Flow counters (COUNTERS_*). */
  readonly flowCounters: boolean;

  readonly dm: DmCaps | null;
  readonly dmah: DmahCaps | null;
  readonly esp: EspCaps | null;
  readonly compCntr: CompCntrCaps | null;

  /** Ports 1..n. */
  readonly ports: readonly PortCaps[];

  readonly attrs: DeviceAttrs;
}

const QPT = IB_UVERBS_QP_TYPE;

/** A dual-port adapter: port 1 InfiniBand 4x HDR, port 2 RoCE 100 GbE. */
export function defaultCaps(): CoreCaps {
  return {
    numCompVectors: 8,
    coreSupport: BigInt(IB_UVERBS_CORE_SUPPORT.IB_UVERBS_CORE_SUPPORT_OPTIONAL_MR_ACCESS),
    pageSize: 4096,

    maxCqe: (1 << 22) - 1,
    maxCq: 1 << 24,
    cqeSize: 64,
    cqCreateFlags: IB_UVERBS_EX_CREATE_CQ_FLAGS.IB_UVERBS_CQ_FLAGS_TIMESTAMP_COMPLETION | IB_UVERBS_EX_CREATE_CQ_FLAGS.IB_UVERBS_CQ_FLAGS_IGNORE_OVERRUN,
    cqUserBuffers: true,
    cqModeration: { maxCount: 0xffff, maxPeriod: 0xfff },

    maxQp: 1 << 18,
    maxQpWr: 1 << 15,
    maxSge: 30,
    maxInlineData: 512,
    qpTypes: [QPT.IB_UVERBS_QPT_RC, QPT.IB_UVERBS_QPT_UC, QPT.IB_UVERBS_QPT_UD, QPT.IB_UVERBS_QPT_RAW_PACKET, QPT.IB_UVERBS_QPT_XRC_INI, QPT.IB_UVERBS_QPT_XRC_TGT],
    firstQpn: 0x100,
    maxQpRdAtom: 16,
    maxQpInitRdAtom: 16,

    maxSrq: 1 << 23,
    maxSrqWr: (1 << 15) - 1,
    maxSrqSge: 31,
    srqTypes: [IB_UVERBS_SRQ_TYPE.IB_UVERBS_SRQT_BASIC, IB_UVERBS_SRQ_TYPE.IB_UVERBS_SRQT_XRC, IB_UVERBS_SRQ_TYPE.IB_UVERBS_SRQT_TM],
    maxNumTags: 64,
    firstSrqn: 0x40,

    maxWq: 1 << 18,
    wqFlags: IB_UVERBS_WQ_FLAGS.IB_UVERBS_WQ_FLAGS_CVLAN_STRIPPING | IB_UVERBS_WQ_FLAGS.IB_UVERBS_WQ_FLAGS_SCATTER_FCS | IB_UVERBS_WQ_FLAGS.IB_UVERBS_WQ_FLAGS_PCI_WRITE_END_PADDING,
    firstWqn: 0x80,
    maxLogIndTblSize: 13,

    maxPd: 1 << 24,
    maxMr: 1 << 24,
    maxMrSize: 1n << 40n,
    odp: true,
    dmabufMr: true,
    flushGlobal: false,
    flushPersistent: false,
    maxAh: 1 << 24,
    maxMw: 1 << 24,

    uarPagesPerContext: 2,
    flowCounters: true,

    dm: { size: 256 * 1024, granule: 64, maxAlignLog: 12 },
    dmah: { numCpus: 8 },
    esp: { keyLens: [16, 32], icvLens: [16], maxReplayWindow: 256, tunnel: true, fullOffload: false },
    compCntr: {
      maxCounters: 64,
      maxValue: (1n << 48n) - 1n,
      supportedOps: IB_UVERBS_QP_ATTACH_COMP_CNTR_OP.IB_UVERBS_QP_ATTACH_COMP_CNTR_OP_SEND | IB_UVERBS_QP_ATTACH_COMP_CNTR_OP.IB_UVERBS_QP_ATTACH_COMP_CNTR_OP_RECV
        | IB_UVERBS_QP_ATTACH_COMP_CNTR_OP.IB_UVERBS_QP_ATTACH_COMP_CNTR_OP_RDMA_READ | IB_UVERBS_QP_ATTACH_COMP_CNTR_OP.IB_UVERBS_QP_ATTACH_COMP_CNTR_OP_RDMA_WRITE,
    },

    ports: [
      {
        linkLayer: LinkLayer.INFINIBAND,
        state: PortState.ACTIVE,
        physState: PhysState.LINK_UP,
        maxMtu: Mtu.MTU_4096,
        activeMtu: Mtu.MTU_4096,
        activeWidth: Width.X4,
        activeSpeed: Speed.HDR,
        portCapFlags: PCF.IB_UVERBS_PCF_TRAP_SUP | PCF.IB_UVERBS_PCF_AUTO_MIGR_SUP | PCF.IB_UVERBS_PCF_SYS_IMAGE_GUID_SUP
          | PCF.IB_UVERBS_PCF_PKEY_SW_EXT_PORT_TRAP_SUP | PCF.IB_UVERBS_PCF_EXTENDED_SPEEDS_SUP | PCF.IB_UVERBS_PCF_CM_SUP
          | PCF.IB_UVERBS_PCF_DEVICE_MGMT_SUP | PCF.IB_UVERBS_PCF_VENDOR_CLASS_SUP | PCF.IB_UVERBS_PCF_CAP_MASK_NOTICE_SUP
          | PCF.IB_UVERBS_PCF_LINK_LATENCY_SUP,
        portCapFlags2: PortCap2.SET_NODE_DESC_SUP | PortCap2.EX_PORT_INFO_EXT_SUP | PortCap2.LINK_SPEED_HDR_SUP,
        maxMsgSz: 0x4000_0000,
        gidTblLen: 128,
        pkeyTblLen: 128,
        lid: 0x0007,
        smLid: 0x0001,
        lmc: 0,
        smSl: 0,
        maxVlNum: 4,
        subnetTimeout: 18,
        initTypeReply: 0,
        flags: 0,
        netdevIfindex: 0,
        gids: [{ index: 0, gid: 'fe80::9803:9b03:a1:b2c3', type: IB_UVERBS_GID_TYPE.IB_UVERBS_GID_TYPE_IB }],
      },
      {
        linkLayer: LinkLayer.ETHERNET,
        state: PortState.ACTIVE,
        physState: PhysState.LINK_UP,
        maxMtu: Mtu.MTU_4096,
        // A 1500-byte netdev MTU leaves room for 1024-byte RoCE payloads.
        activeMtu: Mtu.MTU_1024,
        activeWidth: Width.X4,
        activeSpeed: Speed.EDR,
        portCapFlags: PCF.IB_UVERBS_PCF_CM_SUP | PCF.IB_UVERBS_PCF_IP_BASED_GIDS,
        portCapFlags2: 0,
        maxMsgSz: 0x4000_0000,
        gidTblLen: 256,
        pkeyTblLen: 1,
        lid: 0,
        smLid: 0,
        lmc: 0,
        smSl: 0,
        maxVlNum: 0,
        subnetTimeout: 0,
        initTypeReply: 0,
        flags: 0,
        netdevIfindex: 5,
        gids: [
          { index: 0, gid: 'fe80::9a03:9bff:fea1:b2c4', type: IB_UVERBS_GID_TYPE.IB_UVERBS_GID_TYPE_ROCE_V1 },
          { index: 1, gid: 'fe80::9a03:9bff:fea1:b2c4', type: IB_UVERBS_GID_TYPE.IB_UVERBS_GID_TYPE_ROCE_V2 },
          { index: 2, gid: '::ffff:192.168.1.20', type: IB_UVERBS_GID_TYPE.IB_UVERBS_GID_TYPE_ROCE_V1 },
          { index: 3, gid: '::ffff:192.168.1.20', type: IB_UVERBS_GID_TYPE.IB_UVERBS_GID_TYPE_ROCE_V2 },
        ],
      },
    ],

    // A ConnectX-6 (Mellanox vendor id, part 4123) with firmware 20.31.1014.
    attrs: {
      fwVer: (20n << 32n) | (31n << 16n) | 1014n,
      nodeGuid: 0x9803_9b03_00a1_b2c3n,
      sysImageGuid: 0x9803_9b03_00a1_b2c3n,
      vendorId: 0x02c9,
      vendorPartId: 4123,
      hwVer: 0,
      deviceCapFlags: BigInt(DCF.IB_UVERBS_DEVICE_BAD_PKEY_CNTR | DCF.IB_UVERBS_DEVICE_BAD_QKEY_CNTR | DCF.IB_UVERBS_DEVICE_CHANGE_PHY_PORT
        | DCF.IB_UVERBS_DEVICE_PORT_ACTIVE_EVENT | DCF.IB_UVERBS_DEVICE_SYS_IMAGE_GUID | DCF.IB_UVERBS_DEVICE_RC_RNR_NAK_GEN
        | DCF.IB_UVERBS_DEVICE_MEM_MGT_EXTENSIONS | DCF.IB_UVERBS_DEVICE_UD_IP_CSUM | DCF.IB_UVERBS_DEVICE_RAW_IP_CSUM
        | DCF.IB_UVERBS_DEVICE_MANAGED_FLOW_STEERING) | BigInt(DCF.IB_UVERBS_DEVICE_RAW_SCATTER_FCS) | BigInt(DCF.IB_UVERBS_DEVICE_PCI_WRITE_END_PADDING),
      maxSgeRd: 30,
      maxQpRdAtom: 16,
      maxQpInitRdAtom: 16,
      atomicCap: 1,
      maxMcastGrp: 1 << 21,
      maxMcastQpAttach: 240,
      localCaAckDelay: 16,
      timestampMask: (1n << 63n) - 1n,
      hcaCoreClock: 1_000_000n,
      rawPacketCaps: RPC.IB_UVERBS_RAW_PACKET_CAP_CVLAN_STRIPPING | RPC.IB_UVERBS_RAW_PACKET_CAP_SCATTER_FCS | RPC.IB_UVERBS_RAW_PACKET_CAP_IP_CSUM,
      rssQpTypes: 1 << QPT.IB_UVERBS_QPT_RAW_PACKET,
      maxRwqIndirectionTables: 1 << 16,
      tmMaxRndvHdrSize: 64,
      tmMaxOps: 1 << 8,
      tmMaxSge: 1,
      tmFlags: 1,
      odpTransportCaps: ODP.IB_UVERBS_ODP_SUPPORT_SEND | ODP.IB_UVERBS_ODP_SUPPORT_RECV | ODP.IB_UVERBS_ODP_SUPPORT_WRITE
        | ODP.IB_UVERBS_ODP_SUPPORT_READ | ODP.IB_UVERBS_ODP_SUPPORT_ATOMIC | ODP.IB_UVERBS_ODP_SUPPORT_SRQ_RECV,
    },
  };
}

/** The defaults with `over` applied; throws on caps no device could have. */
export function resolveCaps(over: Partial<CoreCaps> = {}): CoreCaps {
  const caps: CoreCaps = { ...defaultCaps(), ...over };
  const bad = (why: string): never => {
    throw new Error(`invalid CoreCaps: ${why}`);
  };
  if (caps.ports.length === 0 || caps.ports.length > 255) bad('a device has 1..255 ports');
  if (caps.numCompVectors < 1) bad('numCompVectors must be at least 1');
  if (!isPow2(caps.maxCqe + 1)) bad('maxCqe must be a power of two minus one');
  if (!isPow2(caps.maxQpWr)) bad('maxQpWr must be a power of two');
  if (!isPow2(caps.maxSrqWr + 1)) bad('maxSrqWr must be a power of two minus one');
  if (!isPow2(caps.pageSize)) bad('pageSize must be a power of two');
  if (caps.firstQpn < 2 || caps.firstQpn + caps.maxQp - 1 > 0xffffff) bad('QP numbers are 24 bits and 0, 1 are reserved');
  caps.ports.forEach((p, i) => {
    for (const g of p.gids) {
      if (g.index < 0 || g.index >= p.gidTblLen) bad(`port ${i + 1} GID index ${g.index} is outside its table of ${p.gidTblLen}`);
      parseGid(g.gid);
    }
    if (new Set(p.gids.map((g) => g.index)).size !== p.gids.length) bad(`port ${i + 1} has two GIDs at one index`);
  });
  if (caps.dm && (!isPow2(caps.dm.granule) || caps.dm.size % caps.dm.granule !== 0)) bad('dm.size must be whole granules of a power-of-two size');
  return caps;
}

export function isPow2(n: number): boolean {
  return n > 0 && Number.isInteger(n) && (n & (n - 1)) === 0;
}

/** The smallest power of two >= n (n >= 1), as roundup_pow_of_two does. */
export function roundupPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** A GID in IPv6 notation as its 16 bytes, network order. */
export function parseGid(text: string): Uint8Array {
  const fail = (): never => {
    throw new Error(`invalid GID "${text}"`);
  };
  let groups: number[] = [];
  let head = text;
  let v4: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    v4 = text.slice(lastColon + 1).split('.').map((x) => (/^\d{1,3}$/.test(x) && Number(x) < 256 ? Number(x) : fail()));
    if (v4.length !== 4) fail();
    head = text.slice(0, lastColon + 1) + '0:0';
  }
  const parse = (s: string): number[] => (s === '' ? [] : s.split(':').map((x) => (/^[0-9a-fA-F]{1,4}$/.test(x) ? parseInt(x, 16) : fail())));
  const dbl = head.indexOf('::');
  if (dbl >= 0) {
    const left = parse(head.slice(0, dbl));
    const right = parse(head.slice(dbl + 2));
    if (left.length + right.length > 7) fail();
    groups = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  } else groups = parse(head);
  if (groups.length !== 8) fail();
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  if (v4.length === 4) out.set(v4, 12);
  return out;
}
