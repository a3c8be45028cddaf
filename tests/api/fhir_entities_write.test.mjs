// fhir_entities_write.test.mjs - FHIR create and update of Organization (org
// units), Practitioner / PractitionerRole (staff accounts) and Group (groups
// with dated memberships), docs/FHIR.md "Writing Organization, Practitioner
// and Group". Each write runs the JSON API's own step, so what is checked here
// is what a user of either API sees: a created resource reads back equal, a
// stale If-Match is 412 and changes nothing, a Group's member list becomes
// dated joins and ends in the JSON API's roster, a Practitioner cannot log in
// until an admin sets its password, non-admin / out-of-scope writes are
// refused, and a bad field is named by its FHIR path. Every body the server
// returns is checked against the FHIR R4 JSON schema; fhir-kit-client is the
// client for the happy paths.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from 'fhir-kit-client';

import { setup, discover, isoDate } from './helpers.mjs';
import { installValidator, assertAllValid, uninstall } from './fhir_validate.mjs';
import { FHIR, fhirRequest, assertOutcome } from './fhir_helpers.mjs';

const CS = 'http://peerlink.example/fhir/CodeSystem/';
const LEADER_EXT = 'http://peerlink.example/fhir/StructureDefinition/group-peer-leader';

let s, d;
before(async () => {
  installValidator();
  s = await setup();
  d = await discover(s);
});
after(async () => {
  await s?.stop();
  uninstall();
});

const fhir = (method, path, who, body, headers) => fhirRequest(s, method, path, who, body, headers);

async function ok(path, who) {
  const r = await fhir('GET', path, who);
  assert.equal(r.status, 200, `${path}: ${r.text}`);
  return r.json;
}

const kit = (who) => new Client({ baseUrl: `${s.url}/fhir`, bearerToken: s.tokens[who] });
const today = () => isoDate(new Date());

const organization = (extra = {}) => ({
  resourceType: 'Organization',
  identifier: [{ system: 'urn:peerlink:org-unit-code', value: 'FH-01' }],
  active: true,
  type: [{ coding: [{ system: `${CS}org-unit-kind`, code: 'practice' }] }],
  name: 'Fhir Street Practice',
  partOf: { reference: `Organization/${d.site}` },
  ...extra,
});

test('metadata: Organization, Practitioner, PractitionerRole and Group are created and updated', async () => {
  const cap = await ok('/fhir/metadata', 'admin');
  const by = Object.fromEntries(cap.rest[0].resource.map((r) => [r.type, r]));
  for (const t of ['Organization', 'Practitioner', 'PractitionerRole', 'Group']) {
    assert.deepEqual(by[t].interaction.map((i) => i.code).sort(),
      ['create', 'read', 'search-type', 'update', 'vread'], t);
    assert.equal(by[t].versioning, 'versioned-update', t);
  }
});

test('Organization: create reads back equal, If-Match 412 changes nothing, the hierarchy rules hold', async () => {
  const client = kit('manager');
  const created = await client.create({ resourceType: 'Organization', body: organization() });
  assert.equal(created.meta.versionId, '1');
  const id = created.id;
  const read = await client.read({ resourceType: 'Organization', id });
  for (const k of ['identifier', 'type', 'name', 'partOf', 'active'])
    assert.deepEqual(read[k], organization()[k], k);
  const unit = await s.get200('admin', `/api/v1/org-units/${id}`);
  assert.equal(unit.name, 'Fhir Street Practice');
  assert.equal(unit.code, 'FH-01');
  assert.equal(unit.parent_id, d.site);

  // rename under If-Match; the old version is then stale
  const renamed = await client.update({
    resourceType: 'Organization', id,
    body: { ...organization({ name: 'Fhir Road Practice' }), id },
    options: { headers: { 'If-Match': 'W/"1"' } },
  });
  assert.equal(renamed.meta.versionId, '2');
  const stale = await fhir('PUT', `/fhir/Organization/${id}`, 'manager',
    { ...organization({ name: 'Lost Update' }), id }, { 'If-Match': 'W/"1"' });
  assertOutcome(stale, 412, /changed since you read it/);
  assert.equal((await ok(`/fhir/Organization/${id}`, 'manager')).name, 'Fhir Road Practice');

  // a practice does not become a program; bad codes and out-of-program parents are named
  assertOutcome(await fhir('PUT', `/fhir/Organization/${id}`, 'manager', {
    ...organization({ type: [{ coding: [{ system: `${CS}org-unit-kind`, code: 'program' }] }] }), id,
  }), 422, /type.*no unit becomes or stops being one/);
  assertOutcome(await fhir('POST', '/fhir/Organization', 'manager',
    organization({ type: [{ coding: [{ system: `${CS}org-unit-kind`, code: 'castle' }] }] })),
  422, /type .*org-unit-kind.*castle/);
  assertOutcome(await fhir('PUT', `/fhir/Organization/${id}`, 'admin',
    { ...organization({ partOf: { reference: `Organization/${d.misalud}` } }), id }),
  422, /partOf .*same program/);
  assertOutcome(await fhir('PUT', `/fhir/Organization/${id}`, 'manager',
    { ...organization({ partOf: { reference: `Organization/${id}` } }), id }),
  422, /partOf .*not be the unit itself/);
  assertOutcome(await fhir('POST', '/fhir/Organization', 'manager', organization({ name: undefined })),
    422, /^name is required/m);
  const after = await ok(`/fhir/Organization/${id}`, 'manager');
  assert.equal(after.meta.versionId, '2', 'the refused writes changed nothing');

  // a move within the program: the clinician's scope (the community) no longer holds it
  assert.equal((await fhir('GET', `/fhir/Organization/${id}`, 'clinician')).status, 200);
  const moved = await fhir('PUT', `/fhir/Organization/${id}`, 'manager',
    { ...organization({ name: 'Fhir Road Practice', partOf: { reference: `Organization/${d.shanghai}` } }), id },
    { 'If-Match': 'W/"2"' });
  assert.equal(moved.status, 200, moved.text);
  assert.equal(moved.json.partOf.reference, `Organization/${d.shanghai}`);
  assert.equal((await fhir('GET', `/fhir/Organization/${id}`, 'clinician')).status, 404);
  const kids = (await ok(`/fhir/Organization?partof=${d.shanghai}&_count=500`, 'manager')).entry;
  assert.ok(kids.some((e) => e.resource.id === id), 'partof finds it under its new parent');

  // who may write: managers (as POST /api/v1/org-units); a peer leader may not
  assert.equal((await fhir('POST', '/fhir/Organization', 'peer', organization())).status, 403);
  assert.equal((await fhir('PUT', `/fhir/Organization/${id}`, 'clinician',
    { ...organization(), id })).status, 403);
  assertAllValid(10);
});

async function tryLogin(username, password) {
  return s.req('POST', '/api/v1/login', { body: { username, password } });
}

test('Practitioner: created without a password, given a role by PractitionerRole, logs in once an admin sets one', async () => {
  const admin = kit('admin');
  const body = {
    resourceType: 'Practitioner',
    identifier: [{ system: 'urn:peerlink:staff-account', value: 'fhir.nurse' }],
    active: true,
    name: [{ text: 'Nurse Fhir' }],
  };
  const created = await admin.create({ resourceType: 'Practitioner', body });
  const id = created.id;
  assert.equal(created.active, false, 'inactive until a PractitionerRole gives it a role');
  const read = await admin.read({ resourceType: 'Practitioner', id });
  assert.deepEqual(read.identifier, body.identifier);
  assert.deepEqual(read.name, body.name);
  // (failed sign-ins are throttled after a few: two tries here, one more below)
  assert.equal((await tryLogin('fhir.nurse', '!unset: no password yet')).status, 401);

  // the role and scope come from PractitionerRole, through PATCH /api/v1/staff's step
  const roleBody = {
    resourceType: 'PractitionerRole',
    active: true,
    practitioner: { reference: `Practitioner/${id}` },
    organization: { reference: `Organization/${d.site}` },
    code: [{ coding: [{ system: `${CS}staff-role`, code: 'navigator' }] }],
  };
  const role = await admin.create({ resourceType: 'PractitionerRole', body: roleBody });
  assert.equal(role.id, id);
  const roleRead = await admin.read({ resourceType: 'PractitionerRole', id });
  for (const k of ['active', 'practitioner', 'organization', 'code'])
    assert.deepEqual(roleRead[k], roleBody[k], k);
  const account = await s.get200('admin', `/api/v1/staff/${id}`);
  assert.equal(account.role, 'navigator');
  assert.equal(account.scope_unit_id, d.site);
  assert.equal(account.disabled, false);
  assert.notEqual((await tryLogin('fhir.nurse', 'correct horse battery staple')).status, 200,
    'no login before a password is set');

  const set = await s.req('POST', `/api/v1/staff/${id}/password`,
    { token: s.tokens.admin, body: { password: 'correct horse battery staple' } });
  assert.equal(set.status, 200, set.text);
  const login = await tryLogin('fhir.nurse', 'correct horse battery staple');
  assert.equal(login.status, 200, login.text);
  const me = await s.get200(login.json.token, '/api/v1/me');
  assert.equal(me.role, 'navigator');

  // stale If-Match on the role: 412, the role stays
  const v = roleRead.meta.versionId;
  const stale = await fhir('PUT', `/fhir/PractitionerRole/${id}`, 'admin',
    { ...roleBody, id, code: [{ coding: [{ system: `${CS}staff-role`, code: 'clinician' }] }] },
    { 'If-Match': `W/"${Number(v) - 1}"` });
  assertOutcome(stale, 412, /changed since you read it/);
  assert.equal((await s.get200('admin', `/api/v1/staff/${id}`)).role, 'navigator');
  const promoted = await fhir('PUT', `/fhir/PractitionerRole/${id}`, 'admin',
    { ...roleBody, id, code: [{ coding: [{ system: `${CS}staff-role`, code: 'clinician' }] }] },
    { 'If-Match': `W/"${(await s.req('GET', `/api/v1/staff/${id}`, { token: s.tokens.admin })).json.version}"` });
  assert.equal(promoted.status, 200, promoted.text);
  assert.equal((await s.get200('admin', `/api/v1/staff/${id}`)).role, 'clinician');

  // bad fields are named by their FHIR path; nothing changes
  assertOutcome(await fhir('PUT', `/fhir/PractitionerRole/${id}`, 'admin',
    { ...roleBody, id, code: [{ coding: [{ system: `${CS}staff-role`, code: 'wizard' }] }] }),
  422, /^code must hold a coding/m);
  assertOutcome(await fhir('PUT', `/fhir/PractitionerRole/${id}`, 'admin',
    { ...roleBody, id, organization: undefined }), 422, /^organization is required/m);
  assertOutcome(await fhir('POST', '/fhir/Practitioner', 'admin',
    { ...body, identifier: [{ system: 'urn:peerlink:staff-account', value: 'No Capitals' }] }),
  422, /^identifier must be 3-64 characters/m);
  assertOutcome(await fhir('PUT', `/fhir/Practitioner/${id}`, 'admin',
    { ...body, id, identifier: [{ system: 'urn:peerlink:staff-account', value: 'renamed' }] }),
  422, /^identifier a username does not change/m);
  assert.equal((await s.get200('admin', `/api/v1/staff/${id}`)).role, 'clinician');

  // PUT Practitioner: the name changes; active false turns it off and ends its sessions
  const renamed = await admin.update({ resourceType: 'Practitioner', id,
    body: { ...body, id, name: [{ text: 'Head Nurse Fhir' }] } });
  assert.deepEqual(renamed.name, [{ text: 'Head Nurse Fhir' }]);
  const off = await fhir('PUT', `/fhir/Practitioner/${id}`, 'admin', { ...body, id, active: false });
  assert.equal(off.status, 200, off.text);
  assert.equal((await s.req('GET', '/api/v1/me', { token: login.json.token })).status, 401);
  assert.notEqual((await tryLogin('fhir.nurse', 'correct horse battery staple')).status, 200);
  assertOutcome(await fhir('PUT', `/fhir/Practitioner/${id}`, 'admin', { ...body, id, active: true }),
    422, /^active turning an account on is its PractitionerRole's/m);
  // a role written without active leaves the account off: fixing the scope of a departed
  // worker's account must not let the old password in again
  const { active: _, ...roleNoActive } = roleBody;
  const rescoped = await fhir('PUT', `/fhir/PractitionerRole/${id}`, 'admin', { ...roleNoActive, id });
  assert.equal(rescoped.status, 200, rescoped.text);
  assert.equal((await s.get200('admin', `/api/v1/staff/${id}`)).disabled, true);
  assert.notEqual((await tryLogin('fhir.nurse', 'correct horse battery staple')).status, 200);

  // admins only; usernames stay theirs
  assert.equal((await fhir('POST', '/fhir/Practitioner', 'manager', body)).status, 403);
  assert.equal((await fhir('PUT', `/fhir/PractitionerRole/${id}`, 'manager', roleBody)).status, 403);
  assert.equal((await ok(`/fhir/Practitioner/${id}`, 'manager')).identifier, undefined);
  const dup = await fhir('POST', '/fhir/Practitioner', 'admin', body);
  assert.ok(dup.status === 409 || dup.status === 422, dup.text);
  assertAllValid(10);
});

const members = async (gid) =>
  s.listAll('admin', `/api/v1/groups/${gid}/members?limit=200`);

test('Group: a create takes a person\'s past and current memberships in any order', async () => {
  const p = d.peerParts.filter((x) => x.status === 'enrolled').at(-1);
  const day = (n) => isoDate(new Date(Date.parse(p.enrol_date) + n * 86400000));
  const body = {
    resourceType: 'Group', type: 'person', actual: true, active: true, name: 'Fhir History Circle',
    extension: [{ url: LEADER_EXT, valueReference: { reference: `Practitioner/${s.me.peer.id}` } }],
    code: { coding: [{ system: `${CS}group-kind`, code: 'csmg' }] },
    managingEntity: { reference: `Organization/${d.site}` },
    // the current membership first, then the two past ones newest first
    member: [
      { entity: { reference: `Patient/${p.id}` }, period: { start: day(3) } },
      { entity: { reference: `Patient/${p.id}` }, period: { start: day(1), end: day(2) }, inactive: true },
      { entity: { reference: `Patient/${p.id}` }, period: { start: day(0), end: day(0) }, inactive: true },
    ],
  };
  const r = await fhir('POST', '/fhir/Group', 'manager', body);
  assert.equal(r.status, 201, r.text);
  const roster = (await members(r.json.id)).map((m) => [m.joined_on, m.left_on]);
  assert.deepEqual(roster, [[day(0), day(0)], [day(1), day(2)], [day(3), null]]);
});

test('Group: created with members, a PUT that adds one and drops another becomes a dated join and end', async () => {
  const client = kit('manager');
  const enrolled = d.peerParts.filter((p) => p.status === 'enrolled');
  assert.ok(enrolled.length >= 3, 'three enrolled participants of the peer leader');
  const [p1, p2, p3] = enrolled;
  const group = (extra = {}) => ({
    resourceType: 'Group',
    extension: [{ url: LEADER_EXT, valueReference: { reference: `Practitioner/${s.me.peer.id}` } }],
    active: true,
    type: 'person',
    actual: true,
    code: { coding: [{ system: `${CS}group-kind`, code: 'csmg' }] },
    name: 'Fhir Tuesday Circle',
    managingEntity: { reference: `Organization/${d.site}` },
    member: [{ entity: { reference: `Patient/${p1.id}` }, period: { start: today() } }],
    ...extra,
  });
  const created = await client.create({ resourceType: 'Group', body: group() });
  const gid = created.id;
  const read = await client.read({ resourceType: 'Group', id: gid });
  for (const k of ['extension', 'active', 'type', 'actual', 'code', 'name', 'managingEntity'])
    assert.deepEqual(read[k], group()[k], k);
  assert.deepEqual(read.member.map((m) => [m.entity.reference, m.period.start, m.inactive]),
    [[`Patient/${p1.id}`, today(), false]]);
  const g = await s.get200('admin', `/api/v1/groups/${gid}`);
  assert.equal(g.peer_leader_id, d.leaderId);
  assert.equal(g.kind, 'csmg');

  // PUT: p2 joins, p1 is left out -> p1's membership ends today and is kept
  const v1 = read.meta.versionId;
  const put = await client.update({
    resourceType: 'Group', id: gid,
    body: { ...group({ member: [{ entity: { reference: `Patient/${p2.id}` } }] }), id: gid },
    options: { headers: { 'If-Match': `W/"${v1}"` } },
  });
  assert.ok(Number(put.meta.versionId) > Number(v1), 'the PUT makes a new version');
  const roster = await members(gid);
  const r1 = roster.find((m) => m.participant_id === p1.id);
  const r2 = roster.find((m) => m.participant_id === p2.id);
  assert.equal(r1.joined_on, today());
  assert.equal(r1.left_on, today(), 'the dropped member has a dated end');
  assert.equal(r2.joined_on, today());
  assert.equal(r2.left_on, null);
  const current = await s.listAll('admin', `/api/v1/groups/${gid}/members?current=true&limit=200`);
  assert.deepEqual(current.map((m) => m.participant_id), [p2.id]);
  const fg = await ok(`/fhir/Group/${gid}`, 'manager');
  assert.deepEqual(fg.member.map((m) => [m.entity.reference, m.inactive, m.period.end]).sort(),
    [[`Patient/${p1.id}`, true, today()], [`Patient/${p2.id}`, false, undefined]].sort());

  // PUT with the read's list back and one member marked inactive: that one ends
  const marked = fg.member.map((m) => (m.entity.reference === `Patient/${p2.id}` ? { ...m, inactive: true } : m));
  const reads = async () => (await s.listAll('admin',
    `/api/v1/audit?entity=participant&participant_id=${p3.id}&account_id=${s.me.manager.id}&limit=200`))
    .filter((e) => e.action === 'read').length;
  const readsBefore = await reads();
  const ended = await fhir('PUT', `/fhir/Group/${gid}`, 'manager',
    { ...group({ member: [...marked, { entity: { reference: `Patient/${p3.id}` } }] }), id: gid },
    { 'If-Match': `W/"${fg.meta.versionId}"` });
  assert.equal(ended.status, 200, ended.text);
  assert.ok(await reads() > readsBefore, 'the answer shows p3: audited as a read');
  const roster2 = await members(gid);
  assert.equal(roster2.length, 3, 'ended memberships are kept, never deleted');
  assert.equal(roster2.find((m) => m.participant_id === p2.id).left_on, today());
  assert.equal(roster2.find((m) => m.participant_id === p3.id).left_on, null);

  // stale If-Match: 412 and nothing changed
  const stale = await fhir('PUT', `/fhir/Group/${gid}`, 'manager',
    { ...group({ name: 'Renamed', member: [] }), id: gid }, { 'If-Match': `W/"${v1}"` });
  assertOutcome(stale, 412, /changed since you read it/);
  assert.deepEqual(await members(gid), roster2);
  assert.equal((await s.get200('admin', `/api/v1/groups/${gid}`)).name, 'Fhir Tuesday Circle');

  // a member added through the JSON API makes a new version: a PUT of the list read before it
  // is stale, so it cannot end that membership unseen (a lost update)
  const seen = await ok(`/fhir/Group/${gid}`, 'manager');
  const joined = await s.req('POST', `/api/v1/groups/${gid}/members`, {
    token: s.tokens.manager, body: { participant_id: p1.id, joined_on: today() },
  });
  assert.equal(joined.status, 201, joined.text);
  const lost = await fhir('PUT', `/fhir/Group/${gid}`, 'manager', { ...seen, meta: undefined },
    { 'If-Match': `W/"${seen.meta.versionId}"` });
  assertOutcome(lost, 412, /changed since you read it/);
  const back = (await members(gid)).find((m) => m.participant_id === p1.id && m.left_on === null);
  assert.ok(back, 'the member added meanwhile is still in the group');
  const end = await s.req('POST', `/api/v1/groups/${gid}/members/${back.id}/end`, {
    token: s.tokens.manager, body: { left_on: today() },
  });
  assert.equal(end.status, 200, end.text);
  const roster3 = await members(gid);
  roster2.splice(0, roster2.length, ...roster3);

  // a failed write changes nothing: a rename, an end and a join before p1's enrolment
  const now = await ok(`/fhir/Group/${gid}`, 'manager');
  const bad = await fhir('PUT', `/fhir/Group/${gid}`, 'manager', {
    ...group({ name: 'Half Written', member: [{ entity: { reference: `Patient/${p1.id}` },
      period: { start: '1990-01-01' } }] }), id: gid,
  });
  assertOutcome(bad, 422, /member\[0\]\.period\.start/);
  assert.deepEqual(await members(gid), roster2);
  const still = await ok(`/fhir/Group/${gid}`, 'manager');
  assert.equal(still.name, 'Fhir Tuesday Circle');
  assert.equal(still.meta.versionId, now.meta.versionId);

  // scope: a Patient outside the caller's scope is named; evaluators and peer leaders may not write
  assertOutcome(await fhir('PUT', `/fhir/Group/${gid}`, 'manager', {
    ...group({ member: [{ entity: { reference: `Patient/${d.msPart.id}` } }] }), id: gid,
  }), 422, /member\[0\]\.entity names no Patient in your scope/);
  assertOutcome(await fhir('POST', '/fhir/Group', 'manager', group({ code: undefined })),
    422, /^code must hold a coding/m);
  assertOutcome(await fhir('POST', '/fhir/Group', 'manager',
    group({ member: [{ entity: { reference: 'Practitioner/1' } }] })),
  422, /member\[0\]\.entity\.reference must be Patient\/id/);
  assert.equal((await fhir('POST', '/fhir/Group', 'peer', group())).status, 403);
  assert.equal((await fhir('PUT', `/fhir/Group/${gid}`, 'evaluator', { ...group(), id: gid })).status, 403);
  assert.equal((await fhir('PUT', '/fhir/Group/999999', 'manager', { ...group(), id: '999999' })).status, 404);
  assert.deepEqual(await members(gid), roster2);
  assertAllValid(10);
});
