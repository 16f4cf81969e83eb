/**
 * An emulated acme device: every core action as the package's emulated core device
 * runs it, plus the handlers of what the acme spec adds (its doorbell type). The
 * kernel checks each call against the generated tables before a handler runs, so a
 * handler only does the work: CQ_CREATE's doorbell handle is looked up and locked
 * for reading by the kernel, and the core handler ignores what it does not know.
 */
import { registerDevice, type Bundle, type Device, type TypeOps } from 'uverbs-abi/kernel';
import { CoreState, coreOps, releasedByHook, resolveCaps } from 'uverbs-abi/emulated';
import { UVERBS_ATTRS_DOORBELL_ALLOC, uapi } from './generated/acme/index.js';

const PAGE_SIZE = 4096n;

/** What the device keeps for a doorbell page. */
interface Doorbell {
  page: number;
}

export function createAcmeDevice(): Device {
  const state = new CoreState(resolveCaps({}));
  const core = coreOps(state);
  let nextPage = 0;
  const free: number[] = [];
  const doorbell: TypeOps = {
    release(u) {
      free.push((u.object as Doorbell).page);
    },
  };
  const handlers = {
    ...core.handlers,
    acmeDoorbellAlloc(b: Bundle): void {
      const A = UVERBS_ATTRS_DOORBELL_ALLOC;
      const db: Doorbell = { page: free.pop() ?? nextPage++ };
      b.uobject(A.handle).object = db;
      b.outputU64(A.mmap_offset, BigInt(db.page) * PAGE_SIZE);
    },
    // The kernel ran the type's release hook before the handler: nothing is left to do.
    acmeDoorbellDestroy: releasedByHook,
  };
  return registerDevice(uapi, { handlers, types: { ...core.types, ACME_DOORBELL: doorbell }, writeHandlers: core.writeHandlers }, state);
}
