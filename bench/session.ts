/**
 * What the kernel-side figures run against: the emulated core device opened by a
 * process, a context, and the objects the bench's calls name (a PD, a CQ, an async
 * event file), made through the generated client over the in-process transport.
 */
import { CoreClient, UVERBS_OBJECT } from '../generated/core/index.js';
import type { Device } from '../runtime/kernel/device.js';
import { coreState, createCoreDevice, newPd } from '../runtime/emulated/core/index.js';
import type { UverbsFile } from '../runtime/kernel/uverbs-file.js';
import { IoctlBuffer } from '../runtime/user/ioctl-buffer.js';
import { Process } from '../runtime/process/process.js';
import { inProcess } from '../runtime/process/in-process.js';
import { uverbsFileAt } from '../runtime/kernel/char-device.js';

export interface Session {
  readonly process: Process;
  readonly device: Device;
  readonly fd: number;
  readonly file: UverbsFile;
  readonly client: CoreClient;
  readonly pd: number;
  readonly cq: number;
  readonly eventFd: number;
}

export async function openSession(device: Device = createCoreDevice()): Promise<Session> {
  const process = new Process();
  const fd = process.open(device);
  if (fd < 0) throw new Error(`open failed: ${-fd}`);
  const file = uverbsFileAt(process, fd)!;
  const client = new CoreClient(inProcess(process), fd);
  await client.getContext();
  // PDs are made by the write() command ALLOC_PD, which the ioctl ABI has no action for.
  const pd = file.create(device.type(UVERBS_OBJECT.PD)!, newPd(coreState(device))).id;
  const { fdHandle: eventFd } = await client.asyncEventAlloc();
  const { handle: cq } = await client.cqCreate({ cqe: 64, userHandle: 1, compVector: 0 });
  return { process, device, fd, file, client, pd, cq, eventFd };
}

/** A buffer in the process's memory, for requests the bench sends as they are. */
export function mappedBuffer(s: Session, size = 4096): IoctlBuffer {
  const m = s.process.memory.map(size);
  const buf = new IoctlBuffer(size, m.addr, m.bytes);
  buf.memory = s.process.memory;
  return buf;
}
