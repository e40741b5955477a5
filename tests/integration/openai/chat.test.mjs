// The real `openai` client doing chat completions (and the Responses API) through the Gatehouse HTTP proxy
// (contract §4): started by run.py, which sets
//   GATEHOUSE_OPENAI_BASE_URL   http://127.0.0.1:<proxy>/<connection>/v1
//   GATEHOUSE_TOKEN             a gateway-issued token (the client's apiKey)
//   UPSTREAM_LOG                the upstream's request log (one JSON line per request)
//   UPSTREAM_KEY                the credential the gateway injects upstream
//   UPSTREAM_CHUNKS, UPSTREAM_PAUSE_MS   how the upstream streams
//   GATEHOUSECTL, GATEHOUSE_ADMIN_URL, GATEHOUSE_APPROVER_TOKEN   to decide held requests
// The connection has the rules run.py applies: mask-email, no-secret-project (deny on body),
// approve-production-data (approve on body, approvers: security).
import { test } from 'node:test';
import { execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import OpenAI from 'openai';

const env = (name) => {
  const v = process.env[name];
  assert.ok(v, `${name} is not set (run this through run.py)`);
  return v;
};
const baseURL = env('GATEHOUSE_OPENAI_BASE_URL');
const token = env('GATEHOUSE_TOKEN');
const upstreamKey = env('UPSTREAM_KEY');
const chunks = Number(env('UPSTREAM_CHUNKS'));
const pauseMs = Number(env('UPSTREAM_PAUSE_MS'));
const expected = Array.from({ length: chunks }, (_, i) => `chunk-${i}`).join(' ');

const upstreamRequests = () =>
  readFileSync(env('UPSTREAM_LOG'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));

const client = (apiKey) => new OpenAI({ apiKey, baseURL, maxRetries: 0, timeout: 20_000 });
const messages = [{ role: 'user', content: 'Say something in chunks.' }];

test('a chat completion goes through with the gateway credential, not the client token', async () => {
  const before = upstreamRequests().length;
  const res = await client(token).chat.completions.create({ model: 'gatehouse-test-model', messages });
  assert.equal(res.object, 'chat.completion');
  assert.equal(res.choices[0].message.content, expected);
  const seen = upstreamRequests().slice(before);
  assert.equal(seen.length, 1, 'exactly one request reached the upstream');
  assert.equal(seen[0].authorization, `Bearer ${upstreamKey}`);
  assert.ok(!JSON.stringify(seen).includes(token), 'the client token never reaches the upstream');
  assert.ok(seen[0].request_id, 'the gateway adds X-Request-Id');
});

test('a streamed chat completion arrives chunk by chunk, as the upstream sends it', async () => {
  const start = performance.now();
  const stream = await client(token).chat.completions.create({
    model: 'gatehouse-test-model', messages, stream: true,
  });
  const arrivals = [];
  let content = '';
  let finish = null;
  for await (const chunk of stream) {
    const choice = chunk.choices[0];
    if (choice?.delta?.content) {
      arrivals.push(performance.now() - start);
      content += choice.delta.content;
    }
    if (choice?.finish_reason) finish = choice.finish_reason;
  }
  assert.equal(content, expected);
  assert.equal(finish, 'stop');
  assert.equal(arrivals.length, chunks, 'one content delta per upstream event');

  // The upstream pauses pauseMs between events. Buffering anywhere on the way would deliver them
  // together at the end; streaming delivers them spread over (chunks - 1) pauses.
  const span = arrivals.at(-1) - arrivals[0];
  const nominal = (chunks - 1) * pauseMs;
  assert.ok(span >= 0.6 * nominal, `chunks arrived within ${span.toFixed(1)} ms, expected about ${nominal} ms`);
  assert.ok(arrivals[0] < arrivals.at(-1) - 0.5 * nominal,
    `first chunk at ${arrivals[0].toFixed(1)} ms, last at ${arrivals.at(-1).toFixed(1)} ms`);
  const gaps = arrivals.slice(1).map((t, i) => t - arrivals[i]);
  const spaced = gaps.filter((g) => g >= 0.4 * pauseMs).length;
  assert.ok(spaced >= Math.ceil(0.7 * gaps.length),
    `only ${spaced} of ${gaps.length} gaps look like the upstream's pauses: ${gaps.map((g) => g.toFixed(0)).join(',')}`);
});

test('a bad token is a 401 from the gateway and never reaches the upstream', async () => {
  const before = upstreamRequests().length;
  for (const apiKey of ['not-a-token', `${token.slice(0, -4)}AAAA`]) {
    await assert.rejects(
      client(apiKey).chat.completions.create({ model: 'gatehouse-test-model', messages }),
      (err) => {
        assert.ok(err instanceof OpenAI.APIError, `an APIError, got ${err}`);
        assert.equal(err.status, 401);
        // The gateway's refusal (contract §4), not the upstream's invalid_api_key.
        assert.equal(err.error?.error ?? err.error, 'unauthenticated', JSON.stringify(err.error));
        return true;
      });
  }
  await assert.rejects(
    client('not-a-token').chat.completions.create({ model: 'gatehouse-test-model', messages, stream: true }),
    (err) => err instanceof OpenAI.AuthenticationError && err.status === 401);
  assert.equal(upstreamRequests().length, before, 'no refused request reached the upstream');
});

const ctl = (...args) => execFileSync(env('GATEHOUSECTL'),
  ['--server', env('GATEHOUSE_ADMIN_URL'), '--token', env('GATEHOUSE_APPROVER_TOKEN'), ...args], { encoding: 'utf8' });
const say = (text) => [{ role: 'user', content: `echo: ${text}` }];

test('an email in a streamed answer reaches the client masked, event by event', async () => {
  const stream = await client(token).chat.completions.create({
    model: 'gatehouse-test-model', messages: say('write to ada.lovelace@example.com today'), stream: true,
  });
  let content = '';
  for await (const chunk of stream) content += chunk.choices[0]?.delta?.content ?? '';
  assert.equal(content, 'write to [EMAIL] today');
});

test('an email the model streams over several deltas reaches the client masked', async () => {
  const stream = await client(token).chat.completions.create({
    model: 'gatehouse-test-model', stream: true,
    messages: [{ role: 'user', content: 'pieces:Write to |ada.|love|lace@exam|ple.com| today, |grace@navy.mil|.' }],
  });
  const deltas = [];
  let finish = null;
  for await (const chunk of stream) {
    deltas.push(chunk.choices[0]?.delta?.content ?? '');
    if (chunk.choices[0]?.finish_reason) finish = chunk.choices[0].finish_reason;
  }
  assert.equal(deltas.join(''), 'Write to [EMAIL] today, [EMAIL].');
  assert.equal(finish, 'stop');
  for (const piece of ['love', 'lace', 'exam', 'ple.com', 'grace']) {
    assert.ok(!deltas.some((d) => d.includes(piece)), `"${piece}" reached the client: ${JSON.stringify(deltas)}`);
  }
  // Still streamed: one chunk per upstream event (8 deltas and the final one), and only what may
  // still turn into an address waits for the next: the first chunk already has the first words.
  assert.equal(deltas.length, 9);
  assert.equal(deltas[0], 'Write to ');
});

test('an email in a whole answer reaches the client masked, the JSON still valid', async () => {
  const res = await client(token).chat.completions.create({
    model: 'gatehouse-test-model', messages: say('mail grace.hopper@navy.example.org now'),
  });
  assert.equal(res.choices[0].message.content, 'mail [EMAIL] now');
});

// The Responses API (client.responses), which OpenAI recommends over chat completions: its text
// streams as response.output_text.delta events, and .done / response.completed repeat it whole.
const splitAddresses = 'pieces:Write to |ada.|love|lace@exam|ple.com| today, |grace@navy.mil|.';
const maskedAddresses = 'Write to [EMAIL] today, [EMAIL].';

test('a Responses API answer streamed over several deltas reaches the client masked', async () => {
  const stream = await client(token).responses.create({
    model: 'gatehouse-test-model', input: splitAddresses, stream: true,
  });
  const deltas = [];
  let done = null;
  let completed = null;
  const sequence = [];
  for await (const event of stream) {
    sequence.push(event.sequence_number);
    if (event.type === 'response.output_text.delta') {
      assert.equal(event.output_index, 0);
      assert.equal(event.content_index, 0);
      assert.ok(event.item_id, 'every delta names its item');
      deltas.push(event.delta);
    }
    if (event.type === 'response.output_text.done') done = event.text;
    if (event.type === 'response.completed') completed = event.response;
  }
  assert.equal(deltas.join(''), maskedAddresses);
  for (const piece of ['love', 'lace', 'exam', 'ple.com', 'grace']) {
    assert.ok(!deltas.some((d) => d.includes(piece)), `"${piece}" reached the client: ${JSON.stringify(deltas)}`);
  }
  // The whole text the later events repeat says the same as the deltas did.
  assert.equal(done, maskedAddresses);
  assert.equal(completed?.status, 'completed');
  assert.equal(completed.output[0].content[0].text, maskedAddresses);
  // Still streamed: the first delta already has the first words, not the whole answer.
  assert.equal(deltas[0], 'Write to ');
  assert.ok(sequence.every((n, i) => i === 0 || n >= sequence[i - 1]), `sequence numbers: ${sequence}`);
});

test('the Responses API stream helper puts the masked deltas together', async () => {
  // responses.stream() checks each delta against the output and content part it names.
  const stream = client(token).responses.stream({ model: 'gatehouse-test-model', input: splitAddresses });
  let snapshot = '';
  stream.on('response.output_text.delta', (event) => { snapshot = event.snapshot; });
  const final = await stream.finalResponse();
  assert.equal(snapshot, maskedAddresses);
  assert.equal(final.output[0].content[0].text, maskedAddresses);
});

test('a whole Responses API answer reaches the client masked', async () => {
  const res = await client(token).responses.create({
    model: 'gatehouse-test-model', input: [{ role: 'user', content: 'echo: mail grace.hopper@navy.example.org now' }],
  });
  assert.equal(res.status, 'completed');
  assert.equal(res.output_text, 'mail [EMAIL] now');
});

test('a request a deny rule matches is refused with 403 denied', async () => {
  const before = upstreamRequests().length;
  await assert.rejects(
    client(token).chat.completions.create({ model: 'gatehouse-test-model', messages: say('tell me about Project Nightshade'), stream: true }),
    (err) => {
      assert.ok(err instanceof OpenAI.PermissionDeniedError, `a 403, got ${err}`);
      // The client keeps only the body's "error" field; tst_rules checks the rule named in it.
      assert.equal(err.error?.error ?? err.error, 'denied', JSON.stringify(err.error));
      return true;
    });
  assert.equal(upstreamRequests().length, before);
});

test('a held streamed request goes through once an approver approves it', async () => {
  const before = upstreamRequests().length;
  const pending = client(token).chat.completions.create({
    model: 'gatehouse-test-model', messages: say('summarise production-data for ada@example.com'), stream: true,
  });
  let id = '';
  for (let i = 0; i < 100 && !id; i++) {
    await new Promise((r) => setTimeout(r, 50));
    const list = JSON.parse(ctl('get', 'approvals', '--state', 'pending', '-o', 'json'));
    id = list.find((a) => a.rule === 'approve-production-data')?.id ?? '';
  }
  assert.ok(id, 'the request was held for approval');
  assert.equal(upstreamRequests().length, before, 'held: nothing reached the upstream yet');
  ctl('approve', id, '--reason', 'ticket 42');
  let content = '';
  for await (const chunk of await pending) content += chunk.choices[0]?.delta?.content ?? '';
  assert.equal(content, 'summarise production-data for [EMAIL]');
  assert.equal(upstreamRequests().length, before + 1);
});
