// fhir_bulk.test.mjs - FHIR Bulk Data 2.0 $export (docs/FHIR.md, "Bulk export")
// and the router's own refusals under /fhir as OperationOutcome.
//
// Server a: the demo plus the nine shared Synthea bundles; server b: another
// fresh demo (the "wiped" database). The round trip exports a, imports the
// Synthea patients' exported NDJSON into b through POST /fhir/$import,
// exports b and compares both exports value by value (decimals as the JSON
// text: 7.50 stays 7.50), matching patients by their Synthea identifier.
// Also: _type, _since, Group level, cancel, another account's poll refused,
// a peer leader's scope, the ceiling on running exports; every NDJSON line
// and every FHIR body is checked by the R4 JSON schema (fhir_validate.mjs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'fhir-kit-client';

import { Server, dropDatabase, sleep } from './helpers.mjs';
import { installValidator, assertAllValid, uninstall, validate } from './fhir_validate.mjs';

const FHIR = 'application/fhir+json';
const SYNTHEA = join(process.env.PEERLINK_SOURCE_ROOT, '..', 'shared', 'data', 'fhir', 'synthea-r4-bundles');
const SYNTHEA_SYSTEM = 'https://github.com/synthetichealth/synthea';
const KICKOFF = { accept: FHIR, prefer: 'respond-async' };

let a;
let b;
let linesChecked = 0;

async function server() {
  const s = new Server();
  try {
    s.demo();
    await s.start({ maxBody: 32 * 1024 * 1024, exportDir: join(s.dir, 'exports') });
    await s.loginAll(['admin', 'manager', 'peer', 'evaluator']);
  } catch (e) {
    await s.stop().catch(() => {});
    rmSync(s.dir, { recursive: true, force: true });
    dropDatabase(s.db);
    throw e;
  }
  return s;
}

before(async () => {
  installValidator();
  a = await server();
  b = await server();
});
after(async () => {
  await a?.cleanup();
  await b?.cleanup();
  uninstall();
});

// Kick-off; returns the status URL's path.
async function kickoff(s, who, path) {
  const r = await s.req('GET', path, { token: s.tokens[who], headers: KICKOFF });
  assert.equal(r.status, 202, `${path}: ${r.text}`);
  const loc = r.headers.get('content-location');
  assert.match(loc, /\/fhir\/\$export-status\/[0-9a-f]{32}$/);
  return new URL(loc).pathname;
}

// Polls until the manifest (the progress header is checked on the way).
async function manifest(s, who, status) {
  for (let i = 0; i < 3000; i++) {
    const r = await s.req('GET', status, { token: s.tokens[who] });
    if (r.status === 200) {
      assert.match(r.headers.get('content-type'), /^application\/json/);
      return r.json;
    }
    assert.equal(r.status, 202, r.text);
    assert.ok(r.headers.get('retry-after'));
    assert.match(r.headers.get('x-progress'), /^(queued|starting|[A-Za-z]+ \d+\/\d+)$/);
    await sleep(100);
  }
  throw new Error(`export ${status} did not finish`);
}

// The files of a manifest: {Type: [line text, ...]}, every line checked by the R4 schema.
async function download(s, who, m) {
  const out = {};
  for (const o of m.output) {
    const r = await s.req('GET', new URL(o.url).pathname, { token: s.tokens[who] });
    assert.equal(r.status, 200, r.text);
    assert.match(r.headers.get('content-type'), /^application\/fhir\+ndjson/);
    const lines = r.text.split('\n').filter((l) => l);
    assert.equal(lines.length, o.count, `${o.url} holds count lines`);
    for (const l of lines) {
      const res = JSON.parse(l);
      assert.equal(res.resourceType, o.type);
      const errors = validate(res);
      assert.equal(errors, null, `${o.type}/${res.id}: ${JSON.stringify(errors)}`);
      linesChecked++;
    }
    (out[o.type] ??= []).push(...lines);
  }
  return out;
}

async function exportAll(s, who, path) {
  const status = await kickoff(s, who, path);
  const m = await manifest(s, who, status);
  return { status, manifest: m, files: await download(s, who, m) };
}

const synthId = (p) => p.identifier?.find((i) => i.system === SYNTHEA_SYSTEM)?.value;

// identifier -> {patient: the Patient without ids and peerlink's own identifiers,
//                values: sorted "code effective value-as-written unit" of its Observations}
function bySynthea(files) {
  const out = new Map();
  const idOf = new Map();
  for (const l of files.Patient ?? []) {
    const p = JSON.parse(l);
    const key = synthId(p);
    if (!key) continue;
    idOf.set(p.id, key);
    delete p.id;
    delete p.meta;
    delete p.managingOrganization;
    p.identifier = p.identifier.filter((i) => !i.system?.startsWith('urn:peerlink:'));
    out.set(key, { patient: p, values: [] });
  }
  for (const l of files.Observation ?? []) {
    const o = JSON.parse(l);
    const key = idOf.get(o.subject.reference.split('/')[1]);
    if (!key) continue;
    const value = l.match(/"valueQuantity":\{"value":([^,}]+)/)[1];
    out.get(key).values.push(`${o.code.coding[0].code} ${o.effectiveDateTime} ${value} ${o.valueQuantity.unit}`);
  }
  for (const v of out.values()) v.values.sort();
  return out;
}

test('the CapabilityStatement lists $export at system, Patient and Group level', async () => {
  const client = new Client({ baseUrl: `${a.url}/fhir`, bearerToken: a.tokens.manager });
  const cap = await client.capabilityStatement();
  const rest = cap.rest[0];
  const BULK = 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/';
  assert.deepEqual(rest.operation, [{ name: 'export', definition: `${BULK}export` }]);
  const op = (type) => rest.resource.find((r) => r.type === type)?.operation;
  assert.deepEqual(op('Patient'), [{ name: 'export', definition: `${BULK}patient-export` }]);
  assert.deepEqual(op('Group'), [{ name: 'export', definition: `${BULK}group-export` }]);
});

test('round trip: import Synthea, export, import the export into a wiped database, export again: the same values', async () => {
  for (const f of readdirSync(SYNTHEA).filter((n) => n.endsWith('.json'))) {
    const r = await a.req('POST', '/fhir', { token: a.tokens.manager, body: readFileSync(join(SYNTHEA, f), 'utf8'), contentType: FHIR });
    assert.equal(r.status, 200, `${f}: ${r.text.slice(0, 300)}`);
  }
  // a decimal written with a trailing zero, on a Synthea patient
  const first_bundle = JSON.parse(readFileSync(join(SYNTHEA, readdirSync(SYNTHEA).filter((n) => n.endsWith('.json'))[0]), 'utf8'));
  const key = synthId(first_bundle.entry.find((e) => e.resource.resourceType === 'Patient').resource);
  const found = await a.req('GET', `/fhir/Patient?identifier=${encodeURIComponent(`${SYNTHEA_SYSTEM}|${key}`)}`, { token: a.tokens.manager });
  assert.equal(found.json.entry.length, 1, found.text);
  const one = found.json.entry[0].resource;
  const seven = `{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"4548-4"}]},"subject":{"reference":"Patient/${one.id}"},"effectiveDateTime":"2024-05-01T08:00:00Z","valueQuantity":{"value":7.50,"unit":"%","system":"http://unitsofmeasure.org","code":"%"}}`;
  const s7 = await a.req('POST', '/fhir/Observation', { token: a.tokens.manager, body: seven, contentType: FHIR });
  assert.equal(s7.status, 201, s7.text);

  const first = await exportAll(a, 'admin', '/fhir/$export?_type=Patient,Observation');
  assert.match(first.manifest.transactionTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.equal(first.manifest.requiresAccessToken, true);
  assert.match(first.manifest.request, /\/fhir\/\$export\?_type=Patient,Observation$/);
  assert.deepEqual(first.manifest.error, []);
  const want = bySynthea(first.files);
  assert.equal(want.size, 9, 'the nine Synthea patients are exported');
  assert.ok([...want.values()].some((v) => v.values.some((x) => x.includes(' 7.50 %'))), 'the 7.50 is exported as written');
  const nvalues = [...want.values()].reduce((n, v) => n + v.values.length, 0);
  assert.ok(nvalues > 100, `${nvalues} values`);

  // the Synthea patients' lines, unchanged, into the wiped database
  const ids = new Set(first.files.Patient.filter((l) => synthId(JSON.parse(l))).map((l) => JSON.parse(l).id));
  const body = [
    ...first.files.Patient.filter((l) => ids.has(JSON.parse(l).id)),
    ...first.files.Observation.filter((l) => ids.has(JSON.parse(l).subject.reference.split('/')[1])),
  ].join('\n');
  const imp = await b.req('POST', '/fhir/$import', { token: b.tokens.manager, body, contentType: 'application/fhir+ndjson' });
  assert.equal(imp.status, 200, imp.text);
  const report = JSON.parse(imp.json.extension[0].valueString);
  assert.equal(report.patients_created, 9, imp.text);
  assert.equal(report.refused, 0, imp.text);

  const second = await exportAll(b, 'admin', '/fhir/$export?_type=Patient,Observation');
  const got = bySynthea(second.files);
  assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort());
  for (const [key, v] of want) {
    assert.deepEqual(got.get(key).patient, v.patient, `Patient ${key}`);
    assert.deepEqual(got.get(key).values, v.values, `the values of ${key}, as written`);
  }
  for (const s of [[a, first.status], [b, second.status]]) {
    const d = await s[0].req('DELETE', s[1], { token: s[0].tokens.admin });
    assert.equal(d.status, 202);
  }
});

test('_type limits the types; an unknown type, a bad _since or format, no Prefer answer 400', async () => {
  const only = await exportAll(a, 'manager', '/fhir/Patient/$export?_type=Patient');
  assert.deepEqual(only.manifest.output.map((o) => o.type), ['Patient']);
  const bad = [
    ['/fhir/$export?_type=Patient,Encounterz', /Encounterz/],
    ['/fhir/$export?_type=Patient,', /empty item/],
    ['/fhir/$export?_since=yesterday', /_since/],
    ['/fhir/$export?_since=2024-05-01', /_since/],
    ['/fhir/$export?_outputFormat=text/csv', /_outputFormat/],
    ['/fhir/$export?_typeFilter=Observation%3Fcode%3D1', /_typeFilter/],
  ];
  for (const [path, why] of bad) {
    const r = await a.req('GET', path, { token: a.tokens.manager, headers: KICKOFF });
    assert.equal(r.status, 400, `${path}: ${r.text}`);
    assert.equal(r.json.resourceType, 'OperationOutcome');
    assert.match(r.json.issue[0].diagnostics, why);
  }
  const ok = await a.req('GET', '/fhir/$export?_outputFormat=application%2Ffhir%2Bndjson&_type=Patient', { token: a.tokens.manager, headers: KICKOFF });
  assert.equal(ok.status, 202, ok.text);
  await manifest(a, 'manager', new URL(ok.headers.get('content-location')).pathname);
  const sync = await a.req('GET', '/fhir/$export', { token: a.tokens.manager, headers: { accept: FHIR } });
  assert.equal(sync.status, 400);
  assert.match(sync.json.issue[0].diagnostics, /respond-async/);
  const xml = await a.req('GET', '/fhir/$export', { token: a.tokens.manager, headers: { accept: 'application/xml', prefer: 'respond-async' } });
  assert.equal(xml.status, 406);
  const ev = await a.req('GET', '/fhir/$export', { token: a.tokens.evaluator, headers: KICKOFF });
  assert.equal(ev.status, 403);
  assert.equal(ev.json.resourceType, 'OperationOutcome');
});

test('_since: a record changed after the instant is exported, an older one is not', async () => {
  const pid = JSON.parse(JSON.stringify((await b.req('GET', '/fhir/Patient?_count=1', { token: b.tokens.manager })).json.entry[0].resource.id));
  const obs = (value) => `{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"4548-4"}]},"subject":{"reference":"Patient/${pid}"},"effectiveDateTime":"2024-06-01T08:00:00Z","valueQuantity":{"value":${value},"unit":"%","system":"http://unitsofmeasure.org","code":"%"}}`;
  const older = await b.req('POST', '/fhir/Observation', { token: b.tokens.manager, body: obs('6.10'), contentType: FHIR });
  assert.equal(older.status, 201, older.text);
  const since = older.json.meta.lastUpdated;
  // the store keeps whole seconds: the newer record must carry a later second
  while (new Date().toISOString().slice(0, 19) + 'Z' <= since) await sleep(50);
  await sleep(1000);
  const newer = await b.req('POST', '/fhir/Observation', { token: b.tokens.manager, body: obs('6.20'), contentType: FHIR });
  assert.equal(newer.status, 201, newer.text);
  const r = await exportAll(b, 'manager', `/fhir/$export?_type=Observation&_since=${encodeURIComponent(since)}`);
  const ids = (r.files.Observation ?? []).map((l) => JSON.parse(l).id);
  assert.ok(ids.includes(newer.json.id), 'the newer Observation is exported');
  assert.ok(!ids.includes(older.json.id), 'the one of the instant itself is not');
  for (const l of r.files.Observation) assert.ok(JSON.parse(l).meta.lastUpdated > since);
});

test('Group level: exactly the current members of the group and their data', async () => {
  // the demo's memberships have all ended: two past members join again today
  const groups = await a.listAll('manager', '/api/v1/groups');
  let group = null;
  let members = [];
  for (const g of groups) {
    members = [];
    for (const m of await a.listAll('manager', `/api/v1/groups/${g.id}/members`)) {
      if (members.length === 2 || members.some((x) => x.participant_id === m.participant_id)) continue;
      const r = await a.req('POST', `/api/v1/groups/${g.id}/members`, { token: a.tokens.manager, body: { participant_id: m.participant_id } });
      if (r.status === 201) members.push(r.json);
    }
    if (members.length === 2) {
      group = g;
      break;
    }
  }
  assert.ok(group, 'a demo group two past members could join again');
  const want = members.map((m) => String(m.participant_id)).sort();
  const r = await exportAll(a, 'manager', `/fhir/Group/${group.id}/$export`);
  assert.deepEqual(r.files.Patient.map((l) => JSON.parse(l).id).sort(), want);
  for (const l of r.files.Observation ?? [])
    assert.ok(want.includes(JSON.parse(l).subject.reference.split('/')[1]));
  const unknown = await a.req('GET', '/fhir/Group/999999/$export', { token: a.tokens.manager, headers: KICKOFF });
  assert.equal(unknown.status, 404);
  assert.equal(unknown.json.resourceType, 'OperationOutcome');
});

test('scope: a peer leader exports only his participants', async () => {
  const seen = [];
  for (let url = '/fhir/Patient?_count=1000'; url; ) {
    const r = await a.req('GET', url, { token: a.tokens.peer });
    seen.push(...r.json.entry.map((e) => e.resource.id));
    url = r.json.link.find((l) => l.relation === 'next')?.url?.replace(/^http:\/\/[^/]+/, '');
  }
  assert.ok(seen.length > 0 && seen.length < 100, `${seen.length} participants`);
  const r = await exportAll(a, 'peer', '/fhir/Patient/$export');
  assert.deepEqual(r.files.Patient.map((l) => JSON.parse(l).id).sort(), seen.sort());
  for (const l of r.files.Observation ?? [])
    assert.ok(seen.includes(JSON.parse(l).subject.reference.split('/')[1]));
  // the export is audited: one read event per exported record, as a search does (the peer
  // read no Observation otherwise); the audit queue is written in the background
  const exported = (r.files.Observation ?? [])
    .map((l) => JSON.parse(l).id)
    .filter((id) => !id.startsWith('qr-')) // score Observations: audited as their responses
    .map(Number);
  assert.ok(exported.length > 0);
  let audited = new Set();
  for (let i = 0; i < 100 && !exported.every((id) => audited.has(id)); i++) {
    await sleep(100);
    const events = await a.listAll('admin', `/api/v1/audit?account_id=${a.me.peer.id}&entity=measurement&action=read&limit=200`);
    audited = new Set(events.map((e) => e.entity_id));
  }
  assert.ok(exported.every((id) => audited.has(id)), 'every exported Observation has its read event');
});

// Every id a search answers, following its next links.
async function searchIds(s, who, url) {
  const ids = [];
  while (url) {
    const r = await s.req('GET', url, { token: s.tokens[who], headers: { accept: FHIR } });
    assert.equal(r.status, 200, r.text);
    ids.push(...(r.json.entry ?? []).map((e) => e.resource.id));
    url = r.json.link.find((l) => l.relation === 'next')?.url?.replace(/^http:\/\/[^/]+/, '');
  }
  return ids.sort();
}

test('observations (measurements and scores), encounters, questionnaire responses, referrals and Tasks are exported as their searches find them', async () => {
  const types = ['Observation', 'Encounter', 'QuestionnaireResponse', 'ServiceRequest', 'Task'];
  const r = await exportAll(a, 'peer', `/fhir/Patient/$export?_type=${types.join(',')}`);
  for (const t of types) {
    const want = await searchIds(a, 'peer', `/fhir/${t}?_count=1000`);
    const got = (r.files[t] ?? []).map((l) => JSON.parse(l).id).sort();
    assert.ok(want.length > 0, `the demo peer leader's participants have ${t}s`);
    assert.deepEqual(got, want, `${t}: the export holds what the search finds`);
  }
  // the score Observations (qr-<id>-total) come in files of their own, numbered on
  const scores = (r.files.Observation ?? []).filter((l) => JSON.parse(l).id.startsWith('qr-'));
  assert.ok(scores.length > 0, 'the questionnaire scores are exported as Observations');
  const names = r.manifest.output.filter((o) => o.type === 'Observation').map((o) => o.url.split('/').pop());
  assert.deepEqual(names, names.map((_, i) => `Observation-${i + 1}.ndjson`));
});

test('only the account that started an export, or an admin, polls and downloads it', async () => {
  const status = await kickoff(a, 'peer', '/fhir/Patient/$export');
  const other = await a.req('GET', status, { token: a.tokens.manager });
  assert.equal(other.status, 404);
  assert.equal(other.json.resourceType, 'OperationOutcome');
  const m = await manifest(a, 'admin', status); // an admin may
  const file = new URL(m.output[0].url).pathname;
  const theirs = await a.req('GET', file, { token: a.tokens.manager });
  assert.equal(theirs.status, 404);
  const anon = await a.req('GET', file);
  assert.equal(anon.status, 401);
  assert.equal(anon.json.resourceType, 'OperationOutcome');
  const mine = await a.req('GET', file, { token: a.tokens.peer });
  assert.equal(mine.status, 200);
  const del = await a.req('DELETE', status, { token: a.tokens.manager });
  assert.equal(del.status, 404, 'another account cannot delete it either');
  assert.equal((await a.req('DELETE', status, { token: a.tokens.peer })).status, 202);
  assert.equal((await a.req('GET', status, { token: a.tokens.peer })).status, 404);
  assert.equal((await a.req('GET', file, { token: a.tokens.peer })).status, 404);
});

test('DELETE cancels a running export: its status and files are gone', async () => {
  const status = await kickoff(a, 'admin', '/fhir/$export');
  const del = await a.req('DELETE', status, { token: a.tokens.admin });
  assert.equal(del.status, 202);
  const after = await a.req('GET', status, { token: a.tokens.admin });
  assert.equal(after.status, 404);
  assert.equal(after.json.resourceType, 'OperationOutcome');
  const dir = join(a.dir, 'exports', status.split('/').pop());
  for (let i = 0; i < 600 && existsSync(dir); i++) await sleep(100);
  assert.ok(!existsSync(dir), 'the job directory is removed');
});

test('jobs are kept in the database: after a restart a finished export is served and one cut short runs again', async () => {
  const opts = { maxBody: 32 * 1024 * 1024, exportDir: join(a.dir, 'exports') };
  const done = await kickoff(a, 'peer', '/fhir/Patient/$export?_type=Patient');
  const before = await manifest(a, 'peer', done);
  // a system export of everything runs for a while: the restart comes while it runs
  const cut = await kickoff(a, 'admin', '/fhir/$export');
  for (let i = 0; i < 100; i++) {
    const r = await a.req('GET', cut, { token: a.tokens.admin });
    if (r.status !== 202 || r.headers.get('x-progress') !== 'queued') break;
    await sleep(50);
  }
  await a.restart(opts);
  const again = await a.req('GET', done, { token: a.tokens.peer });
  assert.equal(again.status, 200, again.text);
  // the same manifest (the file URLs name the server answering: the port changed)
  const paths = (m) => ({ ...m, output: m.output.map((o) => ({ ...o, url: new URL(o.url).pathname })) });
  assert.deepEqual(paths(again.json), paths(before), 'the finished export answers the same manifest');
  const files = await download(a, 'peer', again.json);
  assert.equal(files.Patient.length, before.output[0].count);
  // the cut one was put back in the queue by the stop and runs to the end after the restart
  const m = await manifest(a, 'admin', cut);
  const all = await download(a, 'admin', m);
  const patients = await searchIds(a, 'admin', '/fhir/Patient?_count=1000');
  assert.deepEqual(all.Patient.map((l) => JSON.parse(l).id).sort(), patients);
  assert.ok(all.Observation.length > 0 && all.Encounter.length > 0);
  for (const s of [done, cut]) {
    assert.equal((await a.req('DELETE', s, { token: a.tokens.admin })).status, 202);
    assert.ok(!existsSync(join(opts.exportDir, s.split('/').pop())), 'a deleted job leaves no files');
  }
});

test('past the ceiling of running exports a kick-off answers 429 with Retry-After', async () => {
  const started = [];
  let refused = null;
  for (let i = 0; i < 12 && !refused; i++) {
    const r = await a.req('GET', '/fhir/$export', { token: a.tokens.admin, headers: KICKOFF });
    if (r.status === 429) refused = r;
    else {
      assert.equal(r.status, 202, r.text);
      started.push(new URL(r.headers.get('content-location')).pathname);
    }
  }
  assert.ok(refused, 'a kick-off past the ceiling is refused');
  assert.ok(Number(refused.headers.get('retry-after')) > 0);
  assert.equal(refused.json.resourceType, 'OperationOutcome');
  for (const s of started) assert.equal((await a.req('DELETE', s, { token: a.tokens.admin })).status, 202);
});

test('the router\'s own refusals under /fhir are OperationOutcome; the JSON API keeps problem+json', async () => {
  const cases = [
    [401, 'GET', '/fhir/Patient', {}, /sign in/],
    [401, 'GET', '/fhir/Patient', { token: 'nonsense' }, /./],
    [403, 'GET', '/fhir/Observation', { token: a.tokens.evaluator }, /role/],
    [403, 'POST', '/fhir/$import', { token: a.tokens.peer, body: '{}', contentType: 'application/fhir+ndjson' }, /role/],
    [404, 'GET', '/fhir/Nothing', { token: a.tokens.manager }, /no such resource/],
    [405, 'GET', '/fhir/', { token: a.tokens.manager }, /method/],
    [405, 'DELETE', '/fhir/metadata', { token: a.tokens.manager }, /method/],
    [413, 'POST', '/fhir', { token: a.tokens.manager, body: `{"resourceType":"Bundle","x":"${'x'.repeat(33 * 1024 * 1024)}"}`, contentType: FHIR }, /larger than/],
  ];
  for (const [status, method, path, opts, why] of cases) {
    const r = await a.req(method, path, opts);
    assert.equal(r.status, status, `${method} ${path}: ${r.text.slice(0, 200)}`);
    assert.match(r.headers.get('content-type'), /^application\/fhir\+json/, `${method} ${path}`);
    assert.equal(r.json.resourceType, 'OperationOutcome', r.text);
    assert.match(r.json.issue[0].diagnostics, why);
    assert.equal(r.json.issue[0].severity, 'error');
  }
  const allow = await a.req('DELETE', '/fhir/metadata', { token: a.tokens.manager });
  assert.match(allow.headers.get('allow'), /GET/);
  const unauth = await a.req('GET', '/fhir/Patient');
  assert.match(unauth.headers.get('www-authenticate'), /Bearer/);
  const api = await a.req('GET', '/api/v1/nothing', { token: a.tokens.manager });
  assert.equal(api.status, 404);
  assert.match(api.headers.get('content-type'), /^application\/problem\+json/);
});

test('every NDJSON line and every FHIR body the server returned is valid FHIR R4', () => {
  assert.ok(linesChecked > 1000, `${linesChecked} NDJSON lines checked`);
  assertAllValid(10);
});
