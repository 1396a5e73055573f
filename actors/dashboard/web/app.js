import { Feed, HELLO } from './feed.js';
import { bytes, setClass, setHTML, setText, time } from './fmt.js';
import { FlowPanel } from './panels/flow.js';
import { GexPanel } from './panels/gex.js';
import { HealthPanel } from './panels/health.js';
import { LadderPanel } from './panels/ladder.js';
import { PricePanel } from './panels/price.js';
import { SignalsPanel } from './panels/signals.js';
import { TradingPanel } from './panels/trading.js';
import { VpinPanel } from './panels/vpin.js';
import { WatchPanel } from './panels/watch.js';
import { Console } from './panels/console.js';

const TOKEN_KEY = 'alphatrader.dashboardToken';
const GLOBAL = ['watch', 'signals', 'trading', 'health'];
const PANELS_PER_SYMBOL = ['book', 'price', 'vpin', 'gex', 'flow'];

/** The token from `?token=` (then removed from the address bar, kept for this tab only) or from this tab's storage. */
function readToken() {
  const url = new URL(location.href);
  const t = url.searchParams.get('token');
  if (t) {
    sessionStorage.setItem(TOKEN_KEY, t);
    url.searchParams.delete('token');
    history.replaceState(null, '', url.pathname + url.search + url.hash);
    return t;
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

function showAuth(msg) {
  document.getElementById('auth').hidden = false;
  setText(document.getElementById('auth-msg'), msg || '');
  const input = document.getElementById('auth-token');
  input.focus();
  const go = () => {
    const t = input.value.trim();
    if (!t) return;
    sessionStorage.setItem(TOKEN_KEY, t);
    location.reload();
  };
  document.getElementById('auth-go').onclick = go;
  input.onkeydown = (e) => e.key === 'Enter' && go();
}

// Test and debugging hooks: what the feed delivered and what the page drew.
const dash = (window.__dash = { connected: false, frames: 0, renders: 0, renderMs: 0, renderMaxMs: 0, topics: {}, selected: null });

async function main() {
  const token = readToken();
  if (!token) return showAuth();
  let info;
  try {
    const r = await fetch('/api/symbols', { headers: { Authorization: `Bearer ${token}` }, cache: 'no-store' });
    if (r.status === 401 || r.status === 403) {
      sessionStorage.removeItem(TOKEN_KEY);
      return showAuth(r.status === 403 ? 'that token was refused' : 'token required');
    }
    info = await r.json();
  } catch (e) {
    setTimeout(main, 2000); // engine still starting, or restarting: try again
    return;
  }
  const symbols = info.symbols.map((s) => s.symbol);
  let selected = symbols.includes(location.hash.slice(1)) ? location.hash.slice(1) : symbols[0];

  const header = {
    conn: document.getElementById('conn'), mode: document.getElementById('mode'), redis: document.getElementById('redis'),
    venues: document.getElementById('venues'), breaker: document.getElementById('breaker'), halted: document.getElementById('halted'),
    stats: document.getElementById('stats'), clock: document.getElementById('clock'),
  };
  const onHealth = (d) => {
    setText(header.mode, `${String(d.mode).toUpperCase()} · ${d.source}`);
    setClass(header.mode, `pill ${d.mode === 'live' ? 'bad' : 'warn'}`);
    setClass(header.redis, `pill ${d.redisUp ? 'ok' : 'bad'}`);
    const v = Object.entries(d.venues || {});
    setHTML(header.venues, v.map(([n, up]) => `<span class="pill ${up ? 'ok' : 'bad'}">${n.toUpperCase()}</span>`).join(''));
    header.halted.hidden = !d.halted && !d.killHalt;
    setText(header.halted, d.escalated ? 'ESCALATED · TRADING HALTED' : d.killHalt ? 'KILLED · TRADING HALTED' : 'TRADING HALTED');
    header.halted.title = d.killHalt ? `kill switch ${time(d.killHalt.ts)}: ${d.killHalt.reason}` : d.escalation ? String(d.escalation.reason ?? '') : '';
  };
  const onBreaker = (d) => {
    const b = d.breaker || {};
    const tripped = b.state && /trip|open|halt|kill/i.test(b.state);
    setText(header.breaker, `Breaker ${b.state ? b.state.toUpperCase() : 'ARMED'}`);
    setClass(header.breaker, `pill ${tripped ? 'bad' : 'ok'}`);
    header.breaker.title = b.reason ? `${b.reason} (${time(b.ts)})` : 'circuit breaker (cb:state)';
  };

  const panels = {
    book: new LadderPanel(), price: new PricePanel(), vpin: new VpinPanel(), gex: new GexPanel(), flow: new FlowPanel(),
    watch: new WatchPanel((s) => select(s)), signals: new SignalsPanel(), trading: new TradingPanel(onBreaker), health: new HealthPanel(onHealth),
  };
  panels.watch.setSymbols(symbols, selected);
  const dirty = new Set();
  let scheduled = false;
  const render = () => {
    scheduled = false;
    const t0 = performance.now();
    for (const name of dirty) {
      try {
        panels[name].render();
      } catch (e) {
        console.error(`panel ${name} failed to render`, e);
      }
    }
    dirty.clear();
    dash.renders++;
    const ms = performance.now() - t0;
    dash.renderMs += ms;
    if (ms > dash.renderMaxMs) dash.renderMaxMs = ms;
  };

  const onFrame = (topic, kind, data) => {
    dash.frames++;
    if (kind === HELLO) {
      dash.hello = data;
      return;
    }
    const colon = topic.indexOf(':');
    const panel = colon < 0 ? topic : topic.slice(0, colon);
    if (colon >= 0 && topic.slice(colon + 1) !== selected) return; // a late frame of the previous symbol
    const p = panels[panel];
    if (!p) return;
    dash.topics[topic] = (dash.topics[topic] || 0) + 1;
    if (p.update(kind, data)) {
      dirty.add(panel);
      if (!scheduled) {
        scheduled = true;
        requestAnimationFrame(render);
      }
    }
  };
  const feed = new Feed(token, {
    onFrame,
    onStatus: (s) => {
      dash.connected = s === 'live';
      setText(header.conn, s === 'live' ? 'LIVE' : s);
      setClass(header.conn, `pill ${s === 'live' ? 'ok' : 'warn'}`);
    },
  });
  const topicsFor = (sym) => [...GLOBAL, ...PANELS_PER_SYMBOL.map((p) => `${p}:${sym}`)];

  function select(sym) {
    if (sym === selected && dash.selected) return;
    selected = sym;
    dash.selected = sym;
    history.replaceState(null, '', `#${sym}`);
    for (const p of PANELS_PER_SYMBOL) panels[p].reset();
    for (const el of document.querySelectorAll('.panel h2 .sym')) el.textContent = sym;
    panels.watch.select(sym);
    feed.setTopics(topicsFor(sym));
  }
  select(selected);
  feed.connect();

  let lastFrames = 0;
  let lastBytes = 0;
  setInterval(() => {
    setText(header.clock, time(Date.now()));
    setText(header.stats, `${feed.frames - lastFrames} frames/s · ${bytes(feed.bytes - lastBytes)}/s`);
    lastFrames = feed.frames;
    lastBytes = feed.bytes;
  }, 1000);

  setupKill(token);
  const console_ = new Console(token, symbols);
  document.getElementById('console-btn').onclick = () => console_.toggle();
  dash.console = console_;
}

function setupKill(token) {
  const dlg = document.getElementById('kill-dialog');
  const reason = document.getElementById('kill-reason');
  const confirm = document.getElementById('kill-confirm');
  const go = document.getElementById('kill-go');
  const result = document.getElementById('kill-result');
  const valid = () => reason.value.trim().length >= 3 && confirm.value.trim() === 'KILL';
  const refresh = () => (go.disabled = !valid());
  reason.oninput = refresh;
  confirm.oninput = refresh;
  const close = () => (dlg.hidden = true);
  document.getElementById('kill-btn').onclick = () => {
    reason.value = '';
    confirm.value = '';
    result.textContent = '';
    refresh();
    dlg.hidden = false;
    reason.focus();
  };
  document.getElementById('kill-cancel').onclick = close;
  document.addEventListener('keydown', (e) => e.key === 'Escape' && !dlg.hidden && close());
  go.onclick = async () => {
    if (!valid()) return;
    go.disabled = true;
    result.textContent = 'sending…';
    try {
      const r = await fetch('/api/kill', {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ confirm: 'KILL', reason: reason.value.trim() }),
      });
      const body = await r.json().catch(() => ({}));
      if (r.status === 200) {
        // execution's outcome: done (flat, nothing working, breaker tripped) or pending (broker acks outstanding)
        const left = (body.working || []).length;
        const open = (body.positions || []).length;
        result.textContent = body.state === 'done'
          ? `kill done ${time(body.ts)}: flat, no working orders, breaker ${body.breaker}`
          : `kill sent ${time(body.ts)}: ${left} order(s) still working, ${open} position(s) open — watch the panels`;
        result.className = 'down';
        if (body.state === 'done') setTimeout(close, 2500);
        else go.disabled = false;
      } else {
        result.textContent = body.error || `refused (${r.status})`;
        go.disabled = false;
      }
    } catch (e) {
      result.textContent = `not sent: ${e.message}`;
      go.disabled = false;
    }
  };
}

main();
