/** uverbs-abi decode: an ioctl or write() buffer, pretty-printed by the spec. */
import { UsageError } from '../generator/errors.js';
import { decodeIoctl, decodeWrite, loadModel, parseHex } from '../generator/index.js';
import { flag, type Command } from './command.js';

export const decodeCommand: Command = {
  name: 'decode',
  usage: 'decode <hex> [--write]   pretty-print an ioctl buffer (or, with --write, a write() buffer) per the spec',
  help: `usage: uverbs-abi decode <hex> [--write] [--driver <name>] [--addr <user address>] [--spec <folder>]

Decodes an ioctl buffer (struct ib_uverbs_ioctl_hdr and its attributes) given as
hex (spaces and 0x allowed): type, action, and each attribute by name with its
value. Unknown ids are shown as such. Pointers that fall inside the given bytes
are followed when --addr gives the user address of the first byte.

With --write, the bytes are what write() sends to the uverbs fd instead: struct
ib_uverbs_cmd_hdr (and ib_uverbs_ex_cmd_hdr for an extended command), then the
request: the command by name, each request field by name with its value (handles
named as such), bytes after the struct and the driver data as hex. The two
layouts cannot be told apart from their bytes alone, hence the flag.

  --write           decode a write() buffer (default: an ioctl buffer)
  --driver <name>   the driver whose view decodes it (ioctl default: by the header's
                    driver_id; write() buffers carry none, default: core)
  --addr <address>  user address of the buffer's first byte (hex or decimal)
  --spec <folder>   the spec folder (default: the spec this package ships)`,
  bool: ['help', 'write'],
  value: ['spec', 'driver', 'addr'],
  run(p, io) {
    if (p.positional.length === 0) throw new UsageError('decode needs the buffer as hex');
    const bytes = parseHex(p.positional.join(''));
    const addrText = flag(p, 'addr');
    let addr: number | undefined;
    if (addrText !== undefined) {
      addr = Number(addrText);
      if (!Number.isSafeInteger(addr) || addr < 0) throw new UsageError(`--addr "${addrText}" is not an address (give hex like 0x7f0000000000 or decimal)`);
    }
    const m = loadModel(flag(p, 'spec'));
    const driver = flag(p, 'driver');
    const opts = { ...(driver !== undefined ? { driver } : {}), ...(addr !== undefined ? { addr } : {}) };
    io.out((p.flags.has('write') ? decodeWrite(m, bytes, opts) : decodeIoctl(m, bytes, opts)) + '\n');
    return 0;
  },
};
