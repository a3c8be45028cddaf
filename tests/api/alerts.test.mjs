// alerts.test.mjs - the escalation inbox: recording a measurement that breaks
// a rule (docs/RULES.md) opens an alert in the same write; staff in scope list
// and read it; clinicians acknowledge and resolve it (versions, If-Match);
// peer leaders may not; every write is audited.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setup, discover, assertProblem, fieldErrors, measurementBody } from './helpers.mjs';

let s, d, pid;
before(async () => {
  s = await setup();
  d = await discover(s);
  pid = d.peerParts[0].id;
});
after(async () => {
  if (s) await s.cleanup();
});

async function record(who, body) {
  const r = await s.req('POST', '/api/v1/measurements', { token: s.tokens[who], body });
  assert.equal(r.status, 201, r.text);
  assert.ok(Array.isArray(r.json.alerts), `no alerts array: ${r.text}`);
  return r.json;
}

const hba1c13 = (p) => measurementBody(p, { value: '13.0' });

async function openAlertFor(p) {
  const m = await record('admin', hba1c13(p));
  assert.equal(m.alerts.length, 1);
  return m.alerts[0].id;
}

test('an HbA1c of 13 % recorded by the peer leader opens a very_high_hba1c attention alert', async () => {
  const m = await record('peer', hba1c13(pid));
  assert.equal(m.alerts.length, 1, JSON.stringify(m.alerts));
  const [a] = m.alerts;
  assert.ok(Number.isInteger(a.id));
  assert.equal(a.kind, 'very_high_hba1c');
  assert.equal(a.severity, 'attention');

  const open = await s.listAll('clinician', '/api/v1/alerts?status=open&limit=200');
  const seen = open.find((x) => x.id === a.id);
  assert.ok(seen, 'the clinician of the community sees the alert in the open inbox');
  assert.equal(seen.participant_id, pid);
  assert.equal(seen.status, 'open');
  assert.equal(seen.source_entity, 'measurement');
  assert.equal(seen.source_id, m.id);
  assert.equal(seen.version, 1);
  assert.match(seen.message, /HbA1c|hba1c/i);
  assert.equal(seen.acknowledged_by, null);
  assert.equal(seen.resolved_at, null);
  assert.equal(seen.linked_to_care, false);

  const mine = await s.listAll('clinician', `/api/v1/alerts?participant_id=${pid}&limit=200`);
  assert.ok(mine.every((x) => x.participant_id === pid));
  assert.ok(mine.some((x) => x.id === a.id));
  const resolved = await s.listAll('clinician', '/api/v1/alerts?status=resolved&limit=200');
  assert.ok(!resolved.some((x) => x.id === a.id));
});

test('SBP 185 opens an urgent alert; DBP 95 opens none', async () => {
  const sbp = await record('clinician', measurementBody(pid, { code: '8480-6', value: '185', unit: 'mm[Hg]' }));
  assert.equal(sbp.alerts.length, 1);
  assert.equal(sbp.alerts[0].kind, 'urgent_high_bp');
  assert.equal(sbp.alerts[0].severity, 'urgent');
  const dbp = await record('clinician', measurementBody(pid, { code: '8462-4', value: '95', unit: 'mm[Hg]' }));
  assert.deepEqual(dbp.alerts, []);
});

test('a normal value opens no alert', async () => {
  const before = await s.listAll('admin', `/api/v1/alerts?participant_id=${pid}&limit=200`);
  const m = await record('peer', measurementBody(pid, { value: '6.8' }));
  assert.deepEqual(m.alerts, []);
  const after = await s.listAll('admin', `/api/v1/alerts?participant_id=${pid}&limit=200`);
  assert.equal(after.length, before.length);
});

test('an unknown status filter answers 400', async () => {
  const r = await s.req('GET', '/api/v1/alerts?status=closed', { token: s.tokens.clinician });
  assertProblem(r, 400);
});

test('the clinician acknowledges, then resolves with a note; stale If-Match answers 412', async () => {
  const id = await openAlertFor(pid);
  const g = await s.req('GET', `/api/v1/alerts/${id}`, { token: s.tokens.clinician });
  assert.equal(g.status, 200, g.text);
  assert.equal(g.headers.get('etag'), 'W/"1"');

  const ack = await s.req('POST', `/api/v1/alerts/${id}/acknowledge`, {
    token: s.tokens.clinician,
    headers: { 'if-match': 'W/"1"' },
  });
  assert.equal(ack.status, 200, ack.text);
  assert.equal(ack.json.status, 'acknowledged');
  assert.equal(ack.json.version, 2);
  assert.equal(ack.json.acknowledged_by, s.me.clinician.id);
  assert.ok(ack.json.acknowledged_at);
  assert.equal(ack.headers.get('etag'), 'W/"2"');

  const again = await s.req('POST', `/api/v1/alerts/${id}/acknowledge`, { token: s.tokens.clinician });
  assertProblem(again, 422);
  assert.ok(fieldErrors(again.json).status, again.text);

  const stale = await s.req('POST', `/api/v1/alerts/${id}/resolve`, {
    token: s.tokens.clinician,
    headers: { 'if-match': 'W/"1"' },
    body: { note: 'too late', linked_to_care: false },
  });
  assertProblem(stale, 412);
  const unchanged = await s.get200('clinician', `/api/v1/alerts/${id}`);
  assert.equal(unchanged.status, 'acknowledged');
  assert.equal(unchanged.version, 2);

  const res = await s.req('POST', `/api/v1/alerts/${id}/resolve`, {
    token: s.tokens.clinician,
    headers: { 'if-match': 'W/"2"' },
    body: { note: 'Seen at the clinic;\nmedication changed.', linked_to_care: true },
  });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.status, 'resolved');
  assert.equal(res.json.version, 3);
  assert.equal(res.json.resolved_by, s.me.clinician.id);
  assert.equal(res.json.resolution_note, 'Seen at the clinic;\nmedication changed.');
  assert.equal(res.json.linked_to_care, true);
  assert.equal(res.json.acknowledged_by, s.me.clinician.id);
  const back = await s.get200('clinician', `/api/v1/alerts/${id}`);
  assert.deepEqual(back, res.json);

  const twice = await s.req('POST', `/api/v1/alerts/${id}/resolve`, {
    token: s.tokens.clinician, body: { note: 'again' },
  });
  assertProblem(twice, 422);
  const open = await s.listAll('clinician', '/api/v1/alerts?status=open&limit=200');
  assert.ok(!open.some((x) => x.id === id));
});

test('an open alert may be resolved without acknowledging first', async () => {
  const id = await openAlertFor(pid);
  const r = await s.req('POST', `/api/v1/alerts/${id}/resolve`, {
    token: s.tokens.manager, body: { note: 'called the participant' },
  });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.status, 'resolved');
  assert.equal(r.json.acknowledged_by, null);
  assert.equal(r.json.linked_to_care, false);
  assert.equal(r.json.version, 2);
});

test('resolve needs a note that is not blank (422)', async () => {
  const id = await openAlertFor(pid);
  const r = await s.req('POST', `/api/v1/alerts/${id}/resolve`, {
    token: s.tokens.clinician, body: { linked_to_care: true },
  });
  assertProblem(r, 422);
  const blank = await s.req('POST', `/api/v1/alerts/${id}/resolve`, {
    token: s.tokens.clinician, body: { note: ' \n ' },
  });
  assertProblem(blank, 422);
  assert.ok(fieldErrors(blank.json).note, blank.text);
  const still = await s.get200('clinician', `/api/v1/alerts/${id}`);
  assert.equal(still.status, 'open');
});

test('a peer leader reads their participant\'s alert but may not acknowledge or resolve (403)', async () => {
  const id = await openAlertFor(pid);
  const g = await s.req('GET', `/api/v1/alerts/${id}`, { token: s.tokens.peer });
  assert.equal(g.status, 200, g.text);
  const ack = await s.req('POST', `/api/v1/alerts/${id}/acknowledge`, { token: s.tokens.peer });
  assertProblem(ack, 403);
  const res = await s.req('POST', `/api/v1/alerts/${id}/resolve`, {
    token: s.tokens.peer, body: { note: 'no' },
  });
  assertProblem(res, 403);
  const ev = await s.req('GET', '/api/v1/alerts?limit=5', { token: s.tokens.evaluator });
  assertProblem(ev, 403);
  const after = await s.get200('clinician', `/api/v1/alerts/${id}`);
  assert.equal(after.status, 'open');
});

test('a peer leader does not see the alerts of another leader\'s participant', async () => {
  const id = await openAlertFor(d.otherPart.id);
  const r = await s.req('GET', `/api/v1/alerts/${id}`, { token: s.tokens.peer });
  assertProblem(r, 404);
  const mine = await s.listAll('peer', '/api/v1/alerts?limit=200');
  assert.ok(!mine.some((x) => x.id === id));
  const clin = await s.req('GET', `/api/v1/alerts/${id}`, { token: s.tokens.clinician });
  assert.equal(clin.status, 200, clin.text);
});

test('an alert of a participant out of scope answers 404 to the clinician', async () => {
  const id = await openAlertFor(d.msPart.id);
  const g = await s.req('GET', `/api/v1/alerts/${id}`, { token: s.tokens.clinician });
  assertProblem(g, 404);
  const none = await s.req('GET', '/api/v1/alerts/999999999', { token: s.tokens.clinician });
  assertProblem(none, 404);
  const ack = await s.req('POST', `/api/v1/alerts/${id}/acknowledge`, { token: s.tokens.clinician });
  assertProblem(ack, 404);
  const list = await s.listAll('clinician', '/api/v1/alerts?limit=200');
  assert.ok(!list.some((x) => x.id === id));
  const admin = await s.get200('admin', `/api/v1/alerts/${id}`);
  assert.equal(admin.participant_id, d.msPart.id);
});

test('key paging walks the inbox without repeats', async () => {
  const all = await s.listAll('admin', '/api/v1/alerts?limit=200');
  const paged = await s.listAll('admin', '/api/v1/alerts?limit=2');
  assert.deepEqual(paged.map((x) => x.id), all.map((x) => x.id));
  assert.ok(all.length >= 3);
});

test('creating, acknowledging and resolving an alert are audited', async () => {
  const id = await openAlertFor(pid);
  const ack = await s.req('POST', `/api/v1/alerts/${id}/acknowledge`, { token: s.tokens.clinician });
  assert.equal(ack.status, 200, ack.text);
  const res = await s.req('POST', `/api/v1/alerts/${id}/resolve`, {
    token: s.tokens.clinician, body: { note: 'done' },
  });
  assert.equal(res.status, 200, res.text);
  const events = await s.listAll('admin', `/api/v1/audit?entity=alert&participant_id=${pid}&limit=200`);
  const of = events.filter((e) => e.entity_id === id);
  const action = (a) => of.find((e) => e.action === a);
  assert.ok(action('create'), JSON.stringify(of));
  assert.equal(action('create').status, 201);
  assert.equal(action('create').account_id, s.me.admin.id);
  assert.ok(action('acknowledge'), JSON.stringify(of));
  assert.equal(action('acknowledge').account_id, s.me.clinician.id);
  assert.ok(action('resolve'), JSON.stringify(of));
  assert.equal(action('resolve').status, 200);
});
