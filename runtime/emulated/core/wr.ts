/**
 * Work requests as the data path takes them (POST_SEND, POST_RECV, POST_SRQ_RECV with
 * their structs decoded and their handles looked up), and the work queues of QPs and
 * SRQs that hold them.
 *
 * A request holds its slot in the queue from its post until its completion is polled,
 * as on a real device, whose driver frees slots while polling: an unsignaled send's slot
 * comes back when a later send's completion is polled. A queue holding its capacity
 * refuses posts (ENOMEM).
 */
import type { Ah } from './pd.js';

/** One scatter/gather entry (ib_uverbs_sge). */
export interface Sge {
  readonly addr: bigint;
  readonly length: number;
  readonly lkey: number;
}

/** The remote side of an RDMA write or read (wr.rdma). */
export interface RdmaTarget {
  readonly remoteAddr: bigint;
  readonly rkey: number;
}

/** The remote side of an atomic (wr.atomic): compare-and-swap or fetch-and-add on 8 bytes. */
export interface AtomicTarget {
  readonly remoteAddr: bigint;
  readonly rkey: number;
  /** The value compared (CMP_AND_SWP) or added (FETCH_AND_ADD). */
  readonly compareAdd: bigint;
  /** The value swapped in (CMP_AND_SWP). */
  readonly swap: bigint;
}

/** The destination of a UD send (wr.ud), its AH handle looked up. */
export interface UdTarget {
  readonly ah: Ah;
  readonly remoteQpn: number;
  /** A Q_Key with the high bit set means the sending QP's own Q_Key. */
  readonly remoteQkey: number;
}

/** A send work request (ib_uverbs_send_wr) with its scatter/gather entries. */
export interface SendWr {
  readonly wrId: bigint;
  /** ib_uverbs_wr_opcode. */
  readonly opcode: number;
  /** ib_send_flags (SendFlags). */
  readonly sendFlags: number;
  readonly sgList: readonly Sge[];
  /** ex.imm_data of the _WITH_IMM opcodes: its 4 bytes as they travel, handed to the receiver untouched. */
  readonly immData?: number;
  readonly rdma?: RdmaTarget;
  readonly atomic?: AtomicTarget;
  readonly ud?: UdTarget;
}

/** A receive work request (ib_uverbs_recv_wr) with its scatter/gather entries. */
export interface RecvWr {
  readonly wrId: bigint;
  readonly sgList: readonly Sge[];
}

/** A posted send: its request, its place in the queue, and the bytes of an INLINE send, copied at post time. */
export interface SendWqe {
  readonly wr: SendWr;
  readonly seq: number;
  readonly inline: Uint8Array | undefined;
}

/** A QP's send queue or receive queue, or an SRQ. */
export interface WorkQueue<W> {
  /** Requests not carried out yet: sends waiting their turn, receives waiting for a message. */
  readonly pending: W[];
  /** How many requests were ever posted: the sequence number of the next one. */
  head: number;
  /** Requests before this one have their slots back. */
  tail: number;
}

export function newWorkQueue<W>(): WorkQueue<W> {
  return { pending: [], head: 0, tail: 0 };
}

/** Slots in use: posted and not yet given back. */
export function occupancy(q: WorkQueue<unknown>): number {
  return q.head - q.tail;
}

/** Empties a queue and gives every slot back (a QP reset). */
export function resetWorkQueue(q: WorkQueue<unknown>): void {
  q.pending.length = 0;
  q.head = 0;
  q.tail = 0;
}
