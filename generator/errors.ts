/**
 * Errors in a spec: each names the file, the place in it (a JSON pointer), what is
 * wrong and what to do. The CLI prints them and exits non-zero; nothing is written.
 */
export interface SpecProblem {
  /** Path of the spec file, relative to the working directory. */
  file: string;
  /** RFC 6901 JSON pointer into the file ("" is the whole file). */
  pointer: string;
  /** What is wrong. */
  message: string;
  /** What to do about it. */
  hint: string;
}

export class SpecError extends Error {
  readonly problems: readonly SpecProblem[];

  constructor(problems: readonly SpecProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'SpecError';
    this.problems = problems;
  }
}

export function formatProblem(p: SpecProblem): string {
  const where = p.pointer === '' ? p.file : `${p.file}#${p.pointer}`;
  return `${where}: ${p.message}\n  fix: ${p.hint}`;
}

/** Collects problems so that one run reports all of them, not just the first. */
export class Problems {
  private readonly list: SpecProblem[] = [];

  add(file: string, pointer: string, message: string, hint: string): void {
    this.list.push({ file, pointer, message, hint });
  }

  get count(): number {
    return this.list.length;
  }

  /** Throws a SpecError if anything was reported. */
  throwIfAny(): void {
    if (this.list.length > 0) throw new SpecError(this.list);
  }
}

/** Appends tokens to a JSON pointer, escaping per RFC 6901. */
export function pointer(base: string, ...tokens: (string | number)[]): string {
  let out = base;
  for (const t of tokens) out += '/' + String(t).replace(/~/g, '~0').replace(/\//g, '~1');
  return out;
}

/** A bad command-line argument or input (exit 2): what is wrong and what to do, in one message. */
export class UsageError extends Error {}
