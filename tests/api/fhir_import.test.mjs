// fhir_import.test.mjs - FHIR NDJSON import (docs/FHIR.md): `peerlink import
// fhir` on the shared samples (a refused line named FILE:LINE while the good
// lines commit, re-import creating nothing), POST /fhir/$import, and the round
// trip: export a patient's record as NDJSON, import it into another database,
// and read back the same values, decimals byte for byte.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { Server, setup } from './helpers.mjs';
import { installValidator, assertAllValid, uninstall } from './fhir_validate.mjs';

const FHIR = 'application/fhir+json';
const DATA = join(process.env.PEERLINK_SOURCE_ROOT, '..', 'shared', 'data', 'fhir');

let a; // imported by the CLI before it starts
let b; // the target of the round trip
before(async () => {
  installValidator();
  a = new Server();
  a.demo();
  b = await setup({ maxBody: 16 * 1024 * 1024 });
});
after(async () => {
  await a?.stop();
  if (a) rmSync(a.dir, { recursive: true, force: true });
  await b?.stop();
  uninstall();
});

function cli(...args) {
  return spawnSync(a.bin, ['import', 'fhir', '--db', a.db, ...args], { encoding: 'utf8', timeout: 300000 });
}

// Every page of a search, as raw texts.
async function pages(server, who, path) {
  const texts = [];
  for (let url = path, n = 0; url; n++) {
    assert.ok(n < 1000, 'paging ends');
    const r = await server.req('GET', url.replace(/^http:\/\/[^/]+/, ''), { token: server.tokens[who], headers: { accept: FHIR } });
    assert.equal(r.status, 200, r.text);
    texts.push(r.text);
    url = r.json.link.find((l) => l.relation === 'next')?.url;
  }
  return texts;
}

// "code effectiveDateTime value unit" of each Observation, value as written in the JSON text.
function values(texts) {
  const out = [];
  for (const t of texts)
    for (const m of t.matchAll(/"code":"([^"]+)","display":"[^"]*"\}\]\},"subject":\{"reference":"[^"]+"\},"effectiveDateTime":"([^"]+)","valueQuantity":\{"value":([^,]+),"unit":"([^"]*)"/g))
      out.push(m.slice(1).join(' '));
  return out.sort();
}

test('peerlink import fhir imports the samples, reports a bad line, and creates nothing twice', async () => {
  const first = cli(join(DATA, 'ndjson-t2dm'));
  assert.equal(first.status, 0, first.stderr);
  const r1 = JSON.parse(first.stdout);
  assert.equal(r1.patients_created, 9);
  assert.ok(r1.observations_created > 500, first.stdout);
  assert.ok(r1.not_kept.Encounter > 0 && r1.not_kept.Claim > 0, 'unkept types are counted');

  const again = cli(join(DATA, 'ndjson-t2dm'));
  const r2 = JSON.parse(again.stdout);
  assert.equal(r2.patients_created, 0);
  assert.equal(r2.observations_created, 0);
  assert.equal(r2.observations_matched, r1.observations_created);

  // a file with a bad line in the middle: the line is named, the good ones commit
  const obs = readFileSync(join(DATA, 'ndjson-t2dm', 'Observation.ndjson'), 'utf8').split('\n');
  const pat = readFileSync(join(DATA, 'ndjson-t2dm', 'Patient.ndjson'), 'utf8').split('\n')[0];
  const p = JSON.parse(pat);
  p.id = 'fresh-patient';
  p.identifier = [{ system: 'urn:test', value: 'fresh-1' }];
  const mine = obs.filter((l) => l.includes('"4548-4"')).slice(0, 3).map((l) => {
    const o = JSON.parse(l);
    o.id = `fresh-${o.id}`;
    o.subject.reference = 'Patient/fresh-patient';
    return JSON.stringify(o);
  });
  const file = join(a.dir, 'bad.ndjson');
  writeFileSync(file, [JSON.stringify(p), mine[0], '{"resourceType": "Observation", oops', mine[1], mine[2], ''].join('\n'));
  const bad = cli(file);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:3: the resource is not valid JSON`));
  const r3 = JSON.parse(bad.stdout);
  assert.equal(r3.refused, 1);
  assert.equal(r3.patients_created, 1);
  assert.equal(r3.observations_created, 3);

  await a.start();
  await a.loginAll(['manager']);
  const found = await a.req('GET', '/fhir/Patient?identifier=urn:test|fresh-1', { token: a.tokens.manager });
  const pid = found.json.entry[0].resource.id;
  const hb = await a.req('GET', `/fhir/Observation?patient=${pid}&code=4548-4`, { token: a.tokens.manager });
  assert.equal(hb.json.entry.length, 3);
});

test('POST /fhir/$import takes NDJSON and lists refused lines by number', async () => {
  const lines = readFileSync(join(DATA, 'ndjson-t2dm', 'Patient.ndjson'), 'utf8').split('\n').slice(0, 2);
  const body = [lines[0], 'not json', lines[1]].join('\n');
  const r = await b.req('POST', '/fhir/$import', { token: b.tokens.manager, body, contentType: 'application/fhir+ndjson' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.resourceType, 'OperationOutcome');
  assert.match(r.json.issue[0].diagnostics, /2 patients created/);
  assert.match(r.json.issue[1].diagnostics, /^line 2: /);
  const wrong = await b.req('POST', '/fhir/$import', { token: b.tokens.manager, body, contentType: 'text/plain' });
  assert.equal(wrong.status, 415);
  const peer = await b.req('POST', '/fhir/$import', { token: b.tokens.peer, body, contentType: 'application/fhir+ndjson' });
  assert.equal(peer.status, 403);
});

test('POST /fhir/$import: a subject outside the importer\'s scope is not known to it', async () => {
  const site = b.me.clinician.scope_unit_id;
  const made = await b.req('POST', '/api/v1/staff', {
    token: b.tokens.admin,
    body: { username: 'site-manager', role: 'program_manager', scope_unit_id: site, password: 'site-manager-pw-1' },
  });
  assert.equal(made.status, 201, made.text);
  const token = await b.login('site-manager', 'site-manager-pw-1');
  let outside = null;
  for (const p of await b.listAll('manager', '/api/v1/participants?limit=200')) {
    const r = await b.req('GET', `/api/v1/participants/${p.id}`, { token });
    if (r.status === 404) { outside = p; break; }
  }
  assert.ok(outside, 'the program has a participant outside the site');
  const obs = (id) => JSON.stringify({
    resourceType: 'Observation', id: `scope-${id}`, status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '4548-4' }] },
    subject: { reference: `Patient/${outside.id}` }, effectiveDateTime: '2026-01-05T09:00:00Z',
    valueQuantity: { value: 8.3, unit: '%', system: 'http://unitsofmeasure.org', code: '%' },
  });
  const count = async () => (await b.listAll('admin', `/api/v1/measurements?participant_id=${outside.id}&limit=200`)).length;
  const before = await count();
  const r = await b.req('POST', `/fhir/$import?unit=${site}`, { token, body: obs(1), contentType: 'application/fhir+ndjson' });
  assert.equal(r.status, 200, r.text);
  assert.match(r.json.issue[1]?.diagnostics ?? '', /^line 1: .*names no Patient/);
  assert.equal(await count(), before, 'nothing was written for the participant out of scope');
  // the program's manager, whose scope holds the participant, imports the same line
  const ok = await b.req('POST', '/fhir/$import', { token: b.tokens.manager, body: obs(2), contentType: 'application/fhir+ndjson' });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(await count(), before + 1);
});

test('round trip: export a record, import it elsewhere, the same values come back', async () => {
  // a: the fresh patient imported above plus a Synthea bundle patient
  const bundle = readFileSync(join(DATA, 'synthea-r4-bundles', 'Louis_Maggio_2e275d4b-855a-4eb2-9021-5410aa8acd4f.json'), 'utf8');
  const t = await a.req('POST', '/fhir', { token: a.tokens.manager, body: bundle, contentType: FHIR });
  assert.equal(t.status, 200, t.text.slice(0, 300));
  const pid = t.json.entry[0].response.location.split('/')[1];
  // a decimal written with a trailing zero
  const seven = `{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"4548-4"}]},"subject":{"reference":"Patient/${pid}"},"effectiveDateTime":"2024-05-01T08:00:00Z","valueQuantity":{"value":7.50,"unit":"%","system":"http://unitsofmeasure.org","code":"%"}}`;
  const s7 = await a.req('POST', '/fhir/Observation', { token: a.tokens.manager, body: seven, contentType: FHIR });
  assert.equal(s7.status, 201, s7.text);

  const patient = await a.req('GET', `/fhir/Patient/${pid}`, { token: a.tokens.manager });
  const exported = await pages(a, 'manager', `/fhir/Observation?patient=${pid}&_count=100&_sort=date`);
  const want = values(exported);
  assert.ok(want.length > 20, `${want.length} values`);
  assert.ok(want.some((v) => v.endsWith(' 7.50 %')), 'the 7.50 is exported as written');

  // NDJSON: the Patient, then each Observation resource, as the server wrote them
  const ndjson = [patient.text];
  for (const text of exported)
    for (const e of JSON.parse(text).entry) ndjson.push(JSON.stringify(e.resource));
  // JSON.stringify loses "7.50": put the written texts back from the raw pages
  const raw = exported.join('');
  const fixed = ndjson.map((l) => {
    const o = JSON.parse(l);
    if (o.resourceType !== 'Observation') return l;
    const m = raw.match(new RegExp(`"id":"${o.id}"[^]*?"valueQuantity":\\{"value":([^,]+),`));
    return l.replace(/"valueQuantity":\{"value":[^,]+,/, `"valueQuantity":{"value":${m[1]},`);
  });

  const r = await b.req('POST', '/fhir/$import', { token: b.tokens.manager, body: fixed.join('\n'), contentType: 'application/fhir+ndjson' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.issue.length, 1, r.text);
  const report = JSON.parse(r.json.extension[0].valueString);
  assert.equal(report.patients_created, 1);
  const ident = patient.json.identifier[0];
  const found = await b.req('GET', `/fhir/Patient?identifier=${encodeURIComponent(`${ident.system}|${ident.value}`)}`, { token: b.tokens.manager });
  assert.equal(found.json.entry.length, 1, found.text);
  const target = found.json.entry[0].resource;
  assert.equal(target.name[0].family, patient.json.name[0].family);
  assert.equal(target.birthDate, patient.json.birthDate);
  const got = values(await pages(b, 'manager', `/fhir/Observation?patient=${target.id}&_count=100&_sort=date`));
  assert.deepEqual(got, want);
});

test('every FHIR body the server returned is valid FHIR R4', () => {
  assertAllValid(10);
});
