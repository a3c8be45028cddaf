// fhir.test.mjs - the FHIR R4 interface (/fhir, docs/FHIR.md) as a client
// sees it: metadata, Patient and Observation read/vread/create/update/search,
// decimals kept as written, ETag and If-Match, OperationOutcome errors, and
// the shared Synthea transaction Bundles imported and queried back.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import { setup } from './helpers.mjs';
import { installValidator, assertAllValid, uninstall } from './fhir_validate.mjs';
import { FHIR, fhirRequest, assertOutcome } from './fhir_helpers.mjs';

const SYNTHEA = join(process.env.PEERLINK_SOURCE_ROOT, '..', 'shared', 'data', 'fhir',
  'synthea-r4-bundles');

let s;
before(async () => {
  installValidator();
  s = await setup({ maxBody: 16 * 1024 * 1024 });
});
after(async () => {
  await s?.stop();
  uninstall();
});

const fhir = (method, path, who, body, headers) => fhirRequest(s, method, path, who, body, headers);

const patientBody = (mrn) => ({
  resourceType: 'Patient',
  identifier: [{ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }] },
    system: 'urn:test:mrn', value: mrn }],
  name: [{ family: 'Okafor', given: ['Ada'] }],
  gender: 'female',
  birthDate: '1961-04-02',
});

const hba1c = (pid, value, when) => ({
  resourceType: 'Observation',
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '4548-4' }] },
  subject: { reference: `Patient/${pid}` },
  effectiveDateTime: when,
  valueQuantity: { value, unit: '%', system: 'http://unitsofmeasure.org', code: '%' },
});

test('metadata is a CapabilityStatement naming what is served, without signing in', async () => {
  const r = await s.req('GET', '/fhir/metadata');
  assert.equal(r.status, 200);
  assert.equal(r.json.resourceType, 'CapabilityStatement');
  assert.equal(r.json.fhirVersion, '4.0.1');
  const types = r.json.rest[0].resource.filter((x) => x.interaction).map((x) => x.type).sort();
  for (const t of ['Observation', 'Patient']) assert.ok(types.includes(t), t);
  // every type listed is served: its search answers (the others' tables: fhir_*.test.mjs)
  for (const t of types) {
    const sr = await fhir('GET', `/fhir/${t}?_count=1`, 'admin');
    assert.equal(sr.status, 200, `${t}: ${sr.text}`);
    assert.equal(sr.json.type, 'searchset');
  }
  const r2 = await s.req('GET', '/fhir/metadata', { headers: { accept: 'application/xml' } });
  assertOutcome(r2, 406, /JSON only/);
});

test('a Patient is created, read with its version, updated under If-Match, and vread', async () => {
  const c = await fhir('POST', '/fhir/Patient', 'manager', patientBody('MRN-FHIR-1'));
  assert.equal(c.status, 201, c.text);
  assert.match(c.headers.get('location'), /^\/fhir\/Patient\/\d+\/_history\/1$/);
  const id = c.json.id;
  const r = await fhir('GET', `/fhir/Patient/${id}`, 'manager');
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('etag'), 'W/"1"');
  assert.equal(r.json.meta.versionId, '1');
  assert.equal(r.json.name[0].family, 'Okafor');
  assert.ok(r.json.identifier.some((i) => i.system === 'urn:test:mrn' && i.value === 'MRN-FHIR-1'));

  const upd = { ...patientBody('MRN-FHIR-1'), id, name: [{ family: 'Okafor-Ade', given: ['Ada'] }] };
  const stale = await fhir('PUT', `/fhir/Patient/${id}`, 'manager', upd, { 'if-match': 'W/"7"' });
  assertOutcome(stale, 412, /version/);
  const ok = await fhir('PUT', `/fhir/Patient/${id}`, 'manager', upd, { 'if-match': 'W/"1"' });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.headers.get('etag'), 'W/"2"');
  const v2 = await fhir('GET', `/fhir/Patient/${id}/_history/2`, 'manager');
  assert.equal(v2.json.name[0].family, 'Okafor-Ade');
  // the version replaced is kept: vread 1 answers the Patient as it was before the update
  const v1 = await fhir('GET', `/fhir/Patient/${id}/_history/1`, 'manager');
  assert.equal(v1.status, 200, v1.text);
  assert.equal(v1.headers.get('etag'), 'W/"1"');
  assert.equal(v1.json.meta.versionId, '1');
  assert.equal(v1.json.name[0].family, 'Okafor');
  assert.equal((await fhir('GET', `/fhir/Patient/${id}`, 'manager')).json.name[0].family, 'Okafor-Ade');
  assertOutcome(await fhir('GET', `/fhir/Patient/${id}/_history/3`, 'manager'), 404, /current version is 2/);
  assertOutcome(await fhir('GET', `/fhir/Patient/${id}/_history/0`, 'manager'), 404, /not known/);
  // the instance's history: every version kept, newest first, with the interaction that made it
  const h = await fhir('GET', `/fhir/Patient/${id}/_history`, 'manager');
  assert.equal(h.status, 200, h.text);
  assert.equal(h.json.type, 'history');
  assert.equal(h.json.entry.length, 2);
  assert.deepEqual(h.json.entry.map((e) => e.resource.meta.versionId), ['2', '1']);
  assert.deepEqual(h.json.entry.map((e) => e.resource.name[0].family), ['Okafor-Ade', 'Okafor']);
  assert.deepEqual(h.json.entry.map((e) => e.request.method), ['PUT', 'POST']);
  assertOutcome(await fhir('GET', '/fhir/Patient/999999/_history', 'manager'), 404, /not known/);
  assertOutcome(await fhir('GET', '/fhir/Patient/999999', 'manager'), 404, /Patient\/999999 is not known/);
  assertOutcome(await fhir('GET', '/fhir/Patient/abc', 'manager'), 404, /not known/);

  const found = await fhir('GET', '/fhir/Patient?identifier=urn:test:mrn|MRN-FHIR-1', 'manager');
  assert.equal(found.json.type, 'searchset');
  assert.deepEqual(found.json.entry.map((e) => e.resource.id), [id]);
});

test('an Observation keeps its decimal as written: 7.50 reads back as 7.50', async () => {
  const c = await fhir('POST', '/fhir/Patient', 'manager', patientBody('MRN-FHIR-2'));
  const pid = c.json.id;
  const body = JSON.stringify(hba1c(pid, 0, '2024-03-01T09:00:00Z')).replace('"value":0', '"value":7.50');
  const o = await s.req('POST', '/fhir/Observation', { token: s.tokens.manager, body, contentType: 'application/json' });
  assert.equal(o.status, 201, o.text);
  const r = await fhir('GET', `/fhir/Observation/${o.json.id}`, 'manager');
  assert.equal(r.headers.get('etag'), 'W/"1"');
  assert.match(r.text, /"value":7\.50[,}]/);
  assert.equal(r.json.subject.reference, `Patient/${pid}`);
});

test('bad input answers an OperationOutcome that says what was wrong', async () => {
  assertOutcome(await fhir('POST', '/fhir/Observation', 'manager', '{"resourceType":"Observation",'), 400, /not valid JSON/);
  const noSubject = hba1c(1, 7.1, '2024-03-01T09:00:00Z');
  delete noSubject.subject;
  assertOutcome(await fhir('POST', '/fhir/Observation', 'manager', noSubject), 422, /subject/);
  assertOutcome(await fhir('POST', '/fhir/Observation', 'manager', hba1c(1, 99, '2024-03-01T09:00:00Z')), 422, /value/);
  const text = await s.req('POST', '/fhir/Patient', { token: s.tokens.manager, body: '{}', contentType: 'text/plain' });
  assertOutcome(text, 415, /Content-Type/);
  assertOutcome(await fhir('GET', '/fhir/Observation?colour=red', 'manager'), 400, /colour/);
});

test('the Synthea bundles import as transactions, and their values search back', async () => {
  const files = readdirSync(SYNTHEA).filter((f) => f.endsWith('.json')).sort();
  assert.equal(files.length, 9);
  let created = 0;
  let notKept = 0;
  const patients = [];
  for (const f of files) {
    const text = readFileSync(join(SYNTHEA, f), 'utf8');
    const r = await s.req('POST', '/fhir', { token: s.tokens.manager, body: text, contentType: FHIR });
    assert.equal(r.status, 200, `${f}: ${r.text.slice(0, 500)}`);
    assert.equal(r.json.type, 'transaction-response');
    assert.equal(r.json.entry.length, JSON.parse(text).entry.length);
    for (const e of r.json.entry) {
      if (e.response.status.startsWith('201')) created++;
      if (e.response.outcome) notKept++;
    }
    patients.push(r.json.entry[0].response.location.split('/')[1]);
    // a second import matches everything and creates nothing
    const again = await s.req('POST', '/fhir', { token: s.tokens.manager, body: text, contentType: FHIR });
    assert.equal(again.status, 200);
    assert.ok(again.json.entry.every((e) => !e.response.status.startsWith('201')), `${f} created twice`);
  }
  assert.ok(created > 9, `only ${created} created`);
  assert.ok(notKept > 0, 'the unkept resource types are reported');

  // each patient's HbA1c since 2010, 2 a page, newest first, with the patient included
  let total = 0;
  for (const pid of patients) {
    let url = `/fhir/Observation?patient=${pid}&code=http://loinc.org|4548-4&date=ge2010-01-01&_count=2&_sort=-date&_include=Observation:patient`;
    const seen = [];
    let last = Infinity;
    for (let pages = 0; url; pages++) {
      assert.ok(pages < 200, 'paging ends');
      const r = await fhir('GET', url.replace(/^http:\/\/[^/]+/, ''), 'manager');
      assert.equal(r.status, 200, r.text);
      for (const e of r.json.entry) {
        if (e.search.mode !== 'match') {
          assert.deepEqual([e.resource.resourceType, e.resource.id], ['Patient', pid]);
          continue;
        }
        assert.equal(e.resource.code.coding[0].code, '4548-4');
        assert.equal(e.resource.subject.reference, `Patient/${pid}`);
        const t = Date.parse(e.resource.effectiveDateTime);
        assert.ok(t >= Date.parse('2010-01-01T00:00:00Z') && t <= last, 'newest first, since 2010');
        last = t;
        seen.push(e.resource.id);
      }
      url = r.json.link.find((l) => l.relation === 'next')?.url;
    }
    assert.equal(new Set(seen).size, seen.length, 'paging repeats no value');
    total += seen.length;
  }
  assert.ok(total > 5, `only ${total} HbA1c values`);

  // blood pressure panels became systolic and diastolic values
  const bp = await fhir('GET', `/fhir/Observation?patient=Patient/${patients[0]}&code=8480-6,8462-4&_count=10`, 'manager');
  const codes = new Set(bp.json.entry.map((e) => e.resource.code.coding[0].code));
  assert.deepEqual([...codes].sort(), ['8462-4', '8480-6']);
});

test('a transaction with one bad entry writes nothing', async () => {
  const before = await fhir('GET', '/fhir/Patient?identifier=urn:test:mrn|MRN-TX-1', 'manager');
  assert.equal(before.json.entry.length, 0);
  const bundle = {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      { fullUrl: 'urn:uuid:aaaa', resource: patientBody('MRN-TX-1'), request: { method: 'POST', url: 'Patient' } },
      { resource: hba1c('x', 7.2, '2024-01-01T00:00:00Z'), request: { method: 'POST', url: 'Observation' } },
    ],
  };
  bundle.entry[1].resource.subject.reference = 'urn:uuid:aaaa';
  bundle.entry[1].resource.valueQuantity.value = 70;
  const r = await fhir('POST', '/fhir', 'manager', bundle);
  assertOutcome(r, 422, /entry\[1\]/);
  const after = await fhir('GET', '/fhir/Patient?identifier=urn:test:mrn|MRN-TX-1', 'manager');
  assert.equal(after.json.entry.length, 0);
});

test('scope: a peer leader sees only their own participants; evaluators are refused', async () => {
  const all = await fhir('GET', '/fhir/Patient?_count=1000', 'manager');
  const mine = await fhir('GET', '/fhir/Patient?_count=1000', 'peer');
  assert.equal(mine.status, 200);
  assert.ok(mine.json.entry.length < all.json.entry.length);
  const ev = await fhir('GET', '/fhir/Patient', 'evaluator');
  assert.equal(ev.status, 403);
});

test('every FHIR body the server returned is valid FHIR R4', () => {
  assertAllValid(50);
});
