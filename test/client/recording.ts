/**
 * The in-process transport with a record of what the client did with it: which
 * buffers are mapped, which calls are in flight on which buffer, and every request as
 * the kernel saw it when the ioctl started.
 */
import type { Device } from '../../runtime/kernel/device.js';
import { Process } from '../../runtime/process/process.js';
import { expect } from 'vitest';
import { UverbsCallError, type Transport } from '../../runtime/user/transport.js';
import { inProcess } from '../../runtime/process/in-process.js';
import { uverbsFileAt } from '../../runtime/kernel/char-device.js';

export interface Recorder {
  readonly transport: Transport;
  readonly process: Process;
  readonly fd: number;
  /** Mapped and not yet unmapped, by address. */
  readonly mapped: Map<number, Uint8Array>;
  /** How many maps the client asked for in all. */
  maps: number;
  /** Buffer addresses of calls now inside ioctl. */
  readonly inFlight: Set<number>;
  /** Addresses a call was started on while another call was still using them. */
  readonly shared: number[];
  /** The most calls inside ioctl at once. */
  maxInFlight: number;
  /** A copy of the first bytes of each request, taken as the ioctl starts. */
  readonly requests: Uint8Array[];
}

/** Opens `device` in a fresh process, gives the file a context, and records the transport's use. */
export function recorder(device: Device): Recorder {
  const process = new Process();
  const fd = process.open(device);
  uverbsFileAt(process, fd)!.context = {};
  const inner = inProcess(process);
  const r: Recorder = {
    process,
    fd,
    mapped: new Map(),
    maps: 0,
    inFlight: new Set(),
    shared: [],
    maxInFlight: 0,
    requests: [],
    transport: {
      memory: {
        map(len) {
          const m = inner.memory.map(len);
          r.mapped.set(m.addr, m.bytes);
          r.maps++;
          return m;
        },
        unmap(addr) {
          r.mapped.delete(addr);
          inner.memory.unmap(addr);
        },
        view: (addr, len) => inner.memory.view(addr, len),
      },
      async ioctl(fd, request, arg) {
        if (r.inFlight.has(arg)) r.shared.push(arg);
        r.inFlight.add(arg);
        r.maxInFlight = Math.max(r.maxInFlight, r.inFlight.size);
        const bytes = r.mapped.get(arg);
        if (bytes) r.requests.push(bytes.slice(0, 512));
        try {
          return await inner.ioctl(fd, request, arg);
        } finally {
          r.inFlight.delete(arg);
        }
      },
      write: (fd, addr, count) => inner.write(fd, addr, count),
    },
  };
  return r;
}

/** The error a call rejected with, which must be a UverbsCallError. */
export async function callError(p: Promise<unknown>): Promise<UverbsCallError> {
  const e: unknown = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(UverbsCallError);
  return e as UverbsCallError;
}
