import { join } from 'node:path';
import { NYSE, parseDate } from '../analytics/calendar.js';
import { ReportStore } from '../actors/execution/report/ReportStore.js';
import { reportMarkdown } from '../actors/execution/report/render.js';
import { dataDir } from '../engine/redis/RedisLauncher.js';
import { parseCommand } from './args.js';
import { REPORT } from './commands.js';
import { connectEngine } from './operate.js';

/** A NYSE trading day written YYYY-MM-DD. */
function tradingDate(raw: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(raw)) throw new Error('expected a date YYYY-MM-DD');
  parseDate(raw);
  if (!NYSE.isTradingDay(raw)) throw new Error('not a NYSE trading day');
  return raw;
}

/**
 * `alphatrader report [--date D] [--regenerate] [--json]`: prints a session's stored report; one that is
 * missing (or `--regenerate`) is built from the order journal and stored again (files and Redis). Exit 0
 * printed, 1 nothing to report (no stored report and no executions that day), 2 bad arguments, 3 no Redis.
 */
export async function runReport(argv: string[]): Promise<number> {
  const args = parseCommand(REPORT, argv);
  const asked = args.option('date', tradingDate);
  const regenerate = args.flag('regenerate');
  const c = await connectEngine(args.string('config'));
  if (typeof c === 'number') return c;
  try {
    const store = new ReportStore(c.redis, c.config, NYSE, join(dataDir(c.config), 'reports'));
    let date: string | undefined = asked ?? (await store.recent(1))[0]?.date;
    const ledger = regenerate || !date ? await store.ledger() : undefined;
    date ??= ledger ? ReportStore.sessions(ledger).at(-1) : undefined;
    if (!date) {
      console.error('no report stored and no executions in the order journal');
      return 1;
    }
    let report = regenerate ? null : await store.load(date);
    let note = `stored report for ${date}`;
    if (!report) {
      const l = ledger ?? (await store.ledger());
      if (!regenerate && !ReportStore.sessions(l).includes(date)) {
        console.error(`no report for ${date} and no executions of that session in the order journal`);
        return 1;
      }
      report = await store.generate(date, { ledger: l });
      note = `report for ${date} rebuilt from the order journal`;
    }
    process.stdout.write(args.flag('json') ? `${JSON.stringify(report, null, 2)}\n` : reportMarkdown(report));
    console.error(`${note}: ${join(store.dir, date)}/ (report.md, report.json, blotter.csv, equity.svg), reports:daily:${date}`);
    return 0;
  } finally {
    c.redis.disconnect();
  }
}
