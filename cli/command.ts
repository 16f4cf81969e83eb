/** What every CLI command is: its flags, its help, and how it runs on parsed arguments. */

/** The command line after parsing: positional arguments and flags by name (a boolean flag is `true`). */
export interface Parsed {
  command: string;
  positional: string[];
  flags: Map<string, string | true>;
}

/** Where a command writes: its output and its diagnostics. */
export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

export interface Command {
  name: string;
  /** One line for the usage: the synopsis and what it does. */
  usage: string;
  /** The whole help of `uverbs-abi <command> --help`. */
  help: string;
  /** Flags that take no value. */
  bool: readonly string[];
  /** Flags that take a value. */
  value: readonly string[];
  /** Runs the command; returns the exit status. Throws UsageError for a bad command line, SpecError for a bad spec. */
  run(p: Parsed, io: Io): number | Promise<number>;
}

/** A flag's value, or `fallback` when it was not given. */
export function flag(p: Parsed, name: string): string | undefined {
  const v = p.flags.get(name);
  return typeof v === 'string' ? v : undefined;
}
