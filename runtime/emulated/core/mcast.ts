/**
 * ATTACH_MCAST and DETACH_MCAST: the multicast groups a UD QP listens to. A UD send to
 * a group's GID (and, on InfiniBand, its MLID) with remote_qpn 0xFFFFFF reaches every
 * QP of the port attached to it (loopback.ts).
 */
import { IB_UVERBS_QP_TYPE as QPT } from '../../../generated/core/enums.js';
import { EINVAL, fail } from '../../abi/errno.js';
import { LinkLayer } from './caps.js';
import { mcastKey } from './loopback.js';
import type { Qp } from './qp.js';
import type { CoreState } from './state.js';
import { QpState } from './verbs.js';

const MULTICAST_LID_BASE = 0xc000;
const PERMISSIVE_LID = 0xffff;

/**
 * is_valid_mcast_lid: on InfiniBand an MLID is 0xC000..0xFFFE; RoCE ignores it. A QP
 * past RESET is judged by its port; before, by the device: any Ethernet port, and the
 * LID is not checked.
 */
function validMlid(s: CoreState, qp: Qp, mlid: number): boolean {
  const ethernet = qp.attr.qpState >= QpState.INIT
    ? s.caps.ports[qp.attr.portNum - 1]?.linkLayer === LinkLayer.ETHERNET
    : s.caps.ports.some((p) => p.linkLayer !== LinkLayer.INFINIBAND);
  return ethernet || (mlid >= MULTICAST_LID_BASE && mlid !== PERMISSIVE_LID);
}

/** ib_attach_mcast's checks: a multicast GID (first byte 0xff), a UD QP, a valid MLID; EINVAL otherwise. */
function checkGroup(s: CoreState, qp: Qp, gid: Uint8Array, mlid: number): void {
  if (gid.length !== 16 || gid[0] !== 0xff) fail(EINVAL, 'a multicast GID is 16 bytes starting with 0xff');
  if (qp.qpType !== QPT.IB_UVERBS_QPT_UD) fail(EINVAL, `only UD QPs join multicast groups, not type ${qp.qpType}`);
  if (!validMlid(s, qp, mlid)) fail(EINVAL, `MLID 0x${mlid.toString(16)} is not a multicast LID`);
}

/**
 * ATTACH_MCAST: `qp` joins the group (`gid`, `mlid`). A group the QP is already in
 * answers success without asking the device again, as uverbs does; otherwise EINVAL
 * for a GID that is not multicast, a QP that is not UD, or an InfiniBand MLID outside
 * the multicast range.
 */
export function attachMcast(s: CoreState, qp: Qp, gid: Uint8Array, mlid: number): void {
  const key = mcastKey(gid, mlid);
  if (qp.mcast.has(key)) return;
  checkGroup(s, qp, gid, mlid);
  qp.mcast.add(key);
}

/**
 * DETACH_MCAST: `qp` leaves the group; EINVAL when it is not in it. As in the kernel,
 * the group leaves the QP's list before the device's checks, which can still refuse
 * (EINVAL) if the QP's port changed what a valid MLID is since the attach.
 */
export function detachMcast(s: CoreState, qp: Qp, gid: Uint8Array, mlid: number): void {
  if (!qp.mcast.delete(mcastKey(gid, mlid))) fail(EINVAL, 'the QP is not attached to that group');
  checkGroup(s, qp, gid, mlid);
}
