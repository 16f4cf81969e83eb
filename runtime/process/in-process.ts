/** The embedded transport: a client talking to the in-process kernel through a simulated process. */
import type { Transport } from '../user/transport.js';
import type { Process } from './process.js';

/** The embedded default: the emulated kernel of `process`, its address space and fd table. */
export function inProcess(process: Process): Transport {
  return {
    memory: process.memory,
    ioctl: (fd, request, arg) => process.ioctl(fd, request, arg),
    write: (fd, addr, count) => process.write(fd, addr, count),
  };
}
