/**
 * LOBSTER (lobsterdata.com) message/orderbook files: real recorded NASDAQ days read as a market source
 * (replay --lobster) and by the `alphatrader lobster` tools. Here, beside the market-depth actor's other
 * venue readers, not under sim/: it reads real data and simulates nothing.
 */
export { LobsterFormatError } from './errors.js';
export { parseLobsterFileName, lobsterDateFromName, EasternClock, type LobsterFileName } from './file-name.js';
export { OpList, SideDiff, OP_INSERT, OP_UPDATE, OP_DELETE, type Rows } from './book-diff.js';
export {
  LobsterMessageReader,
  isExecution,
  aggressorOf,
  PRICE_SCALE,
  MSG_SUBMIT,
  MSG_CANCEL,
  MSG_DELETE,
  MSG_EXECUTE,
  MSG_EXECUTE_HIDDEN,
  MSG_CROSS,
  MSG_HALT,
  HALT_HALTED,
  HALT_QUOTING,
  HALT_TRADING,
  haltPhase,
  type MessageReaderOptions,
} from './message-reader.js';
export { LobsterOrderbookReader, ASK_DUMMY_PRICE, BID_DUMMY_PRICE, type OrderbookReaderOptions } from './orderbook-reader.js';
export { LobsterPairReader, SIDE_ASK, SIDE_BID, type LobsterOptions, type LobsterCounts } from './pair-reader.js';
export {
  lobsterEvents,
  lobsterEventsSync,
  lobsterTrades,
  lobsterTradesSync,
  type LobsterEvent,
  type LobsterDepthEvent,
  type LobsterTradeEvent,
  type LobsterHaltEvent,
  type LobsterReadReport,
} from './events.js';
export { orderbookLine } from './orderbook-line.js';
