// writes.test.mjs - contacts and measurements read back as written,
// idempotent retries, ETag / If-Match versions, key paging, and enrolling,
// assigning and withdrawing participants.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  setup,
  discover,
  assertProblem,
  contactBody,
  measurementBody,
  daysAgo,
} from './helpers.mjs';

let s, d, pid;
before(async () => {
  s = await setup();
  d = await discover(s);
  pid = d.peerParts[0].id;
});
after(async () => {
  if (s) await s.cleanup();
});

async function contacts(p = pid) {
  return s.listAll('admin', `/api/v1/contacts?participant_id=${p}&limit=200`);
}

// ---- contacts and measurements ----------------------------------------------

test('a contact logged by a peer leader reads back as sent', async () => {
  const body = contactBody(pid, { key_functions: ['daily_management', 'linkage'], minutes: 35, mode: 'home_visit' });
  const r = await s.req('POST', '/api/v1/contacts', { token: s.tokens.peer, body });
  assert.equal(r.status, 201, r.text);
  assert.ok(Number.isInteger(r.json.id));
  const g = await s.req('GET', `/api/v1/contacts/${r.json.id}`, { token: s.tokens.peer });
  assert.equal(g.status, 200, g.text);
  for (const [k, v] of Object.entries(body)) assert.deepEqual(g.json[k], v, `field ${k}`);
  assert.equal(g.json.peer_leader_id, d.leaderId);
  assert.deepEqual(r.json, g.json, 'the 201 body is the stored contact');
});

test('a new contact appears in the participant\'s contact list', async () => {
  const before = await contacts();
  const r = await s.req('POST', '/api/v1/contacts', {
    token: s.tokens.manager, body: contactBody(pid, { peer_leader_id: d.leaderId }),
  });
  assert.equal(r.status, 201, r.text);
  const after = await contacts();
  assert.equal(after.length, before.length + 1);
  assert.ok(after.some((c) => c.id === r.json.id));
});

test('a measurement value "7.50" reads back as "7.50"', async () => {
  const r = await s.req('POST', '/api/v1/measurements', {
    token: s.tokens.peer,
    body: measurementBody(pid, { value: '7.50' }),
  });
  assert.equal(r.status, 201, r.text);
  const g = await s.req('GET', `/api/v1/measurements/${r.json.id}`, { token: s.tokens.peer });
  assert.equal(g.status, 200, g.text);
  assert.equal(g.json.value, '7.50');
  assert.equal(g.json.unit, '%');
  assert.equal(g.json.code, '4548-4');
  assert.equal(g.json.analyte, 'hba1c');
  assert.equal(g.json.canonical_value, 7.5);
  assert.equal(g.json.canonical_unit, '%');
  assert.equal(g.json.participant_id, pid);
  assert.equal(g.json.recorded_by, s.me.peer.id);
});

test('a JSON number 7.50 is kept as written ("7.50")', async () => {
  const b = measurementBody(pid);
  const raw = JSON.stringify(b).replace('"value":"7.10"', '"value":7.50');
  assert.ok(raw.includes('"value":7.50'));
  const r = await s.req('POST', '/api/v1/measurements', { token: s.tokens.clinician, body: raw });
  assert.equal(r.status, 201, r.text);
  const g = await s.req('GET', `/api/v1/measurements/${r.json.id}`, { token: s.tokens.clinician });
  assert.equal(g.json.value, '7.50');
});

test('an HbA1c of 64 mmol/mol (59261-8) is analysed as 8.006 %', async () => {
  const r = await s.req('POST', '/api/v1/measurements', {
    token: s.tokens.clinician,
    body: measurementBody(pid, { code: '59261-8', value: 64, unit: 'mmol/mol' }),
  });
  assert.equal(r.status, 201, r.text);
  const g = await s.req('GET', `/api/v1/measurements/${r.json.id}`, { token: s.tokens.admin });
  assert.equal(g.status, 200, g.text);
  assert.ok(Math.abs(g.json.canonical_value - 8.006) < 0.001, `canonical_value ${g.json.canonical_value}`);
  assert.equal(g.json.canonical_unit, '%');
  assert.equal(g.json.analyte, 'hba1c');
  assert.ok(g.json.value === '64' || g.json.entered_value === '64', `original value kept: ${g.text}`);
});

test('a new measurement appears in the list filtered by participant and analyte', async () => {
  const r = await s.req('POST', '/api/v1/measurements', {
    token: s.tokens.manager,
    body: measurementBody(pid, { code: '8480-6', value: 132, unit: 'mm[Hg]' }),
  });
  assert.equal(r.status, 201, r.text);
  const list = await s.listAll('admin', `/api/v1/measurements?participant_id=${pid}&analyte=sbp&limit=200`);
  assert.ok(list.some((m) => m.id === r.json.id));
  assert.ok(list.every((m) => m.analyte === 'sbp' && m.participant_id === pid));
});

// ---- paging -------------------------------------------------------------------

async function walk(who, first) {
  const seen = [];
  let next = first;
  let pages = 0;
  while (next) {
    const page = await s.get200(who, next);
    assert.ok(page.items.length <= 2, `page of ${page.items.length}`);
    assert.ok(page.next === null || page.items.length === 2, 'short page before the end');
    if (page.next !== null) assert.match(page.next, /^\/api\/v1\/.*[?&]limit=2\b/, page.next);
    seen.push(...page.items.map((x) => x.id));
    next = page.next;
    assert.ok(++pages < 500);
  }
  return seen;
}

test('limit=2 pages walk a participant\'s contacts with next links, each once, ascending', async () => {
  const ids = await walk('admin', `/api/v1/contacts?participant_id=${pid}&limit=2`);
  const all = (await contacts()).map((c) => c.id);
  assert.ok(all.length > 4, 'enough contacts to page');
  assert.equal(new Set(ids).size, ids.length, 'no duplicates');
  assert.deepEqual(ids, [...ids].sort((a, b) => a - b), 'ascending id order');
  assert.deepEqual(ids, all);
});

test('limit=2 pages walk a participant\'s measurements with next links, each once, ascending', async () => {
  const ids = await walk('peer', `/api/v1/measurements?participant_id=${pid}&limit=2`);
  const all = (await s.listAll('admin', `/api/v1/measurements?participant_id=${pid}&limit=200`)).map((m) => m.id);
  assert.ok(all.length > 4);
  assert.equal(new Set(ids).size, ids.length);
  assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
  assert.deepEqual(ids, all);
});

test('the last page has next: null', async () => {
  const r = await s.get200('admin', `/api/v1/contacts?participant_id=${pid}&limit=200`);
  assert.equal(r.next, null);
});

// ---- idempotency ----------------------------------------------------------------

test('a retried POST /contacts with the same Idempotency-Key replays the response and writes once', async () => {
  const body = contactBody(pid, { note: 'idempotent once' });
  const key = `retry-${Date.now()}`;
  const before = await contacts();
  const a = await s.req('POST', '/api/v1/contacts', { token: s.tokens.peer, body, headers: { 'idempotency-key': key } });
  const b = await s.req('POST', '/api/v1/contacts', { token: s.tokens.peer, body, headers: { 'idempotency-key': key } });
  assert.equal(a.status, 201, a.text);
  assert.equal(b.status, a.status);
  assert.deepEqual(b.json, a.json);
  assert.notEqual(a.headers.get('idempotent-replayed'), 'true');
  assert.equal(b.headers.get('idempotent-replayed'), 'true');
  const after = await contacts();
  assert.equal(after.length, before.length + 1, 'exactly one new contact');
});

test('the same Idempotency-Key with a different body answers 422 and writes nothing', async () => {
  const key = `mismatch-${Date.now()}`;
  const a = await s.req('POST', '/api/v1/contacts', {
    token: s.tokens.peer, body: contactBody(pid, { minutes: 10 }), headers: { 'idempotency-key': key },
  });
  assert.equal(a.status, 201, a.text);
  const before = await contacts();
  const b = await s.req('POST', '/api/v1/contacts', {
    token: s.tokens.peer, body: contactBody(pid, { minutes: 11 }), headers: { 'idempotency-key': key },
  });
  assertProblem(b, 422);
  assert.equal((await contacts()).length, before.length);
});

let concurrent;
test('five concurrent identical POSTs with one Idempotency-Key create exactly one contact', async () => {
  const body = contactBody(pid, { note: 'concurrent retries' });
  const key = `burst-${Date.now()}`;
  const before = await contacts();
  concurrent = await Promise.all(
    Array.from({ length: 5 }, () =>
      s.req('POST', '/api/v1/contacts', { token: s.tokens.peer, body, headers: { 'idempotency-key': key } })),
  );
  const after = await contacts();
  assert.equal(after.length, before.length + 1, `statuses ${concurrent.map((r) => r.status)}`);
});

test('every one of the concurrent duplicates hears 201 with the same contact', () => {
  assert.ok(concurrent, 'previous test did not run');
  const statuses = concurrent.map((r) => r.status);
  assert.ok(statuses.every((x) => x === 201), `statuses ${statuses}: ${concurrent.map((r) => r.text).join(' | ')}`);
  const ids = new Set(concurrent.map((r) => r.json.id));
  assert.equal(ids.size, 1);
  assert.equal(concurrent.filter((r) => r.headers.get('idempotent-replayed') === 'true').length, 4);
});

test('Idempotency-Keys are per account: another account\'s same key is a new request', async () => {
  const body = contactBody(pid, { note: 'same key, two accounts', peer_leader_id: d.leaderId });
  const key = `shared-${Date.now()}`;
  const a = await s.req('POST', '/api/v1/contacts', { token: s.tokens.peer, body, headers: { 'idempotency-key': key } });
  const b = await s.req('POST', '/api/v1/contacts', { token: s.tokens.manager, body, headers: { 'idempotency-key': key } });
  assert.equal(a.status, 201, a.text);
  assert.equal(b.status, 201, b.text);
  assert.notEqual(b.json.id, a.json.id);
  assert.notEqual(b.headers.get('idempotent-replayed'), 'true');
});

// ---- ETag and If-Match ------------------------------------------------------------

test('GET /api/v1/participants/{id} carries ETag W/"<version>"', async () => {
  const r = await s.req('GET', `/api/v1/participants/${pid}`, { token: s.tokens.admin });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('etag'), `W/"${r.json.version}"`);
  assert.ok(Number.isInteger(r.json.version) && r.json.version >= 1);
});

test('PATCH with the matching If-Match answers 200, a new ETag and version + 1', async () => {
  const path = `/api/v1/participants/${pid}`;
  const g = await s.req('GET', path, { token: s.tokens.manager });
  const v = g.json.version;
  const p = await s.req('PATCH', path, {
    token: s.tokens.manager,
    headers: { 'if-match': g.headers.get('etag') },
    body: { risk_tier: g.json.risk_tier === 'high_need' ? 'standard' : 'high_need', address: '12 Test Rd' },
  });
  assert.equal(p.status, 200, p.text);
  assert.equal(p.json.version, v + 1);
  assert.equal(p.headers.get('etag'), `W/"${v + 1}"`);
  assert.equal(p.json.address, '12 Test Rd');
  const again = await s.req('GET', path, { token: s.tokens.manager });
  assert.equal(again.json.version, v + 1);
  assert.equal(again.json.address, '12 Test Rd');
  assert.equal(again.json.given_name, g.json.given_name, 'fields not sent are unchanged');
});

test('If-Match: * matches any current version (RFC 9110)', async () => {
  const path = `/api/v1/participants/${pid}`;
  const g = await s.req('GET', path, { token: s.tokens.manager });
  const p = await s.req('PATCH', path, {
    token: s.tokens.manager,
    headers: { 'if-match': '*' },
    body: { address: '14 Star Rd' },
  });
  assert.equal(p.status, 200, p.text);
  assert.equal(p.json.version, g.json.version + 1);
  assert.equal(p.json.address, '14 Star Rd');
});

test('HEAD answers like GET, with its headers and no body', async () => {
  const path = `/api/v1/participants/${pid}`;
  const g = await s.req('GET', path, { token: s.tokens.admin });
  const h = await s.req('HEAD', path, { token: s.tokens.admin });
  assert.equal(h.status, 200);
  assert.equal(h.headers.get('etag'), g.headers.get('etag'));
  assert.equal(h.headers.get('content-type'), 'application/json');
  assert.equal(h.text, '');
  const missing = await s.req('HEAD', '/api/v1/participants/999999999', { token: s.tokens.admin });
  assert.equal(missing.status, 404);
});

test('PATCH without If-Match is applied and bumps the version', async () => {
  const path = `/api/v1/participants/${pid}`;
  const g = await s.req('GET', path, { token: s.tokens.admin });
  const p = await s.req('PATCH', path, { token: s.tokens.admin, body: { address: null } });
  assert.equal(p.status, 200, p.text);
  assert.equal(p.json.version, g.json.version + 1);
  assert.equal(p.json.address, null);
});

// ---- enrol, assign, withdraw ----------------------------------------------------------

let enrolled;
test('enrolling a participant answers 201 with a Location that reads it back', async () => {
  const body = {
    given_name: 'Lan', family_name: 'Zhou', sex: 'female', birth_date: '1959-06-15',
    phone: '+86 21 5555 0199', language: 'zh-CN', diagnosis_year: 2015, treatment: 'oral',
    enrol_date: daysAgo(3), consent: true, consent_date: daysAgo(3),
    home_unit_id: d.peerParts[0].home_unit_id, risk_tier: 'standard',
  };
  const r = await s.req('POST', '/api/v1/participants', { token: s.tokens.manager, body });
  assert.equal(r.status, 201, r.text);
  const loc = r.headers.get('location');
  assert.ok(loc && loc.endsWith(`/api/v1/participants/${r.json.id}`), `Location: ${loc}`);
  const g = await s.req('GET', new URL(loc, s.url).pathname, { token: s.tokens.manager });
  assert.equal(g.status, 200, g.text);
  for (const [k, v] of Object.entries(body)) assert.deepEqual(g.json[k], v, `field ${k}`);
  assert.equal(g.json.status, 'enrolled');
  assert.equal(g.json.peer_leader_id, null);
  enrolled = g.json;
});

test('assigning a peer leader sets peer_leader_id and the peer leader then sees the participant', async () => {
  const r = await s.req('POST', `/api/v1/participants/${enrolled.id}/assign`, {
    token: s.tokens.manager, body: { peer_leader_id: d.leaderId },
  });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.peer_leader_id, d.leaderId);
  const g = await s.req('GET', `/api/v1/participants/${enrolled.id}`, { token: s.tokens.peer });
  assert.equal(g.status, 200, g.text);
});

test('reassigning moves the participant to the other leader, out of the first one\'s sight', async () => {
  const r = await s.req('POST', `/api/v1/participants/${enrolled.id}/assign`, {
    token: s.tokens.manager, body: { peer_leader_id: d.otherLeaderId },
  });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.peer_leader_id, d.otherLeaderId);
  assertProblem(await s.req('GET', `/api/v1/participants/${enrolled.id}`, { token: s.tokens.peer }), 404);
});

test('assigning null unassigns the participant', async () => {
  const r = await s.req('POST', `/api/v1/participants/${enrolled.id}/assign`, {
    token: s.tokens.manager, body: { peer_leader_id: null },
  });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.peer_leader_id, null);
  const g = await s.get200('admin', `/api/v1/participants/${enrolled.id}`);
  assert.equal(g.peer_leader_id, null);
});

test('assigning a nonexistent peer leader is refused and changes nothing', async () => {
  const r = await s.req('POST', `/api/v1/participants/${enrolled.id}/assign`, {
    token: s.tokens.manager, body: { peer_leader_id: 999999999 },
  });
  assert.ok([404, 422].includes(r.status), `${r.status} ${r.text}`);
  assertProblem(r, r.status);
  assert.equal((await s.get200('admin', `/api/v1/participants/${enrolled.id}`)).peer_leader_id, null);
});

test('an assign with a stale If-Match answers 412', async () => {
  const r = await s.req('POST', `/api/v1/participants/${enrolled.id}/assign`, {
    token: s.tokens.manager, headers: { 'if-match': 'W/"1"' }, body: { peer_leader_id: d.leaderId },
  });
  assertProblem(r, 412);
  assert.equal((await s.get200('admin', `/api/v1/participants/${enrolled.id}`)).peer_leader_id, null);
});

test('withdrawing without a reason answers 422 and leaves the participant enrolled', async () => {
  const r = await s.req('POST', `/api/v1/participants/${enrolled.id}/withdraw`, {
    token: s.tokens.manager, body: { date: daysAgo(1) },
  });
  assertProblem(r, 422);
  assert.ok((r.json.errors || []).some((e) => e.field === 'reason'), r.text);
  assert.equal((await s.get200('admin', `/api/v1/participants/${enrolled.id}`)).status, 'enrolled');
});

test('withdrawing with a reason sets status withdrawn, its date and reason', async () => {
  const date = daysAgo(1);
  const r = await s.req('POST', `/api/v1/participants/${enrolled.id}/withdraw`, {
    token: s.tokens.manager, body: { reason: 'moved to another city', date },
  });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.status, 'withdrawn');
  const g = await s.get200('manager', `/api/v1/participants/${enrolled.id}`);
  assert.equal(g.status, 'withdrawn');
  assert.equal(g.status_reason, 'moved to another city');
  assert.equal(g.status_date, date);
  const list = await s.listAll('admin', `/api/v1/participants?home_unit_id=${enrolled.home_unit_id}&status=withdrawn&limit=200`);
  assert.ok(list.some((p) => p.id === enrolled.id));
});

test('SIGTERM stops the server cleanly (exit 0)', async () => {
  const r = await s.stop();
  assert.deepEqual(r, { code: 0, signal: null }, s.stderr);
});
