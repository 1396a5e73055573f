/**
 * One book as a LOBSTER orderbook row: per level `ask price, ask size, bid price, bid size`, prices
 * × 10000 as integers, dummy values for missing levels. Used to check a rebuilt book against the
 * orderbook file byte for byte.
 */

import { SIDE_ASK, SIDE_BID, type OrderBook } from '../../../analytics/order-book.js';
import { PRICE_SCALE } from './message-reader.js';
import { ASK_DUMMY_PRICE, BID_DUMMY_PRICE } from './orderbook-reader.js';

/** The first `levels` rows of `book` in LOBSTER's orderbook format (no newline). */
export function orderbookLine(book: OrderBook, levels: number): string {
  const na = book.length(SIDE_ASK);
  const nb = book.length(SIDE_BID);
  let s = '';
  for (let l = 0; l < levels; l++) {
    if (l > 0) s += ',';
    s += l < na ? `${Math.round(book.price(SIDE_ASK, l) * PRICE_SCALE)},${book.size(SIDE_ASK, l)}` : `${ASK_DUMMY_PRICE},0`;
    s += l < nb ? `,${Math.round(book.price(SIDE_BID, l) * PRICE_SCALE)},${book.size(SIDE_BID, l)}` : `,${BID_DUMMY_PRICE},0`;
  }
  return s;
}
