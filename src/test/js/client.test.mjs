// Unit tests of /client.js with Node's built-in test runner (node --test), run by ClientScriptTest.
// Node 20 has no WebSocket: a fake one is injected, driven by the tests, which see what the client sent.
import { afterEach, test as nodeTest } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';

// The file exactly as the service serves it, imported as an ES module (Node 20 would take a .js file
// outside a "type": "module" package for CommonJS).
const source = await readFile(new URL('../../main/resources/web/client.js', import.meta.url));
const { connect } = await import(`data:text/javascript;base64,${source.toString('base64')}`);

/** Every test is bounded: a promise the client never settles fails it instead of hanging the run. */
const test = (name, fn) => nodeTest(name, { timeout: 5000 }, fn);

class FakeSocket {
  constructor(url) {
    this.url = url;
    this.sent = [];
    this.readyState = 0;
    this.constructor.opened.push(this); // each client has a class of its own (see client()), so its own list
  }

  send(text) { this.sent.push(JSON.parse(text)); }

  close(code = 1000) { this.drop(code); }

  // What the tests do to it:
  open() { this.readyState = 1; this.onopen({}); }
  receive(...replies) { for (const reply of replies) this.onmessage({ data: JSON.stringify(reply) }); }
  drop(code = 1006) {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.onclose({ code });
  }
}

const FAST = { firstMs: 5, maxMs: 40 };
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const running = [];
afterEach(() => running.splice(0).forEach((stream) => stream.close())); // a failed test leaves nothing behind

/** A client on fake sockets of its own, with what it reports collected; socket(n) waits for its nth socket. */
function client(options = {}) {
  const Socket = class extends FakeSocket { static opened = []; };
  const seen = { states: [], errors: [], messages: [] };
  const stream = connect({
    url: 'ws://assistant.test/ws', WebSocket: Socket, backoff: FAST,
    onState: (state, detail) => seen.states.push({ state, ...detail }),
    onError: (error) => seen.errors.push(error),
    ...options,
  });
  running.push(stream);
  const socket = async (n) => { // up to a second
    for (let waited = 0; Socket.opened.length < n; waited += 5) {
      if (waited > 1000) assert.fail(`the client opened ${Socket.opened.length} sockets, not ${n}`);
      await sleep(5);
    }
    return Socket.opened[n - 1];
  };
  return { stream, seen, socket, sockets: Socket.opened,
    follow: (channel, opts) => stream.subscribe(channel, (m) => seen.messages.push(m), opts) };
}

const frame = (seq, status, more = {}) => ({ seq, status, channel: 'c1', message_id: 'm1', thread_id: 'echo_1',
  final_message: ['completed', 'cancelled', 'error'].includes(status), ...more });

test('a subscription asks for the delta format and the whole log, and rebuilds the text from deltas', async () => {
  const { seen, follow, socket } = client();
  follow('c1');
  const ws = await socket(1);
  ws.open();
  assert.deepEqual(ws.sent, [{ action: 'subscribe', channel: 'c1', format: 'delta', since: 0 }]);
  ws.receive({ type: 'subscribed', channel: 'c1', recovered: true }, frame(1, 'started'), frame(2, 'responding'),
    frame(3, 'in_progress', { delta: 'Hello ' }), frame(4, 'in_progress', { delta: 'there' }),
    frame(5, 'completed', { message: 'Hello there' }));
  assert.deepEqual(seen.messages.map((m) => [m.status, m.text, m.final]), [['started', '', false],
    ['responding', '', false], ['in_progress', 'Hello ', false], ['in_progress', 'Hello there', false],
    ['completed', 'Hello there', true]]);
  assert.equal(seen.messages[0].threadId, 'echo_1');
});

test('after a drop it reconnects, resumes each channel from its last seq, and drops frames seen already', async () => {
  const { seen, follow, socket } = client();
  follow('c1');
  const first = await socket(1);
  first.open();
  first.receive(frame(7, 'started'), frame(8, 'in_progress', { delta: 'one ' }));
  first.drop();
  assert.equal(seen.states.at(-1).state, 'reconnecting');
  const second = await socket(2);
  second.open();
  assert.deepEqual(second.sent, [{ action: 'subscribe', channel: 'c1', format: 'delta', since: 8 }]);
  second.receive(frame(8, 'in_progress', { delta: 'one ' }), frame(9, 'in_progress', { delta: 'two' }),
    frame(9, 'in_progress', { delta: 'two' }), frame(10, 'completed', { message: 'one two' }));
  assert.deepEqual(seen.messages.map((m) => m.seq), [7, 8, 9, 10]);
  assert.equal(seen.messages.at(-2).text, 'one two');
  assert.deepEqual(seen.states.map((s) => s.state), ['connecting', 'open', 'reconnecting', 'open']);
});

test('reconnects back off exponentially with jitter, and start afresh once a connection works', async () => {
  const { seen, follow, socket } = client({ backoff: { firstMs: 4, maxMs: 16 } });
  follow('c1');
  for (let n = 1; n <= 5; n++) (await socket(n)).drop();
  const delays = seen.states.filter((s) => s.state === 'reconnecting').map((s) => s.delayMs);
  [4, 8, 16, 16, 16].forEach((ceiling, i) =>
    assert.ok(delays[i] >= ceiling / 2 && delays[i] <= ceiling, `delay ${i + 1} was ${delays[i]} ms: ${delays}`));
  const working = await socket(6);
  working.open();
  working.receive({ type: 'subscribed', channel: 'c1' });
  working.drop();
  assert.ok(seen.states.at(-1).delayMs <= 4, `after a working connection: ${seen.states.at(-1).delayMs} ms`);
});

test('a token function is asked at every connect, and token_expired brings a fresh one at once', async () => {
  let minted = 0;
  const { seen, follow, socket } = client({ token: async () => `t ${++minted}` });
  follow('c1');
  const first = await socket(1);
  assert.equal(first.url, 'ws://assistant.test/ws?token=t%201');
  first.open();
  first.receive(frame(3, 'started'),
    { type: 'error', status: 'error', code: 'token_expired', channel: 'c1', message: 'the token expired' });
  assert.equal(seen.errors[0].code, 'token_expired');
  const second = await socket(2);
  assert.equal(second.url, 'ws://assistant.test/ws?token=t%202');
  second.open();
  assert.equal(second.sent[0].since, 3, 'nothing is lost across the new token');
});

test('a channel no token grants is reported and not asked for again', async () => {
  const { seen, follow, socket } = client({ token: 'only-c2' });
  follow('c1');
  const first = await socket(1);
  first.open();
  first.receive({ type: 'error', status: 'error', code: 'forbidden', channel: 'c1', message: 'no token grants c1' });
  assert.deepEqual(seen.errors, [{ code: 'forbidden', channel: 'c1', message: 'no token grants c1' }]);
  first.drop();
  const second = await socket(2);
  second.open();
  assert.deepEqual(second.sent, []);
});

test('cancel resolves on cancelling and rejects with the code of a refusal', async () => {
  const { stream, follow, socket } = client();
  follow('c1');
  const ws = await socket(1);
  await assert.rejects(stream.cancel('c1', 'm0'), { code: 'not_connected' });
  ws.open();
  const stopping = stream.cancel('c1', 'm1');
  assert.deepEqual(ws.sent.at(-1), { action: 'cancel', channel: 'c1', message_id: 'm1' });
  ws.receive({ type: 'cancelling', channel: 'c1', message_id: 'm1' });
  assert.equal((await stopping).type, 'cancelling');
  const late = stream.cancel('c1', 'm2');
  ws.receive({ type: 'error', status: 'error', code: 'not_running', channel: 'c1', message_id: 'm2', message: 'done' });
  await assert.rejects(late, { code: 'not_running', message: 'done' });
});

test('an error naming no message rejects the cancels pending on its channel, or on all, with its code', async () => {
  const { stream, seen, follow, socket } = client();
  follow('c1');
  const ws = await socket(1);
  ws.open();
  const first = stream.cancel('c1', 'm1');
  const second = stream.cancel('c2', 'm2');
  ws.receive({ type: 'error', status: 'error', code: 'forbidden', channel: 'c3', message: 'no token grants c3' });
  ws.receive({ type: 'error', status: 'error', code: 'rate_limited', message: 'too many messages' });
  await assert.rejects(first, { code: 'rate_limited', message: 'too many messages' });
  await assert.rejects(second, { code: 'rate_limited' });
  assert.deepEqual(seen.errors.map((e) => e.code), ['forbidden', 'rate_limited'], 'still reported');
  const third = stream.cancel('c1', 'm3');
  ws.receive({ type: 'error', status: 'error', code: 'forbidden', channel: 'c2', message: 'no token grants c2' },
    { type: 'cancelling', channel: 'c1', message_id: 'm3' });
  assert.equal((await third).type, 'cancelling', 'an error on another channel leaves it pending');
});

test('a cancel the server never answers is rejected with code timeout', async () => {
  const { stream, socket } = client({ cancelTimeoutMs: 50 });
  const ws = await socket(1);
  ws.open();
  const started = Date.now();
  await assert.rejects(stream.cancel('c1', 'm1'), { code: 'timeout', message: 'no reply to the cancel within 50 ms' });
  assert.ok(Date.now() - started >= 40, `rejected after ${Date.now() - started} ms`);
  const answered = stream.cancel('c1', 'm2');
  ws.receive({ type: 'cancelling', channel: 'c1', message_id: 'm2' });
  assert.equal((await answered).type, 'cancelling');
  await sleep(80); // its timeout was cleared: nothing happens once it is due
});

test('the whole format, a cancelled answer and an error are handed over as the page shows them', async () => {
  const { seen, follow, socket } = client({ format: 'whole' });
  follow('c1', { since: null });
  const ws = await socket(1);
  ws.open();
  assert.deepEqual(ws.sent, [{ action: 'subscribe', channel: 'c1', format: 'whole' }], 'null: live frames only');
  ws.receive(frame(1, 'in_progress', { message: 'Hel', delta: 'Hel' }), frame(2, 'in_progress', { message: 'Hello' }),
    frame(3, 'cancelled', { message: 'Hello' }),
    frame(4, 'error', { message_id: 'm2', message: 'The assistant took too long', error_details: 'no time left' }));
  assert.deepEqual(seen.messages.map((m) => [m.status, m.text]), [['in_progress', 'Hel'], ['in_progress', 'Hello'],
    ['cancelled', 'Hello'], ['error', '']]);
  assert.equal(seen.messages.at(-1).error, 'The assistant took too long: no time left');
});

test('when frames after the last seq are gone, what the log holds is taken whatever its seqs', async () => {
  const { seen, follow, socket } = client();
  follow('c1');
  const first = await socket(1);
  first.open();
  first.receive(frame(50, 'started'));
  first.drop();
  const second = await socket(2);
  second.open();
  second.receive({ type: 'subscribed', channel: 'c1', recovered: false }, frame(2, 'started', { message_id: 'm9' }));
  assert.deepEqual(seen.messages.map((m) => m.seq), [50, 2]);
  assert.equal(seen.errors[0].code, 'frames_lost');
});

test('close ends it for good', async () => {
  const { stream, seen, follow, socket, sockets } = client();
  const unsubscribe = follow('c1');
  const ws = await socket(1);
  ws.open();
  unsubscribe();
  assert.deepEqual(ws.sent.at(-1), { action: 'unsubscribe', channel: 'c1' });
  stream.close();
  await sleep(30);
  assert.equal(sockets.length, 1, 'no reconnect after close');
  assert.equal(seen.states.at(-1).state, 'closed');
});
