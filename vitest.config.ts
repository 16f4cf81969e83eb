import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The package imports itself by name (generated code imports uverbs-abi/codegen); Vite
// does not resolve a package's own name, so each entry point maps to its source, as the
// "uverbs-abi-source" condition does for tsc and tsx.
const pkg = JSON.parse(readFileSync(new URL('package.json', import.meta.url), 'utf8')) as {
  exports: Record<string, string | Record<string, string>>;
};
const alias = Object.entries(pkg.exports).flatMap(([key, target]) =>
  typeof target === 'object' && target['uverbs-abi-source']
    ? [{ find: new RegExp(`^uverbs-abi${key.slice(1).replace(/[/]/g, '\\/')}$`), replacement: fileURLToPath(new URL(target['uverbs-abi-source'], import.meta.url)) }]
    : [],
);

export default defineConfig({
  resolve: { alias },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
  },
});
