// The Meridian operator console (docs/console.md): region grid, lag matrix and chart, live events,
// user lookup, and the operator's buttons. Plain ES modules, served from the node's jar.
import { call, followEvents, setToken, token } from './api.js';
import { drawLagChart } from './lagchart.js';

const $ = (selector) => document.querySelector(selector);
const POLL_MS = 2000;
let regionNames = [];
let servedBy = '';
let currentDrill = null;
let stopEvents = null;

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === 'class') node.className = value;
    else if (name.startsWith('data-')) node.setAttribute(name, value);
    else node[name] = value;
  }
  for (const child of children) node.append(child instanceof Node ? child : String(child ?? ''));
  return node;
}

function notice(text) {
  $('#notice').textContent = text || '';
}

function when(ms) {
  return ms ? new Date(ms).toLocaleTimeString() : '';
}

function seconds(ms) {
  return ms === null || ms === undefined ? '' : (ms / 1000).toFixed(2);
}

// ------------------------------------------------------------------ token

function showTokenState() {
  $('#token-state').textContent = token() ? 'token set for this tab' : 'no token: views need one';
}

$('#token-form').addEventListener('submit', (event) => {
  event.preventDefault();
  setToken($('#token').value.trim());
  $('#token').value = '';
  showTokenState();
  start();
});

$('#forget-token').addEventListener('click', () => {
  setToken('');
  showTokenState();
  if (stopEvents) stopEvents();
  stopEvents = null;
});

// ------------------------------------------------------------------ regions

async function refreshRegions() {
  if (!token()) return;
  try {
    const answer = await call('GET', '/v1/regions');
    servedBy = answer.servedBy;
    $('#served-by').textContent = `console of region ${servedBy}`;
    const names = answer.regions.map((r) => r.region);
    if (names.join() !== regionNames.join()) {
      regionNames = names;
      for (const select of [$('#drill-region'), $('#move-to')])
        select.replaceChildren(...names.map((n) => el('option', { value: n }, n)));
    }
    $('#regions').replaceChildren(...answer.regions.map(regionCard));
    const census = answer.census;
    $('#census').textContent = census
      ? `users owned: census of ${census.users} users in ${servedBy}'s journal at ${when(census.countedAt)} (${census.tookMillis} ms${census.complete ? '' : ', incomplete'})`
      : 'users owned: counting...';
    notice('');
  } catch (e) {
    notice(`regions: ${e.message}`);
  }
}

function regionCard(r) {
  const members = r.members || [];
  const upMembers = members.filter((m) => m.status === 'up' && m.reachable).length;
  const card = el(
    'div',
    { class: `region ${r.status}`, 'data-region': r.region },
    el('h3', {}, r.region, el('span', { class: `status ${r.status}` }, r.status)),
    el(
      'dl',
      {},
      el('dt', {}, 'members'),
      el('dd', { class: 'members', title: members.map((m) => `${m.address} ${m.status}${m.reachable ? '' : ' unreachable'}`).join('\n') }, `${upMembers} up of ${members.length}`),
      el('dt', {}, 'successor'),
      el('dd', { class: 'successor' }, r.successor ?? '-'),
      el('dt', {}, 'epoch'),
      el('dd', { class: 'epoch' }, r.epoch),
      el('dt', {}, 'users owned'),
      el('dd', { class: 'owned' }, r.ownedUsers ?? '?'),
      el('dt', {}, 'ready'),
      el('dd', { class: 'ready' }, r.ready ? 'yes' : 'no'),
      el('dt', {}, 'declared'),
      el('dd', { class: 'declared' }, r.declaredReason ? `${r.declaredReason} at ${when(r.declaredAt)}` : '-'),
    ),
  );
  const down = el('button', { type: 'button', class: 'down-button' }, 'Down');
  down.addEventListener('click', () => declare(r.region, 'down'));
  const up = el('button', { type: 'button', class: 'up-button' }, 'Up');
  up.addEventListener('click', () => declare(r.region, 'up'));
  card.append(el('div', { class: 'buttons' }, down, up));
  return card;
}

async function declare(region, action) {
  if (!confirm(`Declare region ${region} ${action}?`)) return;
  try {
    await call('POST', `/v1/admin/regions/${encodeURIComponent(region)}/${action}`);
    notice('');
    refreshRegions();
  } catch (e) {
    notice(`${action} ${region}: ${e.message}`);
  }
}

// ------------------------------------------------------------------ lag

async function refreshLag() {
  if (!token()) return;
  try {
    const answer = await call('GET', '/v1/regions/lag');
    const regions = answer.regions;
    const header = el('tr', {}, el('th', {}, 'reader \\ origin'), ...regions.map((r) => el('th', {}, r)));
    const rows = regions.map((reader) => {
      const row = answer.matrix[reader];
      return el(
        'tr',
        { 'data-reader': reader },
        el('th', {}, reader),
        ...regions.map((origin) => {
          const value = row ? row[origin] : undefined;
          return el('td', { class: 'num', 'data-origin': origin }, reader === origin ? '-' : value === undefined ? '?' : value);
        }),
      );
    });
    $('#lag-matrix').replaceChildren(header, ...rows);
    drawLagChart($('#lag-chart'), $('#lag-legend'), answer.history);
  } catch (e) {
    notice(`lag: ${e.message}`);
  }
}

// ------------------------------------------------------------------ events

function showEvent(type, event) {
  const data = event.data || {};
  let text;
  if (type === 'ownership') {
    const c = data.change;
    text = `${data.userId}: ${c.from ?? '-'} \u2192 ${c.to} epoch ${c.epoch} (${c.reason}, decided by ${c.decidedBy}${c.tookMillis != null ? `, took ${c.tookMillis} ms` : ''}) applied in ${data.appliedIn}`;
  } else if (type === 'region') {
    text = `${data.region}: ${data.from} \u2192 ${data.to} epoch ${data.epoch} (${data.reason})`;
    refreshRegions();
  } else if (type === 'drill') {
    text = `drill ${data.id} of ${data.region}: ${data.status} - ${data.message}`;
    if (currentDrill && data.id === currentDrill) showDrill(data);
  } else {
    text = JSON.stringify(data);
  }
  const item = el('li', { class: `event ${type}` }, el('span', { class: 'type' }, type), `${when(event.at)} ${text}`);
  const list = $('#events');
  list.prepend(item);
  while (list.children.length > 200) list.lastChild.remove();
}

// ------------------------------------------------------------------ drill

$('#drill-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const region = $('#drill-region').value;
  if (!confirm(`Run a drill of region ${region}? Its nodes are downed and restart.`)) return;
  try {
    const progress = await call('POST', '/v1/admin/drills', { region });
    currentDrill = progress.id;
    showDrill(progress);
    pollDrill(progress.id);
  } catch (e) {
    $('#drill-status').textContent = `drill: ${e.message}`;
  }
});

async function pollDrill(id) {
  while (currentDrill === id) {
    try {
      const progress = await call('GET', `/v1/admin/drills/${id}`);
      showDrill(progress);
      if (progress.status !== 'running') return;
    } catch (e) {
      $('#drill-status').textContent = `drill ${id}: ${e.message}`;
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

function showDrill(p) {
  const status = $('#drill-status');
  status.className = p.status;
  status.dataset.status = p.status;
  status.textContent = `drill ${p.id} of ${p.region} (successor ${p.successor}, run by ${p.runBy}): ${p.status} - ${p.message}`;
  const header = el('tr', {}, el('th', {}, 'step'), el('th', {}, 'state'), el('th', {}, 'took (s)'), el('th', {}, 'detail'));
  const rows = p.steps.map((s) =>
    el('tr', { 'data-step': s.name }, el('td', {}, s.name), el('td', { class: `state-${s.state}` }, s.state), el('td', { class: 'num' }, seconds(s.tookMillis)), el('td', {}, s.detail)),
  );
  const w = p.writes;
  const summary = el('tr', {}, el('td', {}, 'writes'), el('td', {}, ''), el('td', {}, ''), el('td', {}, `${w.acknowledged} acknowledged of ${w.sent} sent, ${w.failed} refused or unanswered, ${w.lost} lost; users moved ${p.usersMoved < 0 ? '?' : p.usersMoved}, handed back ${p.usersHandedBack < 0 ? '?' : p.usersHandedBack}`));
  $('#drill-steps').replaceChildren(header, ...rows, summary);
}

// ------------------------------------------------------------------ user

$('#user-form').addEventListener('submit', (event) => {
  event.preventDefault();
  lookUp($('#user-id').value.trim());
});

$('#move-user').addEventListener('click', async () => {
  const userId = $('#user-id').value.trim();
  const to = $('#move-to').value;
  if (!userId || !confirm(`Move user ${userId} to ${to}?`)) return;
  try {
    await call('POST', `/v1/admin/users/${encodeURIComponent(userId)}/move`, { toRegion: to });
    lookUp(userId);
  } catch (e) {
    notice(`move ${userId}: ${e.message}`);
  }
});

async function lookUp(userId) {
  if (!userId) return;
  try {
    const [replicas, history] = await Promise.all([
      call('GET', `/v1/users/${encodeURIComponent(userId)}/replicas`),
      call('GET', `/v1/users/${encodeURIComponent(userId)}/ownership`).catch((e) => ({ changes: [], error: e.message })),
    ]);
    const fields = [
      ['owner', (u) => u.owner],
      ['home', (u) => u.homeRegion],
      ['epoch', (u) => u.epoch],
      ['version', (u) => Object.entries(u.version).map(([k, v]) => `${k}:${v}`).join(' ')],
      ['points', (u) => u.points],
      ['balance', (u) => u.wallet.balance],
      ['devices', (u) => u.devices.join(', ')],
      ['profile', (u) => Object.entries(u.profile).map(([k, v]) => `${k}=${v}`).join(', ')],
    ];
    const header = el('tr', {}, el('th', {}, ''), ...replicas.replicas.map((r) => el('th', {}, `${r.region} replica`)));
    const rows = fields.map(([name, get]) =>
      el('tr', {}, el('th', {}, name), ...replicas.replicas.map((r) => el('td', {}, r.user ? get(r.user) : r.error))),
    );
    $('#user-replicas').replaceChildren(header, ...rows);
    const historyHeader = el('tr', {}, ...['epoch', 'from', 'to', 'reason', 'decided by', 'at', 'took (ms)', 'detail'].map((h) => el('th', {}, h)));
    const changes = history.changes.map((c) =>
      el('tr', {}, el('td', {}, c.epoch), el('td', {}, c.from ?? '-'), el('td', {}, c.to), el('td', {}, c.reason), el('td', {}, c.decidedBy), el('td', {}, when(c.at)), el('td', { class: 'num' }, c.tookMillis ?? ''), el('td', {}, c.detail ?? '')),
    );
    $('#user-history').replaceChildren(historyHeader, ...changes);
    notice(history.error ? `history: ${history.error}` : '');
  } catch (e) {
    notice(`user ${userId}: ${e.message}`);
  }
}

// ------------------------------------------------------------------ start

let timers = [];
function start() {
  timers.forEach(clearInterval);
  timers = [];
  if (!token()) return;
  refreshRegions();
  refreshLag();
  timers.push(setInterval(refreshRegions, POLL_MS), setInterval(refreshLag, POLL_MS));
  if (stopEvents) stopEvents();
  stopEvents = followEvents(showEvent, (state) => ($('#stream-state').textContent = state));
}

showTokenState();
start();
