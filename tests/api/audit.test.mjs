// audit.test.mjs - the audit trail: reads (also denied ones), writes,
// logins, failed logins, logouts and staff changes are recorded, and no
// endpoint changes or deletes an event.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setup, discover, assertProblem, contactBody, poll } from './helpers.mjs';

let s, d;
before(async () => {
  s = await setup();
  d = await discover(s);
});
after(async () => {
  if (s) await s.cleanup();
});

const audit = (query) => s.listAll('admin', `/api/v1/audit?${query}&limit=200`);
// Polls the audit trail (read events are written asynchronously) for an
// event matching pred; returns it or undefined after 2 s.
const awaitEvent = (query, pred) => poll(async () => (await audit(query)).find(pred), 2000);
const isEntity = (e, name) => typeof e.entity === 'string' && e.entity.startsWith(name);

test('a peer leader\'s read of a participant is audited: read, by that account, status 200', async () => {
  const x = d.peerParts[1] ?? d.peerParts[0];
  const r = await s.req('GET', `/api/v1/participants/${x.id}`, { token: s.tokens.peer });
  assert.equal(r.status, 200);
  const e = await awaitEvent(`participant_id=${x.id}`,
    (e) => e.action === 'read' && e.account_id === s.me.peer.id && e.status === 200 && isEntity(e, 'participant'));
  assert.ok(e, `no read event: ${JSON.stringify(await audit(`participant_id=${x.id}`))}`);
  assert.equal(e.participant_id, x.id);
  assert.equal(e.entity_id, x.id);
});

test('an audit event carries its time, entity and client address', async () => {
  const x = d.peerParts[0];
  await s.req('GET', `/api/v1/participants/${x.id}`, { token: s.tokens.peer });
  const e = await awaitEvent(`participant_id=${x.id}`, (e) => e.action === 'read' && e.account_id === s.me.peer.id);
  assert.ok(e, 'no read event');
  assert.match(e.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
  assert.ok(Math.abs(Date.parse(e.at) - Date.now()) < 60000, `at ${e.at}`);
  assert.equal(e.client_addr, '127.0.0.1');
  assert.ok(Number.isInteger(e.id));
});

test('a denied (404) read of an out-of-scope participant is audited with status 404', async () => {
  const y = d.otherPart;
  const r = await s.req('GET', `/api/v1/participants/${y.id}`, { token: s.tokens.peer });
  assertProblem(r, 404);
  const e = await awaitEvent(`account_id=${s.me.peer.id}`,
    (e) => e.status === 404 && (e.entity_id === y.id || e.participant_id === y.id));
  assert.ok(e, 'no audit event for the denied read');
  assert.equal(e.action, 'read');
});

test('a list appends one read event per participant it returned', async () => {
  const page = await s.get200('peer', '/api/v1/participants?limit=3');
  assert.ok(page.items.length > 0);
  for (const p of page.items) {
    const e = await awaitEvent(`participant_id=${p.id}`,
      (e) => e.action === 'read' && e.account_id === s.me.peer.id);
    assert.ok(e, `no read event for listed participant ${p.id}`);
  }
});

test('a contact created is audited as a create event in the same transaction', async () => {
  const x = d.peerParts[0];
  const r = await s.req('POST', '/api/v1/contacts', { token: s.tokens.peer, body: contactBody(x.id) });
  assert.equal(r.status, 201, r.text);
  // write events commit with the write: no waiting
  const events = await audit(`participant_id=${x.id}`);
  const e = events.find((e) => e.action === 'create' && e.entity_id === r.json.id && isEntity(e, 'contact'));
  assert.ok(e, `no create event for contact ${r.json.id}`);
  assert.equal(e.account_id, s.me.peer.id);
  assert.equal(e.status, 201);
  assert.equal(e.participant_id, x.id);
});

test('a participant update is audited as an update event', async () => {
  const x = d.peerParts[0];
  const r = await s.req('PATCH', `/api/v1/participants/${x.id}`, {
    token: s.tokens.manager, body: { address: '3 Audit Lane' },
  });
  assert.equal(r.status, 200, r.text);
  const events = await audit(`participant_id=${x.id}&action=update`);
  assert.ok(events.some((e) => e.account_id === s.me.manager.id && e.status === 200), JSON.stringify(events));
  assert.ok(events.every((e) => e.action === 'update'), 'the action filter filters');
});

test('a failed login is audited as login_failed', async () => {
  const before = (await audit('action=login_failed')).length;
  const r = await s.req('POST', '/api/v1/login', { body: { username: 'clinician', password: 'not-it-at-all' } });
  assertProblem(r, 401);
  const events = await poll(async () => {
    const ev = await audit('action=login_failed');
    return ev.length > before ? ev : undefined;
  });
  assert.ok(events, 'no login_failed event');
  assert.equal(events.length, before + 1);
  const e = events[events.length - 1];
  assert.equal(e.status, 401);
  assert.equal(e.client_addr, '127.0.0.1');
});

test('a login and a logout are audited', async () => {
  const t = await s.login('clinician');
  const login = await awaitEvent(`account_id=${s.me.clinician.id}&action=login`, () => true);
  assert.ok(login, 'no login event');
  const r = await s.req('POST', '/api/v1/logout', { token: t });
  assert.equal(r.status, 204);
  const logout = await awaitEvent(`account_id=${s.me.clinician.id}&action=logout`, () => true);
  assert.ok(logout, 'no logout event');
});

test('a change to a staff account is audited', async () => {
  const id = s.me.evaluator.id;
  const r = await s.req('PATCH', `/api/v1/staff/${id}`, {
    token: s.tokens.admin, body: { display_name: 'Evaluation team (audited)' },
  });
  assert.equal(r.status, 200, r.text);
  const e = await awaitEvent(`account_id=${s.me.admin.id}&action=update`, (e) => e.entity_id === id);
  assert.ok(e, 'no update event for the staff account');
  assert.ok(!isEntity(e, 'participant'));
});

test('the audit list is in ascending id order with paging', async () => {
  const page = await s.get200('admin', '/api/v1/audit?limit=5');
  const ids = page.items.map((e) => e.id);
  assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
  if (page.next) {
    const next = await s.get200('admin', page.next);
    assert.ok(next.items.every((e) => e.id > ids[ids.length - 1]));
  }
});

test('DELETE /api/v1/audit answers 405 with Allow: GET', async () => {
  const r = await s.req('DELETE', '/api/v1/audit', { token: s.tokens.admin });
  assertProblem(r, 405);
  assert.deepEqual((r.headers.get('allow') || '').split(',').map((x) => x.trim()).filter((m) => m !== 'HEAD'), ['GET']);
});

test('PATCH and POST /api/v1/audit answer 405', async () => {
  assertProblem(await s.req('PATCH', '/api/v1/audit', { token: s.tokens.admin, body: { action: 'x' } }), 405);
  assertProblem(await s.req('POST', '/api/v1/audit', { token: s.tokens.admin, body: { action: 'x' } }), 405);
});

test('no route changes or deletes one audit event', async () => {
  const [e] = (await s.get200('admin', '/api/v1/audit?limit=1')).items;
  assert.ok(e);
  for (const m of ['DELETE', 'PATCH', 'PUT']) {
    const r = await s.req(m, `/api/v1/audit/${e.id}`, { token: s.tokens.admin, body: m === 'DELETE' ? undefined : { status: 200 } });
    assert.ok([404, 405].includes(r.status), `${m}: ${r.status}`);
  }
  const again = (await s.get200('admin', '/api/v1/audit?limit=1')).items[0];
  assert.deepEqual(again, e);
});

test('read events are not lost on a clean shutdown', async () => {
  const x = d.peerParts[2] ?? d.peerParts[0];
  const before = (await audit(`participant_id=${x.id}&action=read`)).length;
  const r = await s.req('GET', `/api/v1/participants/${x.id}`, { token: s.tokens.peer });
  assert.equal(r.status, 200);
  await s.restart(); // SIGTERM right away, then a new server on the same database
  s.tokens.admin = await s.login('admin');
  const after = await audit(`participant_id=${x.id}&action=read`);
  assert.equal(after.length, before + 1, 'the read event survived the shutdown');
});

test('SIGTERM stops the server cleanly (exit 0)', async () => {
  const r = await s.stop();
  assert.deepEqual(r, { code: 0, signal: null }, s.stderr);
  assert.ok(s.exits.every((e) => e.code === 0), JSON.stringify(s.exits));
});
