// The status page: reads the admin API of the node that serves it, with
// the token cookie the browser holds, and draws what it reads. It talks
// to nothing but its own origin.
'use strict';
(() => {
  const HEALTH_EVERY = 1000; // ms between reads of /v1/health
  const MEMBERS_EVERY = 5000;
  const MAX_EVENTS = 100;
  // The map shows latitudes 84 N to 58 S; x is longitude + 180.
  const TOP_LAT = 84;

  const canWrite = document.body.dataset.role === 'write';
  const state = {
    services: [], // from /v1/config
    revision: '',
    health: new Map(), // "service|endpoint" -> EndpointStatus
    members: [],
    events: [],
    lastHealth: 0,
  };

  const $ = (id) => document.getElementById(id);

  // h makes an element; attrs holding null are left out; children are
  // nodes or text, never HTML.
  function h(tag, attrs, ...children) {
    const el = tag.startsWith('svg:')
      ? document.createElementNS('http://www.w3.org/2000/svg', tag.slice(4))
      : document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') el.setAttribute('class', v);
      else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }

  async function api(path, opts) {
    const resp = await fetch(path, Object.assign({ credentials: 'same-origin', headers: { Accept: 'application/json' }, cache: 'no-store' }, opts));
    const text = await resp.text();
    let body = null;
    try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
    if (!resp.ok) {
      const msg = body && body.error ? body.error : resp.status + ' ' + resp.statusText;
      const err = new Error(msg);
      err.status = resp.status;
      throw err;
    }
    return { body, resp };
  }

  function problem(msg) {
    const p = $('problem');
    p.hidden = !msg;
    p.textContent = msg || '';
  }

  // ----- time -----
  function age(iso) {
    if (!iso) return '';
    const t = Date.parse(iso);
    if (Number.isNaN(t)) return '';
    let s = Math.max(0, Math.round((Date.now() - t) / 1000));
    if (s < 60) return s + 's';
    if (s < 3600) return Math.floor(s / 60) + 'm' + String(s % 60).padStart(2, '0') + 's';
    if (s < 86400) return Math.floor(s / 3600) + 'h' + String(Math.floor(s / 60) % 60).padStart(2, '0') + 'm';
    return Math.floor(s / 86400) + 'd';
  }
  function clock(iso) {
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? '' : d.toLocaleTimeString([], { hour12: false });
  }

  // ----- endpoints -----
  const key = (service, endpoint) => service + '|' + endpoint;

  // regionOf is an endpoint's region: its own id when it names none.
  const regionOf = (ep) => ep.region || ep.id;

  // statusOf is the page's word for an endpoint: an operator's decision
  // first, then the cluster's verdict.
  function statusOf(st) {
    if (!st) return 'unknown';
    if (st.override && st.override.state === 'down') return 'drained';
    if (st.override && st.override.state === 'up') return 'forced';
    return st.healthy ? 'healthy' : 'unhealthy';
  }

  // regionDrain is the region whose override an endpoint follows, if
  // its override came from a region (the node names it in the reason).
  function regionDrain(st, region) {
    const r = st && st.override && st.override.reason;
    return r && (r === 'region ' + region || r.startsWith('region ' + region + ':')) ? region : '';
  }

  // rows is every endpoint the document has, with its status; endpoints
  // only /v1/health knows (a newer document) come last.
  function rows() {
    const out = [];
    const seen = new Set();
    for (const svc of state.services) {
      for (const ep of svc.endpoints || []) {
        const st = state.health.get(key(svc.name, ep.id));
        seen.add(key(svc.name, ep.id));
        out.push({ service: svc.name, id: ep.id, region: regionOf(ep), location: ep.location, st, status: statusOf(st) });
      }
    }
    for (const [k, st] of state.health) {
      if (!seen.has(k)) out.push({ service: st.service, id: st.endpoint, region: st.endpoint, location: null, st, status: statusOf(st) });
    }
    return out;
  }

  function nodes() {
    const ids = new Set(state.members.map((m) => m.id));
    for (const st of state.health.values()) for (const o of st.observations || []) ids.add(o.node);
    return [...ids].sort();
  }

  // ----- map -----
  const px = (lon, lat) => [lon + 180, TOP_LAT - lat];

  function drawLand() {
    const land = $('land');
    for (const ring of window.gtmdWorld || []) {
      const d = ring.map(([lon, lat], i) => (i ? 'L' : 'M') + px(lon, lat).map((v) => v.toFixed(1)).join(' ')).join('') + 'Z';
      land.append(h('svg:path', { d }));
    }
    const g = $('graticule');
    for (let lon = -150; lon <= 150; lon += 30) g.append(h('svg:line', { x1: lon + 180, y1: 0, x2: lon + 180, y2: 142 }));
    for (let lat = -30; lat <= 60; lat += 30) g.append(h('svg:line', { x1: 0, y1: TOP_LAT - lat, x2: 360, y2: TOP_LAT - lat, class: lat === 0 ? 'equator' : null }));
  }

  function drawMarkers(all) {
    const g = $('markers');
    g.replaceChildren();
    // Endpoints at one place fan out around it, so each can be seen.
    const at = new Map();
    for (const r of all) {
      if (!r.location) continue;
      const p = r.location.lat.toFixed(1) + ',' + r.location.lon.toFixed(1);
      if (!at.has(p)) at.set(p, []);
      at.get(p).push(r);
    }
    let unplaced = 0;
    for (const r of all) if (!r.location) unplaced++;
    // Markers keep about the same size on screen however wide the map
    // is drawn, so they stay visible and easy to tap on a phone.
    const width = $('map').getBoundingClientRect().width || 720;
    const k = Math.min(3, Math.max(1, 800 / width));
    g.dataset.width = String(Math.round(width));
    for (const group of at.values()) {
      const [gx, gy] = px(group[0].location.lon, group[0].location.lat);
      const ids = [...new Set(group.map((r) => r.id))];
      g.append(h('svg:text', { class: 'mlabel', x: gx.toFixed(2), y: (gy - (group.length > 1 ? 4 : 0) * k - 4.5 * k).toFixed(2), 'font-size': (3.2 * k).toFixed(2), 'aria-hidden': 'true' }, ids.join(', ')));
      group.forEach((r, i) => {
        let [x, y] = [gx, gy];
        if (group.length > 1) {
          const a = (2 * Math.PI * i) / group.length - Math.PI / 2;
          x += 3.2 * k * Math.cos(a);
          y += 3.2 * k * Math.sin(a);
        }
        const label = r.id + ' of ' + r.service + ': ' + r.status + (r.st && r.st.reason ? ' (' + r.st.reason + ')' : '');
        const m = h('svg:g', {
          class: 'marker s-' + r.status, 'data-service': r.service, 'data-endpoint': r.id, 'data-status': r.status,
          transform: 'translate(' + x.toFixed(2) + ' ' + y.toFixed(2) + ') scale(' + k.toFixed(2) + ')', tabindex: 0, role: 'img', 'aria-label': label,
          onclick: () => focusRow(r), onkeydown: (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); focusRow(r); } },
        },
        h('svg:title', {}, label),
        h('svg:circle', { class: 'halo', r: 4.2 }),
        h('svg:circle', { class: 'dot', r: 2.4 }),
        r.status === 'drained' ? h('svg:line', { class: 'bar', x1: -2.2, y1: 2.2, x2: 2.2, y2: -2.2 }) : null,
        r.status === 'unhealthy' ? h('svg:path', { class: 'cross', d: 'M-1.2 -1.2L1.2 1.2M-1.2 1.2L1.2 -1.2' }) : null,
        r.status === 'forced' ? h('svg:circle', { class: 'ring', r: 3.3 }) : null);
        g.append(m);
      });
    }
    $('map-note').textContent = unplaced ? unplaced + ' endpoint(s) have no location and are listed below only.' : '';
  }

  function focusRow(r) {
    const row = document.querySelector('#matrix-body tr[data-service="' + CSS.escape(r.service) + '"][data-endpoint="' + CSS.escape(r.id) + '"]');
    if (row) { row.scrollIntoView({ block: 'center', behavior: 'smooth' }); row.focus(); }
  }

  // ----- regions -----
  function drawRegions(all) {
    const byRegion = new Map();
    for (const r of all) {
      if (!byRegion.has(r.region)) byRegion.set(r.region, []);
      byRegion.get(r.region).push(r);
    }
    const ul = $('regions');
    ul.replaceChildren();
    for (const [region, rs] of [...byRegion].sort((a, b) => a[0].localeCompare(b[0]))) {
      const up = rs.filter((r) => r.status === 'healthy' || r.status === 'forced').length;
      const drained = rs.length > 0 && rs.every((r) => regionDrain(r.st, region));
      const worst = drained ? 'drained' : up === rs.length ? 'healthy' : up === 0 ? 'unhealthy' : 'degraded';
      ul.append(h('li', { class: 'region s-' + worst, 'data-region': region },
        h('span', { class: 'chip s-' + worst }, worst),
        h('strong', {}, region),
        h('span', { class: 'muted' }, up + '/' + rs.length + ' up'),
        canWrite ? (drained
          ? h('button', { type: 'button', class: 'small-btn', 'aria-label': 'Undrain region ' + region, onclick: () => confirmDrain({ region, undo: true }) }, 'Undrain')
          : h('button', { type: 'button', class: 'small-btn danger', 'aria-label': 'Drain region ' + region, onclick: () => confirmDrain({ region }) }, 'Drain region'))
          : null));
    }
  }

  // ----- matrix -----
  // latency shortens a Go duration ("1.439637ms") to what a person reads.
  function latency(d) {
    const m = /^([0-9.]+)(ns|µs|us|ms|s)$/.exec(d || '');
    if (!m) return d || '';
    const ms = parseFloat(m[1]) * { ns: 1e-6, 'µs': 1e-3, us: 1e-3, ms: 1, s: 1000 }[m[2]];
    return ms < 10 ? ms.toFixed(1) + ' ms' : Math.round(ms) + ' ms';
  }

  function obsCell(node, o) {
    if (!o) return h('td', { 'data-node': node, 'data-obs': 'none', class: 'obs' }, h('span', { class: 'muted' }, '—'));
    const cls = o.status === 'up' ? 'healthy' : o.status === 'down' ? 'unhealthy' : 'unknown';
    return h('td', { 'data-node': node, 'data-obs': o.status, class: 'obs', title: o.error || null },
      h('span', { class: 'chip s-' + cls }, o.status),
      o.latency ? h('span', { class: 'lat', title: o.latency }, latency(o.latency)) : null,
      o.at ? h('span', { class: 'age muted', 'data-at': o.at }, age(o.at)) : null,
      o.error ? h('span', { class: 'err' }, o.error) : null);
  }

  // targetNote says what an endpoint named by hostname resolves to on
  // the node the page asks: the addresses answered now, and while its
  // lookups fail, since when, and the last good addresses apart.
  function targetNote(tg) {
    const addrs = (a) => (a && a.length ? a.join(', ') : '');
    const failing = tg.failure ? tg.failure + (tg.failing_since ? ' for ' + age(tg.failing_since) : '') : '';
    const resolved = tg.last_good && tg.last_good.resolved ? ', resolved ' + age(tg.last_good.resolved) + ' ago' : '';
    const lastGood = tg.last_good ? 'last good ' + addrs(tg.last_good.addresses) + resolved : '';
    let text;
    switch (tg.state) {
      case 'resolved': text = tg.name + ' → ' + addrs(tg.addresses); break;
      // Stale: the addresses answered are the last good ones.
      case 'stale': text = tg.name + ' → ' + addrs(tg.addresses) + ' (last good' + resolved + '; ' + [failing, tg.stale_until ? 'answered until ' + clock(tg.stale_until) : ''].filter(Boolean).join('; ') + ')'; break;
      case 'failed': text = tg.name + ': no address answered (' + [failing, lastGood].filter(Boolean).join('; ') + ')'; break;
      default: text = tg.name + ': not resolved yet';
    }
    return h('span', { class: 'target muted', 'data-target': tg.name, 'data-target-state': tg.state }, text);
  }

  function drawMatrix(all) {
    const ns = nodes();
    const head = $('matrix-head');
    head.replaceChildren(
      h('th', { scope: 'col' }, 'Endpoint'),
      h('th', { scope: 'col' }, 'Cluster'),
      ...ns.map((n) => h('th', { scope: 'col', 'data-node': n }, n)),
      ...(canWrite ? [h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Actions'))] : []));
    const body = $('matrix-body');
    const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.focusKey : '';
    body.replaceChildren();
    for (const r of all) {
      const obs = new Map(((r.st && r.st.observations) || []).map((o) => [o.node, o]));
      const ov = r.st && r.st.override;
      const byRegion = regionDrain(r.st, r.region);
      let action = null;
      if (canWrite) {
        const undo = r.status === 'drained' || r.status === 'forced';
        const fk = 'act|' + r.service + '|' + r.id;
        // Clearing a force-up is the same call as an undrain.
        const verb = r.status === 'forced' ? 'Release' : 'Undrain';
        action = h('td', { class: 'act' }, undo
          ? h('button', { type: 'button', class: 'small-btn', 'data-focus-key': fk, 'aria-label': (byRegion ? verb + ' region ' + byRegion + ' (' + r.id + ' of ' + r.service + ')' : verb + ' ' + r.id + ' of ' + r.service),
            onclick: () => confirmDrain(byRegion ? { region: byRegion, undo: true, verb } : { service: r.service, endpoint: r.id, undo: true, verb }) }, verb)
          : h('button', { type: 'button', class: 'small-btn danger', 'data-focus-key': fk, 'aria-label': 'Drain ' + r.id + ' of ' + r.service,
            onclick: () => confirmDrain({ service: r.service, endpoint: r.id }) }, 'Drain'));
      }
      body.append(h('tr', { 'data-service': r.service, 'data-endpoint': r.id, 'data-status': r.status, tabindex: -1 },
        h('th', { scope: 'row' }, h('span', { class: 'ep' }, r.id), h('span', { class: 'svc muted' }, r.service)),
        h('td', { class: 'verdict' },
          h('span', { class: 'chip s-' + r.status }, r.status),
          r.st && r.st.since ? h('span', { class: 'age muted', 'data-at': r.st.since, title: 'since ' + r.st.since }, age(r.st.since)) : null,
          h('span', { class: 'why muted' }, ov && ov.reason ? ov.reason : r.st ? r.st.reason : 'not in /v1/health'),
          r.st && r.st.target ? targetNote(r.st.target) : null),
        ...ns.map((n) => obsCell(n, obs.get(n))),
        action));
    }
    if (focused) {
      const el = body.querySelector('[data-focus-key="' + CSS.escape(focused) + '"]');
      if (el) el.focus();
    }
  }

  function drawSummary(all) {
    const count = (s) => all.filter((r) => r.status === s).length;
    $('sum-up').textContent = count('healthy') + count('forced') + '/' + all.length;
    $('sum-down').textContent = count('unhealthy');
    $('sum-down').parentElement.classList.toggle('bad', count('unhealthy') > 0);
    $('sum-drained').textContent = count('drained');
    $('sum-nodes').textContent = state.members.length;
    $('sum-rev').textContent = state.revision || '–';
  }

  function drawAll() {
    const all = rows();
    drawMarkers(all);
    drawRegions(all);
    drawMatrix(all);
    drawSummary(all);
  }

  // ----- members -----
  function drawMembers() {
    // Which node serves this page: the member whose admin URL it is.
    const self = state.members.find((m) => (m.admin || '').replace(/\/$/, '') === location.origin);
    $('via').textContent = self ? 'from ' + self.id : location.host;
    document.title = 'gtmd status · ' + (self ? self.id : location.host);
    const body = $('members-body');
    body.replaceChildren();
    const newest = Math.max(0, ...state.members.map((m) => m.revision || 0));
    for (const m of [...state.members].sort((a, b) => a.id.localeCompare(b.id))) {
      const behind = (m.revision || 0) < newest;
      body.append(h('tr', { 'data-node': m.id, class: behind ? 'behind' : null },
        h('th', { scope: 'row', title: m.version ? 'gtmd ' + m.version : null }, m.id),
        h('td', {}, m.region || ''),
        h('td', {}, String(m.revision || 0), behind ? h('span', { class: 'chip s-unhealthy' }, 'behind') : null),
        h('td', {}, m.last_seen ? h('span', { class: 'age', 'data-at': m.last_seen }, age(m.last_seen)) : '—')));
    }
    drawSummary(rows());
  }

  // ----- loading -----
  async function loadConfig() {
    const { body, resp } = await api('/v1/config');
    state.services = (body && body.services) || [];
    state.revision = resp.headers.get('X-Gtmd-Revision') || '';
  }

  let healthBusy = false;
  let healthAgain = false;
  async function loadHealth() {
    if (healthBusy) { healthAgain = true; return; }
    healthBusy = true;
    try {
      const { body } = await api('/v1/health');
      state.health = new Map((body.endpoints || []).map((e) => [key(e.service, e.endpoint), e]));
      state.lastHealth = Date.now();
      drawAll();
      problem('');
    } catch (e) {
      problem('Reading /v1/health failed: ' + e.message);
    } finally {
      healthBusy = false;
      if (healthAgain) { healthAgain = false; loadHealth(); }
    }
  }

  async function loadMembers() {
    try {
      const { body } = await api('/v1/members');
      state.members = body.members || [];
      drawMembers();
    } catch (e) {
      problem('Reading /v1/members failed: ' + e.message);
    }
  }

  function every(ms, fn) {
    const tick = async () => { await fn(); setTimeout(tick, ms); };
    setTimeout(tick, ms);
  }

  // Ages move on between reads.
  function refreshAges() {
    for (const el of document.querySelectorAll('[data-at]')) el.textContent = age(el.dataset.at);
  }

  // ----- events -----
  function eventSummary(ev) {
    const d = ev.data || {};
    switch (ev.type) {
      case 'health': return d.endpoint + ' of ' + d.service + ' is ' + statusOf(d) + (d.reason ? ': ' + d.reason : '');
      case 'config': return 'traffic document revision ' + d.revision + ' is served';
      case 'member_join': return 'node ' + d.id + ' joined' + (d.region ? ' (' + d.region + ')' : '');
      case 'member_leave': return 'node ' + d.id + ' left';
      case 'dnssec': return 'DNSSEC: ' + (d.zone || '') + ' ' + (d.detail || d.state || '');
      default: return ev.type;
    }
  }

  function addEvent(ev) {
    state.events.unshift(ev);
    state.events.length = Math.min(state.events.length, MAX_EVENTS);
    const ol = $('events');
    const status = ev.type === 'health' ? statusOf(ev.data) : '';
    ol.prepend(h('li', { class: 'event t-' + ev.type, 'data-type': ev.type },
      h('time', { datetime: ev.at }, clock(ev.at)),
      h('span', { class: 'chip ' + (status ? 's-' + status : 's-info') }, ev.type.replace('_', ' ')),
      h('span', { class: 'what' }, eventSummary(ev))));
    while (ol.children.length > MAX_EVENTS) ol.lastElementChild.remove();
  }

  function setConn(ok, text) {
    $('conn-dot').className = 'dot ' + (ok ? 'live' : 'down');
    $('conn-text').textContent = text;
  }

  let retry = 1000;
  function listen() {
    const es = new EventSource('/v1/events');
    es.onopen = () => { retry = 1000; setConn(true, 'live'); loadHealth(); loadMembers(); };
    es.onerror = () => {
      setConn(false, 'reconnecting…');
      // EventSource retries by itself after a network error, but gives
      // up after an answer that is not a stream (a 429, a restart's 503):
      // then start a new one, waiting longer each time.
      if (es.readyState === EventSource.CLOSED) {
        setTimeout(listen, retry);
        retry = Math.min(retry * 2, 30000);
      }
    };
    const on = (type, fn) => es.addEventListener(type, (m) => {
      let ev;
      try { ev = JSON.parse(m.data); } catch (e) { return; }
      addEvent(ev);
      if (fn) fn(ev);
    });
    on('health', () => loadHealth());
    on('config', () => loadConfig().then(drawAll).catch((e) => problem('Reading /v1/config failed: ' + e.message)));
    on('member_join', () => loadMembers());
    on('member_leave', () => loadMembers());
    on('dnssec');
  }

  // ----- explain -----
  function answerKey(ex) {
    if (!ex) return 'none';
    if (ex.trace && ex.trace.random) {
      return ex.rcode + '|' + ex.trace.rule + '|' + (ex.endpoints || []).map((e) => e.id + (e.healthy ? '+' : '-')).sort().join(',');
    }
    return ex.rcode + '|' + [...(ex.answer || [])].sort().join('\n');
  }

  function drawExplain(all) {
    const out = $('explain-output');
    const counts = new Map();
    for (const n of all.nodes) if (n.explanation) counts.set(answerKey(n.explanation), (counts.get(answerKey(n.explanation)) || 0) + 1);
    // The answer most nodes give is taken as right, when more than half
    // give it; otherwise every node is outlined, since none can be told
    // right.
    let major = '';
    for (const [k, c] of counts) if (c > all.nodes.length / 2) major = k;
    out.dataset.agree = String(!!all.agree);
    out.replaceChildren(
      h('p', { class: 'verdict ' + (all.agree ? 'ok' : 'bad') }, all.agree ? 'Every node gives the same answer.' : 'The nodes disagree: ' + (all.disagreement || '')),
      h('div', { class: 'explain-nodes' }, all.nodes.map((n) => {
        const ex = n.explanation;
        const differs = !ex || (!all.agree && answerKey(ex) !== major);
        return h('article', { class: 'node-answer' + (differs ? ' disagree' : ''), 'data-node': n.node, 'data-disagree': differs ? 'true' : 'false' },
          h('h3', {}, n.node, differs ? h('span', { class: 'chip s-unhealthy' }, 'differs') : null),
          n.error ? h('p', { class: 'err' }, n.error) : null,
          ex ? [
            h('p', {}, h('span', { class: 'chip ' + (ex.rcode === 'NOERROR' ? 's-healthy' : 's-unhealthy') }, ex.rcode),
              ' ', ex.trace && ex.trace.rule ? h('span', {}, 'rule: ', h('code', {}, ex.trace.rule)) : null,
              ex.ecs_scope ? h('span', { class: 'muted' }, ' scope /' + ex.ecs_scope) : null),
            h('ul', { class: 'answer' }, (ex.answer && ex.answer.length ? ex.answer : ['(no records)']).map((a) => h('li', {}, h('code', {}, a)))),
            ex.client ? h('p', { class: 'muted small' }, 'client ', ex.client.address || '', ex.client.subnet ? ' (' + ex.client.subnet + ')' : '',
              ex.client.located ? ' in ' + [ex.client.country, ex.client.subdivision, ex.client.continent].filter(Boolean).join(', ') : ', not located') : null,
            h('details', {}, h('summary', {}, 'Trace (' + ((ex.trace && ex.trace.steps) || []).length + ' steps)'),
              h('ol', { class: 'trace' }, ((ex.trace && ex.trace.steps) || []).map((s) => h('li', {}, h('span', { class: 'kind' }, s.kind), s.endpoint ? h('code', {}, s.endpoint) : null, ' ', s.detail)))),
          ] : null);
      })));
  }

  async function explain(e) {
    e.preventDefault();
    const out = $('explain-output');
    const q = new URLSearchParams({ name: $('ex-name').value.trim(), type: $('ex-type').value.trim() || 'A', all_nodes: '1' });
    const c = $('ex-client').value.trim();
    if (c) q.set(c.includes('/') ? 'ecs' : 'client', c);
    out.replaceChildren(h('p', { class: 'muted' }, 'Asking every node…'));
    try {
      const { body } = await api('/v1/explain?' + q.toString());
      drawExplain(body);
    } catch (err) {
      out.dataset.agree = '';
      out.replaceChildren(h('p', { class: 'err' }, err.message));
    }
  }

  // ----- drain -----
  let pending = null;
  function confirmDrain(what) {
    pending = what;
    const dlg = $('drain-dialog');
    const verb = what.verb || (what.undo ? 'Undrain' : 'Drain');
    const target = what.region ? 'region ' + what.region + ' (every endpoint of it, in every service)' : 'endpoint ' + what.endpoint + ' of ' + what.service;
    $('drain-title').textContent = verb + (what.region ? ' region ' + what.region : ' ' + what.endpoint);
    $('drain-what').textContent = what.undo
      ? 'Clear the operator\'s decision: ' + target + ' goes back to its health checks.'
      : 'Take ' + target + ' out of DNS answers until it is undrained.';
    $('drain-confirm').textContent = verb;
    $('drain-confirm').className = what.undo ? '' : 'danger';
    $('drain-reason').value = '';
    $('drain-reason').required = !what.undo;
    $('drain-error').hidden = true;
    dlg.showModal();
    $('drain-reason').focus();
  }

  async function doDrain(e) {
    e.preventDefault();
    if (!pending) return;
    const reason = $('drain-reason').value.trim();
    if (!pending.undo && !reason) { $('drain-reason').reportValidity(); return; }
    const path = pending.region
      ? '/v1/regions/' + encodeURIComponent(pending.region) + '/override'
      : '/v1/overrides/' + encodeURIComponent(pending.service) + '/' + encodeURIComponent(pending.endpoint);
    try {
      if (pending.undo) {
        await api(path + (reason ? '?reason=' + encodeURIComponent(reason) : ''), { method: 'DELETE' });
      } else {
        await api(path, { method: 'PUT', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify({ state: 'down', reason }) });
      }
      pending = null;
      $('drain-dialog').close();
      loadHealth();
    } catch (err) {
      $('drain-error').textContent = err.message;
      $('drain-error').hidden = false;
    }
  }

  // ----- start -----
  async function start() {
    drawLand();
    $('explain-form').addEventListener('submit', explain);
    $('drain-form').addEventListener('submit', doDrain);
    $('drain-cancel').addEventListener('click', () => { pending = null; $('drain-dialog').close(); });
    try {
      await loadConfig();
    } catch (e) {
      problem('Reading /v1/config failed: ' + e.message);
    }
    const first = state.services[0];
    if (first && !$('ex-name').value) $('ex-name').value = first.name.replace(/\.$/, '');
    await Promise.all([loadHealth(), loadMembers()]);
    listen();
    every(HEALTH_EVERY, loadHealth);
    every(MEMBERS_EVERY, loadMembers);
    setInterval(refreshAges, 1000);
    let resized = 0;
    window.addEventListener('resize', () => { clearTimeout(resized); resized = setTimeout(drawAll, 150); });
  }
  start();
})();
