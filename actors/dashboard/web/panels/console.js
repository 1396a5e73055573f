// The console: manual orders, controls, working orders, positions with their exit plans, risk and the audit
// log. Every action is a POST to the same /api/ endpoints a script would use, answered with the engine's
// outcome (done / refused / failed, with the reason); views poll the GET endpoints while the console is open.
import { age, esc, fixed, price, setClass, setHTML, setText, signed, time } from '../fmt.js';

const POLL_MS = 1000;

export class Console {
  constructor(token, symbols) {
    this.token = token;
    this.symbols = symbols;
    this.el = document.getElementById('console');
    this.timer = undefined;
    this.requestId = newRequestId();
    this.strategies = {};
    this.setupTicket();
    this.setupControls();
    document.getElementById('c-audit-filter').oninput = () => this.refreshAudit();
  }

  get open() {
    return !this.el.hidden;
  }

  toggle(on = !this.open) {
    this.el.hidden = !on;
    document.getElementById('grid').hidden = on;
    setText(document.getElementById('console-btn'), on ? 'MONITOR' : 'CONSOLE');
    clearInterval(this.timer);
    if (on) {
      this.refresh();
      this.timer = setInterval(() => this.refresh(), POLL_MS);
    }
  }

  async api(method, path, body) {
    const r = await fetch(path, {
      method,
      cache: 'no-store',
      headers: { Authorization: `Bearer ${this.token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const data = await r.json().catch(() => ({ state: 'failed', error: `HTTP ${r.status}` }));
    return { status: r.status, data };
  }

  // ---- actions ---------------------------------------------------------------------------------------

  setupTicket() {
    const sym = document.getElementById('t-symbol');
    setHTML(sym, this.symbols.map((s) => `<option>${esc(s)}</option>`).join(''));
    const type = document.getElementById('t-type');
    const limit = document.getElementById('t-limit');
    type.onchange = () => (limit.disabled = type.value !== 'limit');
    const result = document.getElementById('t-result');
    const submit = document.getElementById('t-submit');
    // Any edit of the ticket is a new submission; a double click or a retry of the same one is not.
    for (const id of ['t-symbol', 't-side', 't-qty', 't-type', 't-limit']) document.getElementById(id).oninput = () => (this.requestId = newRequestId());
    submit.onclick = async () => {
      const body = { symbol: sym.value, side: document.getElementById('t-side').value, qty: Number(document.getElementById('t-qty').value), type: type.value, requestId: this.requestId };
      if (type.value === 'limit') body.limitPrice = Number(limit.value);
      submit.disabled = true;
      setText(result, 'sending…');
      try {
        const { data } = await this.api('POST', '/api/orders', body);
        show(result, data, data.state === 'done' ? `${data.duplicate ? 'already placed' : 'accepted'}: ${data.clientOrderId} (${data.orderState ?? 'new'})` : null);
      } catch (e) {
        show(result, { state: 'failed', error: e.message });
      } finally {
        submit.disabled = false;
        this.refresh();
      }
    };
  }

  setupControls() {
    const flatSym = document.getElementById('c-flat-symbol');
    setHTML(flatSym, `<option value="">everything the engine owns</option>${this.symbols.map((s) => `<option>${esc(s)}</option>`).join('')}`);
    const result = document.getElementById('c-result');
    const reason = () => document.getElementById('c-reason').value.trim();
    const run = async (path, body) => {
      setText(result, 'sending…');
      try {
        const { data } = await this.api('POST', path, body);
        show(result, data, data.state === 'done' ? `${path.replace('/api/', '')}: done` : null);
      } catch (e) {
        show(result, { state: 'failed', error: e.message });
      }
      this.refresh();
    };
    const acts = {
      'breaker-trip': () => run('/api/breaker', { action: 'trip', reason: reason() }),
      'breaker-approve': () => run('/api/breaker', { action: 'approve', reason: reason() }),
      'breaker-reset': () => confirmTyped('Reset the breaker', 'Trading re-opens at once.', 'RESET', (confirm) => run('/api/breaker', { action: 'reset', reason: reason(), confirm })),
      'escalation-clear': () => confirmTyped('Clear the escalation', 'New entries are allowed again once the breaker is closed.', 'CLEAR', (confirm) => run('/api/escalation/clear', { reason: reason(), confirm })),
      flatten: () => confirmTyped('Flatten', flatSym.value ? `Close the ${flatSym.value} position at market.` : 'Close every position the engine owns at market.', 'FLATTEN',
        (confirm) => run('/api/flatten', { reason: reason(), confirm, ...(flatSym.value ? { symbol: flatSym.value } : {}) })),
      'cancel-all': () => confirmTyped('Cancel all', 'Cancel every working order of the engine (the operator\'s own orders at the broker are not touched).', 'CANCEL ALL',
        (confirm) => run('/api/orders/cancel', { all: true, reason: reason() || 'cancel all from the console', confirm })),
    };
    for (const b of document.querySelectorAll('#c-controls [data-act]')) b.onclick = () => acts[b.dataset.act]();
    this.runControl = run;
  }

  renderStrategies(s) {
    const box = document.getElementById('c-strategies');
    const names = ['0DTE', '1DTE', '14DTE', 'MOC'];
    if (!box.childElementCount) {
      setHTML(box, names.map((n) => `<button type="button" data-strategy="${n}">${n}</button>`).join(''));
      for (const b of box.querySelectorAll('button')) {
        b.onclick = () => {
          const r = document.getElementById('c-reason').value.trim();
          const on = !this.strategies[b.dataset.strategy];
          this.runControl('/api/strategies', { strategy: b.dataset.strategy, enabled: on, reason: r });
        };
      }
    }
    this.strategies = s || {};
    for (const b of box.querySelectorAll('button')) {
      const on = this.strategies[b.dataset.strategy] !== false;
      setClass(b, on ? 'on' : '');
      setText(b, `${b.dataset.strategy} ${on ? 'ON' : 'OFF'}`);
    }
  }

  // ---- views -----------------------------------------------------------------------------------------

  async refresh() {
    if (!this.open) return;
    try {
      const [orders, positions, risk, strategies] = await Promise.all([
        this.api('GET', '/api/orders'), this.api('GET', '/api/positions'), this.api('GET', '/api/risk'), this.api('GET', '/api/strategies'),
      ]);
      this.renderOrders(orders.data.orders || []);
      this.renderPositions(positions.data.positions || [], positions.data.pnl);
      this.renderRisk(risk.data);
      this.renderStrategies(strategies.data.strategies);
      await this.refreshAudit();
    } catch {
      /* engine restarting: the next poll tries again */
    }
  }

  renderOrders(rows) {
    setText(document.getElementById('c-orders-meta'), `${rows.length} working`);
    setHTML(document.getElementById('c-orders-rows'), rows.map((o) => `<tr><td>${esc(o.clientOrderId)}</td><td>${esc(o.side)}</td><td>${o.qty}</td><td>${o.filledQty}</td>`
      + `<td>${esc(o.state)}</td><td>${age(o.ageMs)}</td><td><button type="button" data-cancel="${esc(o.clientOrderId)}">Cancel</button></td></tr>`).join('') || '<tr><td colspan="7" class="muted">no working orders</td></tr>');
    for (const b of document.querySelectorAll('#c-orders-rows [data-cancel]')) {
      b.onclick = () => this.runControl('/api/orders/cancel', { clientOrderId: b.dataset.cancel, reason: document.getElementById('c-reason').value.trim() || 'cancel from the console' });
    }
  }

  renderPositions(rows, pnl) {
    setText(document.getElementById('c-pnl'), pnl ? `day ${signed(pnl.day)} · total ${signed(pnl.total)} · equity ${fixed(pnl.equity, 0)}` : '');
    const open = rows.filter((p) => p.qty !== 0);
    setHTML(document.getElementById('c-positions-rows'), open.map((p) => `<tr><td title="${esc(p.symbol)}">${esc(p.description ?? p.symbol)}</td><td>${p.qty}${p.kind === 'option' ? ` ×${p.multiplier}` : ''}</td><td>${price(p.avgPrice)}</td><td>${price(p.mark)}</td>`
      + `<td>${signed((p.realizedPnl || 0) + (p.unrealizedPnl || 0))}</td><td>${price(p.exit?.stop)}</td><td>${price(p.exit?.target)}</td>`
      + `<td>${p.exit ? `${fixed(p.exit.trailPct * 100, 2)}% of ${price(p.exit.best)}` : '—'}</td></tr>`).join('') || '<tr><td colspan="8" class="muted">flat</td></tr>');
  }

  renderRisk(r) {
    const b = r.breaker || {};
    setText(document.getElementById('c-breaker'), `breaker ${String(b.state || '—').toUpperCase()}${b.reason ? `: ${b.reason}` : ''}`);
    const u = r.use || {};
    const lim = r.limits || {};
    const rows = [
      ['open positions', `${u.openPositions?.used ?? '—'} / ${lim.maxOpenPositions ?? '—'}`],
      ['daily loss', `${fixed(u.dailyLoss?.used, 0)} / ${fixed(lim.dailyLossLimit, 0)}`],
      ['drawdown', `${fixed(u.drawdown?.used, 0)} / ${fixed(lim.maxDrawdown, 0)}`],
      ...Object.entries(u.positionNotional?.bySymbol || {}).map(([s, n]) => [`${s} notional`, `${fixed(n, 0)} / ${fixed(lim.maxPositionPerSymbol, 0)}`]),
      ['max order notional', fixed(lim.maxNotionalPerOrder, 0)],
      ['orders per second', String(lim.maxOrdersPerSecond ?? '—')],
      ['working orders', String(u.workingOrders ?? 0)],
      ...Object.entries(r.rejections || {}).map(([rule, n]) => [`rejected: ${rule}`, String(n)]),
    ];
    const perf = r.performance || {};
    rows.push(['sharpe (annualised)', fixed(perf.sharpe, 2)], ['win rate', perf.winRate == null ? '—' : `${fixed(perf.winRate * 100, 0)}%`], ['max drawdown', fixed(perf.maxDrawdown, 0)]);
    for (const x of (r.lastRejections || []).slice(-5).reverse()) rows.push([`${time(x.ts)} ${x.rule}`, x.reason]);
    for (const e of this.breakerHistory || []) rows.push([`${time(Number(e.ts))} breaker`, `${e.state || e.result || ''} ${e.reason || ''}`]);
    if (r.halt) rows.unshift(['kill halt', `${time(r.halt.ts)} ${r.halt.reason}`]);
    setText(document.getElementById('c-risk-meta'), r.drift?.drift?.length ? `drift: ${r.drift.drift.map((d) => d.symbol).join(', ')}` : '');
    setHTML(document.getElementById('c-risk-body'), rows.map(([k, v]) => `<div class="risk-row"><span>${esc(k)}</span><span>${esc(v)}</span></div>`).join(''));
  }

  async refreshAudit() {
    this.breakerHistory = (await this.api('GET', '/api/audit?action=breaker&limit=5')).data.entries || [];
    const q = document.getElementById('c-audit-filter').value.trim();
    const { data } = await this.api('GET', `/api/audit?limit=200${q ? `&q=${encodeURIComponent(q)}` : ''}`);
    setHTML(document.getElementById('c-audit-rows'), (data.entries || []).map((e) => `<tr><td>${time(Number(e.ts))}</td><td>${esc(e.action)}</td>`
      + `<td>${esc(e.role || '')} ${esc(e.source || '')} ${esc(e.remote || '')}</td><td>${esc(e.reason || '')}</td><td>${esc(e.result || e.state || '')} ${esc(e.detail || '')}</td></tr>`).join(''));
  }
}

function newRequestId() {
  return `r${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}

function show(el, data, okText) {
  if (data.state === 'done') {
    setText(el, okText ?? 'done');
    setClass(el, 'result ok');
  } else {
    setText(el, `${data.state || 'failed'}: ${data.error || data.outcome || 'no reason given'}`);
    setClass(el, 'result bad');
  }
}

/** The typed confirmation the kill switch uses, for the other destructive actions. */
function confirmTyped(title, text, word, go) {
  const dlg = document.getElementById('confirm-dialog');
  const input = document.getElementById('confirm-input');
  const ok = document.getElementById('confirm-go');
  setText(document.getElementById('confirm-title'), title);
  setText(document.getElementById('confirm-text'), text);
  setText(document.getElementById('confirm-word'), word);
  input.value = '';
  ok.disabled = true;
  dlg.hidden = false;
  input.focus();
  const close = () => (dlg.hidden = true);
  input.oninput = () => (ok.disabled = input.value !== word);
  document.getElementById('confirm-cancel').onclick = close;
  ok.onclick = () => {
    close();
    go(word);
  };
}
