// workflow.test.mjs - the peer leader's day: follow-up tasks kept by the
// cadence rule, the worklist and its order, concerns, custom tasks, program
// rule settings, risk-tier re-evaluation with its history, caseloads and
// bulk reassignment (docs/WORKFLOW.md, docs/RULES.md).
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
  daysFromNow,
  dayDiff,
  isoDate,
  poll,
} from './helpers.mjs';

let s, d, program;
before(async () => {
  s = await setup();
  d = await discover(s);
  program = d.peerParts[0].program_id;
});
after(async () => {
  if (s) await s.cleanup();
});

const today = () => isoDate(new Date());

async function post(who, path, body, headers = {}) {
  return s.req('POST', path, { token: s.tokens[who], body, headers });
}

async function openFollowUps(pid) {
  return s.listAll('admin', `/api/v1/tasks?participant_id=${pid}&kind=follow_up&status=open&limit=200`);
}

async function settings() {
  return s.get200('admin', `/api/v1/programs/${program}/settings`);
}

test('every enrolled participant of the demo has exactly one open follow-up task, assigned to their leader', async () => {
  for (const p of d.peerParts.filter((x) => x.status === 'enrolled')) {
    const open = await openFollowUps(p.id);
    assert.equal(open.length, 1, `participant ${p.id}: ${JSON.stringify(open)}`);
    assert.equal(open[0].peer_leader_id, p.peer_leader_id);
    assert.equal(open[0].kind, 'follow_up');
    assert.equal(open[0].status, 'open');
  }
});

test('logging a contact closes the open follow-up and opens the next one a cadence later', async () => {
  const p = d.peerParts.find((x) => x.status === 'enrolled' && x.risk_tier === 'standard');
  assert.ok(p, 'no standard-tier participant of the peer leader');
  const [before] = await openFollowUps(p.id);
  const cadence = (await settings()).settings['cadence_days.standard'];
  const c = await post('peer', '/api/v1/contacts', contactBody(p.id, { follow_up_date: null, family_members: 2 }));
  assert.equal(c.status, 201, c.text);
  assert.equal(c.json.family_members, 2, 'a contact with the participant and family keeps the count');

  const closed = await s.get200('admin', `/api/v1/tasks/${before.id}`);
  assert.equal(closed.status, 'done');
  assert.equal(closed.closed_contact_id, c.json.id);
  const [next] = await openFollowUps(p.id);
  assert.notEqual(next.id, before.id);
  assert.equal(dayDiff(c.json.occurred_at.slice(0, 10), next.due_date), cadence);

  // the contact's own follow_up_date wins over the cadence
  const plan = daysFromNow(30);
  const c2 = await post('peer', '/api/v1/contacts', contactBody(p.id, { follow_up_date: plan }));
  assert.equal(c2.status, 201, c2.text);
  const [planned] = await openFollowUps(p.id);
  assert.equal(planned.due_date, plan);
});

test('the worklist puts an urgent concern first and a logged contact takes the due task off it', async () => {
  const w0 = await s.get200('peer', '/api/v1/worklist?days=60');
  assert.equal(w0.peer_leader_id, d.leaderId);
  assert.equal(w0.date, today());
  assert.ok(w0.items.length > 0, 'the demo peer leader has nothing due in 60 days');
  for (const it of w0.items) {
    assert.ok(d.peerParts.some((p) => p.id === it.participant_id), 'only the leader\'s own participants');
    for (const t of it.tasks) assert.ok(t.due_date <= daysFromNow(60));
  }
  // the order: alerts, then overdue, late, due today, upcoming; earliest due first within a group
  const rank = { urgent_alert: 0, attention_alert: 1, overdue: 2, late: 3, due_today: 4, upcoming: 5 };
  for (let i = 1; i < w0.items.length; i++) {
    const a = w0.items[i - 1], b = w0.items[i];
    assert.ok(rank[a.priority] <= rank[b.priority], `${a.priority} before ${b.priority}`);
    if (a.priority === b.priority && a.due_date && b.due_date) assert.ok(a.due_date <= b.due_date);
  }

  const last = w0.items[w0.items.length - 1];
  const concern = await post('peer', '/api/v1/alerts', {
    participant_id: last.participant_id,
    severity: 'urgent',
    message: 'Says she has stopped her insulin and feels dizzy.',
  });
  assert.equal(concern.status, 201, concern.text);
  assert.equal(concern.json.kind, 'peer_concern');
  assert.equal(concern.json.status, 'open');
  const w1 = await s.get200('peer', '/api/v1/worklist?days=60');
  assert.equal(w1.items[0].participant_id, last.participant_id);
  assert.equal(w1.items[0].priority, 'urgent_alert');
  assert.ok(w1.items[0].alerts.some((a) => a.id === concern.json.id));
  assert.ok(w1.counts.alerts >= 1);
  // the care team sees the concern in its inbox
  const inbox = await s.listAll('clinician', '/api/v1/alerts?status=open&limit=200');
  assert.ok(inbox.some((a) => a.id === concern.json.id));

  const due = w1.items.find((it) => it.alerts.length === 0 && it.tasks.some((t) => t.kind === 'follow_up'));
  assert.ok(due, 'no follow-up on the worklist');
  const c = await post('peer', '/api/v1/contacts', contactBody(due.participant_id, { follow_up_date: daysFromNow(61) }));
  assert.equal(c.status, 201, c.text);
  const w2 = await s.get200('peer', '/api/v1/worklist?days=60');
  assert.ok(!w2.items.some((it) => it.participant_id === due.participant_id),
    'the participant left the worklist once their follow-up was done');
});

test('the worklist refuses a peer leader asking for another leader (403), and bad parameters (400)', async () => {
  assertProblem(await s.req('GET', `/api/v1/worklist?peer_leader_id=${d.otherLeaderId}`, { token: s.tokens.peer }), 403);
  const bad = assertProblem(await s.req('GET', '/api/v1/worklist?days=99', { token: s.tokens.peer }), 400);
  assert.ok(fieldErrors(bad).days, bad);
  const noLeader = assertProblem(await s.req('GET', '/api/v1/worklist', { token: s.tokens.clinician }), 400);
  assert.ok(fieldErrors(noLeader).peer_leader_id);
  // a clinician of the community may look at a leader's worklist; the evaluator may not
  const w = await s.get200('clinician', `/api/v1/worklist?peer_leader_id=${d.leaderId}`);
  assert.equal(w.peer_leader_id, d.leaderId);
  assertProblem(await s.req('GET', `/api/v1/worklist?peer_leader_id=${d.leaderId}`, { token: s.tokens.evaluator }), 403);
  // the Mi Salud navigator is scoped to another program: that leader is not found
  assertProblem(await s.req('GET', `/api/v1/worklist?peer_leader_id=${d.leaderId}`, { token: s.tokens.navigator }), 404);
});

test('a custom task: added, on the worklist, completed with If-Match; follow-ups are closed only by contacts', async () => {
  const p = d.peerParts.find((x) => x.status === 'enrolled');
  const r = await post('peer', '/api/v1/tasks', {
    participant_id: p.id, title: 'Bring the glucometer log to the CHC', due_date: daysFromNow(2),
  });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.kind, 'custom');
  assert.equal(r.json.peer_leader_id, p.peer_leader_id, 'assigned to the participant\'s leader by default');
  assert.equal(r.headers.get('etag'), 'W/"1"');
  const w = await s.get200('peer', '/api/v1/worklist?days=3');
  assert.ok(w.items.some((it) => it.tasks.some((t) => t.id === r.json.id)));

  assertProblem(await s.req('POST', `/api/v1/tasks/${r.json.id}/complete`, {
    token: s.tokens.peer, body: {}, headers: { 'if-match': 'W/"7"' } }), 412);
  const done = await s.req('POST', `/api/v1/tasks/${r.json.id}/complete`, {
    token: s.tokens.peer, body: { note: 'Brought it.' }, headers: { 'if-match': 'W/"1"' } });
  assert.equal(done.status, 200, done.text);
  assert.equal(done.json.status, 'done');
  assert.equal(done.json.close_note, 'Brought it.');
  const again = assertProblem(await post('peer', `/api/v1/tasks/${r.json.id}/complete`, {}), 422);
  assert.match(fieldErrors(again).status, /only an open task/);

  const [fu] = await openFollowUps(p.id);
  const refused = assertProblem(await post('peer', `/api/v1/tasks/${fu.id}/complete`, {}), 422);
  assert.match(fieldErrors(refused).kind, /contact/);
  const cancel = assertProblem(await post('peer', `/api/v1/tasks/${fu.id}/cancel`, { note: '  ' }), 422);
  assert.ok(fieldErrors(cancel).note);

  const bad = assertProblem(await post('peer', '/api/v1/tasks', { participant_id: p.id, title: ' ', due_date: '2001-01-01' }), 422);
  assert.ok(fieldErrors(bad).title && fieldErrors(bad).due_date, bad);
  // a participant of another leader is not found for this peer leader
  assertProblem(await post('peer', '/api/v1/tasks', { participant_id: d.otherPart.id, title: 'x', due_date: daysFromNow(1) }), 404);
  // the audit trail holds the task's creation and completion
  const events = await s.listAll('admin', `/api/v1/audit?entity=task&participant_id=${p.id}&limit=200`);
  assert.ok(events.some((e) => e.action === 'create' && e.entity_id === r.json.id));
  assert.ok(events.some((e) => e.action === 'complete' && e.entity_id === r.json.id));
});

test('program settings: defaults, validation naming each setting, If-Match, and the new cadence in use', async () => {
  const s0 = await settings();
  assert.equal(s0.settings['cadence_days.standard'], 14);
  assert.equal(s0.settings.hba1c_urgent, 12);
  assertProblem(await s.req('PATCH', `/api/v1/programs/${program}/settings`, { token: s.tokens.peer, body: { grace_days: 2 } }), 403);

  const bad = assertProblem(await s.req('PATCH', `/api/v1/programs/${program}/settings`, {
    token: s.tokens.manager, body: { 'cadence_days.standard': 0, glucose_low: 1, grace_days: 1.5 } }), 422);
  const f = fieldErrors(bad);
  assert.ok(f['cadence_days.standard'] && f.glucose_low && f.grace_days, JSON.stringify(f));
  assert.deepEqual((await settings()).settings, s0.settings, 'a refused change changes nothing');

  const ok = await s.req('PATCH', `/api/v1/programs/${program}/settings`, {
    token: s.tokens.manager, body: { 'cadence_days.standard': 21 }, headers: { 'if-match': `W/"${s0.version}"` } });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.json.version, s0.version + 1);
  assert.equal(ok.json.settings['cadence_days.standard'], 21);
  assertProblem(await s.req('PATCH', `/api/v1/programs/${program}/settings`, {
    token: s.tokens.manager, body: { grace_days: 2 }, headers: { 'if-match': `W/"${s0.version}"` } }), 412);

  const p = d.peerParts.filter((x) => x.status === 'enrolled' && x.risk_tier === 'standard')[1];
  const c = await post('peer', '/api/v1/contacts', contactBody(p.id, { follow_up_date: null }));
  assert.equal(c.status, 201, c.text);
  const [next] = await openFollowUps(p.id);
  assert.equal(dayDiff(c.json.occurred_at.slice(0, 10), next.due_date), 21);
  // the evaluator may read the thresholds (no participant data)
  await s.get200('evaluator', `/api/v1/programs/${program}/settings`);
  const restore = await s.req('PATCH', `/api/v1/programs/${program}/settings`, {
    token: s.tokens.manager, body: { 'cadence_days.standard': 14 } });
  assert.equal(restore.status, 200, restore.text);
});

test('a high HbA1c makes a participant high need, with history, and moves the follow-up to the 7-day cadence', async () => {
  const p = d.peerParts.find((x) => x.status === 'enrolled' && x.risk_tier === 'standard');
  // start from a known state: a contact today, so the next follow-up counts from it
  const c = await post('peer', '/api/v1/contacts', contactBody(p.id, { follow_up_date: null }));
  assert.equal(c.status, 201, c.text);
  const contactDay = c.json.occurred_at.slice(0, 10); // an hour ago: yesterday just after midnight
  const m = await post('peer', '/api/v1/measurements', measurementBody(p.id, { value: '9.6' }));
  assert.equal(m.status, 201, m.text);
  assert.equal(m.json.risk_tier_changed, true);
  const after = await s.get200('admin', `/api/v1/participants/${p.id}`);
  assert.equal(after.risk_tier, 'high_need');
  assert.ok(after.version > p.version);
  const h = await s.get200('peer', `/api/v1/participants/${p.id}/risk-history`);
  const lastChange = h.items[h.items.length - 1];
  assert.equal(lastChange.tier, 'high_need');
  assert.equal(lastChange.previous_tier, 'standard');
  assert.equal(lastChange.source_entity, 'measurement');
  assert.equal(lastChange.source_id, m.json.id);
  assert.match(lastChange.reason, /HbA1c 9\.6/);
  const [fu] = await openFollowUps(p.id);
  assert.equal(dayDiff(contactDay, fu.due_date), 7);
  assert.match(fu.title, /high need/);

  const m2 = await post('peer', '/api/v1/measurements', measurementBody(p.id, { value: '7.2' }));
  assert.equal(m2.json.risk_tier_changed, true);
  assert.equal((await s.get200('admin', `/api/v1/participants/${p.id}`)).risk_tier, 'standard');
  const [fu2] = await openFollowUps(p.id);
  assert.equal(dayDiff(contactDay, fu2.due_date), 14);
  const m3 = await post('peer', '/api/v1/measurements', measurementBody(p.id, { value: '7.0' }));
  assert.equal(m3.json.risk_tier_changed, false, 'no change, no new history');
  const h2 = await s.get200('peer', `/api/v1/participants/${p.id}/risk-history`);
  assert.equal(h2.items.length, h.items.length + 1);
});

test('caseloads: counts per leader, the unassigned, and a bulk reassignment that moves open tasks', async () => {
  const page = await s.get200('manager', '/api/v1/caseloads?limit=200');
  assert.ok(page.items.length > 0);
  assert.ok(page.unassigned > 0, 'the demo leaves some participants without a leader');
  const mine = page.items.find((x) => x.peer_leader_id === d.leaderId);
  assert.ok(mine, JSON.stringify(page.items.slice(0, 3)));
  assert.equal(mine.participants, d.peerParts.filter((p) => p.status === 'enrolled').length);
  assert.ok(mine.open_tasks >= mine.participants);
  assertProblem(await s.req('GET', '/api/v1/caseloads', { token: s.tokens.peer }), 403);

  const un = await s.get200('manager', '/api/v1/caseloads/unassigned?limit=3');
  assert.equal(un.items.length, 3);
  const ids = un.items.map((p) => p.id);
  for (const id of ids) assert.equal((await openFollowUps(id))[0].peer_leader_id, null);

  // one bad id refuses the whole request, and nothing moves
  const bad = assertProblem(await post('manager', '/api/v1/caseloads/assign',
    { participant_ids: [...ids, 999999999], peer_leader_id: d.leaderId }), 422);
  assert.ok(fieldErrors(bad)['participant_ids[3]'], bad);
  for (const id of ids) assert.equal((await s.get200('admin', `/api/v1/participants/${id}`)).peer_leader_id, null);

  const r = await post('manager', '/api/v1/caseloads/assign', { participant_ids: ids, peer_leader_id: d.leaderId });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.moved, ids);
  for (const id of ids) {
    assert.equal((await s.get200('admin', `/api/v1/participants/${id}`)).peer_leader_id, d.leaderId);
    assert.equal((await openFollowUps(id))[0].peer_leader_id, d.leaderId, 'the open task moved with them');
  }
  const after = await s.get200('manager', '/api/v1/caseloads?limit=200');
  assert.equal(after.unassigned, page.unassigned - 3);
  assert.equal(after.items.find((x) => x.peer_leader_id === d.leaderId).participants, mine.participants + 3);
  const events = await s.listAll('admin', `/api/v1/audit?entity=participant&action=assign&participant_id=${ids[0]}&limit=50`);
  assert.equal(events.length, 1);
});

test('reading the worklist is audited as reads of the participants listed', async () => {
  const w = await s.get200('peer', '/api/v1/worklist?days=30');
  assert.ok(w.items.length > 0);
  const pid = w.items[0].participant_id;
  const seen = await poll(async () => {
    const ev = await s.listAll('admin', `/api/v1/audit?participant_id=${pid}&action=read&limit=200`);
    return ev.some((e) => e.entity === 'participant' && e.account_id === s.me.peer.id) ? ev : undefined;
  });
  assert.ok(seen, 'no read event for the participant on the worklist');
});

test('an open referral gets a referral task due referral_days after its last change; completion closes it', async () => {
  const p = d.peerParts.find((x) => x.status === 'enrolled');
  const days = (await settings()).settings.referral_days;
  const r = await post('peer', '/api/v1/referrals', {
    participant_id: p.id, resource_text: 'Pilsen food pantry', need: 'food', status: 'sent' });
  assert.equal(r.status, 201, r.text);
  const open = await s.listAll('peer', `/api/v1/tasks?participant_id=${p.id}&kind=referral&status=open&limit=200`);
  const t = open.find((x) => x.source_entity === 'referral' && x.source_id === r.json.id);
  assert.ok(t, JSON.stringify(open));
  assert.equal(dayDiff(today(), t.due_date), days);
  assert.equal(t.peer_leader_id, p.peer_leader_id);
  assert.match(t.title, /Pilsen food pantry/);
  // on the worklist once due: ask for the day it falls due
  const w = await s.get200('peer', `/api/v1/worklist?days=${days}`);
  assert.ok(w.items.some((it) => it.tasks.some((x) => x.id === t.id)));

  const done = await post('peer', `/api/v1/referrals/${r.json.id}/status`, { status: 'completed', note: 'Got a food box' });
  assert.equal(done.status, 200, done.text);
  const closed = await s.get200('peer', `/api/v1/tasks/${t.id}`);
  assert.equal(closed.status, 'done');
  assert.match(closed.close_note, /completed/);

  // referrals completed count among the fidelity indicators
  const ind = await s.get200('manager',
    `/api/v1/implementation/indicators?unit_id=${p.home_unit_id}&since=${daysAgo(1)}&until=${today()}`);
  assert.ok(ind.referrals_made >= 1 && ind.referrals_completed >= 1, JSON.stringify(ind));
});
