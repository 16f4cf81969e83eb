/**
 * The write() ABI in the core spec: `uverbs-abi model --json` lists every command that
 * rdma-core's kernel-headers/rdma/ib_user_verbs.h numbers (IB_USER_VERBS_CMD_* and the
 * extended IB_USER_VERBS_EX_CMD_*) under the same C name and number. The fixture holds
 * those names and numbers (facts of the ABI, printed by a C program built against the
 * header). Struct sizes and the extended commands' minimum lengths are checked against
 * values worked out by hand from the header.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MINIMAL, runCli, specCopy, tempDir } from '../helpers.js';

interface Fixture { commands: Record<string, number>; extendedCommands: Record<string, number> }
interface Field { name: string; type: string; offset: number; size: number }
interface Struct { name: string; size: number; align: number; union: boolean; fields: Field[] }
interface WriteCommand {
  name: string; cName: string; command: number; extended: boolean; request: string; requestMinLen: number;
  response?: string; responseMinLen: number; creates?: string; destroys?: string; driverData: boolean; handler?: string; notImplemented?: true;
}
interface ModelJson { drivers: { name: string; writeCommands: WriteCommand[]; structs: Struct[] }[] }

const header = JSON.parse(readFileSync('test/fixtures/ib_user_verbs.commands.json', 'utf8')) as Fixture;

async function coreModel(): Promise<ModelJson['drivers'][number]> {
  const r = await runCli(['model', '--json', '--driver', 'core']);
  expect(r.code).toBe(0);
  return (JSON.parse(r.out) as ModelJson).drivers[0]!;
}

describe('the core spec covers ib_user_verbs.h', async () => {
  const core = await coreModel();
  const byCName = new Map(core.writeCommands.map((w) => [w.cName, w]));
  const struct = (name: string): Struct => core.structs.find((s) => s.name === name)!;

  it('every IB_USER_VERBS_CMD_* command, with its number (41 of them)', () => {
    expect(Object.keys(header.commands)).toHaveLength(41);
    for (const [name, number] of Object.entries(header.commands)) {
      expect([name, byCName.get(name)?.command, byCName.get(name)?.extended]).toEqual([name, number, false]);
    }
  });

  it('every IB_USER_VERBS_EX_CMD_* command, with its number (12 of them)', () => {
    expect(Object.keys(header.extendedCommands)).toHaveLength(12);
    for (const [name, number] of Object.entries(header.extendedCommands)) {
      expect([name, byCName.get(name)?.command, byCName.get(name)?.extended]).toEqual([name, number, true]);
    }
  });

  it('nothing the header does not number, and no number twice on the same path', () => {
    const known = new Set([...Object.keys(header.commands), ...Object.keys(header.extendedCommands)]);
    expect(core.writeCommands.map((w) => w.cName).filter((n) => !known.has(n))).toEqual([]);
    expect(core.writeCommands).toHaveLength(known.size);
    const slots = core.writeCommands.map((w) => `${w.extended ? 'ex' : 'plain'}:${w.command}`);
    expect(new Set(slots).size).toBe(slots.length);
    expect(new Set(core.writeCommands.map((w) => w.name)).size).toBe(slots.length);
    const implemented = core.writeCommands.filter((w) => w.handler !== undefined);
    expect(new Set(implemented.map((w) => w.handler)).size).toBe(implemented.length);
  });

  it('names and handlers follow the C names', () => {
    for (const w of core.writeCommands) {
      expect(w.cName).toBe(w.extended ? `IB_USER_VERBS_EX_CMD_${w.name.replace(/^EX_/, '')}` : `IB_USER_VERBS_CMD_${w.name}`);
      if (w.notImplemented) expect(w.handler).toBeUndefined();
      else expect(w.handler).toMatch(/^write[A-Z][A-Za-z0-9]*$/);
    }
    // Numbered by the header, implemented by no Linux kernel: no handler, EOPNOTSUPP.
    expect(core.writeCommands.filter((w) => w.notImplemented).map((w) => w.name).sort()).toEqual(['BIND_MW', 'MODIFY_AH', 'PEEK_CQ', 'QUERY_AH', 'QUERY_MR', 'REG_SMR']);
    expect(byCName.get('IB_USER_VERBS_CMD_ALLOC_PD')!.handler).toBe('writeAllocPd');
    expect(byCName.get('IB_USER_VERBS_EX_CMD_CREATE_CQ')!.handler).toBe('writeExCreateCq');
  });

  it('a command that creates an object returns its handle; one that destroys takes it', () => {
    // The model JSON does not carry field handles, so read them from the spec files.
    type Handle = { object: string; access: string };
    type SpecStruct = { name: string; fields: { name: string; type: string; handle?: Handle }[] };
    const spec = new Map<string, SpecStruct>();
    for (const f of readdirSync('spec/core').filter((n) => n.endsWith('.json'))) {
      const j = JSON.parse(readFileSync(join('spec/core', f), 'utf8')) as { structs?: SpecStruct[] };
      for (const s of j.structs ?? []) spec.set(s.name, s);
    }
    // Handles of a struct and of the structs it embeds (an extended response embeds the plain one as `base`).
    const handles = (name: string, access: string): string[] => spec.get(name)!.fields.flatMap((f) => {
      const inner = /^struct (\w+)$/.exec(f.type);
      if (inner) return handles(inner[1]!, access);
      return f.handle?.access === access ? [f.handle.object] : [];
    });
    for (const w of core.writeCommands) {
      if (w.creates !== undefined) expect([w.name, handles(w.response!, 'new')]).toEqual([w.name, [w.creates]]);
      else if (w.response !== undefined) expect([w.name, handles(w.response, 'new')]).toEqual([w.name, []]);
      if (w.destroys !== undefined) expect([w.name, handles(w.request, 'destroy')]).toEqual([w.name, [w.destroys]]);
      else expect([w.name, handles(w.request, 'destroy')]).toEqual([w.name, []]);
    }
    expect(core.writeCommands.filter((w) => w.creates !== undefined)).toHaveLength(17);
    expect(core.writeCommands.filter((w) => w.destroys !== undefined)).toHaveLength(11);
  });

  it('driver data on the plain commands the kernel declares with UAPI_DEF_WRITE_UDATA_*', () => {
    const udata = core.writeCommands.filter((w) => !w.extended && w.driverData).map((w) => w.name).sort();
    expect(udata).toEqual([
      'ALLOC_MW', 'ALLOC_PD', 'CREATE_AH', 'CREATE_CQ', 'CREATE_QP', 'CREATE_SRQ', 'CREATE_XSRQ', 'GET_CONTEXT',
      'MODIFY_SRQ', 'OPEN_QP', 'OPEN_XRCD', 'REG_MR', 'REREG_MR', 'RESIZE_CQ',
    ]);
  });

  it('the wire headers and a few structs have their C sizes', () => {
    const sizes: [string, number][] = [
      ['ib_uverbs_cmd_hdr', 8], // u32 + 2 * u16
      ['ib_uverbs_ex_cmd_hdr', 16], // u64 + 2 * u16 + u32
      ['ib_uverbs_create_qp', 56], // 2 * u64, 9 * u32, 4 * u8; driver_data[] adds nothing
      ['ib_uverbs_qp_dest', 32], // u8[16], u32, 2 * u16, 8 * u8
      ['ib_uverbs_modify_qp', 112], // 2 * qp_dest, 7 * u32, 2 * u16, 14 * u8, u8[2]
      ['ib_uverbs_ex_modify_qp', 120], // modify_qp + 2 * u32
      ['ib_uverbs_query_device_resp', 176], // 5 * u64, 32 * u32, u16, 2 * u8, u8[4]
      ['ib_uverbs_ex_query_device_resp', 304],
      ['ib_uverbs_wc', 48],
      ['ib_uverbs_send_wr', 56], // 24 bytes, then the 32-byte union wr at 24
      ['ib_uverbs_create_ah', 56], // 24 bytes, then ah_attr (32)
      ['ib_uverbs_flow_spec_ipv6', 88], // 8-byte header + 2 * 40-byte filters
      ['ib_uverbs_create_flow', 24], // 2 * u32 + flow_attr (16, flow_specs[] adds nothing)
      ['ib_uverbs_alloc_pd_resp', 4], // u32 + u32[]
      ['ib_uverbs_get_context_resp', 8],
      ['ib_uverbs_query_port', 16], // u64, u8, u8[7]; driver_data[] at 16
      ['ib_uverbs_poll_cq_resp', 8],
    ];
    for (const [name, size] of sizes) expect([name, struct(name)?.size]).toEqual([name, size]);
    expect(struct('ib_uverbs_send_wr').fields.find((f) => f.name === 'wr')!.offset).toBe(24);
    expect(struct('ib_uverbs_ex_query_device_resp').fields.find((f) => f.name === 'odp_caps')!.offset).toBe(184);
    expect(struct('ib_uverbs_send_wr_wr').union).toBe(true);
  });

  it('extended commands carry the kernel\'s minimum sizes (UAPI_DEF_WRITE_IO_EX)', () => {
    const min = (name: string): [number, number] => {
      const w = core.writeCommands.find((x) => x.name === name)!;
      return [w.requestMinLen, w.responseMinLen];
    };
    expect(min('EX_QUERY_DEVICE')).toEqual([8, 184]); // ..reserved, ..response_length
    expect(min('EX_CREATE_CQ')).toEqual([32, 16]);
    expect(min('EX_CREATE_QP')).toEqual([52, 40]); // ..comp_mask of 64 bytes
    expect(min('EX_MODIFY_QP')).toEqual([112, 8]); // ..base of 120 bytes
    expect(min('EX_CREATE_FLOW')).toEqual([24, 8]);
    expect(min('EX_CREATE_WQ')).toEqual([32, 24]); // ..max_sge of 40 bytes
    expect(min('EX_MODIFY_WQ')).toEqual([16, 0]); // ..curr_wq_state of 24 bytes, no response
    expect(min('EX_DESTROY_WQ')).toEqual([8, 16]);
    expect(min('EX_CREATE_RWQ_IND_TBL')).toEqual([8, 16]);
    expect(min('EX_MODIFY_CQ')).toEqual([16, 0]); // UAPI_DEF_WRITE_I: the whole struct
    // plain commands: sizeof the request and response
    expect(min('QUERY_PORT')).toEqual([16, 40]);
    expect(min('DEALLOC_PD')).toEqual([4, 0]);
    expect(min('MODIFY_AH')).toEqual([0, 0]); // not implemented: the kernel's notsupp method
  });
});

describe('requestLast and responseLast in a bad spec', () => {
  const withCommand = (cmd: Record<string, unknown>): string => specCopy(MINIMAL, (f) => {
    f.get('core/types.json')!.writeCommands = [{
      name: 'PING', cName: 'IB_USER_VERBS_CMD_PING', command: 0, extended: true, doc: 'A test command.', handler: 'writePing',
      request: 'pair', ...cmd,
    }];
  });

  it('a field the struct does not have is reported like an attribute\'s "last"', async () => {
    const spec = withCommand({ requestLast: 'c' });
    const r = await runCli(['generate', '--spec', spec, '--out', join(tempDir(), 'generated')]);
    expect(r.code).toBe(1);
    expect(r.err.split(spec + '/').join('')).toContain('core/types.json#/writeCommands/0/requestLast: struct pair has no field "c"');
  });

  it('responseLast without a response is reported', async () => {
    const spec = withCommand({ responseLast: 'a' });
    const r = await runCli(['generate', '--spec', spec, '--out', join(tempDir(), 'generated')]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('"responseLast" needs a response, but command PING has none');
  });

  it('a good one sets the minimum lengths', async () => {
    const spec = withCommand({ requestLast: 'a', response: 'shape', responseLast: 'sides' });
    const r = await runCli(['model', '--json', '--spec', spec]);
    const w = (JSON.parse(r.out) as ModelJson).drivers[0]!.writeCommands[0]!;
    expect([w.requestMinLen, w.responseMinLen]).toEqual([4, 8]);
  });
});
