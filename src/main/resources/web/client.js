// assistant-stream's browser client, served at GET /client.js: an ES module without dependencies.
//
//   import { connect } from '/client.js';
//   const stream = connect({ token: fetchChannelToken, onState: (state) => show(state) });
//   stream.subscribe('user-42', (m) => render(m.messageId, m.status, m.text, m.error));
//   await stream.cancel('user-42', messageId); // settles within cancelTimeoutMs, whatever happens
//
// What it does for you:
// - one WebSocket to /ws, reopened whenever it closes, after a jittered exponential backoff;
// - every subscription sent again after a reconnect with `since` = the last seq seen on its
//   channel, so the frames missed meanwhile are replayed; frames are de-duplicated by seq;
// - the delta format (`format: "delta"`, the default here): each answer's text is rebuilt from its
//   deltas, and the whole text so far is handed to you with every frame;
// - channel tokens: `token` is a string or a function returning one (or a promise of one), called at
//   every (re)connect, so an expired token is replaced by a fresh one; a `token_expired` reply makes
//   it reconnect at once with a new token and lose nothing.

const OPEN = 1; // WebSocket.OPEN
const TERMINAL = new Set(['completed', 'cancelled', 'error']);

/**
 * Opens the connection and returns { subscribe, cancel, close }.
 *
 * @param {object} [options]
 * @param {string} [options.url] the /ws address; default: /ws on the page's own host
 * @param {string|function(): (string|Promise<string>)} [options.token] a channel token, or how to get a fresh one
 * @param {'delta'|'whole'} [options.format] the frame format asked for; the text handed to you is the same
 * @param {function(string, object)} [options.onState] 'connecting' | 'open' | 'reconnecting' | 'closed',
 *        with { attempt, delayMs } when reconnecting
 * @param {function(object)} [options.onError] error replies and problems: { code, channel?, message }
 * @param {{firstMs: number, maxMs: number}} [options.backoff] reconnect delays (default 500 ms doubling up to 30 s)
 * @param {number} [options.cancelTimeoutMs] how long cancel() waits for the server's reply (default 10 s)
 * @param {Function} [options.WebSocket] the WebSocket class (tests pass a fake; Node 20 has none)
 */
export function connect(options = {}) {
  const {
    url = defaultUrl(),
    token,
    format = 'delta',
    onState = () => {},
    onError = () => {},
    backoff = { firstMs: 500, maxMs: 30000 },
    cancelTimeoutMs = 10000,
    WebSocket: Socket = globalThis.WebSocket,
  } = options;
  const channels = new Map(); // channel -> { onMessage, since, lastSeq, texts: Map(messageId -> text so far) }
  const cancels = new Map();  // channel + '\n' + messageId -> { channel, resolve, reject, timer }
  let socket = null;
  let attempt = 0;            // reconnects since the last connection that worked
  let timer = null;
  let closed = false;

  async function open() {
    timer = null;
    let query = '';
    if (token !== undefined) {
      let value;
      try {
        value = typeof token === 'function' ? await token() : token;
      } catch (e) {
        onError({ code: 'token_unavailable', message: `could not get a channel token: ${e?.message ?? e}` });
        return reconnectLater();
      }
      query = `${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(value)}`;
    }
    if (closed) return;
    const ws = new Socket(url + query);
    socket = ws;
    ws.onopen = () => {
      onState('open', {});
      for (const [channel, sub] of channels) sendSubscribe(channel, sub);
    };
    ws.onmessage = (event) => {
      let reply;
      try {
        reply = JSON.parse(event.data);
      } catch {
        return onError({ code: 'bad_frame', message: 'the server sent something that is not JSON' });
      }
      receive(reply);
    };
    ws.onclose = (event) => {
      if (socket !== ws) return; // an old socket, replaced already
      socket = null;
      rejectCancels(new Error(`the connection closed (${event.code})`));
      if (!closed) reconnectLater();
    };
  }

  // Backoff: firstMs · 2^attempt, capped at maxMs, then a random 50-100 % of it ("equal jitter"), so that
  // clients dropped together by a deployment do not all come back at the same instant.
  function reconnectLater() {
    if (closed) return;
    const ceiling = Math.min(backoff.maxMs, backoff.firstMs * 2 ** attempt);
    const delayMs = Math.round(ceiling / 2 + Math.random() * ceiling / 2);
    attempt++;
    onState('reconnecting', { attempt, delayMs });
    timer = setTimeout(open, delayMs);
  }

  function send(command) {
    if (socket?.readyState !== OPEN) return false;
    socket.send(JSON.stringify(command));
    return true;
  }

  // Resume from the last seq seen; before any frame, from the `since` asked for (null: live frames only,
  // left out of the JSON).
  function sendSubscribe(channel, sub) {
    send({ action: 'subscribe', channel, format, since: sub.lastSeq >= 0 ? sub.lastSeq : sub.since ?? undefined });
  }

  // Forgets a pending cancel and its timeout, and returns it to be settled (undefined: none).
  function settle(key) {
    const pending = cancels.get(key);
    cancels.delete(key);
    clearTimeout(pending?.timer);
    return pending;
  }

  // Rejects the pending cancels of `channel`, or of every channel when it is undefined.
  function rejectCancels(error, channel) {
    for (const [key, pending] of cancels) {
      if (channel === undefined || pending.channel === channel) settle(key).reject(error);
    }
  }

  function receive(reply) {
    if (typeof reply.seq === 'number') return frame(reply);
    const sub = channels.get(reply.channel);
    const key = `${reply.channel}\n${reply.message_id}`;
    if (reply.type === 'subscribed') {
      attempt = 0; // this connection works: the next drop starts the backoff afresh
      if (sub && reply.recovered === false && sub.lastSeq >= 0) {
        // Frames after lastSeq are gone (expired, or the channel's numbers started again): take what
        // the log holds, whatever its seqs. It ends with the current answer so far.
        sub.lastSeq = -1;
        onError({ code: 'frames_lost', channel: reply.channel, message: 'some frames expired before they could be'
          + ' replayed; the current answer is shown from what is left' });
      }
    } else if (reply.type === 'cancelling' && cancels.has(key)) {
      settle(key).resolve(reply);
    } else if (reply.type === 'error') {
      if (reply.message_id !== undefined && cancels.has(key)) { // a cancel refused: not_running, forbidden
        settle(key).reject(failure(reply.message, reply.code));
        return;
      }
      if (reply.message_id === undefined) {
        // It may answer a cancel the server did not read (rate_limited, malformed), which it cannot name:
        // the cancels pending on its channel, or on every channel when it names none, end with it.
        rejectCancels(failure(reply.message, reply.code ?? 'error'), reply.channel);
      }
      if (reply.code === 'forbidden' && sub) channels.delete(reply.channel); // no token grants it: stop asking
      onError({ code: reply.code ?? 'error', channel: reply.channel, message: reply.message });
      if (reply.code === 'token_expired' && typeof token === 'function' && socket) {
        attempt = 0;
        socket.close(1000, 'token expired'); // reconnects with a fresh token, resuming every channel
      }
    }
  }

  function frame(f) {
    const sub = channels.get(f.channel);
    if (!sub || f.seq <= sub.lastSeq) return; // not ours any more, or seen already
    sub.lastSeq = f.seq;
    const id = f.message_id;
    let text = sub.texts.get(id) ?? '';
    if (f.status === 'in_progress') {
      text = typeof f.message === 'string' ? f.message : text + (f.delta ?? ''); // whole format, or a delta
    } else if (f.status === 'completed' || f.status === 'cancelled') {
      text = f.message ?? text; // the whole answer (cancelled: the text so far)
    }
    const final = f.final_message === true || TERMINAL.has(f.status);
    if (final) sub.texts.delete(id);
    else sub.texts.set(id, text);
    sub.onMessage({
      channel: f.channel,
      messageId: id,
      threadId: f.thread_id ?? null,
      status: f.status,
      text,
      final,
      error: f.status === 'error' ? [f.message, f.error_details].filter(Boolean).join(': ') : null,
      errorCode: f.error_code ?? null,
      seq: f.seq,
    });
  }

  onState('connecting', {});
  open();

  return {
    /**
     * Follows a channel: onMessage gets { channel, messageId, threadId, status, text, final, error,
     * errorCode, seq } for every frame, text being the answer so far. `since`: 0 (the default) replays
     * what the frame log holds (the answer in progress, and the channel's last minutes); a seq you kept
     * resumes after it; null follows live frames only. Returns a function that unsubscribes.
     */
    subscribe(channel, onMessage, { since = 0 } = {}) {
      const sub = { onMessage, since, lastSeq: -1, texts: new Map() };
      channels.set(channel, sub);
      sendSubscribe(channel, sub);
      return () => {
        if (channels.get(channel) !== sub) return;
        channels.delete(channel);
        send({ action: 'unsubscribe', channel });
      };
    },

    /**
     * Stops an answer; resolves on the server's `cancelling`, rejects with error.code `not_running`,
     * `forbidden`, `rate_limited`, `not_connected` and others, or `timeout` when no reply came in time.
     */
    cancel(channel, messageId) {
      const key = `${channel}\n${messageId}`;
      return new Promise((resolve, reject) => {
        if (!send({ action: 'cancel', channel, message_id: messageId })) {
          reject(failure('not connected: try again once the connection is open', 'not_connected'));
          return;
        }
        settle(key)?.reject(new Error('cancelled again'));
        const timer = setTimeout(() => settle(key).reject(
          failure(`no reply to the cancel within ${cancelTimeoutMs} ms`, 'timeout')), cancelTimeoutMs);
        cancels.set(key, { channel, resolve, reject, timer });
      });
    },

    /** Closes the connection for good. */
    close() {
      closed = true;
      clearTimeout(timer);
      rejectCancels(new Error('the client was closed'));
      socket?.close(1000, 'closed by the page');
      socket = null;
      onState('closed', {});
    },
  };
}

/** An Error with the `code` a page tests (`not_running`, `rate_limited`, `timeout`, …). */
function failure(message, code) {
  return Object.assign(new Error(message), { code });
}

function defaultUrl() {
  if (typeof location === 'undefined') throw new Error('connect({ url }) needs the /ws address outside a page');
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ws`;
}
