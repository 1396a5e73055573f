import { createServer, type Server, type Socket } from 'node:net';

/**
 * A fake TWS gateway for hostile-input tests and the `hostile` bench: speaks just enough of the v100+
 * handshake for @stoqey/ib (server version, managed accounts, nextValidId), then streams well-formed depth
 * and trades for the configured symbols (request ids as TwsSource derives them: base + symbol index) and,
 * on request, sends one of the attacks a broken or hostile venue can send. It reads the client's requests
 * only to count them (a 1101 storm must not multiply them).
 */

export type Attack =
  | 'bigFrame' // a 10 MB frame
  | 'hugeLength' // a length prefix of 0x80000000
  | 'bigMarketMaker' // a depth update whose market maker is 1 MB
  | 'bigError' // an error message of 1 MB
  | 'hugeTrade' // a trade of size 1e300
  | 'nanPrice' // a trade at price Infinity
  | 'truncated' // a frame that declares more bytes than it has (the stream desynchronises)
  | 'noNul' // frames without their NUL terminator
  | 'manyFields' // 300k empty fields in one frame
  | 'storm1101'; // 2000 "connectivity restored, data lost" notices

export const SERVER_VERSION = 193;

export function twsFrame(fields: (string | number)[]): Buffer {
  const body = Buffer.from(fields.map((f) => `${f}\0`).join(''), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

function lengthOnly(len: number, body: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(len >>> 0);
  return Buffer.concat([head, body]);
}

export function attackBytes(kind: Attack): Buffer {
  switch (kind) {
    case 'bigFrame': {
      const body = Buffer.alloc(10 * 1024 * 1024, 0x41);
      body[body.length - 1] = 0;
      return lengthOnly(body.length, body);
    }
    case 'hugeLength':
      return lengthOnly(0x80000000, Buffer.from('13\x00'));
    case 'bigMarketMaker':
      return twsFrame([13, 1, 10_000, 0, 'M'.repeat(1_000_000), 1, 1, '590.10', 100, 1]);
    case 'bigError':
      return twsFrame([4, 2, 1, 321, 'E'.repeat(1_000_000), '']);
    case 'hugeTrade':
      return twsFrame([99, 20_000, 2, Math.floor(Date.now() / 1000), '590.00', '1e300', 0, 'ARCA', '']);
    case 'nanPrice':
      return twsFrame([99, 20_000, 2, Math.floor(Date.now() / 1000), 'Infinity', '100', 0, 'ARCA', '']);
    case 'truncated': {
      const whole = twsFrame([13, 1, 10_000, 0, 'NSDQ', 1, 1, '590.05', 10, 1]);
      const cut = Buffer.from(whole.subarray(0, 20));
      return cut; // declares the full length, carries 16 bytes of it: what follows is read as its rest
    }
    case 'noNul':
      return Buffer.concat(Array.from({ length: 5 }, () => lengthOnly(8, Buffer.from('13\x001\x00abc'))));
    case 'manyFields':
      return twsFrame([13, ...Array.from({ length: 300_000 }, () => '')]);
    case 'storm1101':
      return Buffer.concat(Array.from({ length: 2000 }, () => twsFrame([4, 2, -1, 1101, 'Connectivity between IB and TWS has been restored - data lost.', ''])));
  }
}

export interface GatewayOptions {
  symbols: { symbol: string; level2: boolean; basePrice: number }[];
  /** Data frames per symbol per tick; one tick every tickMs. */
  tickMs?: number;
  /** Accept connections but never answer (handshake timeout). */
  silent?: boolean;
}

export class HostileGateway {
  private readonly server: Server;
  private readonly live = new Set<Socket>();
  private timer?: NodeJS.Timeout;
  private seq = 0;
  connections = 0;
  /** Client requests seen, by outgoing message id (10 = reqMktDepth, 97 = reqTickByTickData, ...). */
  readonly requests = new Map<number, number>();

  constructor(private readonly opts: GatewayOptions) {
    this.server = createServer((s) => this.accept(s));
  }

  async listen(port = 0): Promise<number> {
    await new Promise<void>((r) => this.server.listen(port, '127.0.0.1', () => r()));
    const tickMs = this.opts.tickMs ?? 20;
    this.timer = setInterval(() => this.tick(), tickMs);
    return (this.server.address() as { port: number }).port;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    for (const s of this.live) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  requestCount(id: number): number {
    return this.requests.get(id) ?? 0;
  }

  /** Sends one attack on every live session. */
  attack(kind: Attack): void {
    const bytes = attackBytes(kind);
    for (const s of this.ready) s.write(bytes);
  }

  private readonly ready = new Set<Socket>();

  private accept(sock: Socket): void {
    this.connections++;
    this.live.add(sock);
    sock.on('error', () => {});
    sock.on('close', () => {
      this.live.delete(sock);
      this.ready.delete(sock);
    });
    if (this.opts.silent) return;
    let buf = Buffer.alloc(0);
    let greeted = false;
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (!greeted) {
        // "API\0" then a length-prefixed version range
        if (buf.length < 8) return;
        const len = buf.readUInt32BE(4);
        if (buf.length < 8 + len) return;
        buf = buf.subarray(8 + len);
        greeted = true;
        sock.write(twsFrame([SERVER_VERSION, '20261124 10:00:00 US/Eastern']));
        return;
      }
      while (buf.length >= 4) {
        const len = buf.readUInt32BE(0);
        if (buf.length < 4 + len) break;
        const id = Number(buf.toString('latin1', 4, 4 + Math.min(len, 8)).split('\0')[0]);
        buf = buf.subarray(4 + len);
        this.requests.set(id, (this.requests.get(id) ?? 0) + 1);
        if (id === 71 && !this.ready.has(sock)) {
          // START_API: the session is open
          sock.write(Buffer.concat([twsFrame([15, 1, 'DU123456']), twsFrame([9, 1, 1])]));
          this.ready.add(sock);
        }
      }
    });
  }

  /** Well-formed data: a depth update and a trade per symbol, sizes counting up so freshness is visible. */
  private tick(): void {
    if (this.ready.size === 0) return;
    this.seq++;
    const now = Math.floor(Date.now() / 1000);
    const frames: Buffer[] = [];
    this.opts.symbols.forEach((s, i) => {
      const px = (s.basePrice * (1 + 0.0005 * Math.sin(this.seq / 50))).toFixed(2);
      if (s.level2) {
        // Insert at the top, delete the row it pushed down: one fresh row per side whatever the client
        // cleared in between (reconnects, resubscriptions), no session state needed here.
        for (const [side, p, mm] of [[1, Number(px) - 0.01, 'NSDQ'], [0, Number(px) + 0.01, 'ARCA']] as const) {
          frames.push(twsFrame([13, 1, 10_000 + i, 0, mm, 0, side, p.toFixed(2), 100 + (this.seq % 1000), 1]));
          frames.push(twsFrame([13, 1, 10_000 + i, 1, mm, 2, side, p.toFixed(2), 0, 1]));
        }
      }
      frames.push(twsFrame([99, 20_000 + i, 2, now, px, 100, 0, 'ARCA', '']));
    });
    const bytes = Buffer.concat(frames);
    for (const s of this.ready) s.write(bytes);
  }
}
