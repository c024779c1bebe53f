/**
 * Command-line parsing shared by every entry point (`npm start`, `npm run demo`, `npm run sim`,
 * `npm run bench`): node's own `util.parseArgs` in strict mode, plus `--help`/`-h`.
 * An unknown option, a missing value or a stray positional argument is refused with one line on stderr
 * naming it and pointing at `--help`, exit code 2 (the usual code of a usage error); `--help` prints the
 * usage on stdout and exits 0.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Option definitions as `util.parseArgs` takes them (`--help` is added). */
export type CliOptions = NonNullable<ParseArgsConfig['options']>;

/** Exit code of a usage error (unknown option, bad value). */
export const USAGE_EXIT_CODE = 2;

/**
 * The outcome of {@link parseCli}: the parsed values, or what to print and the exit code.
 * Pure (no I/O), so it is testable; {@link runCli} does the printing and exiting.
 */
export type CliResult<V> = { values: V } | { exit: number; stdout?: string; stderr?: string };

/**
 * Parse `argv` (without node and the script) against `options`.
 * @param name the command as the user types it, e.g. `npm start` or `npm run demo`, used in messages.
 * @param usage the full help text, printed for `--help`.
 * @returns the values, or `{ exit: 0, stdout: usage }` for `--help`, or `{ exit: 2, stderr }` naming the
 *   problem (util.parseArgs' own message, e.g. `Unknown option '--x'`).
 */
export function parseCli<O extends CliOptions>(argv: string[], name: string, usage: string, options: O): CliResult<Record<keyof O | 'help', string | boolean | undefined>> {
  let parsed: { values: Record<string, string | boolean | undefined> };
  try {
    const all: CliOptions = { ...options, help: { type: 'boolean', short: 'h' } };
    parsed = parseArgs({ args: argv, options: all, strict: true, allowPositionals: false }) as typeof parsed;
  } catch (err) {
    // parseArgs' messages end with advice about `--` that does not fit here; keep the first sentence.
    const message = (err as Error).message.split('. ')[0].replace(/\.$/, '');
    return { exit: USAGE_EXIT_CODE, stderr: `${name} --: ${message}. See: ${name} -- --help\n` };
  }
  if (parsed.values.help) return { exit: 0, stdout: usage.endsWith('\n') ? usage : `${usage}\n` };
  return { values: parsed.values as Record<keyof O | 'help', string | boolean | undefined> };
}

/**
 * {@link parseCli}, then print and exit when it says so.
 * @returns the parsed values when the program should go on.
 */
export function runCli<O extends CliOptions>(argv: string[], name: string, usage: string, options: O): Record<keyof O | 'help', string | boolean | undefined> {
  const r = parseCli(argv, name, usage, options);
  if ('values' in r) return r.values;
  if (r.stdout) process.stdout.write(r.stdout);
  if (r.stderr) process.stderr.write(r.stderr);
  process.exit(r.exit);
}
