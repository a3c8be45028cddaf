// fhir_clients.test.mjs - the FHIR interface through real clients from npm:
// fhir-kit-client (sends application/fhir+json) and fhirclient (sends
// application/json). Create, read, vread, update with If-Match, search with
// paging by the client's own next-page call, a transaction; every body the
// server returns is checked against the FHIR R4 JSON schema (fhir_validate.mjs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'fhir-kit-client';
import smart from 'fhirclient';

import { setup } from './helpers.mjs';
import { installValidator, assertAllValid, uninstall } from './fhir_validate.mjs';

const SYNTHEA = join(process.env.PEERLINK_SOURCE_ROOT, '..', 'shared', 'data', 'fhir',
  'synthea-r4-bundles');

let s;
before(async () => {
  installValidator();
  s = await setup({ maxBody: 16 * 1024 * 1024, accounts: ['manager', 'clinician', 'peer'] });
});
after(async () => {
  await s?.stop();
  uninstall();
});

const patient = (mrn) => ({
  resourceType: 'Patient',
  identifier: [{ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }] },
    system: 'urn:test:clients', value: mrn }],
  name: [{ family: 'Mendoza', given: ['Rosa'] }],
  gender: 'female',
  birthDate: '1958-11-30',
});

test('fhir-kit-client: metadata, create, read, vread, update, search with paging, transaction', async () => {
  const client = new Client({ baseUrl: `${s.url}/fhir`, bearerToken: s.tokens.manager });
  const cap = await client.capabilityStatement();
  assert.equal(cap.fhirVersion, '4.0.1');

  const created = await client.create({ resourceType: 'Patient', body: patient('KIT-1') });
  assert.equal(created.meta.versionId, '1');
  const read = await client.read({ resourceType: 'Patient', id: created.id });
  assert.equal(read.name[0].family, 'Mendoza');
  const v1 = await client.vread({ resourceType: 'Patient', id: created.id, version: '1' });
  assert.equal(v1.id, created.id);
  const updated = await client.update({
    resourceType: 'Patient', id: created.id,
    body: { ...patient('KIT-1'), id: created.id, name: [{ family: 'Mendoza-Ruiz', given: ['Rosa'] }] },
    options: { headers: { 'If-Match': 'W/"1"' } },
  });
  assert.equal(updated.meta.versionId, '2');
  await assert.rejects(client.update({
    resourceType: 'Patient', id: created.id, body: { ...patient('KIT-1'), id: created.id },
    options: { headers: { 'If-Match': 'W/"1"' } },
  }), (e) => e.response?.status === 412);

  for (const [i, v] of ['7.10', '7.50', '8.05'].entries()) {
    const body = {
      resourceType: 'Observation', status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '4548-4' }] },
      subject: { reference: `Patient/${created.id}` },
      effectiveDateTime: `2024-0${i + 1}-15T10:00:00Z`,
      valueQuantity: { value: Number(v), unit: '%', system: 'http://unitsofmeasure.org', code: '%' },
    };
    await client.create({ resourceType: 'Observation', body });
  }
  let bundle = await client.search({
    resourceType: 'Observation',
    searchParams: { patient: created.id, code: 'http://loinc.org|4548-4', _count: 2, _sort: '-date' },
  });
  const dates = [];
  for (let n = 0; bundle; n++) {
    assert.ok(n < 10);
    dates.push(...bundle.entry.map((e) => e.resource.effectiveDateTime));
    bundle = await client.nextPage({ bundle });
  }
  assert.deepEqual(dates, ['2024-03-15T10:00:00Z', '2024-02-15T10:00:00Z', '2024-01-15T10:00:00Z']);

  const text = readFileSync(join(SYNTHEA, 'Fabian_Murray_a120c913-9ee0-4fcc-8344-826e74335c80.json'), 'utf8');
  const resp = await client.transaction({ body: JSON.parse(text) });
  assert.equal(resp.type, 'transaction-response');
  assert.equal(resp.entry[0].response.status, '201 Created');
});

test('fhirclient: read, search and create with application/json', async () => {
  const client = new smart.FhirClient(`${s.url}/fhir`);
  const headers = { authorization: `Bearer ${s.tokens.manager}` };
  const found = await client.fhirRequest('Patient?identifier=urn:test:clients|KIT-1', { headers });
  assert.equal(found.resourceType, 'Bundle');
  assert.equal(found.entry.length, 1);
  const pid = found.entry[0].resource.id;
  const p = await client.fhirRequest(`Patient/${pid}`, { headers });
  assert.equal(p.name[0].family, 'Mendoza-Ruiz');
  const obs = await client.create({
    resourceType: 'Observation', status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '29463-7' }] },
    subject: { reference: `Patient/${pid}` },
    effectiveDateTime: '2024-04-01',
    valueQuantity: { value: 71.2, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' },
  }, { headers });
  assert.equal(obs.valueQuantity.value, 71.2);
  const weights = [];
  for await (const page of client.pages(`Observation?patient=${pid}&code=29463-7,4548-4&_count=2`, { headers }))
    weights.push(...(page.entry || []).map((e) => e.resource.code.coding[0].code));
  assert.equal(weights.length, 4);
  // the peer leader of nobody's record sees nothing of it
  const peer = await client.fhirRequest(`Patient?_id=${pid}`, { headers: { authorization: `Bearer ${s.tokens.peer}` } });
  assert.equal((peer.entry || []).length, 0);
});

test('every FHIR body the server returned is valid FHIR R4', () => {
  assertAllValid(10);
});
