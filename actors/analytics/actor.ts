import { msgEventNs, msgIngestNs, msgSymbol, msgType } from '../../engine/codec/Header.js';
import { AnalyticsSnapshot, BookTop } from '../../engine/codec/Messages.js';
import { MessageType } from '../../engine/codec/MessageType.js';
import type { ActorFactory } from '../../engine/runtime/Actor.js';

/**
 * Analytics actor. For now it turns each book top into an analytics snapshot (imbalance, microprice, spot)
 * on its output ring, so the downstream path (signals, publisher, dashboard) carries real traffic; VPIN
 * and GEX/DEX join in the options-and-analytics issue.
 */
const create: ActorFactory = (ctx) => {
  const out = ctx.output('analytics-out');
  let pending = 0;
  return {
    onMessage(view, off) {
      if (msgType(view, off) !== MessageType.BookTop) return;
      const dequeueNs = ctx.clock.nowNs();
      const o = out.claim();
      if (o < 0) return;
      const bid = BookTop.bestBid(view, off);
      const ask = BookTop.bestAsk(view, off);
      const h = out.stamp(msgSymbol(view, off), msgEventNs(view, off), msgIngestNs(view, off), dequeueNs);
      AnalyticsSnapshot.write(out.view, o, h, (bid + ask) / 2, NaN, NaN, BookTop.imbalance(view, off),
        BookTop.microprice(view, off), NaN, NaN, NaN, NaN);
      pending++;
    },
    onBatchEnd() {
      if (pending) {
        out.publish();
        pending = 0;
      }
    },
  };
};

export default create;
