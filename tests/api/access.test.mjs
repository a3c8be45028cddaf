// access.test.mjs - who may use which route (the role matrix of
// src/api/routes.c), what each account may see (scope: out of scope is 404,
// exactly like a record that does not exist), and the evaluator's
// de-identified view.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  setup,
  discover,
  assertProblem,
  contactBody,
  measurementBody,
  dayDiff,
  daysAgo,
} from './helpers.mjs';

const ROLES = {
  admin: 'admin',
  manager: 'program_manager',
  clinician: 'clinician',
  peer: 'peer_leader',
  navigator: 'navigator',
  evaluator: 'evaluator',
};
const ALL = Object.keys(ROLES);
const IDENTIFIED = ALL.filter((r) => r !== 'evaluator');
const MANAGERS = ['admin', 'manager'];
const EVALUATION = ['admin', 'manager', 'evaluator'];
const NONE = 999999999; // an id no demo record has

let s, d;
before(async () => {
  s = await setup();
  d = await discover(s);
  const pp = d.peerParts[0].id;
  const c = await s.get200('admin', `/api/v1/contacts?participant_id=${pp}&limit=1`);
  d.contactId = c.items[0]?.id;
  assert.ok(d.contactId, 'the peer\'s participant has no contact');
  const m = await s.get200('admin', `/api/v1/measurements?participant_id=${pp}&limit=1`);
  d.measurementId = m.items[0]?.id;
  assert.ok(d.measurementId, 'the peer\'s participant has no measurement');
  // a participant of the community for the matrix's writes, not the peer's
  // nor the one the scope tests use
  d.writePart = d.siteParts.find(
    (p) => p.peer_leader_id !== d.leaderId && p.id !== d.otherPart.id && p.status === 'enrolled',
  );
  assert.ok(d.writePart, 'no enrolled participant for the matrix writes');
  // a group of the peer's community led by the peer, with a member, a template and a session
  const admin = (method, path, body) => s.req(method, path, { token: s.tokens.admin, body });
  const g = await admin('POST', '/api/v1/groups', {
    unit_id: d.site, kind: 'peer_group', name: 'Matrix group', peer_leader_id: d.leaderId,
  });
  assert.equal(g.status, 201, g.text);
  d.groupId = g.json.id;
  d.peerEnrolled = d.peerParts.filter((p) => p.status === 'enrolled');
  assert.ok(d.peerEnrolled.length >= 2, 'the peer has two enrolled participants');
  const member = await admin('POST', `/api/v1/groups/${d.groupId}/members`, {
    participant_id: d.peerEnrolled[0].id, joined_on: d.peerEnrolled[0].enrol_date,
  });
  assert.equal(member.status, 201, member.text);
  const t = await admin('POST', '/api/v1/course-templates', {
    program_id: d.shanghai, code: 'matrix', name: 'Matrix course', sessions: 1, interval_days: 7,
    minutes: 60, key_functions: ['ongoing'], modules: ['Matrix module'],
  });
  assert.equal(t.status, 201, t.text);
  d.templateId = t.json.id;
  const ses = await admin('POST', `/api/v1/groups/${d.groupId}/sessions`, {
    scheduled_at: new Date(Date.now() - 2 * 86400e3).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    minutes: 60, topic: 'Matrix session', key_functions: ['ongoing'],
  });
  assert.equal(ses.status, 201, ses.text);
  d.sessionId = ses.json.id;
  const rsc = await s.get200('admin', `/api/v1/resources?program_id=${d.shanghai}&limit=1`);
  d.resourceId = rsc.items[0]?.id;
  assert.ok(d.resourceId, 'the demo has no Shanghai resource');
  const studies = await s.listAll('admin', '/api/v1/studies?limit=200');
  d.studyId = studies.find((x) => x.program_id === d.shanghai)?.id;
  assert.ok(d.studyId, 'the demo has no Shanghai study');
});
after(async () => {
  if (s) await s.cleanup();
});

// ---- the role matrix ------------------------------------------------------

// Each route with a request any allowed role could send (valid for admin, so
// a forbidden role cannot hide behind a body error), and the roles allowed.
// The expectations follow docs/API.md and src/api/routes.c.
function routes() {
  const pp = () => d.peerParts[0].id;
  return [
    ['GET', '/api/v1/me', () => '/api/v1/me', null, ALL],
    ['GET', '/api/v1/org-units', () => '/api/v1/org-units?limit=5', null, ALL],
    ['GET', '/api/v1/org-units/{id}', () => `/api/v1/org-units/${d.site}`, null, ALL],
    ['POST', '/api/v1/org-units', () => '/api/v1/org-units',
      (role) => ({ parent_id: d.site, kind: 'residential_committee', name: `Matrix committee ${role}` }),
      MANAGERS],
    ['GET', '/api/v1/staff', () => '/api/v1/staff', null, ['admin']],
    ['GET', '/api/v1/staff/{id}', () => `/api/v1/staff/${s.me.admin.id}`, null, ['admin']],
    ['POST', '/api/v1/staff', () => '/api/v1/staff',
      (role) => ({ username: `matrix-${role}`, role: 'evaluator', scope_unit_id: d.shanghai,
        password: 'matrix-password-1' }),
      ['admin']],
    ['PATCH', '/api/v1/staff/{id}', () => `/api/v1/staff/${s.me.admin.id}`,
      () => ({ display_name: 'Demo administrator' }), ['admin']],
    ['POST', '/api/v1/staff/{id}/password', () => `/api/v1/staff/${NONE}/password`,
      () => ({ password: 'matrix-password-2' }), ['admin']],
    ['GET', '/api/v1/peer-leaders', () => '/api/v1/peer-leaders?limit=5', null,
      [...MANAGERS, 'clinician', 'navigator']],
    ['GET', '/api/v1/peer-leaders/{id}', () => `/api/v1/peer-leaders/${d.leaderId}`, null,
      [...MANAGERS, 'clinician', 'navigator']],
    ['POST', '/api/v1/peer-leaders', () => '/api/v1/peer-leaders',
      (role) => ({ given_name: `Matrix ${role}`, home_unit_id: d.site, languages: ['zh-CN'] }),
      MANAGERS],
    ['GET', '/api/v1/participants', () => '/api/v1/participants?limit=5', null, ALL],
    ['POST', '/api/v1/participants', () => '/api/v1/participants',
      (role) => ({ given_name: `Matrix ${role}`, sex: 'female', birth_date: '1961-02-03',
        enrol_date: daysAgo(2), consent: true, consent_date: daysAgo(2),
        home_unit_id: d.writePart.home_unit_id }),
      MANAGERS],
    ['GET', '/api/v1/participants/{id}', () => `/api/v1/participants/${pp()}`, null, IDENTIFIED],
    ['PATCH', '/api/v1/participants/{id}', () => `/api/v1/participants/${d.writePart.id}`,
      () => ({ risk_tier: d.writePart.risk_tier }), MANAGERS],
    ['POST', '/api/v1/participants/{id}/assign',
      () => `/api/v1/participants/${d.writePart.id}/assign`,
      () => ({ peer_leader_id: d.writePart.peer_leader_id }), MANAGERS],
    ['POST', '/api/v1/participants/{id}/withdraw',
      () => `/api/v1/participants/${d.writePart.id}/withdraw`,
      () => ({ reason: 'role matrix', date: daysAgo(1) }), MANAGERS],
    ['GET', '/api/v1/contacts', () => '/api/v1/contacts?limit=5', null, ALL],
    ['POST', '/api/v1/contacts', () => '/api/v1/contacts',
      (role) => contactBody(pp(), role === 'peer' ? {} : { peer_leader_id: d.leaderId }),
      [...MANAGERS, 'peer', 'navigator']],
    ['GET', '/api/v1/contacts/{id}', () => `/api/v1/contacts/${d.contactId}`, null, IDENTIFIED],
    ['GET', '/api/v1/measurements', () => '/api/v1/measurements?limit=5', null, ALL],
    ['POST', '/api/v1/measurements', () => '/api/v1/measurements', () => measurementBody(pp()),
      [...MANAGERS, 'clinician', 'peer']],
    ['GET', '/api/v1/measurements/{id}', () => `/api/v1/measurements/${d.measurementId}`, null,
      IDENTIFIED],
    ['GET', '/api/v1/questionnaire-responses', () => '/api/v1/questionnaire-responses?limit=5',
      null, ALL],
    ['POST', '/api/v1/questionnaire-responses', () => '/api/v1/questionnaire-responses',
      () => ({ participant_id: pp(), instrument: 'phq2', answers: [0, 1],
        completed_at: new Date(Date.now() - 3600e3).toISOString() }),
      [...MANAGERS, 'clinician', 'peer', 'navigator']],
    ['GET', '/api/v1/questionnaire-responses/{id}',
      () => `/api/v1/questionnaire-responses/${NONE}`, null, IDENTIFIED],
    ['GET', '/api/v1/alerts', () => '/api/v1/alerts?limit=5', null, IDENTIFIED],
    ['GET', '/api/v1/alerts/{id}', () => `/api/v1/alerts/${NONE}`, null, IDENTIFIED],
    ['POST', '/api/v1/alerts', () => '/api/v1/alerts',
      () => ({ participant_id: pp(), severity: 'attention', message: 'role matrix concern' }),
      [...MANAGERS, 'clinician', 'peer', 'navigator']],
    ['POST', '/api/v1/alerts/{id}/acknowledge', () => `/api/v1/alerts/${NONE}/acknowledge`, null,
      [...MANAGERS, 'clinician']],
    ['POST', '/api/v1/alerts/{id}/resolve', () => `/api/v1/alerts/${NONE}/resolve`,
      () => ({ note: 'role matrix' }), [...MANAGERS, 'clinician']],
    ['GET', '/api/v1/participants/{id}/risk-history',
      () => `/api/v1/participants/${pp()}/risk-history`, null, IDENTIFIED],
    ['GET', '/api/v1/worklist', () => `/api/v1/worklist?peer_leader_id=${d.leaderId}`, null,
      IDENTIFIED],
    ['GET', '/api/v1/tasks', () => '/api/v1/tasks?limit=5', null, IDENTIFIED],
    ['POST', '/api/v1/tasks', () => '/api/v1/tasks',
      () => ({ participant_id: pp(), title: 'Role matrix task', due_date: daysAgo(0) }),
      [...MANAGERS, 'clinician', 'peer', 'navigator']],
    ['GET', '/api/v1/tasks/{id}', () => `/api/v1/tasks/${NONE}`, null, IDENTIFIED],
    ['POST', '/api/v1/tasks/{id}/complete', () => `/api/v1/tasks/${NONE}/complete`, () => ({}),
      [...MANAGERS, 'clinician', 'peer', 'navigator']],
    ['POST', '/api/v1/tasks/{id}/reschedule', () => `/api/v1/tasks/${NONE}/reschedule`,
      () => ({ due_date: daysAgo(0) }), [...MANAGERS, 'clinician', 'peer', 'navigator']],
    ['POST', '/api/v1/tasks/{id}/cancel', () => `/api/v1/tasks/${NONE}/cancel`,
      () => ({ note: 'role matrix' }), [...MANAGERS, 'clinician', 'peer', 'navigator']],
    ['GET', '/api/v1/programs/{id}/settings', () => `/api/v1/programs/${d.shanghai}/settings`,
      null, ALL],
    ['PATCH', '/api/v1/programs/{id}/settings', () => `/api/v1/programs/${d.shanghai}/settings`,
      () => ({ grace_days: 3 }), MANAGERS],
    ['GET', '/api/v1/caseloads', () => '/api/v1/caseloads?limit=5', null, [...MANAGERS, 'navigator']],
    ['GET', '/api/v1/caseloads/unassigned', () => '/api/v1/caseloads/unassigned?limit=5', null,
      [...MANAGERS, 'navigator']],
    ['POST', '/api/v1/caseloads/assign', () => '/api/v1/caseloads/assign',
      () => ({ participant_ids: [d.writePart.id], peer_leader_id: d.writePart.peer_leader_id }),
      MANAGERS],
    ['GET', '/api/v1/programs/{id}/implementation-features',
      () => `/api/v1/programs/${d.shanghai}/implementation-features`, null, ALL],
    ['PUT', '/api/v1/programs/{id}/implementation-features',
      () => `/api/v1/programs/${NONE}/implementation-features`,
      () => ({ codes: ['a'], labels: ['A'] }), MANAGERS],
    ['GET', '/api/v1/implementation-ratings', () => '/api/v1/implementation-ratings?limit=5', null,
      ALL],
    ['POST', '/api/v1/implementation-ratings', () => '/api/v1/implementation-ratings',
      () => ({ unit_id: NONE, period_start: daysAgo(9), period_end: daysAgo(1), scores: [3] }),
      [...MANAGERS, 'clinician', 'evaluator']],
    ['GET', '/api/v1/implementation-ratings/{id}', () => `/api/v1/implementation-ratings/${NONE}`,
      null, ALL],
    ['GET', '/api/v1/implementation/indicators',
      () => `/api/v1/implementation/indicators?unit_id=${d.site}&since=${daysAgo(30)}&until=${daysAgo(0)}`,
      null, ALL],
    ['GET', '/api/v1/resources', () => '/api/v1/resources?category=food&limit=5', null, ALL],
    ['GET', '/api/v1/resources/export', () => '/api/v1/resources/export', null, ALL],
    ['POST', '/api/v1/resources/import', () => `/api/v1/resources/import?program_id=${d.shanghai}`,
      (role) => ({ id: `matrix-org-${role}`, name: `Matrix organization ${role}`,
        description: 'made by the role matrix' }),
      MANAGERS],
    ['GET', '/api/v1/resources/{id}', () => `/api/v1/resources/${d.resourceId}`, null, ALL],
    ['GET', '/api/v1/referrals', () => '/api/v1/referrals?limit=5', null, ALL],
    ['POST', '/api/v1/referrals', () => '/api/v1/referrals',
      () => ({ participant_id: pp(), need: 'food', resource_text: 'Matrix food pantry' }),
      IDENTIFIED],
    ['GET', '/api/v1/referrals/{id}', () => `/api/v1/referrals/${NONE}`, null, IDENTIFIED],
    ['POST', '/api/v1/referrals/{id}/status', () => `/api/v1/referrals/${NONE}/status`,
      () => ({ status: 'sent', note: 'role matrix' }), IDENTIFIED],
    ['GET', '/api/v1/studies', () => '/api/v1/studies', null, EVALUATION],
    ['POST', '/api/v1/studies', () => '/api/v1/studies',
      (role) => ({ program_id: d.shanghai, name: `Matrix study ${role}` }), EVALUATION],
    ['GET', '/api/v1/studies/{id}', () => `/api/v1/studies/${d.studyId}`, null, EVALUATION],
    ['PUT', '/api/v1/studies/{id}/arms', () => `/api/v1/studies/${NONE}/arms`,
      () => ({ intervention: [d.site] }), EVALUATION],
    ['POST', '/api/v1/studies/{id}/arms/import', () => `/api/v1/studies/${NONE}/arms/import`,
      () => 'community,arm', EVALUATION],
    ['POST', '/api/v1/studies/{id}/randomise', () => `/api/v1/studies/${NONE}/randomise`,
      () => ({ seed: 1, control: 4 }), EVALUATION],
    ['GET', '/api/v1/studies/{id}/flow', () => `/api/v1/studies/${d.studyId}/flow`, null,
      EVALUATION],
    ['GET', '/api/v1/studies/{id}/report', () => `/api/v1/studies/${d.studyId}/report`, null,
      EVALUATION],
    ['GET', '/api/v1/studies/{id}/export', () => `/api/v1/studies/${d.studyId}/export?file=codebook`,
      null, EVALUATION],
    ['GET', '/api/v1/audit', () => '/api/v1/audit?limit=5', null, ['admin']],
    ['GET', '/api/v1/groups', () => '/api/v1/groups?limit=5', null, IDENTIFIED],
    ['POST', '/api/v1/groups', () => '/api/v1/groups',
      (role) => ({ unit_id: d.site, kind: 'csmg', name: `Matrix ${role}`, peer_leader_id: d.leaderId }),
      MANAGERS],
    ['GET', '/api/v1/groups/{id}', () => `/api/v1/groups/${d.groupId}`, null, IDENTIFIED],
    ['PATCH', '/api/v1/groups/{id}', () => `/api/v1/groups/${d.groupId}`,
      () => ({ location: 'Matrix room' }), MANAGERS],
    ['GET', '/api/v1/groups/{id}/members', () => `/api/v1/groups/${d.groupId}/members`, null,
      IDENTIFIED],
    ['POST', '/api/v1/groups/{id}/members', () => `/api/v1/groups/${d.groupId}/members`,
      () => ({ participant_id: d.peerEnrolled[1].id }), MANAGERS],
    ['POST', '/api/v1/groups/{id}/members/{member_id}/end',
      () => `/api/v1/groups/${d.groupId}/members/${NONE}/end`, () => ({}), MANAGERS],
    ['POST', '/api/v1/groups/{id}/sessions', () => `/api/v1/groups/${d.groupId}/sessions`,
      (role) => ({ scheduled_at: new Date(Date.now() + 86400e3).toISOString(), minutes: 60,
        topic: `Matrix ${role}`, key_functions: ['ongoing'] }),
      [...MANAGERS, 'clinician', 'peer']],
    ['POST', '/api/v1/groups/{id}/schedule-course',
      () => `/api/v1/groups/${d.groupId}/schedule-course`,
      () => ({ template_id: d.templateId, first_at: new Date(Date.now() + 7 * 86400e3).toISOString() }),
      [...MANAGERS, 'clinician', 'peer']],
    ['GET', '/api/v1/group-sessions', () => '/api/v1/group-sessions?limit=5', null, IDENTIFIED],
    ['GET', '/api/v1/group-sessions/{id}', () => `/api/v1/group-sessions/${d.sessionId}`, null,
      IDENTIFIED],
    ['PATCH', '/api/v1/group-sessions/{id}', () => `/api/v1/group-sessions/${d.sessionId}`,
      () => ({ notes: 'Matrix notes' }), [...MANAGERS, 'clinician', 'peer']],
    ['GET', '/api/v1/group-sessions/{id}/attendance',
      () => `/api/v1/group-sessions/${d.sessionId}/attendance`, null, IDENTIFIED],
    ['PUT', '/api/v1/group-sessions/{id}/attendance',
      () => `/api/v1/group-sessions/${d.sessionId}/attendance`,
      () => ({ attendance: [{ participant_id: d.peerEnrolled[0].id, status: 'attended' }] }),
      [...MANAGERS, 'clinician', 'peer']],
    ['GET', '/api/v1/course-templates', () => '/api/v1/course-templates?limit=5', null, ALL],
    ['POST', '/api/v1/course-templates', () => '/api/v1/course-templates',
      (role) => ({ program_id: d.shanghai, code: `matrix-${role}`, name: 'Matrix', sessions: 1,
        interval_days: 7, minutes: 60, key_functions: ['ongoing'], modules: ['One'] }),
      MANAGERS],
    ['GET', '/api/v1/course-templates/{id}', () => `/api/v1/course-templates/${d.templateId}`,
      null, ALL],
  ];
}

for (const [method, pattern, path, body, allowed] of routes()) {
  for (const who of ALL) {
    const ok = allowed.includes(who);
    test(`role matrix: ${ROLES[who]} ${method} ${pattern} is ${ok ? 'allowed' : '403'}`, async (t) => {
      const r = await s.req(method, path(), {
        token: s.tokens[who],
        body: body ? body(who) : undefined,
      });
      t.diagnostic(`${method} ${path()} answered ${r.status}`);
      if (ok) {
        assert.ok(
          r.status < 500 && ![401, 403, 405].includes(r.status),
          `${who} ${method} ${path()}: ${r.status} ${r.text}`,
        );
      } else {
        assertProblem(r, 403, `${who} ${method} ${path()}`);
      }
    });
  }
}

for (const [method, pattern, path, body] of routes()) {
  test(`without a session ${method} ${pattern} answers 401 with WWW-Authenticate`, async () => {
    const r = await s.req(method, path(), { body: body ? body('anonymous') : undefined });
    assertProblem(r, 401, `${method} ${path()}`);
    assert.match(r.headers.get('www-authenticate') || '', /^Bearer/);
  });
}

test('a forbidden write changes nothing (peer POST /participants)', async () => {
  const before = (await s.listAll('admin', `/api/v1/participants?home_unit_id=${d.site}&limit=200`)).length;
  const r = await s.req('POST', '/api/v1/participants', {
    token: s.tokens.peer,
    body: { given_name: 'Forbidden', enrol_date: daysAgo(1), consent: true, home_unit_id: d.site },
  });
  assertProblem(r, 403);
  const after = (await s.listAll('admin', `/api/v1/participants?home_unit_id=${d.site}&limit=200`)).length;
  assert.equal(after, before);
});

// ---- scope ------------------------------------------------------------------

const ids = (xs) => xs.map((x) => x.id).sort((a, b) => a - b);

// Two problem bodies alike except for `instance`.
function sameProblem(a, b) {
  const strip = (p) => {
    const { instance, ...rest } = p;
    return rest;
  };
  assert.deepEqual(strip(a), strip(b));
}

test('a peer leader lists exactly the participants assigned to them', async () => {
  const mine = await s.listAll('peer', '/api/v1/participants?limit=200');
  const theirs = await s.listAll('admin', `/api/v1/participants?peer_leader_id=${d.leaderId}&limit=200`);
  assert.ok(mine.length > 0);
  assert.deepEqual(ids(mine), ids(theirs));
  assert.ok(mine.every((p) => p.peer_leader_id === d.leaderId));
});

test('a peer leader reads an assigned participant', async () => {
  const p = d.peerParts[0];
  const r = await s.req('GET', `/api/v1/participants/${p.id}`, { token: s.tokens.peer });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.id, p.id);
  assert.equal(r.json.given_name, p.given_name);
});

test('another leader\'s participant answers the peer leader 404, exactly like a nonexistent id', async () => {
  const out = await s.req('GET', `/api/v1/participants/${d.otherPart.id}`, { token: s.tokens.peer });
  const none = await s.req('GET', `/api/v1/participants/${NONE}`, { token: s.tokens.peer });
  assertProblem(out, 404, 'out of scope');
  assertProblem(none, 404, 'nonexistent');
  sameProblem(out.json, none.json);
  assert.equal(out.headers.get('content-type'), none.headers.get('content-type'));
});

test('a Mi Salud participant answers the Shanghai manager 404, exactly like a nonexistent id', async () => {
  const out = await s.req('GET', `/api/v1/participants/${d.msPart.id}`, { token: s.tokens.manager });
  const none = await s.req('GET', `/api/v1/participants/${NONE}`, { token: s.tokens.manager });
  assertProblem(out, 404, 'out of scope');
  assertProblem(none, 404, 'nonexistent');
  sameProblem(out.json, none.json);
});

test('a Shanghai participant answers the Mi Salud navigator 404', async () => {
  const r = await s.req('GET', `/api/v1/participants/${d.peerParts[0].id}`, { token: s.tokens.navigator });
  assertProblem(r, 404);
});

test('the navigator reads a Mi Salud participant', async () => {
  const r = await s.req('GET', `/api/v1/participants/${d.msPart.id}`, { token: s.tokens.navigator });
  assert.equal(r.status, 200, r.text);
});

test('the clinician lists exactly the participants of their community', async () => {
  const mine = await s.listAll('clinician', '/api/v1/participants?limit=200');
  const site = await s.listAll('admin', `/api/v1/participants?home_unit_id=${d.site}&limit=200`);
  assert.deepEqual(ids(mine), ids(site));
});

test('the Shanghai manager\'s list holds no Mi Salud participant', async () => {
  const r = await s.req('GET', `/api/v1/participants?home_unit_id=${d.misalud}`, { token: s.tokens.manager });
  if (r.status === 200) assert.deepEqual(r.json.items, []);
  else assertProblem(r, 404);
  const page = await s.get200('manager', '/api/v1/participants?limit=200');
  const msIds = new Set(ids(await s.listAll('admin', `/api/v1/participants?home_unit_id=${d.misalud}&limit=200`)));
  assert.ok(page.items.every((p) => !msIds.has(p.id)));
});

test('a contact of an out-of-scope participant answers 404, like a nonexistent one', async () => {
  const c = await s.get200('admin', `/api/v1/contacts?participant_id=${d.otherPart.id}&limit=1`);
  assert.ok(c.items.length, 'the other participant has no contact');
  const out = await s.req('GET', `/api/v1/contacts/${c.items[0].id}`, { token: s.tokens.peer });
  const none = await s.req('GET', `/api/v1/contacts/${NONE}`, { token: s.tokens.peer });
  assertProblem(out, 404);
  assertProblem(none, 404);
  sameProblem(out.json, none.json);
});

test('a measurement of an out-of-scope participant answers 404, like a nonexistent one', async () => {
  const m = await s.get200('admin', `/api/v1/measurements?participant_id=${d.otherPart.id}&limit=1`);
  assert.ok(m.items.length, 'the other participant has no measurement');
  const out = await s.req('GET', `/api/v1/measurements/${m.items[0].id}`, { token: s.tokens.peer });
  const none = await s.req('GET', `/api/v1/measurements/${NONE}`, { token: s.tokens.peer });
  assertProblem(out, 404);
  assertProblem(none, 404);
  sameProblem(out.json, none.json);
});

test('a peer leader\'s contact list holds only their participants\' contacts', async () => {
  const mine = new Set(d.peerParts.map((p) => p.id));
  const all = await s.listAll('peer', '/api/v1/contacts?limit=200');
  assert.ok(all.length > 0);
  const leaked = all.filter((c) => !mine.has(c.participant_id));
  assert.equal(leaked.length, 0, `contacts of other participants: ${leaked.slice(0, 3).map((c) => c.id)}`);
  const r = await s.req('GET', `/api/v1/contacts?participant_id=${d.otherPart.id}`, { token: s.tokens.peer });
  if (r.status === 200) assert.deepEqual(r.json.items, []);
  else assertProblem(r, 404);
});

test('a peer leader\'s measurement list holds only their participants\' measurements', async () => {
  const mine = new Set(d.peerParts.map((p) => p.id));
  const all = await s.listAll('peer', '/api/v1/measurements?limit=200');
  assert.ok(all.length > 0);
  assert.ok(all.every((m) => mine.has(m.participant_id)));
  const r = await s.req('GET', `/api/v1/measurements?participant_id=${d.otherPart.id}`, { token: s.tokens.peer });
  if (r.status === 200) assert.deepEqual(r.json.items, []);
  else assertProblem(r, 404);
});

async function contactCount(pid) {
  return (await s.listAll('admin', `/api/v1/contacts?participant_id=${pid}&limit=200`)).length;
}

test('a peer leader may not log a contact for another leader\'s participant', async (t) => {
  const before = await contactCount(d.otherPart.id);
  const r = await s.req('POST', '/api/v1/contacts', {
    token: s.tokens.peer,
    body: contactBody(d.otherPart.id),
  });
  t.diagnostic(`answered ${r.status}`); // out of the peer's scope: 404; 403 is also defensible
  assert.ok([403, 404].includes(r.status), `${r.status} ${r.text}`);
  assertProblem(r, r.status);
  assert.equal(await contactCount(d.otherPart.id), before);
});

test('a peer leader may not log a contact in another leader\'s name (403)', async () => {
  const pid = d.peerParts[0].id;
  const before = await contactCount(pid);
  const r = await s.req('POST', '/api/v1/contacts', {
    token: s.tokens.peer,
    body: contactBody(pid, { peer_leader_id: d.otherLeaderId }),
  });
  assertProblem(r, 403);
  assert.equal(await contactCount(pid), before);
});

test('a peer leader\'s contact is logged under their own peer_leader_id by default', async () => {
  const pid = d.peerParts[0].id;
  const r = await s.req('POST', '/api/v1/contacts', { token: s.tokens.peer, body: contactBody(pid) });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.peer_leader_id, d.leaderId);
  assert.equal(r.json.participant_id, pid);
});

test('a navigator may not log a contact for an out-of-scope participant (404)', async () => {
  const pid = d.peerParts[0].id;
  const before = await contactCount(pid);
  const r = await s.req('POST', '/api/v1/contacts', { token: s.tokens.navigator, body: contactBody(pid, { peer_leader_id: d.leaderId }) });
  assertProblem(r, 404);
  assert.equal(await contactCount(pid), before);
});

// ---- the evaluator's de-identified view -----------------------------------

const IDENTIFIERS = ['given_name', 'family_name', 'phone', 'address', 'mrn', 'program_ident', 'birth_date'];
let evPage, adminPage;

async function evaluatorPages() {
  if (!evPage) {
    evPage = (await s.get200('evaluator', `/api/v1/participants?home_unit_id=${d.shanghai}&limit=50`)).items;
    adminPage = (await s.get200('admin', `/api/v1/participants?home_unit_id=${d.shanghai}&limit=50`)).items;
  }
  return [evPage, adminPage];
}

test('the evaluator\'s participant list carries no names, contact details, MRN, program number or birth date', async () => {
  const [ev] = await evaluatorPages();
  assert.ok(ev.length > 0);
  for (const p of ev)
    for (const f of IDENTIFIERS) assert.ok(!(f in p), `field ${f} present: ${JSON.stringify(p)}`);
});

test('the evaluator sees a pseudonym instead of the participant id', async () => {
  const [ev] = await evaluatorPages();
  for (const p of ev) {
    assert.match(String(p.pseudonym), /^P[0-9A-F]{6,}$/, JSON.stringify(p));
    assert.ok(!('id' in p), `id present: ${JSON.stringify(p)}`);
  }
  assert.equal(new Set(ev.map((p) => p.pseudonym)).size, ev.length, 'pseudonyms are distinct');
});

test('pseudonyms are stable across two calls', async () => {
  const [ev] = await evaluatorPages();
  const again = (await s.get200('evaluator', `/api/v1/participants?home_unit_id=${d.shanghai}&limit=50`)).items;
  assert.deepEqual(again.map((p) => p.pseudonym), ev.map((p) => p.pseudonym));
});

// The evaluator's page and admin's page are the same participants in the
// same (ascending id) order; check that on fields both see.
function aligned(ev, ad) {
  assert.equal(ev.length, ad.length);
  for (let i = 0; i < ev.length; i++) {
    for (const f of ['sex', 'diagnosis_year', 'treatment', 'status', 'risk_tier', 'home_unit_id'])
      if (f in ev[i]) assert.deepEqual(ev[i][f], ad[i][f], `row ${i} field ${f} differs: not the same order?`);
  }
}

test('the evaluator sees the birth year only (90 or older as "90+")', async () => {
  const [ev, ad] = await evaluatorPages();
  aligned(ev, ad);
  const year = new Date().getUTCFullYear();
  for (let i = 0; i < ev.length; i++) {
    if (!ad[i].birth_date) continue;
    const by = Number(ad[i].birth_date.slice(0, 4));
    const age = year - by;
    if (age >= 92) assert.equal(ev[i].birth_year, '90+');
    else if (age <= 88) assert.equal(ev[i].birth_year, by, `row ${i}`);
  }
});

test('the evaluator\'s enrol dates are shifted by at most 30 days', async () => {
  const [ev, ad] = await evaluatorPages();
  aligned(ev, ad);
  const shifts = ev.map((p, i) => dayDiff(ad[i].enrol_date, p.enrol_date));
  for (const x of shifts) assert.ok(Math.abs(x) <= 30, `shift ${x}`);
  assert.ok(new Set(shifts).size > 1, `dates are not shifted per participant: ${shifts}`);
});

test('every date of one participant is shifted by the same offset', async () => {
  const [ev, ad] = await evaluatorPages();
  aligned(ev, ad);
  let compared = 0;
  for (let i = 0; i < ev.length; i++) {
    const shift = dayDiff(ad[i].enrol_date, ev[i].enrol_date);
    for (const f of ['consent_date', 'status_date']) {
      if (ad[i][f] && ev[i][f]) {
        assert.equal(dayDiff(ad[i][f], ev[i][f]), shift, `row ${i} ${f}`);
        compared++;
      } else {
        assert.equal(ev[i][f] ?? null, null, `row ${i} ${f} invented`);
      }
    }
  }
  assert.ok(compared > 0, 'no second date to compare');
});

test('the evaluator pages with opaque cursors: complete, no repeats, no ids in the links', async () => {
  const first = await s.get200('evaluator', '/api/v1/participants?limit=7');
  assert.ok(first.next, 'a full page has a next link');
  const cursor = new URL(first.next, 'http://x').searchParams.get('after');
  assert.match(cursor, /^[0-9a-f]{16}$/, `cursor ${cursor} is not opaque`);
  const adminFirst = await s.get200('admin', `/api/v1/participants?home_unit_id=${d.shanghai}&limit=7`);
  const lastId = adminFirst.items[adminFirst.items.length - 1].id;
  assert.notEqual(cursor, String(lastId), 'the cursor is the id itself');
  // walking the cursors yields the same participants, in the same order, as the identified walk
  const ev = await s.listAll('evaluator', '/api/v1/participants?limit=7');
  // the evaluator's scope is the Shanghai program
  const ad = await s.listAll('admin', `/api/v1/participants?home_unit_id=${d.shanghai}&limit=200`);
  assert.equal(ev.length, ad.length, 'the cursor walk is complete');
  assert.equal(new Set(ev.map((p) => p.pseudonym)).size, ev.length, 'no participant twice');
  for (let i = 0; i < ev.length; i += 97) assert.equal(ev[i].sex, ad[i].sex, `row ${i} out of order`);
  // a made-up or an id-style cursor is refused, not taken as an id
  for (const bad of ['1234', 'zzzzzzzzzzzzzzzz', '00000000000000000']) {
    const r = await s.req('GET', `/api/v1/participants?after=${bad}`, { token: s.tokens.evaluator });
    assert.equal(r.status, 400, `after=${bad}: ${r.text}`);
  }
});

test('the evaluator\'s measurement list uses the pseudonym, not the participant id', async () => {
  const all = await s.listAll('evaluator', '/api/v1/participants?limit=200');
  const pseudonyms = new Set(all.map((p) => p.pseudonym));
  const m = (await s.get200('evaluator', '/api/v1/measurements?limit=50')).items;
  assert.ok(m.length > 0);
  for (const x of m) {
    assert.ok(!('participant_id' in x), `participant_id present: ${JSON.stringify(x)}`);
    assert.ok(pseudonyms.has(x.pseudonym), `unknown pseudonym: ${JSON.stringify(x)}`);
  }
});

test('the evaluator\'s measurement times carry the participant\'s date shift', async () => {
  const [ev, ad] = await evaluatorPages();
  aligned(ev, ad);
  const shift = dayDiff(ad[0].enrol_date, ev[0].enrol_date);
  const mine = (await s.get200('evaluator', '/api/v1/measurements?limit=200')).items
    .filter((m) => m.pseudonym === ev[0].pseudonym);
  const truth = await s.listAll('admin', `/api/v1/measurements?participant_id=${ad[0].id}&limit=200`);
  assert.ok(mine.length > 0 && mine.length <= truth.length, `${mine.length} of ${truth.length}`);
  for (let j = 0; j < mine.length; j++) {
    assert.equal(mine[j].code, truth[j].code, `measurement ${j}: not the same order`);
    const days = (Date.parse(mine[j].effective_at) - Date.parse(truth[j].effective_at)) / 86400000;
    assert.equal(days, shift, `measurement ${j}: ${truth[j].effective_at} -> ${mine[j].effective_at}`);
  }
});

test('the evaluator\'s contact list carries pseudonyms and no free-text notes', async () => {
  const c = (await s.get200('evaluator', '/api/v1/contacts?limit=50')).items;
  assert.ok(c.length > 0);
  for (const x of c) {
    assert.ok(!('participant_id' in x), `participant_id present: ${JSON.stringify(x)}`);
    assert.ok(!('note' in x), `note present: ${JSON.stringify(x)}`);
    assert.match(String(x.pseudonym), /^P[0-9A-F]{6,}$/, JSON.stringify(x));
  }
});

test('the evaluator may not filter by participant id (no linking ids to pseudonyms)', async () => {
  const r = await s.req('GET', `/api/v1/measurements?participant_id=${d.peerParts[0].id}`, { token: s.tokens.evaluator });
  assert.ok(r.status === 400 || (r.status === 200 && r.json.items.length === 0), `${r.status} ${r.text.slice(0, 300)}`);
});

test('SIGTERM stops the server cleanly (exit 0)', async () => {
  const r = await s.stop();
  assert.deepEqual(r, { code: 0, signal: null }, s.stderr);
});
