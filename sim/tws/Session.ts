/**
 * One client connection to the TWS simulator: framing state, the negotiated
 * server version, its subscriptions and its outgoing frame batch.
 */
import type { Socket } from 'node:net';
import { FrameReader, FrameWriter } from './codec.js';
import { DepthView, type DepthOut } from './DepthView.js';
import * as msg from './messages.js';

export type SessionState = 'handshake' | 'awaitStart' | 'ready' | 'closed';

export class DepthSub implements DepthOut {
  constructor(
    readonly session: Session,
    readonly reqId: number,
    readonly symbolIndex: number,
    readonly view: DepthView,
    /** MARKET_DEPTH_L2 (13) with market makers, else MARKET_DEPTH (12). */
    readonly l2: boolean,
    readonly isSmartDepth: boolean,
  ) {}

  depth(position: number, operation: 0 | 1 | 2, side: 0 | 1, price: number, size: number, marketMaker: string): void {
    const s = this.session;
    if (this.l2) msg.marketDepthL2(s.w, s.serverVersion, this.reqId, position, marketMaker, operation, side, price, size, this.isSmartDepth);
    else msg.marketDepth(s.w, this.reqId, position, operation, side, price, size);
    s.depthOpsSent++;
  }
}

export type TbtKind = 1 | 2 | 3 | 4; // Last, AllLast, BidAsk, MidPoint

export class TickByTickSub {
  lastBid = NaN;
  lastAsk = NaN;
  lastMid = NaN;
  constructor(
    readonly session: Session,
    readonly reqId: number,
    readonly symbolIndex: number,
    readonly kind: TbtKind,
    readonly ignoreSize: boolean,
  ) {}
}

export type BarWhat = 'TRADES' | 'MIDPOINT' | 'BID' | 'ASK';

export class BarSub {
  constructor(
    readonly session: Session,
    readonly reqId: number,
    readonly symbolIndex: number,
    readonly what: BarWhat,
  ) {}
}

export class MktDataSub {
  bid = NaN;
  ask = NaN;
  bidSz = NaN;
  askSz = NaN;
  constructor(
    readonly session: Session,
    readonly reqId: number,
    readonly symbolIndex: number,
  ) {}
}

export class Session {
  readonly reader = new FrameReader();
  readonly w = new FrameWriter();
  state: SessionState = 'handshake';
  serverVersion = 0;
  clientId = -1;
  marketDataType = 1;

  readonly depth = new Map<number, DepthSub>();
  readonly tbt = new Map<number, TickByTickSub>();
  readonly bars = new Map<number, BarSub>();
  readonly mktData = new Map<number, MktDataSub>();
  readonly accountSummaries = new Set<number>();
  accountUpdates = false;
  positionsSubscribed = false;

  // Rate limit bookkeeping: fixed one-second windows.
  windowStartMs = 0;
  windowCount = 0;
  windowWarned = false;

  messagesIn = 0;
  depthOpsSent = 0;

  constructor(
    readonly id: number,
    readonly socket: Socket,
  ) {}

  get ready(): boolean {
    return this.state === 'ready';
  }

  error(id: number, code: number, text: string): void {
    msg.errMsg(this.w, this.serverVersion, id, code, text);
  }

  /** Writes the pending batch to the socket; returns bytes written. */
  flush(): number {
    if (this.state === 'closed') return 0;
    const buf = this.w.take();
    if (buf === null) return 0;
    this.socket.write(buf);
    return buf.length;
  }

  /** Drops every market-data subscription (as TWS does after "data lost"). */
  clearSubscriptions(): void {
    this.depth.clear();
    this.tbt.clear();
    this.bars.clear();
    this.mktData.clear();
  }
}
