/** The command line: help, errors on bad arguments, model --json, decode. */
import { describe, expect, it } from 'vitest';
import { IoctlBuffer } from '../runtime/user/ioctl-buffer.js';
import { MINIMAL, runCli } from './helpers.js';
import { encodeWidgetCreate, encodeWriteAllocPd, encodeWriteDeallocPd, encodeWriteExQueryPds } from './fixtures/minimal-golden/core/index.js';

const hexOf = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

describe('uverbs-abi CLI', () => {
  it('prints usage with --help and for no command', async () => {
    for (const args of [['--help'], []]) {
      const r = await runCli(args);
      expect(r.code).toBe(0);
      expect(r.out).toContain('usage: uverbs-abi <command>');
    }
  });

  it.each(['generate', 'model', 'decode'])('has --help for %s', async (cmd) => {
    const r = await runCli([cmd, '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`usage: uverbs-abi ${cmd}`);
  });

  it.each([
    [['frobnicate'], 'unknown command "frobnicate"'],
    [['generate', '--chekc'], 'unknown option --chekc for "generate"'],
    [['generate', '--spec'], '--spec needs a value'],
    [['generate', 'extra'], 'unexpected argument "extra"'],
    [['model'], 'model needs --json'],
    [['model', '--json', '--driver', 'nope', '--spec', MINIMAL], 'no driver "nope"; the drivers are: core'],
    [['decode'], 'decode needs the buffer as hex'],
    [['decode', 'zz', '--spec', MINIMAL], '"z" at hex digit 1 is not a hex digit'],
    [['decode', 'abc', '--spec', MINIMAL], 'the hex has 3 digits, an odd number'],
    [['decode', '0102', '--spec', MINIMAL], 'the buffer is 2 bytes; an ioctl header (struct ib_uverbs_ioctl_hdr) is 24'],
    [['decode', '00'.repeat(24), '--addr', 'x1', '--spec', MINIMAL], '--addr "x1" is not an address'],
    [['decode', '--write', '03000000', '--spec', MINIMAL], 'the buffer is 4 bytes; a write() command header (struct ib_uverbs_cmd_hdr) is 8'],
    [['decode', '--write', '0200008005000200' + '00'.repeat(8), '--spec', MINIMAL], 'the buffer is 16 bytes; an extended command needs both headers (ib_uverbs_cmd_hdr and ib_uverbs_ex_cmd_hdr), 24'],
    [['decode', '--write=yes', '00'.repeat(8), '--spec', MINIMAL], '--write takes no value'],
  ])('%j fails with exit 2: %s', async (args, message) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it('model --json gives the documented shape', async () => {
    const r = await runCli(['model', '--json', '--spec', MINIMAL]);
    expect(r.code).toBe(0);
    const m = JSON.parse(r.out) as { drivers: { name: string; driverId: number; types: { name: string; id: number; actions: { name: string; id: number; attributes: { name: string; id: number; kind: string; mandatory: boolean }[] }[] }[] }[] };
    const d = m.drivers[0]!;
    expect(d).toMatchObject({ name: 'core', driverId: 0 });
    const widget = d.types.find((t) => t.name === 'WIDGET')!;
    expect(widget.id).toBe(3);
    const attrs = widget.actions[0]!.attributes;
    expect(attrs.find((a) => a.name === 'pd')).toMatchObject({ id: 1, kind: 'idr', mandatory: true, access: 'read', object: 'PD' });
    expect(attrs.find((a) => a.name === 'uhw_in')).toMatchObject({ id: 0x1000, kind: 'ptr_in', isUdata: true, mandatory: false });
  });

  it('decode names the action and every attribute, following pointers inside the buffer', async () => {
    const buf = new IoctlBuffer(512, 0x10000);
    const used = encodeWidgetCreate(buf, { pd: 7, size: 64, shape: { kind: 3, sides: [1, 2, 3], origin: { a: 5, b: 6n } }, flags: 5, mode: 1, peers: [1, 2, 3] });
    const r = await runCli(['decode', hexOf(buf.bytes.subarray(0, used)), '--addr', '0x10000', '--spec', MINIMAL]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('ioctl WIDGET.WIDGET_CREATE (object 3, method 0), driver_id 0 (core)');
    expect(r.out).toContain('handle (0x0) idr len 0, MANDATORY: new WIDGET handle 0');
    expect(r.out).toContain('pd (0x1) idr len 0, MANDATORY: PD handle 7 (read)');
    expect(r.out).toContain('shape (0x5) ptr_in len 24, MANDATORY: { kind: 3, sides: [1, 2, 3], origin: { a: 5, b: 6 } }');
    expect(r.out).toContain('flags (0x6) flags_in len 4, MANDATORY: 0x5 (WIDGET_RED | WIDGET_BIG)');
    expect(r.out).toContain('mode (0x7) const_in len 8, MANDATORY: 1 (WIDGET_MODE_B)');
    expect(r.out).toContain('peers (0x9) idrs_array len 12, MANDATORY: PD handles [1, 2, 3] (read)');
  });

  it('decode --help documents --write', async () => {
    const r = await runCli(['decode', '--help']);
    expect(r.out).toContain('--write           decode a write() buffer');
  });

  it('decode --write names the command and every request field, driver data as hex', async () => {
    const buf = new IoctlBuffer(512, 0x10000);
    const used = encodeWriteAllocPd(buf, {}, { driverIn: Uint8Array.of(1, 2, 3, 4), driverOutLen: 4 });
    const r = await runCli(['decode', '--write', hexOf(buf.bytes.subarray(0, used)), '--spec', MINIMAL]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toBe([
      'write ALLOC_PD (command 3, IB_USER_VERBS_CMD_ALLOC_PD), command word 0x3, core view',
      '  in_words 5 (20 bytes written, header included), out_words 2 (8 bytes of response room)',
      '  request struct ib_uverbs_alloc_pd (8 bytes):',
      '    response: 0x10018 (where the kernel writes the response)',
      '  driver data (4 bytes): 01 02 03 04',
      '',
    ].join('\n'));
    const d = encodeWriteDeallocPd(buf, { pdHandle: 7 });
    expect((await runCli(['decode', '--write', hexOf(buf.bytes.subarray(0, d)), '--spec', MINIMAL])).out).toContain('    pd_handle: PD handle 7 (destroy)');
  });

  it('decode --write shows the extended header, the elements after the struct, and broken fields', async () => {
    const buf = new IoctlBuffer(512, 0x10000);
    const used = encodeWriteExQueryPds(buf, { pdCount: 1 }, { pdHandles: [9], pairs: 1 });
    buf.view.setUint32(20, 1, true); // cmd_hdr_reserved
    const r = await runCli(['decode', '--write', hexOf(buf.bytes.subarray(0, used)), '--spec', MINIMAL]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('write EX_QUERY_PDS (extended command 2, IB_USER_VERBS_EX_CMD_QUERY_PDS), command word 0x80000002');
    expect(r.out).toContain('ex_cmd_hdr: response 0x10028, provider_in_words 0 (0 bytes), provider_out_words 0 (0 bytes), cmd_hdr_reserved 1');
    expect(r.out).toContain('!! cmd_hdr_reserved is not zero (EINVAL)');
    expect(r.out).toContain('    pd_count: 1');
    expect(r.out).toContain('  after the struct (8 bytes, pd_handles[] and what follows): 09 00 00 00 00 00 00 00');
  });

  it('decode --write shows unknown commands, stray bits and a wrong length as such', async () => {
    const r = await runCli(['decode', '--write', '63010000 05000000 aabbccdd', '--spec', MINIMAL]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('write unknown command 99 (0x63) (no such command in the core spec), command word 0x163');
    expect(r.out).toContain('!! bits 0x100 are outside the command byte and the extended flag (the kernel answers EINVAL)');
    expect(r.out).toContain('!! in_words make 20 bytes, the buffer has 12 (a write() of the buffer answers EINVAL)');
    expect(r.out).toContain('body (4 bytes): aa bb cc dd');
    const short = await runCli(['decode', '--write', '03000000 02000000', '--spec', MINIMAL]);
    expect(short.out).toContain('!! the request is 0 bytes, ALLOC_PD needs at least 8 (ENOSPC)');
    expect(short.out).toContain('    response: (not in the buffer)');
  });

  it('decode shows unknown ids and broken fields as such', async () => {
    const buf = new IoctlBuffer(512, 0x10000);
    const used = encodeWidgetCreate(buf, { pd: 7, size: 64 });
    const v = buf.view;
    v.setUint16(24 + 16 * 1, 0x0077, true); // the pd attribute becomes an unknown id
    v.setUint32(20, 9, true); // reserved2
    const r = await runCli(['decode', hexOf(buf.bytes.subarray(0, used)), '--spec', MINIMAL]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('unknown attribute 0x77 (0x77)');
    expect(r.out).toContain('reserved fields are not zero');
  });
});
