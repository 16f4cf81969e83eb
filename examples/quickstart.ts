/**
 * Quickstart: the generated core client driving the emulated core device in this
 * process, with no RDMA hardware. It opens the device, creates the context, reads a
 * port, makes and destroys a completion queue and a counters object, and shows how a
 * refused call looks.
 *
 *   npm run example        (node --conditions=uverbs-abi-source --import tsx examples/quickstart.ts)
 *
 * Against real hardware only the transport would change: the client, its inputs and
 * outputs are the same.
 */
import { UverbsCallError, errnoName, inProcess } from 'uverbs-abi';
import { CoreClient } from 'uverbs-abi/core';
import { createCoreDevice } from 'uverbs-abi/emulated';
import { Process } from 'uverbs-abi/kernel';

/** enum ib_port_state of the kernel's ib_verbs.h. */
const PORT_STATES = ['NOP', 'DOWN', 'INIT', 'ARMED', 'ACTIVE', 'ACTIVE_DEFER'];

// The emulated kernel's view of this program: an address space and an fd table.
const proc = new Process();
const fd = proc.open(createCoreDevice());
if (fd < 0) throw new Error(`open of the emulated device failed: ${errnoName(-fd)}`);
console.log(`opened the emulated core device as fd ${fd}`);

const verbs = new CoreClient(inProcess(proc), fd);

// Nothing can be created on a uverbs file before its context exists. Optional outputs
// of fixed size are requested unless the input says false, as rdma-core does.
const ctx = await verbs.getContext();
if (ctx.numCompVectors === undefined) throw new Error('GET_CONTEXT did not report num_comp_vectors');
const vectors = ctx.numCompVectors;
console.log(`DEVICE.GET_CONTEXT: ${vectors} completion vector(s)`);

const port = (await verbs.queryPort({ portNum: 1 })).resp.legacyResp;
console.log(
  `DEVICE.QUERY_PORT 1: ${PORT_STATES[port.state] ?? `state ${port.state}`}, active MTU ${128 << port.activeMtu}, ` +
    `LID ${port.lid}, ${port.gidTblLen} GID table entries`,
);

const events = await verbs.asyncEventAlloc();
console.log(`ASYNC_EVENT.ASYNC_EVENT_ALLOC: async event file on fd ${events.fdHandle}`);

const cq = await verbs.cqCreate({ cqe: 100, userHandle: 0xc0ffeen, compVector: 0, eventFd: events.fdHandle });
console.log(`CQ.CQ_CREATE: handle ${cq.handle}, asked for 100 entries, the device gave ${cq.respCqe}`);

// A refused call rejects with UverbsCallError: the type, the action and the errno.
try {
  await verbs.cqCreate({ cqe: 16, userHandle: 1n, compVector: vectors });
  throw new Error(`CQ_CREATE on completion vector ${vectors} of ${vectors} was accepted`);
} catch (e) {
  if (!(e instanceof UverbsCallError)) throw e;
  console.log(`CQ.CQ_CREATE on completion vector ${vectors}: refused, ${e.message}`);
}

const counters = await verbs.countersCreate();
console.log(`COUNTERS.COUNTERS_CREATE: handle ${counters.handle}`);
await verbs.countersDestroy({ handle: counters.handle });
console.log(`COUNTERS.COUNTERS_DESTROY: handle ${counters.handle} destroyed`);

const destroyed = await verbs.cqDestroy({ handle: cq.handle });
console.log(
  `CQ.CQ_DESTROY: handle ${cq.handle} destroyed after ${destroyed.resp.compEventsReported} completion ` +
    `and ${destroyed.resp.asyncEventsReported} async event(s)`,
);

try {
  await verbs.cqDestroy({ handle: cq.handle });
  throw new Error(`CQ_DESTROY of the destroyed handle ${cq.handle} was accepted`);
} catch (e) {
  if (!(e instanceof UverbsCallError)) throw e;
  console.log(`CQ.CQ_DESTROY again: refused, ${e.message}`);
}

// Closing the uverbs file releases whatever it still owns (here the async event file), as the kernel does on exit.
const closed = await proc.close(fd);
if (closed < 0) throw new Error(`close of the device file failed: ${errnoName(-closed)}`);
console.log('closed the device file; it released the async event file with it');
