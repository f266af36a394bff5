// cronq dashboard: plain JavaScript, no build step, no dependencies.
// Reads and acts only through the public HTTP API, with the session cookie set by
// POST /v1/session and the CSRF token it returns (sent as X-CSRF-Token on writes).
'use strict';

const S = { me: null, csrf: '', queues: [], es: null, view: null };
const STATES = ['waiting', 'delayed', 'active', 'completed', 'failed'];

// ---- helpers -------------------------------------------------------------------

// Builds an element; strings become text nodes (never HTML), so data cannot inject markup.
function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const kid of kids.flat(Infinity)) {
    if (kid === null || kid === undefined || kid === false) continue;
    el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }
  return el;
}

// Replaces an element's children, skipping null and false (replaceChildren would print them).
function put(el, ...kids) {
  el.replaceChildren(...kids.flat(Infinity).filter(k => k !== null && k !== undefined && k !== false));
}

class ApiError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

async function api(method, path, body) {
  const headers = {};
  if (method !== 'GET') headers['X-CSRF-Token'] = S.csrf;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, { method, headers, credentials: 'same-origin',
                                  body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch (_) { json = null; }
  if (!res.ok) {
    const e = (json && json.error) || {};
    if (res.status === 401 && S.me && path !== '/v1/session') { S.me = null; render(); }
    throw new ApiError(res.status, e.code || 'error', e.message || res.statusText);
  }
  return json;
}

const enc = encodeURIComponent;
const canAdmin = () => S.me && S.me.scope === 'admin';
const canTrigger = () => S.me && (S.me.scope === 'admin' || S.me.scope === 'producer');

function pad(n) { return String(n).padStart(2, '0'); }
function fmtTime(ms) {
  if (ms === null || ms === undefined) return '—';
  const d = new Date(typeof ms === 'string' ? Date.parse(ms) : ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
function fmtAge(ms) {
  if (ms === null || ms === undefined) return '—';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}
function pretty(v) { return v === null || v === undefined ? '—' : JSON.stringify(v, null, 2); }
function badge(state, text) { return h('span', { class: `state s-${state}` }, text || state); }

let toastTimer = 0;
function toast(msg) {
  const t = document.getElementById('toast');
  t.textContent = msg;
  t.classList.add('show');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => t.classList.remove('show'), 3500);
}

// Runs an operator action; destructive ones ask first. Reports the outcome.
async function act(label, method, path, body, confirmText) {
  if (confirmText && !window.confirm(confirmText)) return false;
  try {
    await api(method, path, body);
    toast(`${label}: done`);
    return true;
  } catch (e) {
    toast(`${label}: ${e.message}`);
    return false;
  }
}

function button(label, onclick, cls) { return h('button', { type: 'button', class: cls, onclick }, label); }

function table(head, rows, empty) {
  if (!rows.length) return h('p', { class: 'muted' }, empty || 'Nothing here.');
  return h('div', { class: 'table-wrap' }, h('table', {},
    h('thead', {}, h('tr', {}, head.map(c => h('th', {  // "~Name": hidden on phones; "Name#": a number
      class: [c.endsWith('#') ? 'num' : '', c.startsWith('~') ? 'hide-sm' : ''].join(' ').trim() || null,
    }, c.replace(/#$/, '').replace(/^~/, ''))))),
    h('tbody', {}, rows)));
}

// ---- routing ---------------------------------------------------------------------

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const [path, query] = raw.split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { parts, params: new URLSearchParams(query || '') };
}

function render() {
  const main = document.getElementById('main');
  S.view = null;
  document.getElementById('nav').hidden = !S.me;
  document.getElementById('who').hidden = !S.me;
  if (!S.me) { stopEvents(); put(main, loginView()); return; }
  document.getElementById('who-name').textContent = `${S.me.name} (${S.me.scope})`;
  startEvents();
  const { parts, params } = parseHash();
  let view;
  if (parts[0] === 'queues' && parts[1] && parts[2] === 'jobs' && parts[3]) view = jobView(parts[1], parts[3]);
  else if (parts[0] === 'queues' && parts[1]) view = queueView(parts[1], params);
  else if (parts[0] === 'schedules' && parts[1]) view = scheduleView(parts[1]);
  else if (parts[0] === 'schedules') view = schedulesView();
  else if (parts[0] === 'audit') view = auditView(params);
  else view = overviewView();
  const section = parts[0] === 'schedules' ? 'schedules' : parts[0] === 'audit' ? 'audit' : 'overview';
  for (const a of document.querySelectorAll('[data-nav]')) a.classList.toggle('on', a.dataset.nav === section);
  S.view = view;
  put(main, view.el);
  view.load().catch(e => view.el.append(h('p', { class: 'error' }, e.message)));
}

// ---- live updates ----------------------------------------------------------------

function startEvents() {
  if (S.es) return;
  const es = new EventSource('/v1/events');
  S.es = es;
  const live = document.getElementById('live');
  es.onopen = () => live.classList.add('on');
  es.onerror = () => live.classList.remove('on');
  es.addEventListener('counts', ev => {
    const data = JSON.parse(ev.data);
    S.queues = data.queues;
    if (S.view && S.view.onCounts) S.view.onCounts(data.queues);
  });
  es.addEventListener('jobs', ev => {
    const data = JSON.parse(ev.data);
    if (S.view && S.view.onJobs) S.view.onJobs(data);
  });
}
function stopEvents() { if (S.es) { S.es.close(); S.es = null; } }

// ---- login -------------------------------------------------------------------------

function loginView() {
  const err = h('p', { class: 'error', role: 'alert' });
  const input = h('input', { type: 'password', id: 'token', name: 'token', autocomplete: 'current-password', required: true });
  const form = h('form', { onsubmit: async ev => {
    ev.preventDefault();
    err.textContent = '';
    try {
      const me = await api('POST', '/v1/session', { token: input.value });
      S.me = me; S.csrf = me.csrf;
      render();
    } catch (e) { err.textContent = e.message; }
  } },
  h('label', { for: 'token' }, 'API token'), input,
  h('button', { type: 'submit', class: 'primary' }, 'Log in'), err,
  h('p', { class: 'muted' }, 'Any cronq token works; read-only tokens see no actions.'));
  setTimeout(() => input.focus(), 0);
  return h('div', { class: 'card login' }, h('h1', {}, 'Log in to cronq'), form);
}

// ---- overview ------------------------------------------------------------------------

function sparkline(series) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('class', 'spark');
  svg.setAttribute('viewBox', '0 0 120 28');
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('aria-hidden', 'true');
  const max = Math.max(1, ...series.completed.map((c, i) => c + series.failed[i]));
  series.completed.forEach((c, i) => {
    const f = series.failed[i];
    const hc = (c / max) * 28, hf = (f / max) * 28;
    for (const [cls, y, hh] of [['c', 28 - hc, hc], ['f', 28 - hc - hf, hf]]) {
      if (hh <= 0) continue;
      const r = document.createElementNS(ns, 'rect');
      r.setAttribute('class', cls); r.setAttribute('x', i * 2); r.setAttribute('y', y);
      r.setAttribute('width', 1.6); r.setAttribute('height', hh);
      svg.append(r);
    }
  });
  return svg;
}

function overviewView() {
  const body = h('div', {});
  const el = h('section', {}, h('h1', {}, 'Queues'), body);
  let throughput = { queues: {} };
  const draw = queues => {
    const rows = queues.map(q => {
      const tp = throughput.queues[q.name] || { completed: [], failed: [] };
      const sum = a => a.reduce((x, y) => x + y, 0);
      const actions = canAdmin() ? h('div', { class: 'actions' },
        q.paused ? button('Resume', async () => { if (await act('Resume', 'POST', `/v1/queues/${enc(q.name)}/resume`)) load(); })
                 : button('Pause', async () => { if (await act('Pause', 'POST', `/v1/queues/${enc(q.name)}/pause`)) load(); })) : null;
      return h('tr', { 'data-queue': q.name },
        h('td', {}, h('a', { href: `#/queues/${enc(q.name)}` }, q.name), ' ', q.paused ? badge('paused') : null),
        STATES.map(s => h('td', { class: 'num', 'data-count': s },
          h('a', { href: `#/queues/${enc(q.name)}?state=${s}` }, q.counts[s]))),
        h('td', { class: 'num', 'data-oldest': '' }, fmtAge(q.oldestWaitingAgeMs)),
        h('td', { class: 'num hide-sm', 'data-workers': '', title: 'workers that fetched in the last minute' }, q.workers),
        h('td', { class: 'hide-sm' }, tp.completed.length ? sparkline(tp) : null,
          h('span', { class: 'muted' }, `${sum(tp.completed)} done, ${sum(tp.failed)} failed`)),
        h('td', {}, actions));
    });
    put(body, table(['Queue', ...STATES.map(s => s + '#'), 'Oldest waiting#', '~Workers#', '~Last hour', ''], rows,
      'No queues yet: enqueue a job (POST /v1/queues/{queue}/jobs) and it shows up here.'));
  };
  const load = async () => {
    const [qs, tp] = await Promise.all([api('GET', '/v1/queues'), api('GET', '/v1/throughput')]);
    throughput = tp;
    S.queues = qs.queues;
    draw(qs.queues);
  };
  // Live counts: update the cells in place (no layout jump); new queues redraw.
  const onCounts = queues => {
    const shown = new Set([...body.querySelectorAll('tr[data-queue]')].map(r => r.dataset.queue));
    if (queues.some(q => !shown.has(q.name)) || queues.length !== shown.size) return draw(queues);
    for (const q of queues) {
      const row = body.querySelector(`tr[data-queue="${CSS.escape(q.name)}"]`);
      for (const s of STATES) row.querySelector(`[data-count="${s}"] a`).textContent = q.counts[s];
      row.querySelector('[data-oldest]').textContent = fmtAge(q.oldestWaitingAgeMs);
      row.querySelector('[data-workers]').textContent = q.workers;
    }
  };
  let tpTimer = 0;
  const onJobs = () => {  // refresh the last-hour figures at most every 10 s
    if (tpTimer) return;
    tpTimer = setTimeout(async () => { tpTimer = 0; try { throughput = await api('GET', '/v1/throughput'); draw(S.queues); } catch (_) {} }, 10000);
  };
  return { el, load, onCounts, onJobs };
}

// ---- one queue ------------------------------------------------------------------------

function toLocalInput(ms) {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function queueView(name, params) {
  const state = params.get('state') || '';
  const q = params.get('q') || '';
  const from = params.get('from') || '';
  const to = params.get('to') || '';
  const cursors = [''];  // page starts; the last one is shown
  const head = h('h1', {}, `Queue ${name}`);
  const bar = h('div', { class: 'bar' });
  const tabs = h('nav', { class: 'tabs', 'aria-label': 'job states' });
  const list = h('div', {});
  const pager = h('div', { class: 'pager' });
  const link = (over) => {
    const p = new URLSearchParams({ state, q, from, to, ...over });
    for (const [k, v] of [...p]) if (!v) p.delete(k);
    const s = p.toString();
    return `#/queues/${enc(name)}${s ? '?' + s : ''}`;
  };
  const qInput = h('input', { type: 'search', name: 'q', value: q, placeholder: 'id, name or error text', 'aria-label': 'search' });
  const fromInput = h('input', { type: 'datetime-local', name: 'from', value: from ? toLocalInput(+from) : '' });
  const toInput = h('input', { type: 'datetime-local', name: 'to', value: to ? toLocalInput(+to) : '' });
  const search = h('form', { class: 'search', role: 'search', onsubmit: ev => {
    ev.preventDefault();
    const ms = i => (i.value ? String(new Date(i.value).getTime()) : '');
    location.hash = link({ q: qInput.value.trim(), from: ms(fromInput), to: ms(toInput) });
  } },
  h('label', {}, 'Search', qInput), h('label', {}, 'Created from', fromInput), h('label', {}, 'to', toInput),
  h('button', { type: 'submit', class: 'primary' }, 'Search'),
  (q || from || to) ? h('a', { href: link({ q: '', from: '', to: '' }) }, 'clear') : null);
  const el = h('section', {}, head, bar, tabs, search, list, pager);

  const drawHead = info => {
    put(head, `Queue ${name}`, info.paused ? badge('paused') : null);
    const all = STATES.reduce((n, s) => n + info.counts[s], 0);
    put(tabs, 
      h('a', { href: link({ state: '' }), class: state ? null : 'on' }, 'all', h('span', { class: 'n' }, all)),
      ...STATES.map(s => h('a', { href: link({ state: s }), class: s === state ? 'on' : null, 'data-tab': s },
        s, h('span', { class: 'n' }, info.counts[s]))));
    if (!canAdmin()) { put(bar, ); return; }
    const cleanState = h('select', { 'aria-label': 'state to clean' },
      ['completed', 'failed', 'waiting', 'delayed'].map(s => h('option', { value: s }, s)));
    const cleanAge = h('select', { 'aria-label': 'older than' },
      [['3600000', 'older than 1 hour'], ['86400000', 'older than 1 day'], ['604800000', 'older than 7 days'], ['0', 'all']]
        .map(([v, t]) => h('option', { value: v }, t)));
    put(bar, 
      info.paused ? button('Resume queue', async () => { if (await act('Resume', 'POST', `/v1/queues/${enc(name)}/resume`)) load(); })
                  : button('Pause queue', async () => { if (await act('Pause', 'POST', `/v1/queues/${enc(name)}/pause`)) load(); }),
      button('Retry all failed', async () => {
        if (await act('Retry all failed', 'POST', `/v1/queues/${enc(name)}/retry-failed`, {},
          `Move all ${info.counts.failed} failed jobs of ${name} back to waiting?`)) load();
      }),
      h('span', { class: 'muted' }, 'Clean'), cleanState, cleanAge,
      button('Clean', async () => {
        const st = cleanState.value, age = +cleanAge.value;
        if (await act('Clean', 'POST', `/v1/queues/${enc(name)}/clean`, { state: st, olderThanMs: age },
          `Delete ${st} jobs of ${name} ${age ? cleanAge.selectedOptions[0].text : '(all of them)'}? This cannot be undone.`)) load();
      }, 'danger'));
  };

  const jobActions = j => {
    if (!canAdmin()) return null;
    const path = `/v1/queues/${enc(name)}/jobs/${enc(j.id)}`;
    return h('div', { class: 'actions' },
      (j.state === 'failed' || j.state === 'completed') ? button('Retry', async () => { if (await act('Retry', 'POST', path + '/retry')) load(); }) : null,
      j.state === 'delayed' ? button('Promote', async () => { if (await act('Promote', 'POST', path + '/promote')) load(); }) : null,
      j.state !== 'active' ? button('Remove', async () => {
        if (await act('Remove', 'DELETE', path, undefined, `Remove job ${j.id} (${j.name})? This cannot be undone.`)) load();
      }, 'danger') : null);
  };

  const load = async () => {
    const p = new URLSearchParams({ limit: '50' });
    if (state) p.set('state', state);
    if (q) p.set('q', q);
    if (from) p.set('from', from);
    if (to) p.set('to', to);
    const cursor = cursors[cursors.length - 1];
    if (cursor) p.set('cursor', cursor);
    const [info, page] = await Promise.all([
      api('GET', `/v1/queues/${enc(name)}`).catch(e => {
        if (e.status === 404) return { paused: false, counts: Object.fromEntries(STATES.map(s => [s, 0])) };
        throw e;
      }),
      api('GET', `/v1/queues/${enc(name)}/jobs?${p}`)]);
    drawHead(info);
    const rows = page.jobs.map(j => h('tr', { 'data-job': j.id },
      h('td', {}, h('a', { href: `#/queues/${enc(name)}/jobs/${enc(j.id)}` }, j.id)),
      h('td', {}, j.name),
      h('td', {}, badge(j.state)),
      h('td', { class: 'hide-sm' }, fmtTime(j.timestamp)),
      h('td', { class: 'num' }, `${j.attemptsMade}/${j.opts.attempts}`),
      h('td', { class: 'err-text', title: j.failedReason || '' }, j.failedReason || ''),
      h('td', {}, jobActions(j))));
    put(list, table(['Id', 'Name', 'State', '~Created', 'Attempts#', 'Error', ''], rows,
      q || from || to ? 'No job matches this search.' : 'No jobs in this state.'));
    put(pager, 
      cursors.length > 1 ? button('← Newer', () => { cursors.pop(); load(); }) : null,
      page.nextCursor ? button('Older →', () => { cursors.push(page.nextCursor); load(); }) : null);
  };
  const onCounts = queues => {
    const info = queues.find(x => x.name === name);
    if (!info) return;
    for (const s of STATES) {
      const n = tabs.querySelector(`[data-tab="${s}"] .n`);
      if (n) n.textContent = info.counts[s];
    }
  };
  const onJobs = data => {  // the list follows the jobs (the hub sends at most one update per second)
    if (cursors.length === 1 && data.changes.some(c => c.queue === name)) load().catch(() => {});
  };
  return { el, load, onCounts, onJobs };
}

// ---- one job -----------------------------------------------------------------------------

function jobView(queue, id) {
  const el = h('section', {}, h('h1', {}, `Job ${id}`));
  const path = `/v1/queues/${enc(queue)}/jobs/${enc(id)}`;
  const load = async () => {
    const j = await api('GET', path);
    const actions = canAdmin() ? h('div', { class: 'actions' },
      (j.state === 'failed' || j.state === 'completed') ? button('Retry', async () => { if (await act('Retry', 'POST', path + '/retry')) load(); }) : null,
      j.state === 'delayed' ? button('Promote', async () => { if (await act('Promote', 'POST', path + '/promote')) load(); }) : null,
      j.state !== 'active' ? button('Remove', async () => {
        if (await act('Remove', 'DELETE', path, undefined, `Remove job ${j.id}? This cannot be undone.`)) location.hash = `#/queues/${enc(queue)}`;
      }, 'danger') : null) : null;
    const attempts = j.attempts.map(a => h('tr', {},
      h('td', { class: 'num' }, a.attempt),
      h('td', {}, fmtTime(a.startedAt)),
      h('td', { class: 'num' }, a.endedAt ? `${((a.endedAt - a.startedAt) / 1000).toFixed(3)}s` : 'running'),
      h('td', {}, badge(a.outcome === 'completed' ? 'completed' : a.outcome === 'running' ? 'active' : 'failed', a.outcome)),
      h('td', { class: 'hide-sm' }, a.worker || ''),
      h('td', {}, a.error ? [h('div', {}, a.error.message),
        a.error.stack ? h('details', {}, h('summary', {}, 'stack'), h('pre', {}, a.error.stack)) : null] : '')));
    put(el, 
      h('h1', {}, `Job ${j.id}`, badge(j.state), actions),
      h('div', { class: 'grid2' },
        h('div', { class: 'card' }, h('dl', { class: 'kv' },
          [['Queue', h('a', { href: `#/queues/${enc(queue)}` }, queue)], ['Name', j.name], ['State', j.state],
           ['Attempts', `${j.attemptsMade} of ${j.opts.attempts}`], ['Created', fmtTime(j.timestamp)],
           ['Delayed until', fmtTime(j.delayUntil)], ['Started', fmtTime(j.processedOn)], ['Finished', fmtTime(j.finishedOn)],
           ['Lease until', fmtTime(j.lockUntil)], ['Worker', j.worker || '—'], ['Fire id', j.fireId || '—'],
           ['Error', j.failedReason || '—']].map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]))),
        h('div', { class: 'card' }, h('h2', {}, 'Data'), h('pre', { 'data-field': 'data' }, pretty(j.data)))),
      h('div', { class: 'grid2' },
        h('div', { class: 'card' }, h('h2', {}, 'Options'), h('pre', {}, pretty(j.opts))),
        h('div', { class: 'card' }, h('h2', {}, 'Progress'), h('pre', {}, pretty(j.progress)),
          h('h2', {}, 'Result'), h('pre', { 'data-field': 'result' }, pretty(j.returnvalue)))),
      h('h2', {}, 'Attempts'),
      table(['#', 'Started', 'Took#', 'Outcome', '~Worker', 'Error'], attempts, 'No attempt yet.'),
      h('h2', {}, 'Logs'),
      j.logs.length ? h('pre', {}, j.logs.map(l => `${fmtTime(l.at)}  ${l.line}\n`).join('')) : h('p', { class: 'muted' }, 'No log lines.'),
      j.stacktrace ? [h('h2', {}, 'Last stack'), h('pre', {}, j.stacktrace)] : null);
  };
  const onJobs = data => { if (data.changes.some(c => c.queue === queue && c.id === id)) load().catch(() => {}); };
  return { el, load, onJobs };
}

// ---- schedules ----------------------------------------------------------------------------

function targetText(t) {
  if (!t) return '';
  if (t.queue) return `queue ${t.queue} → ${t.name}`;
  return `${t.method || 'GET'} ${t.url || ''}`;
}

function scheduleActions(s, reload) {
  const p = `/v1/schedules/${enc(s.name)}`;
  return h('div', { class: 'actions' },
    canTrigger() ? button('Trigger now', async () => { if (await act('Trigger', 'POST', p + '/trigger')) reload(); }) : null,
    canAdmin() ? (s.paused ? button('Resume', async () => { if (await act('Resume', 'POST', p + '/resume')) reload(); })
                           : button('Pause', async () => { if (await act('Pause', 'POST', p + '/pause')) reload(); })) : null);
}

function schedulesView() {
  const body = h('div', {});
  const el = h('section', {}, h('h1', {}, 'Schedules'), body);
  const load = async () => {
    const { schedules } = await api('GET', '/v1/schedules');
    put(body, table(['Name', 'Cron', '~Target', 'Next run', '~Missed runs', ''], schedules.map(s => h('tr', {},
      h('td', {}, h('a', { href: `#/schedules/${enc(s.name)}` }, s.name), ' ', s.paused ? badge('paused') : null),
      h('td', {}, h('code', {}, s.cron), h('span', { class: 'muted' }, ` ${s.tz}`)),
      h('td', { class: 'hide-sm' }, targetText(s.target)),
      h('td', {}, s.paused ? '—' : fmtTime(s.nextDue)),
      h('td', { class: 'hide-sm' }, s.missed),
      h('td', {}, scheduleActions(s, load)))), 'No schedules yet: PUT /v1/schedules/{name} creates one.'));
  };
  return { el, load };
}

// A slot is "late" when it fired more than a second after it was due.
const LATE_MS = 1000;

function scheduleView(name) {
  const el = h('section', {}, h('h1', {}, `Schedule ${name}`));
  const load = async () => {
    const s = await api('GET', `/v1/schedules/${enc(name)}?next=10&history=200`);
    const rows = s.history.map(r => {
      const late = r.status !== 'missed' && r.status !== 'skipped' && r.latenessMs > LATE_MS;
      return h('tr', { 'data-slot': r.due, class: r.status === 'missed' ? 'missed' : late ? 'late' : null },
        h('td', {}, fmtTime(r.due)),
        h('td', {}, badge(r.status), late ? [' ', badge('late', `late ${fmtAge(r.latenessMs)}`)] : null),
        h('td', { class: 'num' }, r.status === 'missed' ? '—' : `${r.latenessMs} ms`),
        h('td', {}, r.job ? h('a', { href: `#/queues/${enc(r.job.queue)}/jobs/${enc(r.job.id)}` }, r.job.id) : '—'),
        h('td', { class: 'hide-sm' }, r.note || ''));
    });
    put(el, 
      h('h1', {}, `Schedule ${s.name}`, s.paused ? badge('paused') : null, scheduleActions(s, load)),
      h('div', { class: 'grid2' },
        h('div', { class: 'card' }, h('dl', { class: 'kv' },
          [['Cron', h('code', {}, s.cron)], ['Time zone', s.tz], ['Target', targetText(s.target)],
           ['Missed runs', `${s.missed}${s.missed === 'all' ? ` (up to ${s.missedMax})` : ''}`], ['Overlap', s.overlap],
           ['Grace', `${s.graceMs} ms`], ['Starts', s.startAt || '—'], ['Ends', s.endAt || '—'],
           ['Last job', s.lastJob ? h('a', { href: `#/queues/${enc(s.lastJob.queue)}/jobs/${enc(s.lastJob.id)}` }, s.lastJob.id) : '—']]
            .map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]))),
        h('div', { class: 'card' }, h('h2', {}, 'Next runs'),
          s.nextRuns.length ? h('ol', {}, s.nextRuns.map(t => h('li', {}, fmtTime(t), h('span', { class: 'muted' }, ` (${t})`))))
                            : h('p', { class: 'muted' }, s.paused ? 'Paused.' : 'No further runs.'))),
      h('h2', {}, 'Slot history'),
      table(['Due', 'Status', 'Lateness#', 'Job', '~Note'], rows, 'No slot handled yet.'));
  };
  const onJobs = data => { if (data.slots.some(x => x.schedule === name)) load().catch(() => {}); };
  return { el, load, onJobs };
}

// ---- audit log --------------------------------------------------------------------------------

function auditView() {
  const cursors = [''];
  const body = h('div', {});
  const pager = h('div', { class: 'pager' });
  const el = h('section', {}, h('h1', {}, 'Audit log'), body, pager);
  const load = async () => {
    const c = cursors[cursors.length - 1];
    const page = await api('GET', `/v1/audit?limit=50${c ? '&cursor=' + enc(c) : ''}`);
    put(body, table(['When', 'Who', 'Action', 'Target', '~Detail'], page.entries.map(e => h('tr', {},
      h('td', {}, fmtTime(e.at)),
      h('td', {}, e.actor, h('span', { class: 'muted' }, ` (${e.scope})`)),
      h('td', {}, h('code', {}, e.action)),
      h('td', {}, e.target),
      h('td', { class: 'hide-sm' }, e.detail === null ? '' : h('code', {}, JSON.stringify(e.detail))))),
    'No operator action recorded yet.'));
    put(pager, 
      cursors.length > 1 ? button('← Newer', () => { cursors.pop(); load(); }) : null,
      page.nextCursor ? button('Older →', () => { cursors.push(page.nextCursor); load(); }) : null);
  };
  return { el, load };
}

// ---- start -------------------------------------------------------------------------------------

document.getElementById('logout').addEventListener('click', async () => {
  try { await api('DELETE', '/v1/session'); } catch (_) { /* already gone */ }
  S.me = null; S.csrf = '';
  render();
});
window.addEventListener('hashchange', () => { render(); document.getElementById('main').focus({ preventScroll: true }); });

(async () => {
  try {
    const me = await api('GET', '/v1/session');
    S.me = me; S.csrf = me.csrf || '';
  } catch (_) { S.me = null; }
  render();
})();
