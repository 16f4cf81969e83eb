/**
 * The acme driver's generated client against its emulated device: a doorbell page of
 * the driver's own type, a core CQ created with the attribute acme adds to
 * CQ_CREATE, a refusal the kernel gives for a bad handle, and a clean close.
 */
import { UverbsCallError, inProcess } from 'uverbs-abi';
import { Process } from 'uverbs-abi/kernel';
import { AcmeClient } from './generated/acme/index.js';
import { createAcmeDevice } from './device.js';

const proc = new Process();
const fd = proc.open(createAcmeDevice());
const acme = new AcmeClient(inProcess(proc), fd);

await acme.getContext();
const db = await acme.doorbellAlloc();
console.log(`ACME_DOORBELL.DOORBELL_ALLOC: handle ${db.handle}, mmap offset ${db.mmapOffset}`);

const cq = await acme.cqCreate({ cqe: 16, userHandle: 1n, compVector: 0, doorbell: db.handle });
console.log(`CQ.CQ_CREATE with doorbell ${db.handle}: handle ${cq.handle}`);

try {
  await acme.cqCreate({ cqe: 16, userHandle: 2n, compVector: 0, doorbell: db.handle + 100 });
  throw new Error('a CQ on a doorbell that does not exist was created');
} catch (e) {
  if (!(e instanceof UverbsCallError)) throw e;
  console.log(`CQ.CQ_CREATE with doorbell ${db.handle + 100}: refused, ${e.message}`);
}

await acme.cqDestroy({ handle: cq.handle });
await acme.doorbellDestroy({ handle: db.handle });
console.log(`close: ${await proc.close(fd)}`);
