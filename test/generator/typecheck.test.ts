/**
 * The generated code type-checks under the project's strict settings, for the shipped
 * spec and for the golden fixture (ts-morph drives the TypeScript compiler).
 */
import { describe, expect, it } from 'vitest';
import { Project } from 'ts-morph';

function diagnostics(globs: string[]): string[] {
  const project = new Project({ tsConfigFilePath: 'tsconfig.json', skipAddingFilesFromTsConfig: true });
  project.addSourceFilesAtPaths(globs);
  return project.getPreEmitDiagnostics().map((d) => {
    const file = d.getSourceFile()?.getFilePath() ?? '?';
    const text = d.getMessageText();
    return `${file}:${d.getLineNumber() ?? 0}: ${typeof text === 'string' ? text : text.getMessageText()}`;
  });
}

describe('generated code type-checks', () => {
  it('generated/ (the shipped spec)', () => {
    expect(diagnostics(['generated/**/*.ts'])).toEqual([]);
  });

  it('the golden fixture (every attribute kind)', () => {
    expect(diagnostics(['test/fixtures/minimal-golden/**/*.ts'])).toEqual([]);
  });
});
