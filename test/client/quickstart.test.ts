/** The quickstart example runs as `npm run example` runs it, and does what it prints. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('examples/quickstart.ts', () => {
  it('runs to the end against the emulated core device', async () => {
    const { stdout, stderr } = await run(process.execPath, ['--conditions=uverbs-abi-source', '--import', 'tsx', 'examples/quickstart.ts']);
    expect(stderr).toBe('');
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^opened the emulated core device as fd \d+$/);
    expect(stdout).toMatch(/^DEVICE\.GET_CONTEXT: \d+ completion vector\(s\)$/m);
    expect(stdout).toMatch(/^DEVICE\.QUERY_PORT 1: /m);
    const cqe = /^CQ\.CQ_CREATE: handle \d+, asked for 100 entries, the device gave (\d+)$/m.exec(stdout);
    expect(Number(cqe?.[1])).toBeGreaterThanOrEqual(100);
    expect(stdout).toMatch(/^CQ\.CQ_CREATE on completion vector \d+: refused, CQ\.CQ_CREATE failed: EINVAL \(22\)$/m);
    expect(stdout).toMatch(/^COUNTERS\.COUNTERS_CREATE: handle (\d+)\nCOUNTERS\.COUNTERS_DESTROY: handle \1 destroyed$/m);
    expect(stdout).toMatch(/^CQ\.CQ_DESTROY: handle \d+ destroyed after \d+ completion and \d+ async event\(s\)$/m);
    expect(stdout).toMatch(/^CQ\.CQ_DESTROY again: refused, CQ\.CQ_DESTROY failed: ENOENT \(2\)$/m);
    expect(lines.at(-1)).toBe('closed the device file; it released the async event file with it');
  });
});
