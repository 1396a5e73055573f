import { afterEach, describe, expect, it, vi } from 'vitest';
import { HelpRequested, parseCommand, port, positiveWhole, reportUsage, seconds, symbol, UsageError, wholeNumber, type CommandSpec } from '../../cli/args.js';
import { COMMANDS } from '../../cli/commands.js';
import { longTimeout, MAX_TIMER_MS } from '../../cli/longTimeout.js';
import { watchFrame } from '../../cli/status.js';

const SPEC: CommandSpec = {
  name: 'demo',
  usage: ['demo A [B] [--file FILE] [--json]'],
  summary: 'A demo.',
  options: { file: { type: 'string', short: 'f', arg: 'FILE', help: 'a file' }, json: { type: 'boolean', help: 'json' } },
  positionals: { min: 1, max: 2, names: ['A', 'B'] },
};

const usageError = (argv: string[]): string => {
  try {
    parseCommand(SPEC, argv);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    expect((e as UsageError).usage).toMatch(/^usage: alphatrader demo A/);
    return (e as Error).message;
  }
  throw new Error(`no usage error for ${JSON.stringify(argv)}`);
};

describe('parseCommand', () => {
  it('reads options (long, short, inline) and positionals in any order', () => {
    const p = parseCommand(SPEC, ['x', '-f', 'a.yaml', '--json', 'y']);
    expect(p.positionals).toEqual(['x', 'y']);
    expect(p.string('file')).toBe('a.yaml');
    expect(p.flag('json')).toBe(true);
    expect(parseCommand(SPEC, ['--file=-odd-name', 'x']).string('file')).toBe('-odd-name'); // inline: taken as written
  });

  it('names each mistake in one line', () => {
    expect(usageError(['x', '--nope'])).toBe('alphatrader demo: unknown option --nope');
    expect(usageError(['x', '-z'])).toBe('alphatrader demo: unknown option -z');
    expect(usageError(['x', '--file'])).toBe('alphatrader demo: --file needs a value (FILE)');
    expect(usageError(['x', '--file', '--json'])).toBe('alphatrader demo: --file needs a value (FILE)');
    expect(usageError(['x', '--json=yes'])).toBe('alphatrader demo: --json takes no value (got "yes")');
    expect(usageError(['x', '-f', 'a', '-f', 'b'])).toBe('alphatrader demo: -f given twice');
    expect(usageError([])).toBe('alphatrader demo: missing A');
    expect(usageError(['x', 'y', 'z'])).toBe('alphatrader demo: unexpected argument "z" (expected at most A B)');
    for (const m of [usageError(['x', '--nope']), usageError([])]) expect(m).not.toMatch(/\n/);
  });

  it('--help wins over any other mistake on the line, but not after --', () => {
    expect(() => parseCommand(SPEC, ['--nope', '-h'])).toThrow(HelpRequested);
    expect(() => parseCommand(SPEC, ['x', 'y', 'z', '--help'])).toThrow(HelpRequested);
    expect(parseCommand(SPEC, ['x', '--', '--help']).positionals).toEqual(['x', '--help']);
  });

  it('a negative number where a positional goes is a bad value, not an unknown option', () => {
    const p = parseCommand(SPEC, ['x', '-5']);
    expect(p.positionals).toEqual(['x', '-5']);
    expect(() => p.positional(1, positiveWhole())).toThrow('alphatrader demo: B: expected a positive whole number, got "-5"');
    expect(parseCommand(SPEC, ['x', '-5x']).positionals).toEqual(['x', '-5x']);
  });

  it('value checks name the option and echo the value', () => {
    const p = parseCommand(SPEC, ['x', '--file', 'abc']);
    expect(() => p.option('file', port())).toThrow('alphatrader demo: --file: expected a port from 1 to 65535, got "abc"');
    expect(() => parseCommand(SPEC, ['x']).required('file', String)).toThrow('alphatrader demo: --file is required');
    expect(parseCommand(SPEC, ['x']).option('file', port(), 7)).toBe(7);
  });

  it('subcommands parse against their own options', () => {
    const sim = COMMANDS.find((c) => c.name === 'sim')!;
    expect(parseCommand(sim, ['tws', '--eps', '5']).spec.name).toBe('sim tws');
    expect(() => parseCommand(sim, ['alphavantage', '--eps', '5'])).toThrow('alphatrader sim alphavantage: unknown option --eps');
    expect(() => parseCommand(sim, ['ftx'])).toThrow(/unknown subcommand "ftx"/);
    expect(() => parseCommand(sim, ['--help'])).toThrow(HelpRequested);
  });

  it('reportUsage: help on stdout with 0, a mistake on stderr with 2, anything else is not its business', () => {
    const out: string[] = [];
    const err: string[] = [];
    expect(reportUsage(new HelpRequested('usage: x\n'), (t) => out.push(t), (t) => err.push(t))).toBe(0);
    expect(reportUsage(new UsageError('bad', 'usage: x\n'), (t) => out.push(t), (t) => err.push(t))).toBe(2);
    expect(out).toEqual(['usage: x\n']);
    expect(err).toEqual(['bad\nusage: x\n']);
    expect(reportUsage(new Error('bug'), () => {}, () => {})).toBeUndefined();
  });
});

describe('value checks', () => {
  it('whole numbers are plain digits in range', () => {
    const q = positiveWhole();
    expect(q('12')).toBe(12);
    for (const bad of ['0', '-5', '1.5', '1e3', '0x10', '', ' 7', '9007199254740993']) expect(() => q(bad), bad).toThrow(/positive whole number/);
    expect(wholeNumber(-3, 3)('-3')).toBe(-3);
  });

  it('ports: 1-65535, or 0 where it means any free port', () => {
    expect(port()('65535')).toBe(65535);
    expect(() => port()('0')).toThrow(/1 to 65535/);
    expect(port(true)('0')).toBe(0);
    expect(() => port(true)('65536')).toThrow(/0 to 65535/);
  });

  it('durations: finite, > 0, at most the documented maximum', () => {
    const d = seconds();
    expect(d('3000000')).toBe(3_000_000); // past 2^31-1 ms: long timers are re-armed
    expect(d('0.5')).toBe(0.5);
    for (const bad of ['0', '-1', 'Infinity', 'NaN', '', 'abc', String(366 * 86400 + 1)]) expect(() => d(bad), bad).toThrow(/seconds/);
    expect(() => seconds(3600, 0.1)('0.05')).toThrow(/from 0.1 and at most 3600/);
  });

  it('symbols are upper-cased tickers', () => {
    expect(symbol('spy')).toBe('SPY');
    expect(symbol('BRK.B')).toBe('BRK.B');
    for (const bad of ['', '5PY', 'SP Y', 'TOOLONGTICKER']) expect(() => symbol(bad), bad).toThrow(/ticker/);
  });
});

describe('longTimeout', () => {
  afterEach(() => void vi.useRealTimers());

  it('fires after a delay longer than one timer can hold, not at once', () => {
    vi.useFakeTimers();
    const fn = vi.fn();
    longTimeout(fn, 3_000_000 * 1000); // 34.7 days: a plain setTimeout fires this after 1 ms
    vi.advanceTimersByTime(1);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(MAX_TIMER_MS);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(3_000_000 * 1000 - MAX_TIMER_MS - 2);
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('cancel stops it, also between re-arms', () => {
    vi.useFakeTimers();
    const fn = vi.fn();
    const t = longTimeout(fn, MAX_TIMER_MS * 2);
    vi.advanceTimersByTime(MAX_TIMER_MS + 5);
    t.cancel();
    vi.advanceTimersByTime(MAX_TIMER_MS * 2);
    expect(fn).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('status --watch frames', () => {
  const at = new Date('2026-01-02T15:04:05.000Z');
  it('on a terminal: cursor home and clear, then the text (redrawn in place)', () => {
    const f = watchFrame('engine pid 1', true, at, 2000);
    expect(f.startsWith('\x1b[H\x1b[2Jengine pid 1\n')).toBe(true);
    expect(f).toContain('every 2 s, Ctrl-C to stop');
  });
  it('elsewhere: successive time-stamped snapshots, no escape codes; JSON one document a line', () => {
    expect(watchFrame('engine pid 1', false, at, 2000)).toBe('--- 2026-01-02T15:04:05.000Z\nengine pid 1\n');
    expect(watchFrame('{"pid":1}', false, at, 2000)).toBe('{"pid":1}\n');
  });
});
