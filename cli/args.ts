/**
 * The one argument parser of every `alphatrader` command: node:util parseArgs (its tokens, non-strict)
 * with our own checks on top, so every mistake — unknown option, missing value, bad value, extra argument —
 * is ONE line naming it, followed by the command's usage, exit status 2, never a stack trace.
 *
 * Non-strict tokens instead of parseArgs' strict mode because strict mode's messages are written for
 * programmers ("To specify a positional argument starting with a '-', place it at the end of the command
 * after '--'…") and it reads `order buy SPY -5` as an unknown option `-5` instead of a bad quantity.
 */
import { parseArgs } from 'node:util';
import { TICKER } from '../engine/config/schema.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** the value's name in the usage, e.g. FILE */
  arg?: string;
  help: string;
}

export interface CommandSpec {
  /** the words after `alphatrader`, e.g. `status` or `sim tws` */
  name: string;
  /** synopsis lines, each without the leading `alphatrader ` */
  usage: string[];
  /** one line: what the command does */
  summary: string;
  /** more, printed after the summary in --help (formats, examples) */
  details?: string;
  options: Record<string, OptionSpec>;
  /** how many positional arguments, and their names for messages (default: none) */
  positionals?: { min: number; max: number; names: string[] };
  /** the command's own subcommands (their options differ): `sim tws`, `lobster book` */
  subcommands?: Record<string, CommandSpec>;
}

/** A mistake on the command line: `message` is the one line, `usage` the command's usage. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(message: string, readonly usage: string) {
    super(message);
  }
}

/** `--help`/`-h` was asked for: print `text` on stdout, exit 0. */
export class HelpRequested extends Error {
  override readonly name = 'HelpRequested';
  constructor(readonly text: string) {
    super('help requested');
  }
}

const HELP: OptionSpec = { type: 'boolean', short: 'h', help: 'this help' };

function optionLabel(name: string, o: OptionSpec): string {
  return `${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ` ${o.arg ?? 'VALUE'}` : ''}`;
}

/** The usage block: synopsis, summary, options (also printed after every usage error). */
export function usageText(spec: CommandSpec): string {
  const lines = spec.usage.map((u, i) => `${i === 0 ? 'usage: ' : '       '}alphatrader ${u}`);
  lines.push('', spec.summary);
  if (spec.details) lines.push('', spec.details);
  const subs = Object.values(spec.subcommands ?? {});
  if (subs.length) {
    lines.push('', 'subcommands (each answers --help):');
    const w = Math.max(...subs.map((s) => s.name.length));
    for (const s of subs) lines.push(`  ${s.name.padEnd(w)}  ${s.summary}`);
  }
  const opts = Object.entries({ ...spec.options, help: HELP });
  const labels = opts.map(([n, o]) => optionLabel(n, o));
  const w = Math.max(...labels.map((l) => l.length));
  lines.push('', 'options:');
  opts.forEach(([, o], i) => lines.push(`  ${labels[i]!.padEnd(w)}  ${o.help}`));
  return `${lines.join('\n')}\n`;
}

/** What the command line said, with value checks that turn a bad value into a UsageError naming it. */
export class Parsed {
  constructor(
    readonly spec: CommandSpec,
    readonly values: Record<string, string | boolean | undefined>,
    readonly positionals: string[],
  ) {}

  fail(message: string): never {
    throw new UsageError(`alphatrader ${this.spec.name}: ${message}`, usageText(this.spec));
  }

  flag(name: string): boolean {
    return this.values[name] === true;
  }

  /** A string option as given (undefined when absent). */
  string(name: string): string | undefined {
    const v = this.values[name];
    return typeof v === 'string' ? v : undefined;
  }

  /** A string option checked by `check` (which throws an Error saying what it expected). */
  option<T>(name: string, check: (raw: string) => T): T | undefined;
  option<T>(name: string, check: (raw: string) => T, fallback: T): T;
  option<T>(name: string, check: (raw: string) => T, fallback?: T): T | undefined {
    const raw = this.string(name);
    if (raw === undefined) return fallback;
    return this.checked(`--${name}`, raw, check);
  }

  /** A required string option. */
  required<T>(name: string, check: (raw: string) => T): T {
    const raw = this.string(name);
    if (raw === undefined) this.fail(`--${name} is required`);
    return this.checked(`--${name}`, raw, check);
  }

  /** The i-th positional, checked; its name comes from the spec. */
  positional<T>(i: number, check: (raw: string) => T): T {
    const name = this.spec.positionals?.names[i] ?? `argument ${i + 1}`;
    const raw = this.positionals[i];
    if (raw === undefined) this.fail(`missing ${name}`);
    return this.checked(name, raw, check);
  }

  private checked<T>(what: string, raw: string, check: (raw: string) => T): T {
    try {
      return check(raw);
    } catch (e) {
      this.fail(`${what}: ${(e as Error).message}, got ${JSON.stringify(raw)}`);
    }
  }
}

/**
 * Parses `argv` against `spec`. Throws HelpRequested for -h/--help (anywhere before `--`), UsageError for an
 * unknown option, a missing value, a value given to a flag, or a wrong number of positional arguments.
 * With subcommands, the first argument picks one and the rest is parsed against it.
 */
export function parseCommand(spec: CommandSpec, argv: string[]): Parsed {
  if (spec.subcommands) {
    const [sub, ...rest] = argv;
    if (sub === '-h' || sub === '--help' || sub === 'help') throw new HelpRequested(usageText(spec));
    const usage = usageText(spec);
    if (sub === undefined) throw new UsageError(`alphatrader ${spec.name}: missing subcommand (${Object.keys(spec.subcommands).join('|')})`, usage);
    const s = Object.hasOwn(spec.subcommands, sub) ? spec.subcommands[sub] : undefined;
    if (!s) throw new UsageError(`alphatrader ${spec.name}: unknown subcommand ${JSON.stringify(sub)} (expected ${Object.keys(spec.subcommands).join('|')})`, usage);
    return parseCommand(s, rest);
  }
  const options = { ...spec.options, help: HELP };
  const parseOpts = Object.fromEntries(Object.entries(options).map(([n, o]) => [n, { type: o.type, ...(o.short ? { short: o.short } : {}) }]));
  const { tokens } = parseArgs({ args: argv, options: parseOpts, strict: false, allowPositionals: true, tokens: true });
  const usage = usageText(spec);
  const fail = (msg: string): never => {
    throw new UsageError(`alphatrader ${spec.name}: ${msg}`, usage);
  };
  // --help wins over any other mistake on the same line: the user asked how to write it.
  let terminated = false;
  for (const t of tokens) {
    if (t.kind === 'option-terminator') terminated = true;
    if (!terminated && t.kind === 'option' && t.name === 'help') throw new HelpRequested(usage);
  }
  const values: Record<string, string | boolean | undefined> = {};
  const positionals: string[] = [];
  const negatives = new Set<number>();
  for (const t of tokens) {
    if (t.kind === 'positional') {
      positionals.push(t.value);
      continue;
    }
    if (t.kind !== 'option') continue;
    const o = Object.hasOwn(options, t.name) ? options[t.name as keyof typeof options] : undefined;
    if (!o) {
      // a negative number where a positional goes is a bad value, not an option: let the value check name it
      if (/^-\d/.test(argv[t.index]!) && spec.positionals) {
        // `-5x` is tokenized as short options -5 and -x: take the word once
        if (!negatives.has(t.index)) positionals.push(argv[t.index]!);
        negatives.add(t.index);
        continue;
      }
      fail(`unknown option ${t.rawName}`);
    }
    if (o!.type === 'boolean') {
      if (t.value !== undefined) fail(`${t.rawName} takes no value (got ${JSON.stringify(t.value)})`);
      values[t.name] = true;
      continue;
    }
    // parseArgs (non-strict) takes the next word even when it is an option: `--config --json` is a missing value
    if (t.value === undefined || (!t.inlineValue && t.value.startsWith('-') && t.value.length > 1 && !/^-\d/.test(t.value))) {
      fail(`${t.rawName} needs a value${o!.arg ? ` (${o!.arg})` : ''}`);
    }
    if (values[t.name] !== undefined) fail(`${t.rawName} given twice`);
    values[t.name] = t.value;
  }
  const p = spec.positionals ?? { min: 0, max: 0, names: [] };
  if (positionals.length > p.max) {
    fail(p.max === 0 ? `unexpected argument ${JSON.stringify(positionals[0])} (this command takes none)` : `unexpected argument ${JSON.stringify(positionals[p.max])} (expected at most ${p.names.slice(0, p.max).join(' ')})`);
  }
  if (positionals.length < p.min) fail(`missing ${p.names.slice(positionals.length, p.min).join(' ')}`);
  return new Parsed(spec, values, positionals);
}

/**
 * Prints a HelpRequested (stdout, 0) or UsageError (one line + usage on stderr, 2) and returns the exit
 * status; anything else is not ours: undefined.
 */
export function reportUsage(e: unknown, out: (s: string) => void, err: (s: string) => void): number | undefined {
  if (e instanceof HelpRequested) {
    out(e.text);
    return 0;
  }
  if (e instanceof UsageError) {
    err(`${e.message}\n${e.usage}`);
    return 2;
  }
  return undefined;
}

// ---- value checks: each returns the value or throws an Error saying what it expected ----

/** A whole number in [min, max] written as plain digits (no 1e3, no 0x10, no 5.0). */
export function wholeNumber(min: number, max: number): (raw: string) => number {
  return (raw) => {
    const n = /^-?\d+$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new Error(`expected a whole number from ${min} to ${max}`);
    return n;
  };
}

/** A positive whole quantity (shares, levels, repeats). */
export const positiveWhole = (max = Number.MAX_SAFE_INTEGER) => {
  const check = wholeNumber(1, max);
  return (raw: string): number => {
    try {
      return check(raw);
    } catch {
      throw new Error(max === Number.MAX_SAFE_INTEGER ? 'expected a positive whole number' : `expected a positive whole number up to ${max}`);
    }
  };
};

/** A TCP port; `allowZero` where 0 means "any free port". */
export function port(allowZero = false): (raw: string) => number {
  const check = wholeNumber(allowZero ? 0 : 1, 65535);
  return (raw) => {
    try {
      return check(raw);
    } catch {
      throw new Error(allowZero ? 'expected a port from 0 to 65535 (0: any free port)' : 'expected a port from 1 to 65535');
    }
  };
}

/**
 * The longest --duration/--interval accepted: 366 days. Timers longer than 2^31-1 ms (~24.8 days) are
 * re-armed (see longTimeout), so this is a sanity bound, not a timer limit.
 */
export const MAX_SECONDS = 366 * 24 * 3600;

/** A number of seconds: finite, > 0 (or at least `min` when given), at most `max`. */
export function seconds(max = MAX_SECONDS, min?: number): (raw: string) => number {
  return (raw) => {
    const n = raw.trim() === '' ? NaN : Number(raw);
    if (!Number.isFinite(n) || n <= 0 || n > max || (min !== undefined && n < min)) {
      throw new Error(`expected a number of seconds ${min === undefined ? '> 0' : `from ${min}`} and at most ${max}`);
    }
    return n;
  };
}

/** A positive finite number (a speed factor, a price). */
export function positiveNumber(raw: string): number {
  const n = raw.trim() === '' ? NaN : Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error('expected a positive number');
  return n;
}

/** An upper-case ticker as the configuration writes them (lower case is accepted and upper-cased). */
export function symbol(raw: string): string {
  const s = raw.toUpperCase();
  if (!TICKER.test(s)) throw new Error('expected a ticker of 1-10 characters (A-Z, 0-9, .), starting with a letter');
  return s;
}

/** One of a fixed set of words. */
export function oneOf<T extends string>(...words: T[]): (raw: string) => T {
  return (raw) => {
    if (!(words as string[]).includes(raw)) throw new Error(`expected ${words.join(' or ')}`);
    return raw as T;
  };
}

/** Any non-empty text (reasons, file names). */
export function text(raw: string): string {
  if (raw.trim() === '') throw new Error('expected a non-empty value');
  return raw;
}
