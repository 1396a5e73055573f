import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { REDACT_PATHS, redactUrl } from '../../engine/log/logger.js';

describe('secrets never reach the log', () => {
  it('pino redacts every secret-bearing field the engine logs', () => {
    const lines: string[] = [];
    const sink = new Writable({ write(c, _e, cb) { lines.push(String(c)); cb(); } });
    const log = pino({ redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, sink);
    log.info({ password: 'p1', redis: { password: 'p2' }, token: 't1', apiKey: 'k1', cfg: { secret: 's1', keyId: 'id1' }, headers: { authorization: 'Bearer x' } }, 'x');
    const out = lines.join('');
    for (const s of ['p1', 'p2', 't1', 'k1', 's1', 'id1', 'Bearer x']) expect(out).not.toContain(s);
    expect(out).toContain('[redacted]');
  });

  it('URLs lose their password and API keys', () => {
    expect(redactUrl('redis://user:hunter2@127.0.0.1:6390')).toBe('redis://user:***@127.0.0.1:6390');
    expect(redactUrl('http://h/query?function=X&apikey=SECRET')).not.toContain('SECRET');
  });
});
