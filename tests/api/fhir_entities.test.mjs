// fhir_entities.test.mjs - the FHIR resources for people, places, groups and
// contacts (docs/FHIR.md, "Encounters, people, places and groups"):
// Practitioner / PractitionerRole from staff accounts, Organization from org
// units, Group from groups with their members, and Encounter from contacts:
// read, search with paging, scope, and Encounter create / update (If-Match) /
// delete (410 Gone). Every body the server returns is checked against the
// FHIR R4 JSON schema (fhir_validate.mjs); fhir-kit-client is the client.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from 'fhir-kit-client';

import { setup, discover, instantAgo } from './helpers.mjs';
import { installValidator, assertAllValid, uninstall } from './fhir_validate.mjs';
import { FHIR, fhirRequest, assertOutcome } from './fhir_helpers.mjs';

const KF = 'http://peerlink.example/fhir/CodeSystem/key-function';
const ROLE = 'http://peerlink.example/fhir/CodeSystem/staff-role';

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

// Every resource of a search, following the next links.
async function all(path, who) {
  const out = [];
  let url = path;
  for (let page = 0; url && page < 100; page++) {
    const b = await ok(url, who);
    assert.equal(b.type, 'searchset');
    out.push(...(b.entry || []).map((e) => e.resource));
    const next = b.link.find((l) => l.relation === 'next');
    url = next ? next.url.slice(new URL(next.url).origin.length) : null;
  }
  return out;
}

const openFollowUps = (pid) =>
  s.listAll('admin', `/api/v1/tasks?participant_id=${pid}&kind=follow_up&status=open&limit=200`);

const encounter = (pid, extra = {}) => ({
  resourceType: 'Encounter',
  status: 'finished',
  class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'HH' },
  type: [
    { coding: [{ system: KF, code: 'daily_management' }] },
    { coding: [{ system: KF, code: 'linkage' }] },
  ],
  subject: { reference: `Patient/${pid}` },
  period: { start: instantAgo(90).replace(/\.\d+Z$/, 'Z') },
  length: { value: 25, unit: 'min', system: 'http://unitsofmeasure.org', code: 'min' },
  reasonCode: [{ coding: [{ system: 'http://peerlink.example/fhir/CodeSystem/contact-topic',
    code: 'taking_medication' }] }],
  ...extra,
});

test('metadata tells the truth: Encounter is written and deleted, the others written too', async () => {
  const cap = await ok('/fhir/metadata', 'manager');
  const by = Object.fromEntries(cap.rest[0].resource.map((r) => [r.type, r]));
  const codes = (t) => by[t].interaction.map((i) => i.code).sort();
  assert.deepEqual(codes('Encounter'), ['create', 'delete', 'read', 'search-type', 'update', 'vread']);
  for (const t of ['Organization', 'Practitioner', 'PractitionerRole', 'Group'])
    assert.deepEqual(codes(t), ['create', 'read', 'search-type', 'update', 'vread'], t);
  assert.deepEqual(by.Encounter.searchInclude, ['Encounter:patient']);
});

test('Practitioner and PractitionerRole: staff accounts with their role and unit, no secrets', async () => {
  const client = kit('manager');
  const peer = s.me.peer;
  const p = await client.read({ resourceType: 'Practitioner', id: String(peer.id) });
  assert.equal(p.resourceType, 'Practitioner');
  assert.equal(p.identifier, undefined, 'a username (half a login) is shown to admins only');
  const asAdmin = await kit('admin').read({ resourceType: 'Practitioner', id: String(peer.id) });
  assert.deepEqual(asAdmin.identifier, [{ system: 'urn:peerlink:staff-account', value: 'peer' }]);
  assert.equal(p.active, true);
  const role = await client.read({ resourceType: 'PractitionerRole', id: String(peer.id) });
  assert.equal(role.practitioner.reference, `Practitioner/${peer.id}`);
  assert.equal(role.organization.reference, `Organization/${peer.scope_unit_id}`);
  assert.deepEqual(role.code[0].coding[0], { system: ROLE, code: 'peer_leader' });

  assertOutcome(await fhir('GET', '/fhir/Practitioner?identifier=peer', 'manager'), 403, /admins only/);
  const byIdent = await kit('admin').search({ resourceType: 'Practitioner',
    searchParams: { identifier: 'urn:peerlink:staff-account|peer' } });
  assert.deepEqual(byIdent.entry.map((e) => e.resource.id), [String(peer.id)]);
  const name = (peer.display_name || 'peer').split(' ')[0];
  const byName = await all(`/fhir/Practitioner?name=${encodeURIComponent(name.toLowerCase())}`, 'manager');
  assert.ok(byName.some((x) => x.id === String(peer.id)), 'name search finds the peer leader');

  // paging: the manager's staff two at a time equal the staff in one page
  const paged = await all('/fhir/PractitionerRole?_count=2', 'manager');
  const whole = await all('/fhir/PractitionerRole?_count=1000', 'manager');
  assert.ok(whole.length > 2, 'the demo program has more than two staff');
  assert.deepEqual(paged.map((x) => x.id), whole.map((x) => x.id));
  for (const r of whole) assert.notEqual(r.organization, undefined, 'a scoped account only');

  const text = JSON.stringify(await all('/fhir/Practitioner?_count=1000', 'admin'));
  assert.doesNotMatch(text, /argon|\$2[aby]\$|password|token/i);

  // the peer-leader listing rule: peer leaders and evaluators may not list staff
  assert.equal((await fhir('GET', '/fhir/Practitioner', 'peer')).status, 403);
  assert.equal((await fhir('GET', '/fhir/PractitionerRole', 'evaluator')).status, 403);
  // the Mi Salud navigator does not see Shanghai's accounts
  assertOutcome(await fhir('GET', `/fhir/Practitioner/${peer.id}`, 'navigator'), 404, /not known/);
  // never deleted (an account is turned off); a create without a username names the field
  assert.equal((await fhir('DELETE', `/fhir/Practitioner/${peer.id}`, 'admin')).status, 405);
  assertOutcome(await fhir('POST', '/fhir/Practitioner', 'admin', { resourceType: 'Practitioner' }),
    422, /^identifier is required/m);
});

test('Organization: org units with their kind and parent, searched by partof and name, scoped', async () => {
  const client = kit('manager');
  const prog = await client.read({ resourceType: 'Organization', id: String(d.shanghai) });
  assert.equal(prog.type[0].coding[0].system, 'http://peerlink.example/fhir/CodeSystem/org-unit-kind');
  const kids = await all(`/fhir/Organization?partof=Organization/${d.shanghai}&_count=2`, 'manager');
  assert.ok(kids.length > 0, 'the program has units below it');
  for (const k of kids) assert.equal(k.partOf.reference, `Organization/${d.shanghai}`);
  const site = await ok(`/fhir/Organization/${d.site}`, 'clinician');
  assert.ok(site.partOf, 'a community has a parent');
  const word = site.name.split(' ')[0];
  const named = await all(`/fhir/Organization?name=${encodeURIComponent(word.toUpperCase())}`, 'manager');
  assert.ok(named.some((o) => o.id === String(d.site)), `name=${word} finds ${site.name}`);
  const r = await fhir('GET', `/fhir/Organization/${d.site}/_history/${site.meta.versionId}`, 'manager');
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('etag'), `W/"${site.meta.versionId}"`);
  assertOutcome(await fhir('GET', `/fhir/Organization/${d.shanghai}`, 'navigator'), 404, /not known/);
  assertOutcome(await fhir('GET', '/fhir/Organization?name=50%25', 'manager'), 400, /name=50%/);
});

test('Group: a group with its members as Patients, ended memberships inactive; member search', async () => {
  const groups = await s.listAll('admin', '/api/v1/groups?limit=200');
  assert.ok(groups.length > 0, 'the demo has groups');
  let g = null, members = [];
  for (const x of groups) {
    members = await s.listAll('admin', `/api/v1/groups/${x.id}/members?limit=200`);
    if (members.length) { g = x; break; }
  }
  assert.ok(g, 'a group with members');
  const fg = await ok(`/fhir/Group/${g.id}`, 'admin');
  assert.equal(fg.name, g.name);
  assert.equal(fg.type, 'person');
  assert.equal(fg.member.length, members.length);
  for (const m of members) {
    const fm = fg.member.find((x) => x.entity.reference === `Patient/${m.participant_id}` &&
      x.period.start === m.joined_on);
    assert.ok(fm, `member ${m.participant_id}`);
    assert.equal(fm.inactive, Boolean(m.left_on));
    assert.equal(fm.period.end, m.left_on ?? undefined);
  }
  const found = await all(`/fhir/Group?member=Patient/${members[0].participant_id}`, 'admin');
  assert.ok(found.some((x) => x.id === String(g.id)));
  assert.deepEqual(await all('/fhir/Group?member=Patient/999999999', 'admin'), []);
  const page = await all('/fhir/Group?_count=1', 'manager');
  assert.deepEqual(page.map((x) => x.id), (await all('/fhir/Group?_count=500', 'manager')).map((x) => x.id));
  assert.equal((await fhir('GET', `/fhir/Group/${g.id}`, 'evaluator')).status, 403);
});

test('Encounter: a peer leader reads and searches only his own participants\' contacts', async () => {
  const own = new Set(d.peerParts.map((p) => `Patient/${p.id}`));
  const mine = await all('/fhir/Encounter?_count=50', 'peer');
  assert.ok(mine.length > 0, 'the demo peer leader has contacts');
  for (const e of mine) assert.ok(own.has(e.subject.reference), e.subject.reference);
  const other = (await s.get200('admin', `/api/v1/contacts?participant_id=${d.otherPart.id}&limit=1`)).items[0];
  assert.ok(other, 'the other leader\'s participant has a contact');
  assertOutcome(await fhir('GET', `/fhir/Encounter/${other.id}`, 'peer'), 404, /Encounter\/\d+ is not known/);
  const read = await ok(`/fhir/Encounter/${other.id}`, 'clinician');
  assert.equal(read.subject.reference, `Patient/${d.otherPart.id}`);
  assert.equal(read.length.value, other.minutes);
  assert.equal(read.period.start, other.occurred_at);
  assert.deepEqual(read.type.map((t) => t.coding[0].code).sort(), [...other.key_functions].sort());
  assert.deepEqual(await all(`/fhir/Encounter?patient=${d.otherPart.id}`, 'peer'), []);
});

test('Encounter search: patient, type (OR), date, _sort=-date, _include and paging', async () => {
  const p = d.peerParts[0];
  const list = await s.listAll('admin', `/api/v1/contacts?participant_id=${p.id}&limit=200`);
  const encs = await all(`/fhir/Encounter?patient=Patient/${p.id}&_sort=-date&_count=2`, 'peer');
  assert.equal(encs.length, list.length);
  for (let i = 1; i < encs.length; i++) assert.ok(encs[i - 1].period.start >= encs[i].period.start);
  const linkage = await all(`/fhir/Encounter?subject=${p.id}&type=${encodeURIComponent(`${KF}|linkage`)}`, 'peer');
  assert.equal(linkage.length, list.filter((c) => c.key_functions.includes('linkage')).length);
  const either = await all(`/fhir/Encounter?subject=${p.id}&type=linkage,ongoing`, 'peer');
  assert.equal(either.length, list.filter((c) => c.key_functions.some((k) => k === 'linkage' || k === 'ongoing')).length);
  const cut = list[Math.floor(list.length / 2)].occurred_at;
  const since = await all(`/fhir/Encounter?patient=${p.id}&date=ge${cut}`, 'peer');
  assert.equal(since.length, list.filter((c) => c.occurred_at >= cut).length);
  const before = await all(`/fhir/Encounter?patient=${p.id}&date=lt${cut}`, 'peer');
  assert.equal(before.length + since.length, list.length);
  const inc = await ok(`/fhir/Encounter?patient=${p.id}&_include=Encounter:patient&_count=3`, 'peer');
  assert.deepEqual(inc.entry.filter((e) => e.search.mode === 'include').map((e) => e.resource.id), [String(p.id)]);
  assertOutcome(await fhir('GET', '/fhir/Encounter?type=flying', 'peer'), 400, /type=flying/);
  assertOutcome(await fhir('GET', '/fhir/Encounter?colour=red', 'peer'), 400, /colour/);
});

test('Encounter create moves the follow-up task, reads back the same, updates under If-Match, deletes to 410', async () => {
  const p = d.peerParts.find((x) => x.status === 'enrolled');
  const [before] = await openFollowUps(p.id);
  const client = kit('peer');
  const body = encounter(p.id);
  const created = await client.create({ resourceType: 'Encounter', body });
  assert.equal(created.meta.versionId, '1');
  const id = created.id;
  const closed = await s.get200('admin', `/api/v1/tasks/${before.id}`);
  assert.equal(closed.status, 'done');
  assert.equal(closed.closed_contact_id, Number(id));
  const [next] = await openFollowUps(p.id);
  assert.notEqual(next.id, before.id);

  // the round trip: key functions, times, mode and topics as written
  const read = await client.read({ resourceType: 'Encounter', id });
  assert.deepEqual(read.type.map((t) => t.coding[0]), body.type.map((t) => t.coding[0]));
  assert.equal(read.period.start, body.period.start);
  assert.equal(read.length.value, 25);
  assert.equal(read.class.code, 'HH');
  assert.equal(read.reasonCode[0].coding[0].code, 'taking_medication');
  assert.equal(read.participant[0].individual.reference, `Practitioner/${s.me.peer.id}`);
  const json = await s.get200('admin', `/api/v1/contacts/${id}`);
  assert.equal(json.mode, 'home_visit');
  assert.deepEqual(json.key_functions.sort(), ['daily_management', 'linkage']);
  assert.equal(json.minutes, 25);
  assert.equal(json.occurred_at, body.period.start);

  // update under If-Match; a stale version is 412 and changes nothing
  const changed = { ...body, id, type: [{ coding: [{ system: KF, code: 'social_emotional' }] }],
    class: { system: 'http://peerlink.example/fhir/CodeSystem/contact-mode', code: 'text' },
    length: undefined, period: { start: body.period.start,
      end: new Date(Date.parse(body.period.start) + 40 * 60000).toISOString().replace(/\.\d+Z$/, 'Z') } };
  const u = await fhir('PUT', `/fhir/Encounter/${id}`, 'peer', changed, { 'if-match': 'W/"1"' });
  assert.equal(u.status, 200, u.text);
  assert.equal(u.headers.get('etag'), 'W/"2"');
  const stale = await fhir('PUT', `/fhir/Encounter/${id}`, 'peer', body, { 'if-match': 'W/"1"' });
  assertOutcome(stale, 412, /version 2/);
  const after = await ok(`/fhir/Encounter/${id}`, 'peer');
  assert.equal(after.meta.versionId, '2');
  assert.deepEqual(after.type.map((t) => t.coding[0].code), ['social_emotional']);
  assert.equal(after.class.code, 'text');
  assert.equal(after.length.value, 40);
  assert.equal((await ok(`/fhir/Encounter/${id}/_history/2`, 'peer')).id, id);
  assertOutcome(await fhir('GET', `/fhir/Encounter/${id}/_history/1`, 'peer'), 404, /current version only/);

  // delete: the contact is voided, a read is 410, searches leave it out
  const del = await fhir('DELETE', `/fhir/Encounter/${id}`, 'peer');
  assert.equal(del.status, 204, del.text);
  assertOutcome(await fhir('GET', `/fhir/Encounter/${id}`, 'peer'), 410, /deleted/);
  assert.deepEqual(await all(`/fhir/Encounter?_id=${id}`, 'peer'), []);
  assert.ok(!(await all(`/fhir/Encounter?patient=${p.id}`, 'peer')).some((e) => e.id === id));
  assert.equal((await s.req('GET', `/api/v1/contacts/${id}`, { token: s.tokens.admin })).status, 404);
  assertOutcome(await fhir('PUT', `/fhir/Encounter/${id}`, 'peer', changed), 410, /deleted/);
  assert.equal((await fhir('DELETE', `/fhir/Encounter/${id}`, 'peer')).status, 204, 'deleting again changes nothing');

  // a contact made by a group session's attendance follows its session: 409
  let att = null;
  for (let next = '/api/v1/contacts?limit=200', n = 0; next && !att && n < 50; n++) {
    const page = await s.get200('admin', next);
    att = page.items.find((c) => c.group_session_id);
    next = page.next;
  }
  assert.ok(att, 'the demo has attendance contacts');
  assertOutcome(await fhir('DELETE', `/fhir/Encounter/${att.id}`, 'manager'), 409, /attendance/);
  assert.equal((await ok(`/fhir/Encounter/${att.id}`, 'manager')).id, String(att.id));

  // ... and is partOf the session's Encounter: class group, subject the Group
  const ae = await ok(`/fhir/Encounter/${att.id}`, 'manager');
  assert.equal(ae.partOf.reference, `Encounter/session-${att.group_session_id}`);
  const se = await ok(`/fhir/Encounter/session-${att.group_session_id}`, 'manager');
  assert.equal(se.id, `session-${att.group_session_id}`);
  assert.equal(se.class.code, 'group');
  assert.match(se.subject.reference, /^Group\/\d+$/);
  assert.equal((await ok(`/fhir/Encounter/session-${att.group_session_id}/_history/${se.meta.versionId}`, 'manager')).id, se.id);
  const attendees = await all(`/fhir/Encounter?part-of=Encounter/session-${att.group_session_id}`, 'manager');
  assert.ok(attendees.some((e) => e.id === String(att.id)));
  for (const e of attendees) assert.equal(e.partOf.reference, `Encounter/session-${att.group_session_id}`);
  assertOutcome(await fhir('GET', '/fhir/Encounter/session-999999999', 'manager'), 404, /session-999999999 is not known/);
});

test('a bad Encounter is 422 naming the FHIR path, and nothing changes', async () => {
  const p = d.peerParts[1] ?? d.peerParts[0];
  const count = async () => (await s.listAll('admin', `/api/v1/contacts?participant_id=${p.id}&limit=200`)).length;
  const n0 = await count();
  const cases = [
    [{ type: [{ coding: [{ system: 'http://snomed.info/sct', code: '11429006' }] }] }, 'type[0].coding[0].system'],
    [{ type: [{ coding: [{ system: KF, code: 'flying' }] }] }, 'type[0].coding[0].code'],
    [{ type: [] }, 'type'],
    [{ subject: undefined }, 'subject'],
    [{ subject: { reference: 'Patient/999999999' } }, 'subject.reference'],
    [{ period: undefined }, 'period.start'],
    [{ class: { system: 'http://example.org', code: 'X' } }, 'class'],
    [{ length: { value: 0, unit: 'min' } }, 'length.value'],
    [{ status: 'planned' }, 'status'],
    [{ period: { start: '2999-01-01T00:00:00Z' } }, 'period.start'],
  ];
  for (const [extra, path] of cases) {
    const r = await fhir('POST', '/fhir/Encounter', 'peer', encounter(p.id, extra));
    assert.equal(r.status, 422, `${path}: ${r.text}`);
    assert.equal(r.json.resourceType, 'OperationOutcome');
    assert.ok(r.json.issue.some((i) => (i.expression || []).includes(path)), `${path} named: ${r.text}`);
  }
  const bad = await s.req('POST', '/fhir/Encounter', { token: s.tokens.peer, body: '{"resourceType":', contentType: FHIR });
  assertOutcome(bad, 400, /./);
  // a peer leader does not log for another leader's participant, nor as another leader
  const other = await fhir('POST', '/fhir/Encounter', 'peer', encounter(d.otherPart.id));
  assert.equal(other.status, 422);
  assert.equal(await count(), n0);
});

test('every FHIR body the server answered above is valid FHIR R4', () => {
  assertAllValid(60);
});
