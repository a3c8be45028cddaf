// errors.test.mjs - every error is application/problem+json with the right
// status (400, 404, 405, 409, 412, 413, 415, 422), names the offending
// fields, and leaves nothing behind.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  setup,
  discover,
  assertProblem,
  fieldErrors,
  contactBody,
  measurementBody,
  daysAgo,
} from './helpers.mjs';

let s, d, pid;
before(async () => {
  s = await setup({ accounts: ['admin', 'manager', 'clinician', 'peer', 'navigator'] });
  d = await discover(s);
  pid = d.peerParts[0].id;
});

// admin is no peer leader: its contacts name the leader
const cb = (p, extra = {}) => contactBody(p, { peer_leader_id: d.leaderId, ...extra });
after(async () => {
  if (s) await s.cleanup();
});

async function contactCount(p = pid) {
  return (await s.listAll('admin', `/api/v1/contacts?participant_id=${p}&limit=200`)).length;
}
async function measurementCount(p = pid) {
  return (await s.listAll('admin', `/api/v1/measurements?participant_id=${p}&limit=200`)).length;
}
async function participantCount() {
  return (await s.listAll('admin', `/api/v1/participants?home_unit_id=${d.site}&limit=200`)).length;
}

// POSTs a contact as admin and checks that no contact was added.
async function postContactExpecting(status, body, opts = {}) {
  const before = await contactCount();
  const r = await s.req('POST', '/api/v1/contacts', { token: s.tokens.admin, body, ...opts });
  const p = assertProblem(r, status);
  assert.equal(await contactCount(), before, 'a failed write left a contact behind');
  return p;
}

test('malformed JSON answers 400 and writes nothing', async () => {
  await postContactExpecting(400, `{"participant_id": ${pid}, "minutes": 20,`);
});

test('a JSON body that is not an object answers 400', async () => {
  await postContactExpecting(400, '[1, 2, 3]');
});

test('an unknown field answers 400 and lists the field', async () => {
  const p = await postContactExpecting(400, cb(pid, { colour: 'blue' }));
  assert.ok('colour' in fieldErrors(p), `errors: ${JSON.stringify(p.errors)}`);
});

test('contact minutes 0 answers 422 with a field error for "minutes"', async () => {
  const p = await postContactExpecting(422, cb(pid, { minutes: 0 }));
  const e = fieldErrors(p);
  assert.ok('minutes' in e, `errors: ${JSON.stringify(p.errors)}`);
  assert.equal(typeof e.minutes, 'string');
  assert.ok(e.minutes.length > 0);
});

test('a missing required field answers 422 naming it', async () => {
  const body = cb(pid);
  delete body.occurred_at;
  const p = await postContactExpecting(422, body);
  assert.ok('occurred_at' in fieldErrors(p), `errors: ${JSON.stringify(p.errors)}`);
});

test('a field of the wrong type answers 422 naming it', async () => {
  const p = await postContactExpecting(422, cb(pid, { minutes: 'twenty' }));
  assert.ok('minutes' in fieldErrors(p), `errors: ${JSON.stringify(p.errors)}`);
});

test('a contact dated in the future answers 422 on occurred_at', async () => {
  const future = new Date(Date.now() + 2 * 86400000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const p = await postContactExpecting(422, cb(pid, { occurred_at: future }));
  assert.ok('occurred_at' in fieldErrors(p), `errors: ${JSON.stringify(p.errors)}`);
});

test('several bad fields are all listed in one 422', async () => {
  const p = await postContactExpecting(422, cb(pid, { minutes: 0, mode: 'carrier_pigeon' }));
  const e = fieldErrors(p);
  assert.ok('minutes' in e && 'mode' in e, `errors: ${JSON.stringify(p.errors)}`);
});

test('an HbA1c of 25 % answers 422 on "value" naming the plausible range, and writes nothing', async () => {
  const before = await measurementCount();
  const r = await s.req('POST', '/api/v1/measurements', {
    token: s.tokens.admin,
    body: measurementBody(pid, { value: 25 }),
  });
  const p = assertProblem(r, 422);
  const e = fieldErrors(p);
  assert.ok('value' in e, `errors: ${JSON.stringify(p.errors)}`);
  assert.match(e.value, /\b3\b.*\b20\b/, `message: ${e.value}`);
  assert.equal(await measurementCount(), before);
});

test('a measurement value that is not a decimal ("7,2") answers 422 on "value"', async () => {
  const before = await measurementCount();
  const r = await s.req('POST', '/api/v1/measurements', {
    token: s.tokens.admin,
    body: measurementBody(pid, { value: '7,2' }),
  });
  const p = assertProblem(r, 422);
  assert.ok('value' in fieldErrors(p), `errors: ${JSON.stringify(p.errors)}`);
  assert.equal(await measurementCount(), before);
});

test('a unit the code does not accept answers 422 on "unit"', async () => {
  const r = await s.req('POST', '/api/v1/measurements', {
    token: s.tokens.admin,
    body: measurementBody(pid, { unit: 'kg' }),
  });
  const p = assertProblem(r, 422);
  assert.ok('unit' in fieldErrors(p), `errors: ${JSON.stringify(p.errors)}`);
});

test('an unknown id answers 404 problem+json', async () => {
  for (const path of ['/api/v1/participants/999999999', '/api/v1/contacts/999999999',
    '/api/v1/measurements/999999999', '/api/v1/org-units/999999999', '/api/v1/staff/999999999']) {
    assertProblem(await s.req('GET', path, { token: s.tokens.admin }), 404, path);
  }
});

test('an unknown path answers 404 problem+json', async () => {
  assertProblem(await s.req('GET', '/api/v1/no-such-thing', { token: s.tokens.admin }), 404);
});

test('a contact for a nonexistent participant answers 404 or 422 and writes nothing', async () => {
  const r = await s.req('POST', '/api/v1/contacts', {
    token: s.tokens.admin,
    body: cb(999999999),
  });
  assert.ok([404, 422].includes(r.status), `${r.status} ${r.text}`);
  assertProblem(r, r.status);
});

function allowOf(r) {
  return (r.headers.get('allow') || '').split(',').map((m) => m.trim().toUpperCase()).filter(Boolean);
}

test('DELETE /api/v1/participants answers 405 with Allow: GET, POST', async () => {
  const r = await s.req('DELETE', '/api/v1/participants', { token: s.tokens.admin });
  assertProblem(r, 405);
  assert.deepEqual(allowOf(r).filter((m) => m !== 'HEAD').sort(), ['GET', 'POST']);
});

test('PUT /api/v1/participants/{id} answers 405 with Allow: GET, PATCH', async () => {
  const r = await s.req('PUT', `/api/v1/participants/${pid}`, {
    token: s.tokens.admin,
    body: { given_name: 'X' },
  });
  assertProblem(r, 405);
  assert.deepEqual(allowOf(r).filter((m) => m !== 'HEAD').sort(), ['GET', 'PATCH']);
});

test('GET /api/v1/login answers 405 with Allow: POST', async () => {
  const r = await s.req('GET', '/api/v1/login');
  assertProblem(r, 405);
  assert.deepEqual(allowOf(r), ['POST']);
});

test('a text/plain body answers 415 and writes nothing', async () => {
  await postContactExpecting(415, JSON.stringify(cb(pid)), { contentType: 'text/plain' });
});

test('application/json with a charset parameter is accepted', async () => {
  const before = await contactCount();
  const r = await s.req('POST', '/api/v1/contacts', {
    token: s.tokens.admin,
    body: cb(pid),
    contentType: 'application/json; charset=utf-8',
  });
  assert.equal(r.status, 201, r.text);
  assert.equal(await contactCount(), before + 1);
});

test('a duplicate username answers 409 and creates no account', async () => {
  const before = (await s.listAll('admin', '/api/v1/staff?limit=200')).length;
  const r = await s.req('POST', '/api/v1/staff', {
    token: s.tokens.admin,
    body: { username: 'peer', role: 'evaluator', scope_unit_id: d.shanghai, password: 'another-secret-1' },
  });
  assertProblem(r, 409);
  assert.equal((await s.listAll('admin', '/api/v1/staff?limit=200')).length, before);
});

test('an account keeps the language of its pages; a language without a catalog is refused by name', async () => {
  const r = await s.req('POST', '/api/v1/staff', {
    token: s.tokens.admin,
    body: { username: 'lang-es', role: 'evaluator', scope_unit_id: d.shanghai,
      password: 'another-secret-1', language: 'es' },
  });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.language, 'es');
  const bad = await s.req('PATCH', `/api/v1/staff/${r.json.id}`, {
    token: s.tokens.admin,
    body: { language: 'fr' },
  });
  assert.ok(fieldErrors(assertProblem(bad, bad.status === 400 ? 400 : 422)).language, bad.text);
  const got = await s.get200('admin', `/api/v1/staff/${r.json.id}`);
  assert.equal(got.language, 'es', 'a refused change changes nothing');
  const cleared = await s.req('PATCH', `/api/v1/staff/${r.json.id}`, {
    token: s.tokens.admin,
    body: { language: null },
  });
  assert.equal(cleared.status, 200, cleared.text);
  assert.equal(cleared.json.language, null);
});

test('a duplicate program number answers 409 and enrols nobody', async () => {
  const taken = d.siteParts.find((p) => p.program_ident);
  assert.ok(taken, 'no participant with a program number');
  const before = await participantCount();
  const r = await s.req('POST', '/api/v1/participants', {
    token: s.tokens.manager,
    body: { given_name: 'Duplicate', program_ident: taken.program_ident, enrol_date: daysAgo(1),
      consent: true, consent_date: daysAgo(1), home_unit_id: taken.home_unit_id },
  });
  assertProblem(r, 409);
  assert.equal(await participantCount(), before);
});

test('an enrolment breaking a rule answers 422 and enrols nobody', async () => {
  const before = await participantCount();
  const r = await s.req('POST', '/api/v1/participants', {
    token: s.tokens.manager,
    body: { given_name: 'Nobody', enrol_date: daysAgo(1), consent: false,
      home_unit_id: d.peerParts[0].home_unit_id, phone: 'call me' },
  });
  const p = assertProblem(r, 422);
  const e = fieldErrors(p);
  assert.ok('consent' in e && 'phone' in e, `errors: ${JSON.stringify(p.errors)}`);
  assert.equal(await participantCount(), before);
});

test('PATCH with a stale If-Match answers 412 and leaves the record unchanged', async () => {
  const path = `/api/v1/participants/${d.siteParts[3].id}`;
  const g = await s.req('GET', path, { token: s.tokens.admin });
  assert.equal(g.status, 200, g.text);
  const etag = g.headers.get('etag');
  assert.ok(etag, 'GET has an ETag');
  const p1 = await s.req('PATCH', path, {
    token: s.tokens.admin,
    headers: { 'if-match': etag },
    body: { phone: '+86 21 5555 0001' },
  });
  assert.equal(p1.status, 200, p1.text);
  const p2 = await s.req('PATCH', path, {
    token: s.tokens.admin,
    headers: { 'if-match': etag },
    body: { phone: '+86 21 5555 0002' },
  });
  assertProblem(p2, 412);
  const after = await s.req('GET', path, { token: s.tokens.admin });
  assert.equal(after.json.phone, '+86 21 5555 0001');
  assert.equal(after.json.version, p1.json.version);
  assert.equal(after.headers.get('etag'), p1.headers.get('etag'));
});

test('a malformed query parameter answers 400', async () => {
  for (const q of ['limit=abc', 'home_unit_id=x', 'after=1.5']) {
    const r = await s.req('GET', `/api/v1/participants?${q}`, { token: s.tokens.admin });
    assertProblem(r, 400, q);
  }
});

test('a limit outside 1-200 answers 400', async () => {
  for (const q of ['limit=0', 'limit=201']) {
    const r = await s.req('GET', `/api/v1/participants?${q}`, { token: s.tokens.admin });
    assertProblem(r, 400, q);
  }
});

test('an unknown enumeration in a filter answers 400', async () => {
  const r = await s.req('GET', '/api/v1/participants?status=sleeping', { token: s.tokens.admin });
  assertProblem(r, 400);
});

test('a login body missing the password answers 422, not a server error', async () => {
  const r = await s.req('POST', '/api/v1/login', { body: { username: 'admin' } });
  assertProblem(r, 422);
  assert.ok('password' in fieldErrors(r.json), r.text);
});

// --max-body: the server restarted with a 2 KiB limit
test('a body over --max-body answers 413 and writes nothing', async () => {
  await s.restart({ maxBody: 2048 });
  s.tokens.admin = await s.login('admin');
  const body = cb(pid, { note: 'x'.repeat(3000) });
  const p = await postContactExpecting(413, body);
  assert.equal(p.status, 413);
});

test('a body under --max-body is accepted', async () => {
  const before = await contactCount();
  const r = await s.req('POST', '/api/v1/contacts', {
    token: s.tokens.admin,
    body: cb(pid, { note: 'y'.repeat(1500) }),
  });
  assert.equal(r.status, 201, r.text);
  assert.equal(await contactCount(), before + 1);
});

test('SIGTERM stops the server cleanly (exit 0)', async () => {
  const r = await s.stop();
  assert.deepEqual(r, { code: 0, signal: null }, s.stderr);
  assert.ok(s.exits.every((e) => e.code === 0), JSON.stringify(s.exits));
});
