// questionnaires.test.mjs - recording and scoring questionnaires
// (docs/INSTRUMENTS.md): bands and subscales, 422 per answer, scope (404),
// the urgent self_harm_risk alert of PHQ-9 item 9, and the evaluator's
// de-identified list.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setup, discover, assertProblem, fieldErrors, instantAgo } from './helpers.mjs';

let s, d, pid;
before(async () => {
  s = await setup();
  d = await discover(s);
  pid = d.peerParts[0].id;
});
after(async () => {
  if (s) await s.cleanup();
});

const PATH = '/api/v1/questionnaire-responses';
const body = (p, instrument, answers, extra = {}) => ({
  participant_id: p, instrument, answers, completed_at: instantAgo(30), ...extra,
});

async function post(who, b) {
  return s.req('POST', PATH, { token: s.tokens[who], body: b });
}

test('a PHQ-9 summing to 12 scores 12, band moderate, no alert', async () => {
  const r = await post('peer', body(pid, 'phq9', [2, 2, 2, 2, 1, 1, 1, 1, 0], { language: 'es' }));
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.score, 12);
  assert.equal(r.json.band, 'moderate');
  assert.equal(r.json.scored, true);
  assert.equal(r.json.urgent, false);
  assert.equal(r.json.language, 'es');
  assert.equal(r.json.participant_id, pid);
  assert.deepEqual(r.json.alerts, []);
  assert.match(r.headers.get('location'), new RegExp(`${PATH}/${r.json.id}$`));
  const g = await s.get200('clinician', `${PATH}/${r.json.id}`);
  assert.equal(g.score, 12);
  assert.equal(g.band, 'moderate');
  assert.deepEqual(g.answers, [2, 2, 2, 2, 1, 1, 1, 1, 0]);
});

test('a PHQ-9 with item 9 answered 1 opens an urgent self_harm_risk alert the clinician sees', async () => {
  const r = await post('admin', body(pid, 'phq9', [0, 0, 0, 0, 0, 0, 0, 0, 1]));
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.urgent, true);
  assert.equal(r.json.alerts.length, 1, r.text);
  const [a] = r.json.alerts;
  assert.equal(a.kind, 'self_harm_risk');
  assert.equal(a.severity, 'urgent');
  const open = await s.listAll('clinician', '/api/v1/alerts?status=open&limit=200');
  const seen = open.find((x) => x.id === a.id);
  assert.ok(seen, 'the clinician sees the alert');
  assert.equal(seen.participant_id, pid);
  assert.equal(seen.source_entity, 'questionnaire_response');
  assert.equal(seen.source_id, r.json.id);
});

test('a DDS-17 returns four subscales', async () => {
  const r = await post('clinician', body(pid, 'dds17', [1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5]));
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.subscales.length, 4, r.text);
  for (const sc of r.json.subscales) {
    assert.equal(typeof sc.name, 'string');
    assert.equal(sc.scored, true);
  }
});

test('an answer out of range answers 422 naming answers[i]', async () => {
  const r = await post('clinician', body(pid, 'phq9', [0, 0, 4, 0, 0, 0, 0, 0, 0]));
  assertProblem(r, 422);
  assert.ok(fieldErrors(r.json)['answers[2]'], r.text);
  const b = await post('clinician', body(pid, 'phq9', [0, 0, 0, 0, 0, 0, 0, 0, 11]));
  assertProblem(b, 422);
  assert.ok(fieldErrors(b.json)['answers[8]'], b.text);
});

test('a wrong number of answers answers 422', async () => {
  const r = await post('clinician', body(pid, 'phq9', [0, 0, 0]));
  assertProblem(r, 422);
  assert.ok(Object.keys(fieldErrors(r.json)).some((k) => k.startsWith('answers')), r.text);
});

test('a participant out of scope answers 404', async () => {
  const r = await post('clinician', body(d.msPart.id, 'phq2', [1, 1]));
  assertProblem(r, 404);
  const p = await post('peer', body(d.otherPart.id, 'phq2', [1, 1]));
  assertProblem(p, 404);
});

test('the evaluator list shows pseudonyms, no participant_id', async () => {
  const items = await s.listAll('evaluator', `${PATH}?limit=200`);
  assert.ok(items.length > 0);
  for (const x of items) {
    assert.equal(x.participant_id, undefined);
    assert.equal(x.id, undefined);
    assert.match(x.pseudonym, /^P[0-9A-F]{16}$/);
  }
  const f = await s.req('GET', `${PATH}?participant_id=${pid}`, { token: s.tokens.evaluator });
  assertProblem(f, 400);
  const ph = await s.listAll('admin', `${PATH}?instrument=phq9&limit=200`);
  assert.ok(ph.length >= 2 && ph.every((x) => x.instrument === 'phq9'));
});
