#!/usr/bin/env node
// The installed CLI runs the built JavaScript (dist/). In a checkout, build it first
// (npm run build), or run the sources with: npm run uverbs-abi -- <command>
const entry = new URL('../dist/cli/entry.js', import.meta.url);
try {
  await import(entry.href);
} catch (e) {
  if (e?.code === 'ERR_MODULE_NOT_FOUND' && String(e.message).includes(entry.pathname)) {
    process.stderr.write('uverbs-abi: this copy is not built (dist/cli/entry.js is missing): run `npm run build`, or in a checkout `npm run uverbs-abi -- <command>`\n');
    process.exitCode = 1;
  } else {
    throw e;
  }
}
