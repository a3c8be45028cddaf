// servers.test.mjs - several peerlink servers on one PostgreSQL database
// (docs/SCALING.md): what one writes the other reads, a session made on
// one is valid on the other, both audit into the one trail, and a failed
// write on one changes nothing the other sees. Runs only on PostgreSQL
// (PEERLINK_TEST_PG, set by scripts/pg-test); a SQLite file has one server.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setup, discover, Server, contactBody, assertProblem, poll, dropDatabase } from './helpers.mjs';

const pg = Boolean(process.env.PEERLINK_TEST_PG);
let a, b, d;
before(async () => {
  if (!pg) return;
  a = await setup();
  d = await discover(a);
  b = new Server();
  dropDatabase(b.db); // the database of its own it was given: it uses the first one's
  b.db = a.db;
  b.logins = a.logins;
  b.tokens = a.tokens;
  await b.start();
});
after(async () => {
  if (b) await b.stop();
  if (a) await a.cleanup();
  if (b) await b.cleanup();
});

test('two servers on one database listen on different ports', { skip: !pg }, () => {
  assert.notEqual(a.url, b.url);
});

test('a contact written through one server is read through the other', { skip: !pg }, async () => {
  const pid = d.peerParts[0].id;
  const body = contactBody(pid, { minutes: 42, note: 'written on server A' });
  const w = await a.req('POST', '/api/v1/contacts', { token: a.tokens.peer, body });
  assert.equal(w.status, 201, w.text);
  const r = await b.req('GET', `/api/v1/contacts/${w.json.id}`, { token: a.tokens.peer });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json, w.json, 'server B reads what server A stored');
});

test('a session made on one server is valid on the other, and logout on it ends it on both', { skip: !pg }, async () => {
  const token = await b.login('clinician');
  const me = await a.req('GET', '/api/v1/me', { token });
  assert.equal(me.status, 200, me.text);
  assert.equal(me.json.username, 'clinician');
  const out = await a.req('POST', '/api/v1/logout', { token });
  assert.equal(out.status, 204, out.text);
  assertProblem(await b.req('GET', '/api/v1/me', { token }), 401, 'after logout on A');
});

test('both servers write one audit trail', { skip: !pg }, async () => {
  const pid = d.peerParts[1].id;
  const w = await b.req('POST', '/api/v1/contacts', { token: a.tokens.peer, body: contactBody(pid) });
  assert.equal(w.status, 201, w.text);
  const seen = await poll(async () => {
    const items = await a.listAll('admin', `/api/v1/audit?participant_id=${pid}&limit=200`);
    return items.find((e) => e.action === 'create' && e.entity_id === w.json.id);
  }, 5000);
  assert.ok(seen, 'the create on server B is in the trail read through server A');
});

test('a refused write on one server leaves nothing for the other to see', { skip: !pg }, async () => {
  const pid = d.peerParts[2].id;
  const list = async (s) =>
    (await s.listAll('admin', `/api/v1/contacts?participant_id=${pid}&limit=200`)).length;
  const before = await list(b);
  const bad = await a.req('POST', '/api/v1/contacts', {
    token: a.tokens.peer,
    body: contactBody(pid, { minutes: 0 }),
  });
  assertProblem(bad, 422, 'minutes 0');
  assert.equal(await list(b), before);
});

test('writes through both servers at once all land, each exactly once', { skip: !pg }, async () => {
  const pid = d.peerParts[3].id;
  const list = async (s) =>
    (await s.listAll('admin', `/api/v1/contacts?participant_id=${pid}&limit=200`)).length;
  const before = await list(a);
  const writes = [];
  for (let i = 0; i < 20; i++) {
    const s = i % 2 ? a : b;
    writes.push(s.req('POST', '/api/v1/contacts', { token: a.tokens.peer, body: contactBody(pid, { minutes: 5 + i }) }));
  }
  const res = await Promise.all(writes);
  for (const r of res) assert.equal(r.status, 201, r.text);
  assert.equal(new Set(res.map((r) => r.json.id)).size, 20);
  assert.equal(await list(a), before + 20);
  assert.equal(await list(b), before + 20);
});
