import { Unpackr } from '/vendor/msgpackr-unpack.js';

// Same options as the server's packer (actors/dashboard/wire.ts): no records, float32 decoded with decimal rounding.
const unpackr = new Unpackr({ useRecords: false, useFloat32: 4 });

export const FULL = 0;
export const DELTA = 1;
export const HELLO = 2;

/**
 * The WebSocket feed: binary msgpack frames `[topic, kind, data]`, subscriptions as small JSON texts.
 * Reconnects with back-off; on every (re)connection it subscribes again and the server answers with the
 * full state of each topic, so a reconnect needs no special handling by the panels.
 */
export class Feed {
  constructor(token, { onFrame, onStatus }) {
    this.token = token;
    this.onFrame = onFrame;
    this.onStatus = onStatus;
    this.want = new Set();
    this.ws = null;
    this.backoff = 500;
    this.frames = 0;
    this.bytes = 0;
    this.connected = false;
  }

  connect() {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${proto}//${location.host}/ws?token=${encodeURIComponent(this.token)}`);
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    this.onStatus('connecting');
    ws.onopen = () => {
      this.connected = true;
      this.backoff = 500;
      this.onStatus('live');
      if (this.want.size) this.send('sub', [...this.want]);
    };
    ws.onmessage = (ev) => {
      if (!(ev.data instanceof ArrayBuffer)) return;
      this.frames++;
      this.bytes += ev.data.byteLength;
      let f;
      try {
        f = unpackr.unpack(new Uint8Array(ev.data));
      } catch (e) {
        console.warn('undecodable frame', e);
        return;
      }
      if (Array.isArray(f) && typeof f[0] === 'string') this.onFrame(f[0], f[1], f[2]);
    };
    ws.onclose = () => {
      this.connected = false;
      this.onStatus('reconnecting');
      setTimeout(() => this.connect(), this.backoff);
      this.backoff = Math.min(5000, this.backoff * 2);
    };
  }

  send(op, topics) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN && topics.length) this.ws.send(JSON.stringify({ op, topics }));
  }

  /** Makes the subscription set exactly `topics`. */
  setTopics(topics) {
    const next = new Set(topics);
    const add = [...next].filter((t) => !this.want.has(t));
    const drop = [...this.want].filter((t) => !next.has(t));
    this.want = next;
    this.send('unsub', drop);
    this.send('sub', add);
  }
}
