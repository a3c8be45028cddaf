// implementation.test.mjs - implementation ratings (features, scores, the
// derived level) and the fidelity indicators computed from the records
// (docs/IMPLEMENTATION.md).
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setup, discover, assertProblem, fieldErrors, contactBody, daysAgo } from './helpers.mjs';

let s, d, program;
before(async () => {
  s = await setup();
  d = await discover(s);
  program = d.peerParts[0].program_id;
});
after(async () => {
  if (s) await s.cleanup();
});

const post = (who, path, body) => s.req('POST', path, { token: s.tokens[who], body });

test('a program rates the ten default features until a manager sets its own list', async () => {
  const f = await s.get200('evaluator', `/api/v1/programs/${program}/implementation-features`);
  assert.equal(f.features.length, 10);
  assert.equal(f.features[0].code, 'regular_contact');
  const bad = assertProblem(await s.req('PUT', `/api/v1/programs/${program}/implementation-features`, {
    token: s.tokens.manager, body: { codes: ['a', 'A b', 'a'], labels: ['x', 'y'] } }), 422);
  const e = fieldErrors(bad);
  assert.ok(e.labels && e['codes[1]'] && e['codes[2]'], JSON.stringify(e));
  assertProblem(await s.req('PUT', `/api/v1/programs/${program}/implementation-features`, {
    token: s.tokens.peer, body: { codes: ['a'], labels: ['A'] } }), 403);
});

test('a rating: one score per feature, the mean and level derived, refused when malformed', async () => {
  const scores = [4, 4, 5, 4, 3, 4, 4, 5, 4, 4]; // mean 4.1: high
  const r = await post('evaluator', '/api/v1/implementation-ratings', {
    unit_id: d.site, period_start: daysAgo(180), period_end: daysAgo(1), scores, note: 'Site visit' });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.level, 'high');
  assert.ok(Math.abs(r.json.mean - 4.1) < 1e-9);
  assert.equal(r.json.scores.length, 10);
  assert.deepEqual(r.json.scores[2], { feature: 'daily_management', score: 5 });
  assert.equal(r.json.program_id, program);
  const got = await s.get200('manager', `/api/v1/implementation-ratings/${r.json.id}`);
  assert.deepEqual(got, r.json);
  const list = await s.listAll('clinician', `/api/v1/implementation-ratings?unit_id=${d.site}&limit=50`);
  assert.ok(list.some((x) => x.id === r.json.id));

  const low = await post('manager', '/api/v1/implementation-ratings', {
    unit_id: d.site, period_start: daysAgo(90), period_end: daysAgo(1), scores: [3, 3, 3, 3, 3, 3, 3, 3, 3, 2] });
  assert.equal(low.json.level, 'low', 'a mean of 2.9 is low');

  const few = assertProblem(await post('manager', '/api/v1/implementation-ratings', {
    unit_id: d.site, period_start: daysAgo(90), period_end: daysAgo(1), scores: [3, 3] }), 422);
  assert.match(fieldErrors(few).scores, /10 scores/);
  const range = assertProblem(await post('manager', '/api/v1/implementation-ratings', {
    unit_id: d.site, period_start: daysAgo(90), period_end: daysAgo(1), scores: [3, 3, 3, 3, 3, 3, 3, 3, 3, 6] }), 422);
  assert.ok(fieldErrors(range)['scores[9]'], range);
  const period = assertProblem(await post('manager', '/api/v1/implementation-ratings', {
    unit_id: d.site, period_start: daysAgo(1), period_end: daysAgo(9), scores }), 422);
  assert.ok(fieldErrors(period).period_end);
  // the navigator's scope is the other program: the unit is not found
  assertProblem(await post('admin', '/api/v1/implementation-ratings', {
    unit_id: 999999999, period_start: daysAgo(9), period_end: daysAgo(1), scores }), 404);
  assertProblem(await post('peer', '/api/v1/implementation-ratings', {
    unit_id: d.site, period_start: daysAgo(9), period_end: daysAgo(1), scores }), 403);
  assertProblem(await s.req('GET', `/api/v1/implementation-ratings/${r.json.id}`, { token: s.tokens.navigator }), 404);
});

test('indicators count the period\'s contacts, per participant-month and key function, in total and per leader', async () => {
  const since = daysAgo(30), until = daysAgo(0);
  const q = `/api/v1/implementation/indicators?unit_id=${d.site}&since=${since}&until=${until}&by=peer_leader`;
  const before = await s.get200('manager', q);
  assert.ok(before.participants > 0 && before.contacts > 0, JSON.stringify(before));
  assert.ok(Math.abs(before.contacts_per_participant_month -
    before.contacts / before.participants / before.months) < 1e-9);
  for (const k of ['daily_management', 'social_emotional', 'linkage', 'ongoing']) {
    const v = before.key_function_share[k];
    assert.ok(v >= 0 && v <= 1, `${k}: ${v}`);
  }
  // the demo's groups held sessions with attendance in the last 30 days... or none: then no rate
  assert.ok(before.sessions_held >= 0 && before.sessions_cancelled >= 0);
  if (before.attendance_rate !== null) assert.ok(before.attendance_rate >= 0 && before.attendance_rate <= 1);
  const year = await s.get200('manager',
    `/api/v1/implementation/indicators?unit_id=${d.shanghai}&since=${daysAgo(365)}&until=${until}`);
  assert.ok(year.sessions_held > 0, 'the demo held group sessions in the last year');
  assert.ok(year.attendance_rate > 0 && year.attendance_rate <= 1, JSON.stringify(year));
  const mine = before.by_peer_leader.find((x) => x.peer_leader_id === d.leaderId);
  assert.ok(mine, 'the demo peer leader made contacts in the last 30 days');
  assert.equal(before.by_peer_leader.reduce((a, x) => a + x.contacts, 0), before.contacts);

  const p = d.peerParts.find((x) => x.status === 'enrolled');
  const c = await post('peer', '/api/v1/contacts', contactBody(p.id, { key_functions: ['linkage'] }));
  assert.equal(c.status, 201, c.text);
  const after = await s.get200('evaluator', q);
  assert.equal(after.contacts, before.contacts + 1);
  assert.equal(Math.round(after.key_function_share.linkage * after.contacts),
    Math.round(before.key_function_share.linkage * before.contacts) + 1);
  assert.equal(after.by_peer_leader.find((x) => x.peer_leader_id === d.leaderId).contacts, mine.contacts + 1);

  const bad = assertProblem(await s.req('GET', `/api/v1/implementation/indicators?unit_id=${d.site}&since=${until}&until=${since}`,
    { token: s.tokens.manager }), 400);
  assert.ok(fieldErrors(bad).until);
  assertProblem(await s.req('GET', `/api/v1/implementation/indicators?unit_id=${d.misalud}&since=${since}&until=${until}`,
    { token: s.tokens.clinician }), 404);
});
