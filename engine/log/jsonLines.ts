import type { Readable } from 'node:stream';

/**
 * Reads an engine's log output (pino JSON, one object per line) from its stdout and stderr: `onLine` gets
 * every whole line, with its parsed object, or undefined when the line is not JSON (a crash trace, a
 * redis-server line). For whoever runs `alphatrader start` as a child: the tests' EngineProcess, benches.
 */
export function readJsonLines(streams: (Readable | null)[], onLine: (raw: string, obj: Record<string, unknown> | undefined) => void): void {
  for (const s of streams) {
    if (!s) continue;
    let buf = '';
    s.on('data', (d: Buffer) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        let obj: Record<string, unknown> | undefined;
        try {
          obj = JSON.parse(line) as Record<string, unknown>;
        } catch {
          obj = undefined;
        }
        onLine(line, obj);
      }
    });
  }
}
