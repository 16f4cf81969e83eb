/**
 * Shared QPs: an XRC target QP opened again through an XRC domain (the write() command
 * OPEN_QP, the kernel's ib_open_qp), by any file that opened the same domain. The
 * opened QP is a QP handle of its own on the real one: it holds the real QP (which then
 * refuses to be destroyed, EBUSY) and the XRCD handle it was opened through, and its
 * release gives those back and nothing else (the QP number stays the real QP's).
 */
import { IB_UVERBS_QP_TYPE as QPT } from '../../../generated/core/enums.js';
import { UVERBS_OBJECT } from '../../../generated/core/ids.js';
import { RemoveReason, type Device, type RemoveReasonId } from '../../kernel/device.js';
import { EBUSY, EINVAL, fail } from '../../abi/errno.js';
import { UObjectState } from '../../kernel/uobject.js';
import type { Xrcd } from './pd.js';
import { releaseQp, type Qp } from './qp.js';
import { drop, hold, type CoreState } from './state.js';

/** A QP opened through an XRC domain: `real` is the XRC target QP it names. */
export interface SharedQp extends Qp {
  readonly real: Qp;
}

/** Whether a QP record is an opened (shared) one rather than a QP of the device's own. */
export function isSharedQp(r: Qp): r is SharedQp {
  return 'real' in r;
}

/** The live XRC target QP numbered `qpn` in the domain numbered `xrcdn`, whichever file made it. */
function targetQp(device: Device, xrcdn: number, qpn: number): Qp | undefined {
  for (const u of device.idr.values()) {
    if (u.type.id !== UVERBS_OBJECT.QP || u.state !== UObjectState.LIVE) continue;
    const qp = u.object as Qp;
    if (!isSharedQp(qp) && qp.qpType === QPT.IB_UVERBS_QPT_XRC_TGT && qp.qpn === qpn && qp.xrcd?.xrcdn === xrcdn) return qp;
  }
  return undefined;
}

/**
 * ib_open_qp: EINVAL unless `qpType` is XRC_TGT and the domain `xrcd` opens has an XRC
 * target QP numbered `qpn`. The opened QP has the real one's number and type and none
 * of its queues, CQs, counters or multicast groups; it reports no events.
 */
export function openSharedQp(s: CoreState, device: Device, xrcd: Xrcd, qpn: number, qpType: number, userHandle: bigint): SharedQp {
  if (qpType !== QPT.IB_UVERBS_QPT_XRC_TGT) fail(EINVAL, `only XRC target QPs are opened, not QPs of type ${qpType}`);
  const real = targetQp(device, xrcd.xrcdn, qpn);
  if (!real) fail(EINVAL, `XRC domain ${xrcd.xrcdn} has no XRC target QP 0x${qpn.toString(16)}`);
  const qp = s.born<SharedQp>({
    ...real,
    usecnt: 0,
    released: false,
    xrcd,
    userHandle,
    eventFile: undefined,
    compCntrs: [],
    mcast: new Set(),
    eventsReported: 0,
    real,
  });
  hold(xrcd);
  hold(real);
  return qp;
}

/** The QP type's release: a shared QP gives back what it holds; any other is releaseQp's. */
export function releaseQpOrShared(s: CoreState, r: Qp, reason: RemoveReasonId): void {
  if (!isSharedQp(r)) {
    releaseQp(s, r, reason);
    return;
  }
  if (reason === RemoveReason.DESTROY && r.usecnt > 0) fail(EBUSY, `shared QP 0x${r.qpn.toString(16)} is still used by ${r.usecnt} objects`);
  drop(r.xrcd);
  drop(r.real);
}
