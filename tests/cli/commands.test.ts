/**
 * Every command of the real `bin/alphatrader.js` (spawned) against each kind of command-line mistake:
 * --help answers its usage with 0; an unknown option, a missing value, an extra argument or a bad value is
 * one line naming it, then the usage, exit 2, and never a stack trace. The table comes from cli/commands.ts,
 * so a command added there is covered here without a new row.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { CommandSpec } from '../../cli/args.js';
import { COMMANDS } from '../../cli/commands.js';
import { cli } from '../helpers/engine.js';

/** Leaf commands: `sim` and `lobster` are tried through each subcommand. */
const LEAVES: CommandSpec[] = COMMANDS.flatMap((c) => (c.subcommands ? Object.values(c.subcommands) : [c]));

/** One bad value per command (the other arguments valid, so the value is what is wrong). */
const BAD_VALUE: Record<string, { args: string[]; names: RegExp }> = {
  start: { args: ['--duration', 'Infinity'], names: /--duration: expected a number of seconds .*got "Infinity"/ },
  status: { args: ['--watch', '--interval', '0'], names: /--interval: expected a number of seconds/ },
  record: { args: ['f.atrec', '--duration', '-3'], names: /--duration: expected a number of seconds .*got "-3"/ },
  replay: { args: ['f.atrec', '--speed', 'fast'], names: /--speed: expected a positive number, got "fast"/ },
  backtest: { args: ['f.atrec', 'g.atrec'], names: /unexpected argument "g.atrec"/ },
  'lobster book': { args: ['m.csv', 'o.csv', '--levels', '0'], names: /--levels: expected a positive whole number, got "0"/ },
  'lobster trades': { args: ['m.csv', '--date', '5/6/2012'], names: /--date: expected YYYY-MM-DD/ },
  'lobster bench': { args: ['m.csv', 'o.csv', '--repeat', 'many'], names: /--repeat: expected a positive whole number/ },
  discover: { args: ['--interval', '0.5'], names: /--interval: expected a whole number from 1 to 3600, got "0.5"/ },
  orders: { args: ['--all=yes'], names: /--all takes no value/ },
  order: { args: ['buy', 'SPY', '-5'], names: /QTY: expected a positive whole number.*got "-5"/ },
  kill: { args: ['--reason', ''], names: /--reason: expected a non-empty value/ },
  flatten: { args: ['--reason', ' '], names: /--reason: expected a non-empty value/ },
  breaker: { args: ['open', '--reason', 'x'], names: /ACTION: expected trip or approve or reset, got "open"/ },
  escalation: { args: ['open', '--reason', 'x'], names: /ACTION: expected clear, got "open"/ },
  report: { args: ['--date', '2026-12-25'], names: /--date: not a NYSE trading day, got "2026-12-25"/ },
  backup: { args: ['--out', 'package.json'], names: /--out: .*package\.json exists \(a backup is never overwritten\)/ },
  restore: { args: ['package.json'], names: /FILE: .*package\.json is not an RDB file/ },
  calc: { args: ['delta'], names: /KIND: expected greeks or gex or vpin or book, got "delta"/ },
  'sim tws': { args: ['--port', 'abc'], names: /--port: expected a port from 0 to 65535.*got "abc"/ },
  'sim alphavantage': { args: ['--port', '70000'], names: /--port: expected a port from 0 to 65535.*got "70000"/ },
  'cluster start': { args: ['--masters', '2'], names: /--masters: expected a whole number from 3 to 9, got "2"/ },
  'cluster stop': { args: ['--dir', ' '], names: /--dir: expected a non-empty value/ },
};

/** redis-cli hands its arguments to redis-cli: only its --help is ours. */
const PASSTHROUGH = new Set(['redis-cli']);

type Case = { what: string; args: string[]; names: RegExp } | { what: '--help'; args: string[] };

function casesFor(c: CommandSpec): Case[] {
  const words = c.name.split(' ');
  const out: Case[] = [{ what: '--help', args: [...words, '--help'] }];
  if (PASSTHROUGH.has(c.name)) return out;
  out.push({ what: 'unknown option', args: [...words, '--no-such-option'], names: /unknown option --no-such-option$/ });
  const str = Object.entries(c.options).find(([, o]) => o.type === 'string');
  if (str) out.push({ what: 'missing value', args: [...words, `--${str[0]}`], names: new RegExp(`--${str[0]} needs a value`) });
  const max = c.positionals?.max ?? 0;
  const fill = Array.from({ length: max }, (_, i) => `arg${i}`);
  out.push({ what: 'extra argument', args: [...words, ...fill, 'surplus'], names: /unexpected argument "surplus"/ });
  const bad = BAD_VALUE[c.name];
  if (!bad) throw new Error(`no bad-value row for ${c.name}: add one to BAD_VALUE`);
  out.push({ what: 'bad value', args: [...words, ...bad.args], names: bad.names });
  return out;
}

const TABLE = LEAVES.flatMap((c) => casesFor(c).map((k) => ({ command: c.name, ...k })));
type Result = Awaited<ReturnType<typeof cli>>;
const results = new Map<string, Result>();
const key = (args: string[]) => JSON.stringify(args);

// No Redis, no engine: every one of these must be decided by argument parsing alone.
const ENV = { REDIS_URL: 'redis://127.0.0.1:1', ALPHATRADER_LOGGING_PRETTY: 'never' };

beforeAll(async () => {
  // ~70 short node processes; four at a time on this two-core host.
  const queue = [...TABLE.map((t) => t.args), ['--help'], ['no-such-command'], []];
  await Promise.all(Array.from({ length: 4 }, async () => {
    for (let a = queue.shift(); a; a = queue.shift()) results.set(key(a), await cli(a, ENV));
  }));
}, 240_000);

const STACK = /^\s+at .+:\d+:\d+\)?$|TypeError|ERR_PARSE_ARGS/m;

describe('every command × every kind of command-line mistake', () => {
  it('covers every command', () => {
    expect(new Set(TABLE.map((t) => t.command))).toEqual(new Set(LEAVES.map((c) => c.name)));
  });

  for (const t of TABLE) {
    it(`${t.command}: ${t.what} (${t.args.slice(t.command.split(' ').length).join(' ')})`, () => {
      const r = results.get(key(t.args))!;
      const out = `${r.stdout}${r.stderr}`;
      expect(out).not.toMatch(STACK);
      if (!('names' in t)) {
        expect(r.code, out).toBe(0);
        expect(r.stdout).toMatch(new RegExp(`^usage: alphatrader ${t.command}\\b`));
        expect(r.stdout).toMatch(/\noptions:\n(.|\n)*--help/);
        expect(r.stderr).toBe('');
        return;
      }
      expect(r.code, out).toBe(2);
      const lines = r.stderr.split('\n');
      expect(lines[0]).toMatch(new RegExp(`^alphatrader ${t.command}: `));
      expect(lines[0]).toMatch(t.names);
      expect(lines[1]).toMatch(new RegExp(`^usage: alphatrader ${t.command.split(' ')[0]}\\b`));
      expect(r.stdout).toBe('');
    });
  }

  it('the top level: --help lists every command (0), an unknown command or none is a usage error (2)', () => {
    const help = results.get(key(['--help']))!;
    expect(help.code).toBe(0);
    for (const c of COMMANDS) expect(help.stdout).toMatch(new RegExp(`^  ${c.name} `, 'm'));
    const unknown = results.get(key(['no-such-command']))!;
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.split('\n')[0]).toBe('alphatrader: unknown command "no-such-command"');
    expect(results.get(key([]))!.code).toBe(2);
  });
});
