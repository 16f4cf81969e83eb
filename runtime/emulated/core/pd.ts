/**
 * The types the core ioctl ABI only destroys (their write() commands create them): PD,
 * XRCD, AH and MW. The constructors are what those commands, and tests, create them with.
 */
import { LinkLayer } from './caps.js';
import type { RemoveReasonId } from '../../kernel/device.js';
import { EINVAL, fail } from '../../abi/errno.js';
import { portOf } from './port.js';
import { drop, hold, refuseIfUsed, type Base, type CoreState } from './state.js';

export interface Pd extends Base<'PD'> {
  readonly pdn: number;
}

export function newPd(s: CoreState): Pd {
  return s.born<Pd>({ type: 'PD', usecnt: 0, released: false, pdn: s.pdns.alloc() });
}

export function releasePd(s: CoreState, r: Pd, reason: RemoveReasonId): void {
  refuseIfUsed(r, reason, 'MRs, MWs, AHs, QPs, SRQs or WQs');
  s.pdns.free(r.pdn);
}

/**
 * An XRC domain opened through a file (OPEN_XRCD with an fd): every open of the same
 * inode, by any file of the device, shares its number; the domain goes away with its
 * last open.
 */
export interface XrcdShare {
  readonly xrcdn: number;
  opens: number;
}

/**
 * One open of an XRC domain: what an XRCD handle names. Its usecnt counts the QPs and
 * SRQs made through this handle (closing it while they live answers EBUSY); opens of
 * the same inode are distinct records with one xrcdn.
 */
export interface Xrcd extends Base<'XRCD'> {
  readonly xrcdn: number;
  /** The inode it was opened through; undefined for a domain of its own. */
  readonly inode: object | undefined;
}

/** An XRC domain of its own, or (with `inode`) an open of the domain that inode names, made on first open. */
export function newXrcd(s: CoreState, inode?: object): Xrcd {
  let xrcdn: number;
  if (inode !== undefined) {
    let share = s.xrcdTable.get(inode);
    if (!share) {
      share = { xrcdn: s.xrcdns.alloc(), opens: 0 };
      s.xrcdTable.set(inode, share);
    }
    share.opens++;
    xrcdn = share.xrcdn;
  } else xrcdn = s.xrcdns.alloc();
  return s.born<Xrcd>({ type: 'XRCD', usecnt: 0, released: false, xrcdn, inode });
}

/** ib_uverbs_dealloc_xrcd: the domain itself goes with the last open of its inode. */
export function releaseXrcd(s: CoreState, r: Xrcd, reason: RemoveReasonId): void {
  refuseIfUsed(r, reason, 'XRC QPs or SRQs');
  const share = r.inode !== undefined ? s.xrcdTable.get(r.inode) : undefined;
  if (share && --share.opens > 0) return;
  if (r.inode !== undefined) s.xrcdTable.delete(r.inode);
  s.xrcdns.free(r.xrcdn);
}

/** The global routing header of an AH (ib_uverbs_global_route). */
export interface Grh {
  /** 16 bytes, network order. */
  readonly dgid: Uint8Array;
  readonly sgidIndex: number;
  readonly flowLabel: number;
  readonly hopLimit: number;
  readonly trafficClass: number;
}

/** What CREATE_AH gives (ib_uverbs_ah_attr). */
export interface AhAttr {
  readonly port: number;
  readonly dlid?: number;
  readonly sl?: number;
  readonly srcPathBits?: number;
  readonly staticRate?: number;
  readonly grh?: Grh | undefined;
}

export interface Ah extends Base<'AH'> {
  readonly pd: Pd;
  readonly attr: AhAttr;
}

/** Checks the route as rdma_check_ah_attr and the GID cache would, then holds the PD. */
export function newAh(s: CoreState, pd: Pd, attr: AhAttr): Ah {
  const port = portOf(s, attr.port);
  if (port.linkLayer === LinkLayer.ETHERNET && !attr.grh) fail(EINVAL, `port ${attr.port} is RoCE: an AH needs a GRH`);
  if (attr.grh) {
    if (attr.grh.dgid.length !== 16) fail(EINVAL, 'a DGID is 16 bytes');
    if (!port.gids.some((g) => g.index === attr.grh!.sgidIndex)) fail(EINVAL, `SGID index ${attr.grh.sgidIndex} of port ${attr.port} is empty`);
  }
  s.room('AH', s.caps.maxAh);
  const r = s.born<Ah>({ type: 'AH', usecnt: 0, released: false, pd, attr });
  hold(pd);
  return r;
}

export function releaseAh(_s: CoreState, r: Ah): void {
  drop(r.pd);
}

export interface Mw extends Base<'MW'> {
  readonly pd: Pd;
  /** 1 or 2 (IB_MW_TYPE_1, IB_MW_TYPE_2). */
  readonly mwType: number;
  readonly rkey: number;
}

export function newMw(s: CoreState, pd: Pd, mwType: number): Mw {
  if (mwType !== 1 && mwType !== 2) fail(EINVAL, `memory window type ${mwType} is neither 1 nor 2`);
  s.room('MW', s.caps.maxMw);
  const r = s.born<Mw>({ type: 'MW', usecnt: 0, released: false, pd, mwType, rkey: s.allocKey() });
  s.keys.set(r.rkey, r);
  hold(pd);
  return r;
}

export function releaseMw(s: CoreState, r: Mw): void {
  drop(r.pd);
  s.freeKey(r.rkey);
}
