// groups.test.mjs - groups, memberships, sessions, attendance and course
// templates (docs/GROUPS.md): a manager creates a group and adds members,
// schedules a course from a template, the peer leader records attendance,
// the attendees' group contacts appear (once, however often attendance is
// recorded), a non-member is refused with a field error and a failed request
// changes nothing, out of scope is 404, a stale If-Match is 412, and every
// step leaves its audit events.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setup, discover, assertProblem, fieldErrors, instantAgo } from './helpers.mjs';

let s, d;
const F = {}; // what the tests build: group, template, sessions, members
before(async () => {
  s = await setup();
  d = await discover(s);
  F.mine = d.peerParts.filter((p) => p.status === 'enrolled').slice(0, 3);
  assert.equal(F.mine.length, 3, 'the demo peer leader has three enrolled participants');
  F.other = d.siteParts.find(
    (p) => p.status === 'enrolled' && p.peer_leader_id && p.peer_leader_id !== d.leaderId,
  );
  assert.ok(F.other, 'an enrolled participant of another leader in the community');
  F.outsider = d.siteParts.find(
    (p) => p.status === 'enrolled' && p.id !== F.other.id && !F.mine.some((m) => m.id === p.id),
  );
  assert.ok(F.outsider, 'a participant who will not join');
});
after(async () => {
  if (s) await s.cleanup();
});

const as = (who, method, path, body, headers) =>
  s.req(method, path, { token: s.tokens[who] ?? who, body, headers });

async function groupContacts(pid) {
  const all = await s.listAll('admin', `/api/v1/contacts?participant_id=${pid}&limit=200`);
  return all.filter((c) => c.mode === 'group' && c.group_session_id);
}

test('a manager creates a group in their scope', async () => {
  const r = await as('manager', 'POST', '/api/v1/groups', {
    unit_id: d.site,
    kind: 'csmg',
    name: 'Test CSMG',
    peer_leader_id: d.leaderId,
    co_leader_id: s.me.clinician.id,
    location: 'CHC meeting room',
  });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.kind, 'csmg');
  assert.equal(r.json.peer_leader_id, d.leaderId);
  assert.equal(r.json.co_leader_id, s.me.clinician.id);
  assert.equal(r.json.version, 1);
  assert.match(r.headers.get('location'), new RegExp(`/api/v1/groups/${r.json.id}$`));
  F.group = r.json;
  // an unknown kind or a leader of another program is a field error
  const bad = await as('manager', 'POST', '/api/v1/groups', {
    unit_id: d.site, kind: 'choir', name: 'x', peer_leader_id: d.leaderId,
  });
  assertProblem(bad, 422);
  assert.ok(fieldErrors(bad.json).kind, bad.text);
  const ms = await s.get200('admin', `/api/v1/peer-leaders?limit=200`);
  const msLeader = ms.items.find((l) => l.program_id !== F.group.program_id);
  if (msLeader) {
    const wrong = await as('admin', 'POST', '/api/v1/groups', {
      unit_id: d.site, kind: 'csmg', name: 'x', peer_leader_id: msLeader.id,
    });
    assertProblem(wrong, 422);
    assert.match(fieldErrors(wrong.json).peer_leader_id, /program/);
  }
});

test('members are added; a member twice is refused', async () => {
  for (const p of [...F.mine, F.other]) {
    const r = await as('manager', 'POST', `/api/v1/groups/${F.group.id}/members`, {
      participant_id: p.id,
      joined_on: p.enrol_date,
    });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.participant_id, p.id);
    assert.equal(r.json.left_on, null);
    assert.equal(r.json.given_name, p.given_name);
  }
  const again = await as('manager', 'POST', `/api/v1/groups/${F.group.id}/members`, {
    participant_id: F.mine[0].id,
  });
  assertProblem(again, 422);
  assert.match(fieldErrors(again.json).participant_id, /member of this group already/);
  const roster = await s.listAll('manager', `/api/v1/groups/${F.group.id}/members?current=true`);
  assert.equal(roster.length, 4);
  // the peer leader's roster holds only their own participants
  const peers = await s.listAll('peer', `/api/v1/groups/${F.group.id}/members`);
  assert.deepEqual(peers.map((m) => m.participant_id).sort(), F.mine.map((p) => p.id).sort());
});

test('a course template is created and scheduled as a whole series in one request', async () => {
  const t = await as('manager', 'POST', '/api/v1/course-templates', {
    program_id: F.group.program_id,
    code: 'test-basics',
    name: 'Test basics',
    sessions: 3,
    interval_days: 7,
    minutes: 90,
    key_functions: ['daily_management', 'social_emotional'],
    modules: ['Understanding diabetes', 'Healthy eating', 'Being active'],
  });
  assert.equal(t.status, 201, t.text);
  assert.deepEqual(t.json.modules, ['Understanding diabetes', 'Healthy eating', 'Being active']);
  F.template = t.json;
  const dup = await as('manager', 'POST', '/api/v1/course-templates', {
    program_id: F.group.program_id, code: 'test-basics', name: 'Again', sessions: 1,
    interval_days: 7, minutes: 60, key_functions: ['ongoing'], modules: ['One'],
  });
  assertProblem(dup, 409);
  const short = await as('manager', 'POST', '/api/v1/course-templates', {
    program_id: F.group.program_id, code: 'short', name: 'Short', sessions: 2,
    interval_days: 7, minutes: 60, key_functions: ['ongoing'], modules: ['One'],
  });
  assertProblem(short, 422);
  assert.match(fieldErrors(short.json).modules, /one title per session/);

  const first = instantAgo(15 * 24 * 60);
  const r = await as('peer', 'POST', `/api/v1/groups/${F.group.id}/schedule-course`, {
    template_id: F.template.id,
    first_at: first,
  });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.items.length, 3);
  F.sessions = r.json.items;
  const [a, b, c] = F.sessions;
  assert.equal(a.scheduled_at, first);
  assert.equal(Date.parse(b.scheduled_at) - Date.parse(a.scheduled_at), 7 * 86400e3);
  assert.equal(c.topic, 'Being active');
  assert.equal(c.module_code, 'test-basics-3');
  assert.equal(a.status, 'scheduled');
  assert.equal(a.minutes, 90);
  assert.equal(a.location, 'CHC meeting room');
  assert.deepEqual(a.key_functions, ['daily_management', 'social_emotional']);
  const listed = await s.listAll('clinician', `/api/v1/group-sessions?group_id=${F.group.id}`);
  assert.deepEqual(listed.map((x) => x.id), F.sessions.map((x) => x.id));
  const ranged = await s.listAll('clinician',
    `/api/v1/group-sessions?group_id=${F.group.id}&since=${encodeURIComponent(b.scheduled_at)}`);
  assert.deepEqual(ranged.map((x) => x.id), [b.id, c.id]);
});

test('recording attendance makes one group contact per attendee and marks the session held', async () => {
  const sess = F.sessions[0];
  const before = await Promise.all(F.mine.map((p) => groupContacts(p.id)));
  const body = {
    attendance: [
      { participant_id: F.mine[0].id, status: 'attended' },
      { participant_id: F.mine[1].id, status: 'attended' },
      { participant_id: F.mine[2].id, status: 'excused' },
    ],
  };
  const r = await as('peer', 'PUT', `/api/v1/group-sessions/${sess.id}/attendance`, body);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.session.status, 'held');
  assert.equal(r.json.session.attendance.attended, 2);
  assert.equal(r.json.items.length, 3);
  assert.equal(r.headers.get('etag'), `W/"${r.json.session.version}"`);
  for (let i = 0; i < 2; i++) {
    const after = await groupContacts(F.mine[i].id);
    assert.equal(after.length, before[i].length + 1);
    const c = after.find((x) => x.group_session_id === sess.id);
    assert.ok(c, 'the contact is linked to the session');
    assert.equal(c.occurred_at, sess.scheduled_at);
    assert.equal(c.minutes, 90);
    assert.equal(c.peer_leader_id, d.leaderId);
    assert.deepEqual(c.key_functions, ['daily_management', 'social_emotional']);
    assert.equal(r.json.items.find((x) => x.participant_id === F.mine[i].id).contact_id, c.id);
  }
  assert.equal((await groupContacts(F.mine[2].id)).length, before[2].length);
  F.attendBody = body;
});

test('re-recording the same attendance does not duplicate contacts', async () => {
  const sess = F.sessions[0];
  const before = await groupContacts(F.mine[0].id);
  for (let k = 0; k < 2; k++) {
    const r = await as('peer', 'PUT', `/api/v1/group-sessions/${sess.id}/attendance`, F.attendBody);
    assert.equal(r.status, 200, r.text);
  }
  const after = await groupContacts(F.mine[0].id);
  assert.deepEqual(after.map((c) => c.id), before.map((c) => c.id));
});

test('an attendee recorded absent loses the session\'s contact', async () => {
  const sess = F.sessions[0];
  const body = {
    attendance: [
      { participant_id: F.mine[0].id, status: 'attended' },
      { participant_id: F.mine[1].id, status: 'absent' },
      { participant_id: F.mine[2].id, status: 'excused' },
    ],
  };
  const r = await as('manager', 'PUT', `/api/v1/group-sessions/${sess.id}/attendance`, body);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.session.attendance.attended, 1);
  const left = await groupContacts(F.mine[1].id);
  assert.ok(!left.some((c) => c.group_session_id === sess.id));
  F.voided = r.json; // for the audit test
});

test('a non-member is refused with a field error and the failed request changes nothing', async () => {
  const sess = F.sessions[1];
  const before = await groupContacts(F.mine[0].id);
  const r = await as('manager', 'PUT', `/api/v1/group-sessions/${sess.id}/attendance`, {
    attendance: [
      { participant_id: F.mine[0].id, status: 'attended' },
      { participant_id: F.outsider.id, status: 'attended' },
    ],
  });
  const p = assertProblem(r, 422);
  assert.match(fieldErrors(p)['attendance[1].participant_id'], /not a member of this group/);
  assert.equal(fieldErrors(p)['attendance[0].participant_id'], undefined);
  assert.deepEqual((await groupContacts(F.mine[0].id)).map((c) => c.id), before.map((c) => c.id));
  const g = await s.get200('manager', `/api/v1/group-sessions/${sess.id}`);
  assert.equal(g.status, 'scheduled');
  assert.equal(g.attendance.attended, 0);
  // a malformed item is named by its index and field
  const bad = await as('manager', 'PUT', `/api/v1/group-sessions/${sess.id}/attendance`, {
    attendance: [{ participant_id: F.mine[0].id, status: 'late' }],
  });
  assertProblem(bad, 422);
  assert.ok(fieldErrors(bad.json)['attendance[0].status'], bad.text);
});

test('the peer leader cannot record participants they do not see', async () => {
  const sess = F.sessions[1];
  const r = await as('peer', 'PUT', `/api/v1/group-sessions/${sess.id}/attendance`, {
    attendance: [{ participant_id: F.other.id, status: 'attended' }],
  });
  assertProblem(r, 422);
  assert.ok(fieldErrors(r.json)['attendance[0].participant_id'], r.text);
  // the manager may; the peer's later re-recording leaves that row alone
  const m = await as('manager', 'PUT', `/api/v1/group-sessions/${sess.id}/attendance`, {
    attendance: [
      { participant_id: F.other.id, status: 'attended' },
      { participant_id: F.mine[0].id, status: 'attended' },
    ],
  });
  assert.equal(m.status, 200, m.text);
  const p = await as('peer', 'PUT', `/api/v1/group-sessions/${sess.id}/attendance`, {
    attendance: [{ participant_id: F.mine[0].id, status: 'absent' }],
  });
  assert.equal(p.status, 200, p.text);
  assert.deepEqual(p.json.items.map((x) => x.participant_id), [F.mine[0].id]);
  const all = await s.get200('admin', `/api/v1/group-sessions/${sess.id}/attendance`);
  assert.deepEqual(all.items.map((x) => x.participant_id).sort((a, b) => a - b),
    [F.other.id, F.mine[0].id].sort((a, b) => a - b));
  assert.equal(all.items.find((x) => x.participant_id === F.other.id).status, 'attended');
});

test('a peer leader of another community, or another leader, gets 404', async () => {
  const leaders = await s.listAll('admin', '/api/v1/peer-leaders?limit=200');
  const far = leaders.find((l) => l.program_id === F.group.program_id && l.home_unit_id !== d.site);
  assert.ok(far, 'a peer leader of another community');
  const created = await as('admin', 'POST', '/api/v1/staff', {
    username: 'far-peer',
    role: 'peer_leader',
    scope_unit_id: far.home_unit_id,
    person_id: far.person_id,
    password: 'far-peer-password-1',
  });
  assert.equal(created.status, 201, created.text);
  const token = await s.login('far-peer', 'far-peer-password-1');
  const sess = F.sessions[0];
  for (const [method, path, body] of [
    ['GET', `/api/v1/groups/${F.group.id}`],
    ['GET', `/api/v1/groups/${F.group.id}/members`],
    ['GET', `/api/v1/group-sessions/${sess.id}`],
    ['GET', `/api/v1/group-sessions/${sess.id}/attendance`],
    ['PUT', `/api/v1/group-sessions/${sess.id}/attendance`, F.attendBody],
    ['PATCH', `/api/v1/group-sessions/${sess.id}`, { notes: 'x' }],
    ['POST', `/api/v1/groups/${F.group.id}/sessions`,
      { scheduled_at: instantAgo(-60 * 24), minutes: 60, topic: 'x', key_functions: ['ongoing'] }],
  ]) {
    const r = await s.req(method, path, { token, body });
    assertProblem(r, 404, `${method} ${path}`);
  }
  const none = await s.req('GET', '/api/v1/groups/999999999', { token });
  assertProblem(none, 404);
  const mine = await s.get200(token, '/api/v1/groups?limit=200');
  assert.ok(!mine.items.some((g) => g.id === F.group.id));
  // the Mi Salud navigator does not see a Shanghai group either
  assertProblem(await as('navigator', 'GET', `/api/v1/groups/${F.group.id}`), 404);
  // the clinician (the co-leader, same community) does
  assert.equal((await as('clinician', 'GET', `/api/v1/groups/${F.group.id}`)).status, 200);
});

test('evaluators do not use group routes; templates they may read', async () => {
  assertProblem(await as('evaluator', 'GET', '/api/v1/groups'), 403);
  assertProblem(await as('evaluator', 'GET', `/api/v1/group-sessions/${F.sessions[0].id}/attendance`), 403);
  const t = await s.get200('evaluator', '/api/v1/course-templates?limit=200');
  assert.ok(t.items.some((x) => x.id === F.template.id));
});

test('a stale If-Match on a session update answers 412 and changes nothing', async () => {
  const sess = F.sessions[2];
  const g = await as('clinician', 'GET', `/api/v1/group-sessions/${sess.id}`);
  assert.equal(g.status, 200);
  const etag = g.headers.get('etag');
  const ok = await as('clinician', 'PATCH', `/api/v1/group-sessions/${sess.id}`,
    { notes: 'Bring glucometers' }, { 'if-match': etag });
  assert.equal(ok.status, 200, ok.text);
  assert.notEqual(ok.headers.get('etag'), etag);
  const stale = await as('peer', 'PATCH', `/api/v1/group-sessions/${sess.id}`,
    { location: 'Park pavilion' }, { 'if-match': etag });
  assertProblem(stale, 412);
  const now = await s.get200('peer', `/api/v1/group-sessions/${sess.id}`);
  assert.equal(now.location, 'CHC meeting room');
  assert.equal(now.notes, 'Bring glucometers');
});

test('sessions are cancelled with a reason, and rescheduled; transitions are checked', async () => {
  const r = await as('manager', 'POST', `/api/v1/groups/${F.group.id}/sessions`, {
    scheduled_at: instantAgo(-7 * 24 * 60),
    minutes: 60,
    topic: 'Foot care',
    key_functions: ['daily_management'],
    topics: ['reducing_risks'],
  });
  assert.equal(r.status, 201, r.text);
  const id = r.json.id;
  const noReason = await as('manager', 'PATCH', `/api/v1/group-sessions/${id}`, { status: 'cancelled' });
  assertProblem(noReason, 422);
  assert.ok(fieldErrors(noReason.json).cancel_reason, noReason.text);
  const early = await as('manager', 'PATCH', `/api/v1/group-sessions/${id}`, { status: 'held' });
  assertProblem(early, 422);
  assert.match(fieldErrors(early.json).scheduled_at, /future/);
  const cancelled = await as('manager', 'PATCH', `/api/v1/group-sessions/${id}`,
    { status: 'cancelled', cancel_reason: 'Heavy rain warning' });
  assert.equal(cancelled.status, 200, cancelled.text);
  assert.equal(cancelled.json.cancel_reason, 'Heavy rain warning');
  const noAttendance = await as('manager', 'PUT', `/api/v1/group-sessions/${id}/attendance`, F.attendBody);
  assertProblem(noAttendance, 422);
  const back = await as('manager', 'PATCH', `/api/v1/group-sessions/${id}`, { status: 'scheduled' });
  assert.equal(back.status, 200, back.text);
  assert.equal(back.json.cancel_reason, null);
  const held = F.sessions[0].id;
  const undo = await as('manager', 'PATCH', `/api/v1/group-sessions/${held}`, { status: 'scheduled' });
  assertProblem(undo, 422);
  assert.ok(fieldErrors(undo.json).status, undo.text);
});

test('editing a held session moves its contacts with it', async () => {
  const sess = F.sessions[0];
  const r = await as('manager', 'PATCH', `/api/v1/group-sessions/${sess.id}`, { minutes: 100 });
  assert.equal(r.status, 200, r.text);
  const c = (await groupContacts(F.mine[0].id)).find((x) => x.group_session_id === sess.id);
  assert.equal(c.minutes, 100);
});

test('ending a membership: not before attendance it holds; a re-join is a new membership', async () => {
  const roster = await s.listAll('manager', `/api/v1/groups/${F.group.id}/members?participant_id=${F.mine[0].id}`);
  assert.equal(roster.length, 1);
  const m = roster[0];
  const early = await as('manager', 'POST', `/api/v1/groups/${F.group.id}/members/${m.id}/end`,
    { left_on: F.sessions[0].scheduled_at.slice(0, 10), reason: 'moved' });
  assertProblem(early, 422);
  assert.match(fieldErrors(early.json).left_on, /attendance/);
  const ended = await as('manager', 'POST', `/api/v1/groups/${F.group.id}/members/${m.id}/end`,
    { reason: 'moved to her daughter\'s' });
  assert.equal(ended.status, 200, ended.text);
  assert.ok(ended.json.left_on);
  const twice = await as('manager', 'POST', `/api/v1/groups/${F.group.id}/members/${m.id}/end`, {});
  assertProblem(twice, 422);
  const rejoin = await as('manager', 'POST', `/api/v1/groups/${F.group.id}/members`, {
    participant_id: F.mine[0].id,
  });
  assert.equal(rejoin.status, 201, rejoin.text);
  assert.notEqual(rejoin.json.id, m.id);
  const both = await s.listAll('manager', `/api/v1/groups/${F.group.id}/members?participant_id=${F.mine[0].id}`);
  assert.equal(both.length, 2);
});

test('audit events record membership, attendance and the contacts it made or voided', async () => {
  const audit = async (q) => s.listAll('admin', `/api/v1/audit?${q}&limit=200`);
  const pid = F.mine[1].id;
  const membership = await audit(`entity=group_membership&participant_id=${pid}`);
  assert.ok(membership.some((e) => e.action === 'create' && e.status === 201));
  const attendance = await audit(`entity=group_attendance&participant_id=${pid}`);
  assert.ok(attendance.some((e) => e.action === 'update' && e.entity_id === F.sessions[0].id));
  const contacts = await audit(`entity=contact&participant_id=${pid}`);
  assert.ok(contacts.some((e) => e.action === 'create'));
  assert.ok(contacts.some((e) => e.action === 'void'));
  // reads of the roster and of attendance are audited too (committed within milliseconds)
  const readBack = async () => {
    const ev = await audit(`entity=group_attendance&action=read&participant_id=${F.other.id}`);
    return ev.length > 0 ? ev : undefined;
  };
  let ev;
  for (let i = 0; i < 20 && !ev; i++) {
    ev = await readBack();
    if (!ev) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(ev, 'the attendance read was audited');
  const refused = await audit('entity=group_attendance&action=update');
  assert.ok(refused.some((e) => e.status === 422), 'the refused recording was audited');
});

test('lists filter groups by unit, leader and kind', async () => {
  const byLeader = await s.listAll('admin', `/api/v1/groups?peer_leader_id=${d.leaderId}`);
  assert.ok(byLeader.some((g) => g.id === F.group.id));
  assert.ok(byLeader.every((g) => g.peer_leader_id === d.leaderId));
  const byKind = await s.listAll('admin', '/api/v1/groups?kind=dsme_class');
  assert.ok(!byKind.some((g) => g.id === F.group.id));
  const bad = await as('admin', 'GET', '/api/v1/groups?kind=choir');
  assertProblem(bad, 400);
  const byUnit = await s.listAll('clinician', `/api/v1/groups?unit_id=${d.site}`);
  assert.ok(byUnit.some((g) => g.id === F.group.id));
  const peer = await s.listAll('peer', '/api/v1/groups');
  assert.ok(peer.length > 0 && peer.every((g) => g.peer_leader_id === d.leaderId));
});
