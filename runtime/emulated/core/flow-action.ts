/**
 * FLOW_ACTION: IPsec ESP security associations offloaded to the device's crypto engine.
 * The core checks are parse_flow_action_esp's (flag bits, AES-GCM key and ICV lengths,
 * one encapsulation header of IPv4 or IPv6); then the device's own, from its EspCaps:
 * the key and ICV lengths its engine takes, inline crypto or full offload, tunnel mode,
 * the size of its anti-replay window.
 */
import { IB_UVERBS_FLOW_ACTION_ESP_FLAGS as ESPF, IB_UVERBS_FLOW_ACTION_ESP_FLAGS_MASK, IB_UVERBS_FLOW_ACTION_ESP_KEYMAT_AES_GCM_IV_ALGO } from '../../../generated/core/enums.js';
import { UVERBS_ATTRS_FLOW_ACTION_ESP_CREATE, UVERBS_ATTRS_FLOW_ACTION_ESP_MODIFY } from '../../../generated/core/ids.js';
import {
  decodeIbUverbsFlowActionEsp, decodeIbUverbsFlowActionEspEncap, decodeIbUverbsFlowActionEspKeymatAesGcm, decodeIbUverbsFlowActionEspReplayBmp,
  type IbUverbsFlowActionEsp, type IbUverbsFlowActionEspKeymatAesGcm,
} from '../../../generated/core/structs.js';
import type { Bundle } from '../../kernel/bundle.js';
import type { RemoveReasonId } from '../../kernel/device.js';
import { EINVAL, EOPNOTSUPP, fail } from '../../abi/errno.js';
import type { EspCaps } from './caps.js';
import { coreState, recordOf, refuseIfUsed, type Base, type CoreState } from './state.js';
import { readUser } from './umem.js';

/** enum ib_flow_spec_type values an ESP tunnel header may be. */
export const IB_FLOW_SPEC_IPV4 = 0x30;
export const IB_FLOW_SPEC_IPV6 = 0x31;
/** sizeof(struct ib_flow_ipv4_filter), sizeof(struct ib_flow_ipv6_filter). */
const FILTER_SIZE = new Map<number, number>([[IB_FLOW_SPEC_IPV4, 12], [IB_FLOW_SPEC_IPV6, 40]]);

export type EspReplay = { readonly kind: 'none' } | { readonly kind: 'bmp'; readonly size: number };

/** The outer header of tunnel mode: the filter's bytes, as long as its type's filter struct. */
export interface EspEncap {
  readonly type: number;
  readonly filter: Uint8Array;
}

export interface EspSa {
  readonly hdr: IbUverbsFlowActionEsp;
  /** The upper half of the extended sequence number, when ESN is on. */
  readonly esn: number | undefined;
  readonly keymat: IbUverbsFlowActionEspKeymatAesGcm;
  readonly replay: EspReplay;
  readonly encap: EspEncap | undefined;
}

export interface FlowAction extends Base<'FLOW_ACTION'> {
  /** Core makes ESP actions; drivers add kinds of their own. */
  readonly kind: 'esp';
  esp: EspSa;
}

/** The parts of an SA a create or modify gives. */
interface EspParts {
  hdr?: IbUverbsFlowActionEsp;
  esn?: number;
  keymat?: IbUverbsFlowActionEspKeymatAesGcm;
  replay?: EspReplay;
  encap?: EspEncap;
}

/** The checks the device's engine makes of a whole SA. */
function deviceChecks(caps: EspCaps, sa: EspSa): void {
  if (!caps.keyLens.includes(sa.keymat.keyLen)) fail(EOPNOTSUPP, `the engine takes AES-GCM keys of ${caps.keyLens.join(', ')} bytes, not ${sa.keymat.keyLen}`);
  if (!caps.icvLens.includes(sa.keymat.icvLen)) fail(EOPNOTSUPP, `the engine makes ICVs of ${caps.icvLens.join(', ')} bytes, not ${sa.keymat.icvLen}`);
  if ((sa.hdr.flags & ESPF.IB_UVERBS_FLOW_ACTION_ESP_FLAGS_FULL_OFFLOAD) !== 0 && !caps.fullOffload) fail(EOPNOTSUPP, 'the device does inline crypto only, not full offload');
  if (sa.replay.kind === 'bmp') {
    if (sa.replay.size === 0) fail(EINVAL, 'an anti-replay window of 0 packets');
    if (sa.replay.size > caps.maxReplayWindow) fail(EOPNOTSUPP, `the anti-replay window is at most ${caps.maxReplayWindow} packets`);
  }
  if (sa.encap) {
    if (!caps.tunnel) fail(EOPNOTSUPP, 'the device does not do tunnel mode');
    if ((sa.hdr.flags & ESPF.IB_UVERBS_FLOW_ACTION_ESP_FLAGS_TRANSPORT) !== 0) fail(EINVAL, 'an outer header makes no sense in transport mode');
  }
}

/** parse_flow_action_esp: the same attribute ids serve create and modify. */
function parseEsp(b: Bundle): EspParts {
  const A = UVERBS_ATTRS_FLOW_ACTION_ESP_CREATE;
  const parts: EspParts = {};
  if (b.has(A.esn)) parts.esn = b.u32(A.esn);
  if (b.has(A.attrs)) {
    const x = b.input(A.attrs);
    const hdr = decodeIbUverbsFlowActionEsp(x.view, x.offset);
    if ((hdr.flags & ~IB_UVERBS_FLOW_ACTION_ESP_FLAGS_MASK) !== 0) fail(EOPNOTSUPP, `ESP flags 0x${hdr.flags.toString(16)} have bits above ESN_NEW_WINDOW`);
    parts.hdr = hdr;
  }
  if (b.has(A.keymat)) {
    const x = b.input(A.keymat);
    const k = decodeIbUverbsFlowActionEspKeymatAesGcm(x.view, x.offset);
    if (k.ivAlgo > IB_UVERBS_FLOW_ACTION_ESP_KEYMAT_AES_GCM_IV_ALGO.IB_UVERBS_FLOW_ACTION_IV_ALGO_SEQ) fail(EOPNOTSUPP, `IV algorithm ${k.ivAlgo} is not SEQ`);
    if (![16, 24, 32].includes(k.keyLen)) fail(EINVAL, `AES-GCM keys are 16, 24 or 32 bytes, not ${k.keyLen}`);
    if (![8, 12, 16].includes(k.icvLen)) fail(EINVAL, `AES-GCM ICVs are 8, 12 or 16 bytes, not ${k.icvLen}`);
    parts.keymat = k;
  }
  if (b.has(A.replay)) {
    if (b.elemId(A.replay) === 0) parts.replay = { kind: 'none' };
    else {
      const x = b.input(A.replay);
      parts.replay = { kind: 'bmp', size: decodeIbUverbsFlowActionEspReplayBmp(x.view, x.offset).size };
    }
  }
  if (b.has(A.encap)) {
    const x = b.input(A.encap);
    const e = decodeIbUverbsFlowActionEspEncap(x.view, x.offset);
    if (e.nextPtr !== 0n) fail(EOPNOTSUPP, 'one encapsulation header only: next_ptr must be 0');
    const size = FILTER_SIZE.get(e.type);
    if (size === undefined) fail(EOPNOTSUPP, `encapsulation type 0x${e.type.toString(16)} is neither IPv4 nor IPv6`);
    if (e.len === 0) fail(EINVAL, 'an empty encapsulation filter');
    // A filter longer than the kernel's struct is accepted if the extra bytes are zero; a shorter one is zero-filled.
    const given = readUser(b.file.process, e.valPtr, e.len, 'ESP encap filter');
    if (given.subarray(size).some((x) => x !== 0)) fail(EINVAL, `the encapsulation filter has non-zero bytes beyond its ${size}`);
    const filter = new Uint8Array(size);
    filter.set(given.subarray(0, size));
    parts.encap = { type: e.type, filter };
  }
  return parts;
}

export function releaseFlowAction(_s: CoreState, r: FlowAction, reason: RemoveReasonId): void {
  refuseIfUsed(r, reason, 'flows');
}

export const flowActionHandlers = {
  flowActionEspCreate(b: Bundle): void {
    const s = coreState(b.device);
    const caps = s.caps.esp;
    if (!caps) fail(EOPNOTSUPP, 'the device has no IPsec offload');
    const p = parseEsp(b);
    if (p.replay?.kind === 'none') fail(EINVAL, 'leave replay out for no anti-replay protection');
    // attrs and keymat are mandatory on create, so parseEsp found them.
    const sa: EspSa = { hdr: p.hdr!, esn: p.esn, keymat: p.keymat!, replay: p.replay ?? { kind: 'none' }, encap: p.encap };
    deviceChecks(caps, sa);
    b.uobject(UVERBS_ATTRS_FLOW_ACTION_ESP_CREATE.handle).object = s.born<FlowAction>({ type: 'FLOW_ACTION', usecnt: 0, released: false, kind: 'esp', esp: sa });
  },

  flowActionEspModify(b: Bundle): void {
    const action = recordOf<FlowAction>(b.uobject(UVERBS_ATTRS_FLOW_ACTION_ESP_MODIFY.handle), 'FLOW_ACTION');
    if (action.kind !== 'esp') fail(EINVAL, 'the flow action is not an ESP action');
    const p = parseEsp(b);
    const caps = coreState(b.device).caps.esp;
    if (!caps) fail(EOPNOTSUPP, 'the device cannot modify ESP actions');
    // A new outer header is a new SA for the engine, not a change of this one.
    if (p.encap) fail(EOPNOTSUPP, 'the tunnel header of an SA cannot change');
    const old = action.esp;
    const sa: EspSa = {
      hdr: p.hdr ?? old.hdr,
      esn: p.esn ?? old.esn,
      keymat: p.keymat ?? old.keymat,
      replay: p.replay ?? old.replay,
      encap: old.encap,
    };
    deviceChecks(caps, sa);
    action.esp = sa;
  },
};
