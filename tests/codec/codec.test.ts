import { describe, expect, it } from 'vitest';
import { HEADER_SIZE, HeaderFields, msgType, readHeader } from '../../engine/codec/Header.js';
import {
  AnalyticsSnapshot, Bar, BookTop, CodecError, DepthUpdate, Heartbeat, MAX_MESSAGE_SIZE, OrderEvent, OrderIntent, Quote,
  Signal, Trade, decode,
} from '../../engine/codec/Messages.js';
import { MessageType } from '../../engine/codec/MessageType.js';

const SLOT = 128;
const dv = new DataView(new ArrayBuffer(SLOT * 4));
const OFF = SLOT; // not at zero, to catch absolute-offset bugs

function header(seed: number): HeaderFields {
  const h = new HeaderFields();
  h.source = 255;
  h.symbolId = 65535 - seed;
  h.flags = 0xff;
  h.seq = 0xffffffff - seed;
  h.eventNs = 1.7e18 + seed * 256; // epoch ns, representable steps of 256
  h.ingestNs = 2 ** 53 - 1 - seed; // largest exact engine-clock value
  h.dequeueNs = 0;
  h.enqueueNs = 123456789.5;
  return h;
}

const extremes = [0, -0, 1e-308, -1e308, Number.MAX_VALUE, Number.MIN_VALUE, Infinity, -Infinity, 585.33, 0.0001];

describe('codec', () => {
  it('every message fits a 128-byte slot', () => {
    expect(MAX_MESSAGE_SIZE).toBeLessThanOrEqual(SLOT);
  });

  it('round-trips the header with extreme values', () => {
    const h = header(1);
    Trade.write(dv, OFF, h, 1, 2, 1, 3);
    const back = new HeaderFields();
    expect(readHeader(dv, OFF, back)).toBe(MessageType.Trade);
    expect(back).toEqual(h);
    expect(HEADER_SIZE).toBe(48);
  });

  it('round-trips every type, extreme values included', () => {
    for (const [i, x] of extremes.entries()) {
      const h = header(i);
      const y = -x;
      DepthUpdate.write(dv, OFF, h, 65535, 2, 1, x, y, 'NSDQ', true);
      expect(decode(dv, OFF)).toMatchObject({ type: 'DepthUpdate', position: 65535, operation: 2, side: 1, price: x, size: y, marketMaker: 'NSDQ', smart: true, symbolId: h.symbolId, seq: h.seq });
      Trade.write(dv, OFF, h, x, y, -1, 255);
      expect(decode(dv, OFF)).toMatchObject({ type: 'Trade', price: x, size: y, aggressor: -1, levelsSwept: 255 });
      Quote.write(dv, OFF, h, x, y, x, y);
      expect(decode(dv, OFF)).toMatchObject({ type: 'Quote', bidPx: x, askPx: y, bidSz: x, askSz: y });
      Bar.write(dv, OFF, h, 1_700_000_000_000, 5, x, y, x, y, x, y, 0xffffffff);
      expect(decode(dv, OFF)).toMatchObject({ type: 'Bar', startMs: 1_700_000_000_000, seconds: 5, open: x, high: y, low: x, close: y, volume: x, vwap: y, count: 0xffffffff });
      BookTop.write(dv, OFF, h, x, y, x, y, x, y, x, y);
      expect(decode(dv, OFF)).toMatchObject({ type: 'BookTop', bestBid: x, bestAsk: y, bidSize: x, askSize: y, microprice: x, imbalance: y, vwap: x, volume: y });
      AnalyticsSnapshot.write(dv, OFF, h, x, y, x, y, x, y, x, y, x);
      expect(decode(dv, OFF)).toMatchObject({ type: 'AnalyticsSnapshot', spot: x, vpin: y, vpinCdf: x, imbalance: y, microprice: x, netGex: y, zeroGamma: x, callWall: y, putWall: x });
      Signal.write(dv, OFF, h, 255, -1, 0xffffffff, x, y, x, y, x);
      expect(decode(dv, OFF)).toMatchObject({ type: 'Signal', strategy: 255, direction: -1, signalId: 0xffffffff, confidence: x, price: y, target: x, stop: y, expiresMs: x });
      OrderIntent.write(dv, OFF, h, 7, 0xfffffffe, 255, -1, 5, 4, true, x, y, x, y);
      expect(decode(dv, OFF)).toMatchObject({ type: 'OrderIntent', strategy: 7, signalId: 0xfffffffe, leg: 255, side: -1, orderType: 5, tif: 4, reduceOnly: true, qty: x, limitPx: y, stopPx: x, refPx: y });
      OrderEvent.write(dv, OFF, h, 3, 1, 2, 7, 1, x, y, x, y, x, y);
      expect(decode(dv, OFF)).toMatchObject({ type: 'OrderEvent', strategy: 3, signalId: 1, leg: 2, status: 7, side: 1, filledQty: x, remainingQty: y, lastFillPx: x, lastFillQty: y, avgPx: x, brokerTsMs: y });
      Heartbeat.write(dv, OFF, h, 9, 2, x, y, x);
      expect(decode(dv, OFF)).toMatchObject({ type: 'Heartbeat', actor: 9, state: 2, msgsIn: x, msgsOut: y, errors: x });
    }
  });

  it('keeps NaN (undefined figures travel as NaN)', () => {
    BookTop.write(dv, OFF, header(0), NaN, 1, NaN, 2, NaN, NaN, NaN, 0);
    expect(BookTop.bestBid(dv, OFF)).toBeNaN();
    expect(BookTop.bestAsk(dv, OFF)).toBe(1);
  });

  it('truncates market makers to 8 ASCII bytes', () => {
    DepthUpdate.write(dv, OFF, header(0), 0, 0, 0, 1, 1, 'VERYLONGNAME', false);
    expect(DepthUpdate.marketMaker(dv, OFF)).toBe('VERYLONG');
    DepthUpdate.write(dv, OFF, header(0), 0, 0, 0, 1, 1, '', false);
    expect(DepthUpdate.marketMaker(dv, OFF)).toBe('');
  });

  it('does not write outside its slot', () => {
    const big = new DataView(new ArrayBuffer(SLOT * 3));
    for (let i = 0; i < big.byteLength; i++) big.setUint8(i, 0xab);
    OrderEvent.write(big, SLOT, header(0), 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1);
    for (let i = 0; i < SLOT; i++) expect(big.getUint8(i)).toBe(0xab);
    for (let i = SLOT + OrderEvent.SIZE; i < big.byteLength; i++) expect(big.getUint8(i)).toBe(0xab);
  });

  it('rejects an unknown type or layout version with a clear error', () => {
    Trade.write(dv, OFF, header(0), 1, 1, 1, 0);
    dv.setUint8(OFF, 200);
    expect(() => decode(dv, OFF)).toThrow(CodecError);
    expect(() => decode(dv, OFF)).toThrow(/unknown message type 200/);
    Trade.write(dv, OFF, header(0), 1, 1, 1, 0);
    dv.setUint8(OFF + 1, 9);
    expect(() => decode(dv, OFF)).toThrow(/unsupported layout version 9/);
    expect(msgType(dv, OFF)).toBe(MessageType.Trade);
  });
});
