// fhir_update.test.mjs - FHIR writes beyond create (docs/FHIR.md, "Bundles of every kept
// type" and "Observation update and delete"): transaction and batch Bundles carrying
// Patient, Encounter, QuestionnaireResponse and ServiceRequest creates and Patient,
// Encounter and Task updates, checked and written by the same steps as the single
// resources (the JSON API sees them, all or nothing, errors naming the entry and field).
// Clients: fhir-kit-client (transaction, batch, update, vread, delete); every FHIR body
// the server returns is checked against the R4 JSON schema (fhir_validate.mjs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from 'fhir-kit-client';

import { setup, discover, instantAgo } from './helpers.mjs';
import { installValidator, assertAllValid, uninstall } from './fhir_validate.mjs';
import { FHIR, fhirRequest, assertOutcome } from './fhir_helpers.mjs';

const KF = 'http://peerlink.example/fhir/CodeSystem/key-function';
const SDOH = 'http://hl7.org/fhir/us/sdoh-clinicalcare/CodeSystem/SDOHCC-CodeSystemTemporaryCodes';
const PHQ9 = 'urn:peerlink:questionnaire:phq9';

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

const kit = (who) => new Client({ baseUrl: `${s.url}/fhir`, bearerToken: s.tokens[who] });
const when = (min) => instantAgo(min).replace(/\.\d+Z$/, 'Z');

const patient = (mrn) => ({
  resourceType: 'Patient',
  identifier: [{ system: 'urn:test:bundle', value: mrn }],
  name: [{ family: 'Mensah', given: ['Abena'] }],
  gender: 'female',
  birthDate: '1958-07-12',
});

const encounter = (subject, extra = {}) => ({
  resourceType: 'Encounter',
  status: 'finished',
  class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'HH' },
  type: [{ coding: [{ system: KF, code: 'daily_management' }] }],
  subject: { reference: subject },
  participant: [{ individual: { reference: `Practitioner/${s.me.peer.id}` } }],
  period: { start: when(120) },
  length: { value: 30, unit: 'min', system: 'http://unitsofmeasure.org', code: 'min' },
  ...extra,
});

const phq9 = (subject, answers) => ({
  resourceType: 'QuestionnaireResponse',
  questionnaire: PHQ9,
  status: 'completed',
  subject: { reference: subject },
  authored: when(60),
  item: answers.map((a, i) => ({ linkId: String(i + 1), answer: [{ valueInteger: a }] })),
});

const referral = (subject) => ({
  resourceType: 'ServiceRequest',
  status: 'active',
  intent: 'order',
  category: [{ coding: [{ system: SDOH, code: 'food-insecurity' }] }],
  code: { text: 'Food bank on Wulumuqi Road' },
  subject: { reference: subject },
});

// A transaction of a new Patient and an Encounter, a PHQ-9 and a referral about it.
function careBundle(mrn, type = 'transaction') {
  const ref = `urn:uuid:${mrn.toLowerCase()}-0000-4000-8000-000000000000`;
  return {
    resourceType: 'Bundle',
    type,
    entry: [
      { fullUrl: ref, resource: patient(mrn), request: { method: 'POST', url: 'Patient' } },
      { resource: encounter(ref), request: { method: 'POST', url: 'Encounter' } },
      { resource: phq9(ref, [1, 1, 2, 1, 0, 1, 1, 0, 0]), request: { method: 'POST', url: 'QuestionnaireResponse' } },
      { resource: referral(ref), request: { method: 'POST', url: 'ServiceRequest' } },
    ],
  };
}

const byIdent = async (mrn) =>
  (await fhir('GET', `/fhir/Patient?identifier=urn:test:bundle|${mrn}`, 'manager')).json.entry ?? [];

test('a transaction of a new Patient with its Encounter, QuestionnaireResponse and ServiceRequest lands whole', async () => {
  const out = await kit('manager').transaction({ body: careBundle('BUNDLE-1') });
  assert.equal(out.type, 'transaction-response');
  const st = out.entry.map((e) => e.response.status);
  assert.deepEqual(st, ['201 Created', '201 Created', '201 Created', '201 Created']);
  const [pLoc, eLoc, qLoc, sLoc] = out.entry.map((e) => e.response.location);
  assert.match(pLoc, /^Patient\/\d+\/_history\/1$/);
  assert.match(eLoc, /^Encounter\/\d+\/_history\/1$/);
  assert.match(qLoc, /^QuestionnaireResponse\/\d+\/_history\/1$/);
  assert.match(sLoc, /^ServiceRequest\/\d+\/_history\/1$/);
  for (const e of out.entry) assert.equal(e.response.etag, 'W/"1"');
  const pid = Number(pLoc.split('/')[1]);

  // the JSON API shows all four, written by its own steps
  const p = await s.get200('manager', `/api/v1/participants/${pid}`);
  assert.equal(p.family_name, 'Mensah');
  const contacts = await s.listAll('manager', `/api/v1/contacts?participant_id=${pid}&limit=50`);
  assert.deepEqual(contacts.map((c) => c.id), [Number(eLoc.split('/')[1])]);
  assert.equal(contacts[0].minutes, 30);
  assert.equal(contacts[0].peer_leader_id, d.leaderId);
  const qr = await s.get200('manager', `/api/v1/questionnaire-responses/${qLoc.split('/')[1]}`);
  assert.equal(qr.participant_id, pid);
  assert.equal(qr.score, 7);
  const r = await s.get200('manager', `/api/v1/referrals/${sLoc.split('/')[1]}`);
  assert.equal(r.participant_id, pid);
  assert.equal(r.status, 'sent');
  assert.equal(r.need, 'food');
  const tasks = await s.listAll('admin', `/api/v1/tasks?participant_id=${pid}&status=open&limit=50`);
  assert.ok(tasks.some((t) => t.kind === 'referral'), 'the referral task opened');

  // and FHIR reads them back about the new Patient
  const enc = await kit('manager').read({ resourceType: 'Encounter', id: eLoc.split('/')[1] });
  assert.equal(enc.subject.reference, `Patient/${pid}`);
});

test('the same transaction with one bad entry changes nothing and names the entry and field', async () => {
  const b = careBundle('BUNDLE-2');
  b.entry[2].resource.item[3].answer[0].valueInteger = 9; // PHQ-9 answers are 0-3
  const r = await fhir('POST', '/fhir', 'manager', b);
  const oo = assertOutcome(r, 422, /entry\[2\]/);
  assert.ok(oo.issue.some((i) => i.expression?.[0] === 'entry[2].resource.item[3].answer[0].valueInteger'),
    JSON.stringify(oo.issue));
  assert.deepEqual(await byIdent('BUNDLE-2'), [], 'no Patient was created');

  // a subject no Patient answers to: the entry and its field are named, nothing written
  const b2 = careBundle('BUNDLE-2');
  b2.entry[1].resource.subject.reference = 'Patient?identifier=urn:test:bundle|NOBODY';
  const r2 = await fhir('POST', '/fhir', 'manager', b2);
  const oo2 = assertOutcome(r2, 422, /entry\[1\]\.resource\.subject\.reference names no known Patient/);
  assert.equal(oo2.issue[0].expression[0], 'entry[1].resource.subject.reference');
  assert.deepEqual(await byIdent('BUNDLE-2'), []);
});

test('batch: the good entries land, each bad one answers its own status', async () => {
  const b = careBundle('BUNDLE-3', 'batch');
  b.entry[1].resource.type = [{ coding: [{ system: KF, code: 'no_such_function' }] }];
  const out = await kit('manager').batch({ body: b });
  assert.equal(out.type, 'batch-response');
  const st = out.entry.map((e) => e.response.status);
  assert.deepEqual(st, ['201 Created', '422 Unprocessable Entity', '201 Created', '201 Created']);
  assert.equal(out.entry[1].response.outcome.resourceType, 'OperationOutcome');
  assert.match(out.entry[1].response.outcome.issue[0].diagnostics, /type\[0\]/);
  const pid = Number(out.entry[0].response.location.split('/')[1]);
  assert.equal((await s.listAll('manager', `/api/v1/contacts?participant_id=${pid}&limit=50`)).length, 0);
  const qrs = await s.listAll('manager', `/api/v1/questionnaire-responses?participant_id=${pid}&limit=50`);
  assert.equal(qrs.length, 1);
});

test('Bundle PUTs: Patient, Encounter and Task updates honour ifMatch; conditional references', async () => {
  const out = await kit('manager').transaction({ body: careBundle('BUNDLE-4') });
  const [pLoc, eLoc, , sLoc] = out.entry.map((e) => e.response.location);
  const pid = pLoc.split('/')[1], eid = eLoc.split('/')[1], rid = sLoc.split('/')[1];
  const task = await kit('manager').read({ resourceType: 'Task', id: rid });
  const cond = 'Patient?identifier=urn:test:bundle|BUNDLE-4';
  const puts = (im) => ({
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      { resource: { ...patient('BUNDLE-4'), id: pid, name: [{ family: 'Mensah-Boateng', given: ['Abena'] }] },
        request: { method: 'PUT', url: `Patient/${pid}`, ifMatch: im } },
      { resource: { ...encounter(cond, { length: { value: 45, unit: 'min', system: 'http://unitsofmeasure.org', code: 'min' } }), id: eid },
        request: { method: 'PUT', url: `Encounter/${eid}`, ifMatch: im } },
      { resource: { ...task, status: 'accepted' }, request: { method: 'PUT', url: `Task/${rid}`, ifMatch: im } },
      { resource: phq9(cond, [0, 0, 0, 0, 0, 0, 0, 0, 0]), request: { method: 'POST', url: 'QuestionnaireResponse' } },
    ],
  });
  // a stale ifMatch fails the transaction (412) and changes nothing
  assertOutcome(await fhir('POST', '/fhir', 'manager', puts('W/"5"')), 412, /entry\[0\]/);
  assert.equal((await s.get200('manager', `/api/v1/participants/${pid}`)).family_name, 'Mensah');
  assert.equal((await s.get200('manager', `/api/v1/referrals/${rid}`)).status, 'sent');

  const ok = await kit('manager').transaction({ body: puts('W/"1"') });
  assert.deepEqual(ok.entry.map((e) => e.response.status), ['200 OK', '200 OK', '200 OK', '201 Created']);
  assert.deepEqual(ok.entry.slice(0, 2).map((e) => e.response.etag), ['W/"2"', 'W/"2"']);
  assert.equal((await s.get200('manager', `/api/v1/participants/${pid}`)).family_name, 'Mensah-Boateng');
  const c = (await s.listAll('manager', `/api/v1/contacts?participant_id=${pid}&limit=50`))[0];
  assert.equal(c.minutes, 45);
  assert.equal((await s.get200('manager', `/api/v1/referrals/${rid}`)).status, 'accepted');
  const qrs = await s.listAll('manager', `/api/v1/questionnaire-responses?participant_id=${pid}&limit=50`);
  assert.equal(qrs.length, 2, 'the conditional reference found the Patient');
  const v1 = await kit('manager').vread({ resourceType: 'Patient', id: pid, version: '1' });
  assert.equal(v1.name[0].family, 'Mensah');
});

test('what a Bundle does not keep is reported: clinic Encounters, unscored questionnaires, other types', async () => {
  const ref = 'urn:uuid:5b7c8f0e-0000-4000-8000-00000000bbbb';
  const clinic = encounter(ref, { type: [{ coding: [{ system: 'http://snomed.info/sct', code: '185349003' }] }] });
  delete clinic.participant;
  const b = {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      { fullUrl: ref, resource: patient('BUNDLE-5'), request: { method: 'POST', url: 'Patient' } },
      { resource: clinic, request: { method: 'POST', url: 'Encounter' } },
      { resource: { ...phq9(ref, [0]), questionnaire: 'http://example.org/q/other' }, request: { method: 'POST', url: 'QuestionnaireResponse' } },
      { resource: { resourceType: 'Condition', subject: { reference: ref } }, request: { method: 'POST', url: 'Condition' } },
      { resource: { resourceType: 'Task', status: 'requested', intent: 'order' }, request: { method: 'POST', url: 'Task' } },
    ],
  };
  const out = await kit('manager').transaction({ body: b });
  assert.deepEqual(out.entry.map((e) => e.response.status), ['201 Created', '200 OK', '200 OK', '200 OK', '200 OK']);
  const why = out.entry.slice(1).map((e) => e.response.outcome.issue[0].diagnostics);
  assert.match(why[0], /not kept: .*clinic visit/);
  assert.match(why[1], /not kept: .*does not score/);
  assert.match(why[2], /not kept: peerlink does not keep Condition/);
  assert.match(why[3], /not kept: .*Task is made with its ServiceRequest/);
});

test('a Bundle entry the role may not write alone is refused (403 in a batch)', async () => {
  const pid = d.siteParts[0].id;
  const b = {
    resourceType: 'Bundle',
    type: 'batch',
    entry: [
      { resource: encounter(`Patient/${pid}`), request: { method: 'POST', url: 'Encounter' } },
      { resource: { ...patient('X'), id: String(pid) }, request: { method: 'PUT', url: `Patient/${pid}` } },
    ],
  };
  const out = await kit('clinician').batch({ body: b });
  assert.deepEqual(out.entry.map((e) => e.response.status), ['403 Forbidden', '403 Forbidden']);
  assert.match(out.entry[0].response.outcome.issue[0].diagnostics, /may not create Encounter/);
});

const hba1c = (pid, value, when) => ({
  resourceType: 'Observation',
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '4548-4' }] },
  subject: { reference: `Patient/${pid}` },
  effectiveDateTime: when,
  valueQuantity: { value, unit: '%', system: 'http://unitsofmeasure.org', code: '%' },
});

async function newPatient(mrn) {
  const c = await fhir('POST', '/fhir/Patient', 'manager', patient(mrn));
  assert.equal(c.status, 201, c.text);
  return c.json.id;
}

test('Observation PUT corrects a measurement under If-Match; vread answers the old version', async () => {
  const pid = await newPatient('OBS-1');
  const c = await fhir('POST', '/fhir/Observation', 'manager', hba1c(pid, 9.8, when(300)));
  assert.equal(c.status, 201, c.text);
  const id = c.json.id;
  assert.equal((await s.get200('manager', `/api/v1/participants/${pid}`)).risk_tier, 'high_need');

  const fixed = { ...hba1c(pid, 7.20, when(300)), id };
  fixed.valueQuantity.value = 7.2;
  // stale If-Match: 412, nothing changes
  assertOutcome(await fhir('PUT', `/fhir/Observation/${id}`, 'manager', fixed, { 'if-match': 'W/"4"' }),
    412, /version/);
  assert.equal((await kit('manager').read({ resourceType: 'Observation', id })).valueQuantity.value, 9.8);

  const u = await fhir('PUT', `/fhir/Observation/${id}`, 'manager', fixed, { 'if-match': 'W/"1"' });
  assert.equal(u.status, 200, u.text);
  assert.equal(u.headers.get('etag'), 'W/"2"');
  const now = await kit('manager').read({ resourceType: 'Observation', id });
  assert.equal(now.status, 'corrected');
  assert.equal(now.meta.versionId, '2');
  assert.equal(now.valueQuantity.value, 7.2);
  const v1 = await kit('manager').vread({ resourceType: 'Observation', id, version: '1' });
  assert.equal(v1.status, 'final');
  assert.equal(v1.meta.versionId, '1');
  assert.equal(v1.valueQuantity.value, 9.8);
  assertOutcome(await fhir('GET', `/fhir/Observation/${id}/_history/3`, 'manager'), 404, /current version is 2/);
  // the JSON API sees the corrected value, and the tier followed it
  assert.equal(String((await s.get200('manager', `/api/v1/measurements/${id}`)).value), '7.2');
  assert.equal((await s.get200('manager', `/api/v1/participants/${pid}`)).risk_tier, 'standard');

  // a correction cannot change what was measured or whose it is
  const other = { ...fixed, code: { coding: [{ system: 'http://loinc.org', code: '2093-3' }] } };
  assertOutcome(await fhir('PUT', `/fhir/Observation/${id}`, 'manager', other), 422, /code must stay 4548-4/);
  const moved = { ...fixed, subject: { reference: `Patient/${d.siteParts[0].id}` } };
  assertOutcome(await fhir('PUT', `/fhir/Observation/${id}`, 'manager', moved), 422, /subject.reference must stay/);
  // a peer leader may not correct a value outside his scope; evaluators may not at all
  assert.equal((await fhir('PUT', `/fhir/Observation/${id}`, 'peer', fixed)).status, 404);
  assert.equal((await fhir('PUT', `/fhir/Observation/${id}`, 'evaluator', fixed)).status, 403);
});

test('Observation DELETE voids a measurement: 410, gone from searches, lists and the risk tier', async () => {
  const pid = await newPatient('OBS-2');
  const old = await fhir('POST', '/fhir/Observation', 'manager', hba1c(pid, 7.0, when(60 * 24 * 30)));
  assert.equal(old.status, 201, old.text);
  const bad = await fhir('POST', '/fhir/Observation', 'manager', hba1c(pid, 10.4, when(60)));
  assert.equal(bad.status, 201, bad.text);
  const id = bad.json.id;
  assert.equal((await s.get200('manager', `/api/v1/participants/${pid}`)).risk_tier, 'high_need');
  const listed = async () => (await s.listAll('manager', `/api/v1/measurements?participant_id=${pid}&limit=50`)).map((m) => m.id);
  assert.deepEqual((await listed()).sort(), [Number(old.json.id), Number(id)].sort());

  const del = await fhir('DELETE', `/fhir/Observation/${id}`, 'manager');
  assert.equal(del.status, 204, del.text);
  assertOutcome(await fhir('GET', `/fhir/Observation/${id}`, 'manager'), 410, /deleted/);
  assertOutcome(await fhir('GET', `/fhir/Observation/${id}/_history/1`, 'manager'), 410, /deleted/);
  assertOutcome(await fhir('PUT', `/fhir/Observation/${id}`, 'manager', hba1c(pid, 7.1, when(60))), 410, /deleted/);
  const found = await kit('manager').search({ resourceType: 'Observation', searchParams: { patient: pid } });
  assert.deepEqual(found.entry.map((e) => e.resource.id), [old.json.id]);
  // the JSON API: no longer listed or read, and the tier is refreshed without it
  assert.deepEqual(await listed(), [Number(old.json.id)]);
  assert.equal((await s.req('GET', `/api/v1/measurements/${id}`, { token: s.tokens.manager })).status, 404);
  assert.equal((await s.get200('manager', `/api/v1/participants/${pid}`)).risk_tier, 'standard');
  // deleting it again changes nothing
  assert.equal((await fhir('DELETE', `/fhir/Observation/${id}`, 'manager')).status, 204);

  // an alert the voided value raised is resolved with it: the care team's list drops it
  const low = await fhir('POST', '/fhir/Observation', 'manager', {
    ...hba1c(pid, 2.8, when(20)),
    code: { coding: [{ system: 'http://loinc.org', code: '2339-0' }] },
    valueQuantity: { value: 2.8, unit: 'mmol/L', system: 'http://unitsofmeasure.org', code: 'mmol/L' },
  });
  assert.equal(low.status, 201, low.text);
  const raised = async () => (await s.listAll('manager', `/api/v1/alerts?participant_id=${pid}&limit=50`))
    .filter((al) => al.source_entity === 'measurement' && al.source_id === Number(low.json.id));
  const [alert] = await raised();
  assert.equal(alert?.status, 'open', 'a blood glucose of 2.8 mmol/L raises an urgent alert');
  assert.equal((await fhir('DELETE', `/fhir/Observation/${low.json.id}`, 'manager')).status, 204);
  const [after] = await raised();
  assert.equal(after.status, 'resolved');
  assert.match(after.resolution_note, /voided as entered in error/);
  const events = await s.listAll('admin', `/api/v1/audit?entity=alert&participant_id=${pid}&limit=200`);
  assert.ok(events.some((e) => e.entity_id === alert.id && e.action === 'resolve'), 'the resolution is audited');

  // status entered-in-error through PUT voids too
  const third = await fhir('POST', '/fhir/Observation', 'manager', hba1c(pid, 8.1, when(30)));
  const t = await fhir('PUT', `/fhir/Observation/${third.json.id}`, 'manager',
    { ...hba1c(pid, 8.1, when(30)), status: 'entered-in-error' }, { 'if-match': 'W/"1"' });
  assert.equal(t.status, 200, t.text);
  assert.equal(t.json.status, 'entered-in-error');
  assert.equal((await fhir('GET', `/fhir/Observation/${third.json.id}`, 'manager')).status, 410);

  // the CapabilityStatement says so
  const cap = await kit('manager').capabilityStatement();
  const obs = cap.rest[0].resource.find((r) => r.type === 'Observation');
  assert.deepEqual(obs.interaction.map((i) => i.code).filter((c) => c === 'update' || c === 'delete'), ['update', 'delete']);
  assert.equal(obs.readHistory, true);
});

test('ServiceRequest PUT: revoked cancels the referral through its transition table, under If-Match', async () => {
  const pid = await newPatient('SR-1');
  const c = await fhir('POST', '/fhir/ServiceRequest', 'manager', referral(`Patient/${pid}`));
  assert.equal(c.status, 201, c.text);
  const id = c.json.id;
  assert.equal((await s.get200('manager', `/api/v1/referrals/${id}`)).status, 'sent');
  const revoked = { ...c.json, status: 'revoked', note: [{ text: 'The family found a food bank themselves.' }] };
  // stale If-Match: 412, nothing changes
  assertOutcome(await fhir('PUT', `/fhir/ServiceRequest/${id}`, 'manager', revoked, { 'if-match': 'W/"9"' }), 412, /changed/);
  assert.equal((await s.get200('manager', `/api/v1/referrals/${id}`)).status, 'sent');
  // cancelling needs a reason: the transition table's rule, named at the note
  const bare = { ...c.json, status: 'revoked' };
  delete bare.note;
  assertOutcome(await fhir('PUT', `/fhir/ServiceRequest/${id}`, 'manager', bare), 422, /note/);

  const u = await kit('manager').update({ resourceType: 'ServiceRequest', id, body: revoked,
    options: { headers: { 'If-Match': c.headers.get('etag') } } });
  assert.equal(u.status, 'revoked');
  const js = await s.get200('manager', `/api/v1/referrals/${id}`);
  assert.equal(js.status, 'cancelled');
  assert.deepEqual(js.history.map((h) => h.to_status), ['sent', 'cancelled']);
  assert.equal((await kit('manager').read({ resourceType: 'Task', id })).status, 'cancelled');
  // out of the closed loop nothing moves it again: an illegal transition is 422
  assertOutcome(await fhir('PUT', `/fhir/ServiceRequest/${id}`, 'manager', { ...revoked, status: 'completed' }),
    422, /cannot change from cancelled/);
  const cap = await kit('manager').capabilityStatement();
  const sr = cap.rest[0].resource.find((r) => r.type === 'ServiceRequest');
  assert.ok(sr.interaction.some((i) => i.code === 'update'));
});

test('every FHIR body the server returned is valid FHIR R4', () => {
  assertAllValid(10);
});
