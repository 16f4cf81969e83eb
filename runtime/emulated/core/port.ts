/**
 * The DEVICE type's port actions: QUERY_PORT, QUERY_PORT_SPEED, QUERY_GID_TABLE and
 * QUERY_GID_ENTRY, answered from the caps' ports and GID tables.
 */
import {
  encodeIbUverbsGidEntry, encodeIbUverbsQueryPortRespEx, IB_UVERBS_GID_ENTRY_SIZE, IB_UVERBS_QUERY_PORT_RESP_EX_SIZE, type IbUverbsQueryPortRespInit,
} from '../../../generated/core/structs.js';
import { UVERBS_ATTRS_QUERY_GID_ENTRY, UVERBS_ATTRS_QUERY_GID_TABLE, UVERBS_ATTRS_QUERY_PORT, UVERBS_ATTRS_QUERY_PORT_SPEED } from '../../../generated/core/ids.js';
import type { Bundle } from '../../kernel/bundle.js';
import { EINVAL, ENODATA, fail } from '../../abi/errno.js';
import { parseGid, Speed, Width, type GidCaps, type PortCaps } from './caps.js';
import { contextOf } from './context.js';
import { coreState, type CoreState } from './state.js';

/** rdma_is_port_valid: ports count from 1. */
export function portOf(s: CoreState, port: number | bigint): PortCaps {
  const n = Number(port);
  const p = n >= 1 ? s.caps.ports[n - 1] : undefined;
  if (!p) fail(EINVAL, `the device has ports 1..${s.caps.ports.length}, not ${port}`);
  return p;
}

/** Per-lane rate in units of 100 Mb/s (FDR's 14.0625 Gb/s rounded as tools show it). */
const LANE_RATE = new Map<number, number>([
  [Speed.SDR, 25], [Speed.DDR, 50], [Speed.QDR, 100], [Speed.FDR10, 100], [Speed.FDR, 140],
  [Speed.EDR, 250], [Speed.HDR, 500], [Speed.NDR, 1000], [Speed.XDR, 2000],
]);
const LANES = new Map<number, number>([[Width.X1, 1], [Width.X2, 2], [Width.X4, 4], [Width.X8, 8], [Width.X12, 12]]);

/** The port's bandwidth in units of 100 Mb/s: lanes times lane rate. */
export function portSpeed(p: PortCaps): number {
  return (LANE_RATE.get(p.activeSpeed) ?? 0) * (LANES.get(p.activeWidth) ?? 0);
}

/** copy_port_attr_to_resp: the port as ib_uverbs_query_port_resp (QUERY_PORT of write(), the legacy part of ioctl's). */
export function portResp(p: PortCaps): IbUverbsQueryPortRespInit {
  return {
    portCapFlags: p.portCapFlags,
    maxMsgSz: p.maxMsgSz,
    badPkeyCntr: 0,
    qkeyViolCntr: 0,
    gidTblLen: p.gidTblLen,
    pkeyTblLen: p.pkeyTblLen,
    lid: p.lid,
    smLid: p.smLid,
    state: p.state,
    maxMtu: p.maxMtu,
    activeMtu: p.activeMtu,
    lmc: p.lmc,
    maxVlNum: p.maxVlNum,
    smSl: p.smSl,
    subnetTimeout: p.subnetTimeout,
    initTypeReply: p.initTypeReply,
    activeWidth: p.activeWidth,
    // The legacy u8 field cannot carry XDR (256); active_speed_ex has the real value.
    activeSpeed: Math.min(p.activeSpeed, Speed.NDR),
    physState: p.physState,
    linkLayer: p.linkLayer,
    flags: p.flags,
  };
}

interface GidRow {
  readonly port: number;
  readonly portCaps: PortCaps;
  readonly entry: GidCaps;
}

/** Writes one ib_uverbs_gid_entry; the GID goes byte for byte, it is in network order. */
function writeGidEntry(v: DataView, o: number, row: GidRow): void {
  encodeIbUverbsGidEntry(v, o, {
    gidIndex: row.entry.index,
    portNum: row.port,
    gidType: row.entry.type,
    netdevIfindex: row.portCaps.netdevIfindex,
  });
  parseGid(row.entry.gid).forEach((byte, i) => v.setUint8(o + i, byte));
}

export const portHandlers = {
  queryPort(b: Bundle): void {
    const A = UVERBS_ATTRS_QUERY_PORT;
    contextOf(b.file);
    const p = portOf(coreState(b.device), b.constIn(A.port_num, 0xffn));
    b.output(A.resp, IB_UVERBS_QUERY_PORT_RESP_EX_SIZE, (v, o) =>
      encodeIbUverbsQueryPortRespEx(v, o, { legacyResp: portResp(p), portCapFlags2: p.portCapFlags2, activeSpeedEx: p.activeSpeed }),
    );
  },

  queryPortSpeed(b: Bundle): void {
    const A = UVERBS_ATTRS_QUERY_PORT_SPEED;
    contextOf(b.file);
    const p = portOf(coreState(b.device), b.constIn(A.port_num, 0xffff_ffffn));
    b.outputU64(A.resp, portSpeed(p));
  },

  queryGidTable(b: Bundle): void {
    const A = UVERBS_ATTRS_QUERY_GID_TABLE;
    b.flags(A.flags, 0n);
    const entrySize = b.constIn(A.entry_size, 0xffff_ffff_ffff_ffffn);
    const room = BigInt(b.len(A.resp_entries));
    if (entrySize === 0n || room % entrySize !== 0n || room / entrySize === 0n) {
      fail(EINVAL, `resp_entries (${room} bytes) is not a positive whole number of ${entrySize}-byte entries`);
    }
    const maxEntries = Number(room / entrySize);
    contextOf(b.file);
    const s = coreState(b.device);
    const rows: GidRow[] = [];
    s.caps.ports.forEach((portCaps, i) => {
      for (const entry of [...portCaps.gids].sort((x, y) => x.index - y.index)) rows.push({ port: i + 1, portCaps, entry });
    });
    if (rows.length > maxEntries) fail(EINVAL, `the device has ${rows.length} GID entries, resp_entries holds ${maxEntries}`);
    const stride = Number(entrySize);
    const one = new DataView(new ArrayBuffer(IB_UVERBS_GID_ENTRY_SIZE));
    b.output(A.resp_entries, rows.length * stride, (v, o) => {
      rows.forEach((row, i) => {
        // A stride below the struct's size truncates each entry; above it, the rest stays zero.
        writeGidEntry(one, 0, row);
        for (let k = 0; k < Math.min(stride, IB_UVERBS_GID_ENTRY_SIZE); k++) v.setUint8(o + i * stride + k, one.getUint8(k));
      });
    });
    b.outputU64(A.resp_num_entries, rows.length);
  },

  queryGidEntry(b: Bundle): void {
    const A = UVERBS_ATTRS_QUERY_GID_ENTRY;
    const port = b.constIn(A.port, 0xffff_ffffn);
    const index = Number(b.constIn(A.gid_index, 0xffff_ffffn));
    b.flags(A.flags, 0n);
    contextOf(b.file);
    const portCaps = portOf(coreState(b.device), port);
    if (index >= portCaps.gidTblLen) fail(EINVAL, `GID index ${index} is beyond port ${port}'s table of ${portCaps.gidTblLen}`);
    const entry = portCaps.gids.find((g) => g.index === index);
    if (!entry) fail(ENODATA, `GID index ${index} of port ${port} is empty`);
    b.output(A.resp_entry, IB_UVERBS_GID_ENTRY_SIZE, (v, o) => writeGidEntry(v, o, { port: Number(port), portCaps, entry }));
  },
};
