/**
 * The inspector page's script (plain ES2017, no library). It renders the boot data at once, then
 * follows `<page path>/events`: `hello` (everything), `state` (the throttled summary),
 * `transition` (one actor changed state), `dropped` (a slow page missed some). Every text goes in
 * through `textContent`: names come from configuration and are never parsed as HTML.
 */
export const PAGE_SCRIPT = String.raw`
(function () {
  'use strict';
  var MAX_RECENT = 200;
  var boot = JSON.parse(document.getElementById('sb-boot').textContent);
  var state = boot.state || { now: Date.now(), providers: {} };
  var recent = (boot.recent || []).slice(-MAX_RECENT);
  var dropped = 0;

  function h(tag, attrs) {
    var el = document.createElement(tag);
    if (attrs) for (var k in attrs) {
      if (attrs[k] === undefined || attrs[k] === null) continue;
      if (k === 'text') el.textContent = String(attrs[k]);
      else if (k === 'className') el.className = attrs[k];
      else el.setAttribute(k, attrs[k]);
    }
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined) continue;
      if (Array.isArray(c)) c.forEach(function (x) { if (x) el.appendChild(x); });
      else el.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    }
    return el;
  }
  function pill(s, testid) { return h('span', { className: 'pill s-' + s, 'data-testid': testid, text: s }); }
  function num(v) { return v === null || v === undefined ? '–' : String(v); }
  function ms(v) { return v === null || v === undefined ? '–' : (v >= 1000 ? (v / 1000).toFixed(1) + ' s' : Math.round(v) + ' ms'); }
  function stat(label, value, testid) { return h('span', null, label + ' ', h('b', { text: value, 'data-testid': testid })); }
  function time(at) { var d = new Date(at); return d.toTimeString().slice(0, 8) + '.' + String(d.getMilliseconds()).padStart(3, '0'); }

  function renderProvider(name, p) {
    var b = p.breakerDetail || {};
    var t = p.totals || {};
    var q = p.queue || { byPriority: {} };
    var card = h('article', { className: 'card', 'data-provider': name },
      h('h2', null, name, pill(p.breaker, 'breaker-' + name),
        h('small', { text: 'failures ' + num(b.failureCount) + '/' + num(b.failureThreshold) + ' · trips ' + num(b.trips) + ' · strategy ' + p.strategy })),
      h('div', { className: 'stats' },
        stat('in flight', p.inFlight + '/' + p.maxConcurrent, 'inflight-' + name),
        stat('queued', q.depth + '/' + q.size, 'queue-' + name),
        stat('high', num(q.byPriority.high)), stat('normal', num(q.byPriority.normal)), stat('low', num(q.byPriority.low)),
        stat('actors', num(p.actors))),
      h('div', { className: 'stats' },
        stat('requests', num(t.requests), 'requests-' + name), stat('ok', num(t.succeeded)), stat('failed', num(t.failed)),
        stat('retries', num(t.retries)), stat('p50', ms(t.p50LatencyMs)), stat('p95', ms(t.p95LatencyMs))));
    var keyTotals = p.keyTotals || {};
    card.appendChild(h('div', { className: 'sub', text: 'keys' }));
    card.appendChild(p.keys.length === 0 ? h('div', { className: 'empty', text: 'no keys' }) :
      h('div', { className: 'wide' }, h('table', null, h('thead', null, h('tr', null, ['key', 'state', 'in flight', 'req left', 'tokens left', 'cools for', 'attempts', '429s'].map(function (x) { return h('th', { text: x }); }))),
        h('tbody', null, p.keys.map(function (k) {
          var kt = keyTotals[k.name] || {};
          var until = k.untilMs === null || k.untilMs === undefined ? '–' : ms(Math.max(0, k.untilMs - state.now));
          return h('tr', null, h('td', { className: 'name', text: k.name }), h('td', null, pill(k.state, 'key-' + name + '-' + k.name)),
            h('td', { className: 'num', text: k.inFlight + '/' + k.maxConcurrent }), h('td', { className: 'num', text: num(k.remainingRequests) }),
            h('td', { className: 'num', text: num(k.remainingTokens) }), h('td', { className: 'num', text: until }),
            h('td', { className: 'num', text: num(kt.attempts) }), h('td', { className: 'num', text: num(kt.rateLimited) }));
        })))));
    card.appendChild(h('div', { className: 'sub', text: 'batchers' }));
    card.appendChild(p.batchers.length === 0 ? h('div', { className: 'empty', text: 'none yet (spawned on the first batchable embedding)' }) :
      h('table', null, h('thead', null, h('tr', null, ['model', 'state', 'pending'].map(function (x) { return h('th', { text: x }); }))),
        h('tbody', null, p.batchers.map(function (bt) {
          return h('tr', null, h('td', { text: bt.model }), h('td', null, pill(bt.state, 'batcher-' + name + '-' + bt.model)), h('td', { className: 'num', text: bt.pending }));
        }))));
    var retries = p.retries || {};
    var names = Object.keys(retries);
    card.appendChild(h('div', { className: 'sub', text: 'retry actors' }));
    card.appendChild(names.length === 0 ? h('div', { className: 'empty', text: 'none' }) :
      h('div', { className: 'stats' }, names.map(function (s) { return h('span', null, pill(s), ' ×' + retries[s]); })));
    return card;
  }

  function renderProviders() {
    var root = document.getElementById('providers');
    var names = Object.keys(state.providers || {});
    root.replaceChildren.apply(root, names.map(function (n) { return renderProvider(n, state.providers[n]); }));
    renderCharts();
  }

  // byState: state path -> the actors there ('openai', 'openai/primary' ...). The badge sits inside
  // the state's box, where at most data-chars characters fit: the names when they fit, else a count.
  function setBadges(machine, byState) {
    var svg = document.querySelector('svg[data-machine="' + machine + '"]');
    if (!svg) return;
    svg.querySelectorAll('g.state').forEach(function (g) {
      var who = byState[g.getAttribute('data-state')] || [];
      g.classList.toggle('active', who.length > 0);
      var badge = g.querySelector('text.badge');
      if (!badge) return;
      var max = Number(badge.getAttribute('data-chars')) || 12;
      var text = who.join(', ');
      if (text.length > max) text = who.length > 1 ? who.length + ' actors' : text.slice(0, max - 1) + '\u2026';
      badge.textContent = text;
    });
  }
  function add(map, key, item) { (map[key] = map[key] || []).push(item); }

  function renderCharts() {
    var sup = {}, br = {}, keys = {}, batch = {}, retry = {};
    Object.keys(state.providers || {}).forEach(function (n) {
      var p = state.providers[n];
      add(sup, 'running', n);
      add(br, p.breaker, n);
      p.keys.forEach(function (k) { add(keys, k.state, n + '/' + k.name); });
      p.batchers.forEach(function (b) { add(batch, b.state, n + '/' + b.model); });
      var r = p.retries || {};
      for (var s in r) if (r[s] > 0) add(retry, s, r[s] > 1 ? n + ' \u00d7' + r[s] : n);
    });
    setBadges('supervisor', sup);
    setBadges('circuitBreaker', br);
    setBadges('keySlot', keys);
    setBadges('batcher', batch);
    setBadges('retry', retry);
  }

  // Figures for reading: a duration (a key ending in Ms) as '445 ms' or '1.2 s', an instant as a
  // time of day, any other fraction to two decimals.
  function figure(k, v) {
    if (typeof v !== 'number') return String(v);
    if (k === 'untilMs') return time(v);
    if (/Ms$/.test(k)) return ms(v);
    return Number.isInteger(v) ? String(v) : String(Math.round(v * 100) / 100);
  }
  function detailText(d) {
    if (!d) return '';
    return Object.keys(d).filter(function (k) { return d[k] !== null && d[k] !== undefined; }).map(function (k) {
      return k.replace(/Ms$/, '') + '=' + figure(k, d[k]);
    }).join(' ');
  }
  function transitionRow(t) {
    return h('tr', null, h('td', { text: time(t.at) }), h('td', { text: t.provider }), h('td', { className: 'name', text: t.actor }),
      h('td', null, t.from ? pill(t.from) : h('span', { className: 'empty', text: 'new' }), ' → ', pill(t.to)), h('td', { className: 'detail', text: detailText(t.detail) }));
  }
  function renderRecent() {
    var body = document.getElementById('recent');
    body.replaceChildren.apply(body, recent.slice().reverse().map(transitionRow));
    document.getElementById('recent-note').textContent = 'last ' + MAX_RECENT + (dropped ? ' · ' + dropped + ' dropped (slow connection)' : '');
  }
  function addTransition(t) {
    recent.push(t);
    if (recent.length > MAX_RECENT) recent.shift();
    var body = document.getElementById('recent');
    body.insertBefore(transitionRow(t), body.firstChild);
    while (body.childNodes.length > MAX_RECENT) body.removeChild(body.lastChild);
    // The breaker's and keys' pills follow their transitions at once, not at the next summary.
    var p = state.providers && state.providers[t.provider];
    if (!p) return;
    if (t.actor === 'breaker') p.breaker = t.to;
    else if (t.actor.indexOf('key:') === 0) p.keys.forEach(function (k) { if ('key:' + k.name === t.actor && t.to !== 'removed') k.state = t.to; });
    else if (t.actor.indexOf('batcher:') === 0) p.batchers.forEach(function (b) { if ('batcher:' + b.model === t.actor) b.state = t.to; });
    else return;
    renderProviders();
  }

  function setConn(text, cls) {
    document.getElementById('conn').textContent = text;
    document.getElementById('conn-dot').className = 'dot ' + cls;
  }

  renderProviders();
  renderRecent();
  if (!window.EventSource) { setConn('this browser has no EventSource', 'down'); return; }
  var url = location.pathname.replace(/\/+$/, '') + '/events' + location.search;
  var es = new EventSource(url);
  es.onopen = function () { setConn('live', 'live'); };
  es.onerror = function () { setConn(es.readyState === 2 ? 'closed' : 'reconnecting…', 'down'); };
  es.addEventListener('hello', function (e) {
    var d = JSON.parse(e.data);
    state = d.state; recent = (d.recent || []).slice(-MAX_RECENT); dropped = 0;
    setConn('live', 'live');
    renderProviders(); renderRecent();
  });
  es.addEventListener('state', function (e) { state = JSON.parse(e.data); renderProviders(); });
  es.addEventListener('transition', function (e) { addTransition(JSON.parse(e.data)); });
  es.addEventListener('dropped', function (e) { dropped += JSON.parse(e.data).count; renderRecent(); });
  es.addEventListener('bye', function () { es.close(); setConn('inspector closed', 'down'); });
})();
`;
