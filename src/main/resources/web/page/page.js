// The page at / : follow one channel through /client.js, send through POST /admin/messages, stop through
// the client's cancel. Everything it keeps is in the tab's sessionStorage.
import { connect } from '/client.js';

const KEY = { admin: 'assistant-stream.admin-token', channel: 'assistant-stream.channel', asked: 'assistant-stream.asked' };
const LABELS = { queued: 'queued', started: 'started', processing: 'running tools', responding: 'responding',
  in_progress: 'responding', completed: 'completed', cancelled: 'cancelled', error: 'error' };
const TOKEN_SECONDS = 900;

const byId = (id) => document.getElementById(id);
const adminInput = byId('admin-token');
const channelInput = byId('channel');
const messageInput = byId('message-input');
const conversation = byId('conversation');
const stopButton = byId('stop');
const connection = document.querySelector('[data-testid="connection"]');

let settings = { tokens_required: false, tokens_minted: false, admin: 'here', origin_allowed: true };
let client = null;
let channel = '';
let everOpen = false;
let tokenTrouble = false; // the last connect could not get a channel token (that, not /ws, is the problem)
const answers = new Map(); // messageId -> { item, status, text, error, final }
let latest = null;         // the answer shown last: the one data-testid status/answer point at

// ---- notices: one line per problem, replaced or removed as things change ----
function notice(key, text, kind = 'warning') {
  let item = document.querySelector(`#notices [data-key="${key}"]`);
  if (!text) return item?.remove();
  if (!item) {
    item = document.createElement('li');
    item.dataset.key = key;
    byId('notices').append(item);
  }
  item.className = kind;
  item.textContent = text;
}

function settingNotices() {
  notice('admin', {
    management_port: 'This service serves /admin on its management port (MANAGEMENT_PORT), not here: the page sends'
      + ' and gets channel tokens through /admin, so it needs them on the same port. Run it without MANAGEMENT_PORT'
      + ' to use the page; it can still show answers sent another way.',
    disabled: 'ADMIN_TOKEN is not set on the service, so the page cannot send messages: start it with ADMIN_TOKEN'
      + ' set and type that token here.',
  }[settings.admin]);
  notice('tokens', settings.tokens_required && !settings.tokens_minted
    ? 'Reading a channel needs a channel token (WEBSOCKET_AUTH=jwt), and this service mints none: the page needs'
      + ' WEBSOCKET_JWT_SECRET set to get one from POST /admin/tokens.' : null);
  notice('origin', settings.origin_allowed ? null : `This page's origin, ${location.origin}, is not in`
    + ' WEBSOCKET_ALLOWED_ORIGINS, so /ws refuses it: add it to the list.', 'error');
}

// ---- the conversation ----
function asked() {
  try { return JSON.parse(sessionStorage.getItem(KEY.asked)) ?? {}; } catch { return {}; }
}

function remember(messageId, text) {
  const all = asked();
  const mine = Object.entries(all[channel] ?? {}).slice(-49); // the last 50 questions per channel
  all[channel] = Object.fromEntries([...mine, [messageId, text]]);
  sessionStorage.setItem(KEY.asked, JSON.stringify(all));
}

function element(tag, className, text) {
  const el = document.createElement(tag);
  el.className = className;
  if (text !== undefined) el.textContent = text;
  return el;
}

function answerFor(messageId, question = asked()[channel]?.[messageId]) {
  let answer = answers.get(messageId);
  if (answer) return answer;
  byId('empty')?.remove();
  const item = element('li', 'exchange');
  if (question) item.append(element('div', 'bubble question', question));
  const bubble = element('div', 'bubble answer');
  const meta = element('div', 'meta');
  const status = element('span', 'status');
  meta.append(status, element('span', 'id', messageId));
  answer = { item, status, text: element('div', 'text'), error: element('div', 'error'), final: false, messageId };
  bubble.append(meta, answer.text, answer.error);
  item.append(bubble);
  conversation.append(item);
  answers.set(messageId, answer);
  // The hooks for tests and automation follow the latest answer.
  latest?.status.removeAttribute('data-testid');
  latest?.text.removeAttribute('data-testid');
  status.dataset.testid = 'status';
  answer.text.dataset.testid = 'answer';
  latest = answer;
  return answer;
}

function show(answer, status, text, error) {
  const stick = conversation.scrollHeight - conversation.scrollTop - conversation.clientHeight < 40;
  answer.status.textContent = LABELS[status] ?? status;
  answer.status.dataset.status = status;
  if (text !== undefined) answer.text.textContent = text;
  answer.error.textContent = error ?? '';
  answer.final = ['completed', 'cancelled', 'error'].includes(status);
  stopButton.disabled = !latest || latest.final;
  if (stick) conversation.scrollTop = conversation.scrollHeight;
}

// ---- following a channel ----
async function channelToken() {
  const response = await admin('/admin/tokens', { channels: [channel], ttl_seconds: TOKEN_SECONDS, sub: 'demo-page' });
  return response.token;
}

function follow(name) {
  client?.close();
  channel = name;
  sessionStorage.setItem(KEY.channel, channel);
  answers.clear();
  latest = null;
  everOpen = false;
  conversation.replaceChildren(element('li', 'empty', 'No answers on this channel yet. Send a message below.'));
  conversation.firstChild.id = 'empty';
  stopButton.disabled = true;
  client = connect({
    format: 'delta',
    token: settings.tokens_required ? channelToken : undefined,
    onState: (state, { delayMs, attempt } = {}) => {
      everOpen ||= state === 'open';
      connection.dataset.state = state;
      connection.textContent = state === 'reconnecting'
        ? `reconnecting in ${(delayMs / 1000).toFixed(1)} s (attempt ${attempt})`
        : { connecting: 'connecting…', open: 'connected', closed: 'closed' }[state];
      if (state === 'open') {
        tokenTrouble = false;
        notice('token', null);
        notice('connection', null);
      }
      if (state === 'reconnecting' && !everOpen && !tokenTrouble && attempt >= 2) {
        notice('connection', `Cannot open /ws at ${location.host}: the service may be down, or the handshake was`
          + ' refused (WEBSOCKET_ALLOWED_ORIGINS must list this page\'s origin; with WEBSOCKET_AUTH=jwt a valid'
          + ' channel token is needed). Still trying.', 'error');
      }
    },
    onError: (e) => {
      if (e.code === 'token_expired') return; // the client fetches a new token and resumes by itself
      tokenTrouble = e.code === 'token_unavailable';
      notice(tokenTrouble ? 'token' : 'connection', e.message, 'error');
    },
  });
  client.subscribe(channel, (m) => {
    show(answerFor(m.messageId), m.status, m.text, m.error);
  }, { since: 0 }); // the frame log replays what it holds: an answer in flight shows at once after a reload
}

// ---- the admin routes ----
async function admin(path, body) {
  const token = adminInput.value.trim();
  if (!token) throw new Error('Type the admin token first (ADMIN_TOKEN of the service).');
  const response = await fetch(path, { method: 'POST', body: JSON.stringify(body),
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` } });
  const reply = await response.json().catch(() => ({}));
  if (response.ok) return reply;
  if (response.status === 401) throw new Error('The service refused the admin token: type its ADMIN_TOKEN.');
  if (response.status === 404 && !reply.error) {
    throw new Error(`${path} is not on this port (MANAGEMENT_PORT?): the page needs the admin routes here.`);
  }
  throw new Error(reply.error ?? reply.message ?? `${path} answered ${response.status}`);
}

function randomChannel() {
  const bytes = crypto.getRandomValues(new Uint8Array(4));
  return `try-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

async function send() {
  const text = messageInput.value.trim();
  if (!text) return;
  if (!adminInput.value.trim()) {
    notice('send', 'Type the admin token first (the ADMIN_TOKEN the service was started with).', 'error');
    return adminInput.focus();
  }
  notice('send', null);
  const messageId = `page_${randomChannel().slice(4)}${Date.now().toString(36)}`;
  remember(messageId, text);
  const answer = answerFor(messageId, text);
  show(answer, 'queued');
  messageInput.value = '';
  try {
    await admin('/admin/messages', { channel, message: text, message_id: messageId });
  } catch (e) {
    show(answer, 'error', '', `Not sent: ${e.message}`);
  }
}

async function stop() {
  if (!latest || latest.final) return;
  const { messageId } = latest;
  try {
    await client.cancel(channel, messageId).catch((e) => {
      if (e.code !== 'not_connected') throw e;
      return admin('/admin/messages/cancel', { channel, message_id: messageId }); // the socket is down: same effect
    });
    notice('stop', null);
  } catch (e) {
    notice('stop', `Could not stop it: ${e.message}`, 'error');
  }
}

// ---- wiring ----
adminInput.value = sessionStorage.getItem(KEY.admin) ?? '';
adminInput.addEventListener('input', () => sessionStorage.setItem(KEY.admin, adminInput.value.trim()));
adminInput.addEventListener('change', () => {
  if (settings.tokens_required) follow(channel); // a channel token can be had with it now
});
channelInput.value = sessionStorage.getItem(KEY.channel) ?? randomChannel();
channelInput.addEventListener('change', () => {
  const name = channelInput.value.trim();
  if (name && name !== channel) follow(name);
});
byId('new-channel').addEventListener('click', () => {
  channelInput.value = randomChannel();
  follow(channelInput.value);
});
byId('composer').addEventListener('submit', (event) => {
  event.preventDefault();
  send();
});
messageInput.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    send();
  }
});
stopButton.addEventListener('click', stop);

try {
  const response = await fetch(`/page/settings.json?origin=${encodeURIComponent(location.origin)}`);
  settings = await response.json();
} catch {
  notice('settings', 'Could not read /page/settings.json: is the service up?', 'error');
}
settingNotices();
follow(channelInput.value.trim() || randomChannel());
document.body.dataset.ready = 'true';
