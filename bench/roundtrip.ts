/**
 * The full in-process round trip: create + destroy of a CQ through the generated client
 * (encode, ioctl through the in-process transport, dispatch, handler, write-back,
 * decode), as pairs per second, and the share of each stage.
 *
 * The stages are timed apart, each over a batch of calls (so the timer costs nothing
 * per call), running the same functions the client and the dispatcher run, in order:
 *
 *   encode     the generated encoder (encodeCqCreate / encodeCqDestroy)
 *   dispatch   the fd table, then the dispatcher's begin(): header, attribute checks,
 *              objects reserved or looked up and locked
 *   handler    the emulated device's handler (for destroy, the type's release hook
 *              first), less its outputs
 *   write-back the handler's outputs (copy_to_user and VALID_OUTPUT; timed by running
 *              each handler's output calls again in a batch of their own), then end():
 *              commit or unlock, release of the bundle
 *   decode     the generated decoder, and the client zeroing the buffer it used
 *
 * What the client's real path adds to these (promises and awaits, the transport, the
 * buffer pool) is the row "other": the measured time of a pair less the stages.
 */
import {
  UVERBS_ATTRS_CQ_CREATE, UVERBS_ATTRS_CQ_DESTROY, decodeCqCreateOut, decodeCqDestroyOut, encodeCqCreate, encodeCqDestroy,
  encodeIbUverbsDestroyCqResp, IB_UVERBS_DESTROY_CQ_RESP_SIZE,
} from '../generated/core/index.js';
import type { Bundle } from '../runtime/kernel/bundle.js';
import { begin, end, invoke } from '../runtime/kernel/dispatch.js';
import type { Cq } from '../runtime/emulated/core/index.js';
import { recordOf } from '../runtime/emulated/core/state.js';
import { IoctlBuffer } from '../runtime/user/ioctl-buffer.js';
import { RDMA_VERBS_IOCTL } from '../runtime/abi/wire.js';
import { median, ns, pct, timeAsync, type Row, type Settings } from './harness.js';
import { openSession } from './session.js';
import { uverbsFileAt } from '../runtime/kernel/char-device.js';

const STAGES = ['encode', 'dispatch', 'handler', 'write-back', 'decode'] as const;
type Stage = (typeof STAGES)[number];

export async function roundTripRows(s: Settings): Promise<Row[]> {
  const session = await openSession();
  const { client, process: proc, fd } = session;
  const input = { cqe: 16, userHandle: 0x55d0_c0ff_ee00, compVector: 0 };

  // The real thing: the generated client over the in-process transport.
  const pairs = async (n: number): Promise<number> => {
    let x = 0;
    for (let i = 0; i < n; i++) {
      const { handle } = await client.cqCreate(input);
      x += (await client.cqDestroy({ handle })).resp.compEventsReported;
    }
    return x;
  };
  const n = s.quick ? 50 : 20_000;
  const perPair = await timeAsync(pairs, s, n);

  // The same path in stages, over batches of N buffers in one mapping.
  const N = 64;
  const SIZE = 512;
  const m = proc.memory.map(N * SIZE);
  const bufs = Array.from({ length: N }, (_, k) => {
    const b = new IoctlBuffer(SIZE, m.addr + k * SIZE, m.bytes.subarray(k * SIZE, (k + 1) * SIZE));
    b.memory = proc.memory;
    return b;
  });
  const bundles: Bundle[] = new Array<Bundle>(N);
  const lens: number[] = new Array<number>(N).fill(0);
  const handles: number[] = new Array<number>(N).fill(0);
  const C = UVERBS_ATTRS_CQ_CREATE;
  const D = UVERBS_ATTRS_CQ_DESTROY;
  const R = RDMA_VERBS_IOCTL;
  const t = (): number => performance.now();

  const batch = async (): Promise<Record<Stage, number>> => {
    const ms: Record<Stage, number> = { encode: 0, dispatch: 0, handler: 0, 'write-back': 0, decode: 0 };
    // CQ_CREATE
    let t0 = t();
    for (let k = 0; k < N; k++) lens[k] = encodeCqCreate(bufs[k]!, input);
    let t1 = t();
    for (let k = 0; k < N; k++) bundles[k] = begin(uverbsFileAt(proc, fd)!, R, bufs[k]!.addr);
    let t2 = t();
    for (let k = 0; k < N; k++) await invoke(bundles[k]!);
    let t3 = t();
    for (let k = 0; k < N; k++) {
      const b = bundles[k]!;
      b.outputU32(C.resp_cqe, recordOf<Cq>(b.uobject(C.handle), 'CQ').cqe);
    }
    let t4 = t();
    for (let k = 0; k < N; k++) end(bundles[k]!, true);
    let t5 = t();
    for (let k = 0; k < N; k++) {
      const buf = bufs[k]!;
      handles[k] = decodeCqCreateOut(buf).handle;
      buf.bytes.fill(0, 0, lens[k]);
    }
    let t6 = t();
    ms.encode += t1 - t0;
    ms.dispatch += t2 - t1;
    ms.handler += t3 - t2 - (t4 - t3);
    ms['write-back'] += t5 - t3;
    ms.decode += t6 - t5;
    // CQ_DESTROY
    t0 = t();
    for (let k = 0; k < N; k++) lens[k] = encodeCqDestroy(bufs[k]!, { handle: handles[k]! });
    t1 = t();
    for (let k = 0; k < N; k++) bundles[k] = begin(uverbsFileAt(proc, fd)!, R, bufs[k]!.addr);
    t2 = t();
    for (let k = 0; k < N; k++) await invoke(bundles[k]!);
    t3 = t();
    for (let k = 0; k < N; k++) {
      const b = bundles[k]!;
      const cq = recordOf<Cq>(b.uobject(D.handle), 'CQ');
      b.output(D.resp, IB_UVERBS_DESTROY_CQ_RESP_SIZE, (v, o) =>
        encodeIbUverbsDestroyCqResp(v, o, { compEventsReported: cq.compEventsReported, asyncEventsReported: cq.asyncEventsReported }));
    }
    t4 = t();
    for (let k = 0; k < N; k++) end(bundles[k]!, true);
    t5 = t();
    let x = 0;
    for (let k = 0; k < N; k++) {
      const buf = bufs[k]!;
      x += decodeCqDestroyOut(buf).resp.compEventsReported;
      buf.bytes.fill(0, 0, lens[k]);
    }
    t6 = t();
    if (x !== 0) throw new Error('unexpected events');
    ms.encode += t1 - t0;
    ms.dispatch += t2 - t1;
    ms.handler += t3 - t2 - (t4 - t3);
    ms['write-back'] += t5 - t3;
    ms.decode += t6 - t5;
    return ms;
  };

  const batches = s.quick ? 2 : 400;
  for (let i = 0; i < Math.min(batches, 50); i++) await batch(); // warm-up
  const per: Record<Stage, number[]> = { encode: [], dispatch: [], handler: [], 'write-back': [], decode: [] };
  for (let i = 0; i < batches; i++) {
    const ms = await batch();
    for (const st of STAGES) per[st].push((ms[st] * 1e6) / N);
  }
  const stage = Object.fromEntries(STAGES.map((st) => [st, median(per[st])])) as Record<Stage, number>;
  const sum = STAGES.reduce((a, st) => a + stage[st], 0);
  const other = Math.max(0, perPair - sum);
  const total = sum + other;

  const rows: Row[] = [{
    figure: 'round trip create+destroy CQ (client, in-process)',
    measured: `${Math.round(1e9 / perPair).toLocaleString('en-US')} pairs/s`,
    baseline: '',
    value: `${ns(perPair)}/pair`,
    target: 'report',
  }];
  for (const st of STAGES) {
    rows.push({ figure: `  stage: ${st}`, measured: `${ns(stage[st])}/pair`, baseline: '', value: pct(stage[st] / total), target: 'share' });
  }
  rows.push({ figure: '  other: promises, transport, buffer pool', measured: `${ns(other)}/pair`, baseline: '', value: pct(other / total), target: 'share' });
  await proc.close(fd);
  return rows;
}
