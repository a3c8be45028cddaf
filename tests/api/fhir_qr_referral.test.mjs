// fhir_qr_referral.test.mjs - questionnaires and referrals over FHIR
// (docs/FHIR.md, "Questionnaires and referrals"): QuestionnaireResponse read,
// search and create (scored by peerlink, the risk tier following), the score
// Observations beside the measurements, ServiceRequest + Task for the
// closed-loop referral (create, the Task status walked to completed, stale
// If-Match), scope. Real clients from npm; every FHIR body the server returns is
// checked against the R4 JSON schema (fhir_validate.mjs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from 'fhir-kit-client';
import smart from 'fhirclient';

import { setup, discover, poll } from './helpers.mjs';
import { installValidator, assertAllValid, uninstall } from './fhir_validate.mjs';

let s;
let d;
before(async () => {
  installValidator();
  s = await setup();
  d = await discover(s);
});
after(async () => {
  await s?.stop();
  uninstall();
});

const FHIR_JSON = 'application/fhir+json';
const PHQ9 = 'urn:peerlink:questionnaire:phq9';

function fhir(method, path, who, body, headers = {}) {
  return s.req(method, `/fhir${path}`, {
    token: s.tokens[who] ?? who,
    body,
    contentType: FHIR_JSON,
    headers: { accept: FHIR_JSON, ...headers },
  });
}

const kit = (who) => new Client({ baseUrl: `${s.url}/fhir`, bearerToken: s.tokens[who] });

function phq9(pid, answers, extra = {}) {
  return {
    resourceType: 'QuestionnaireResponse',
    questionnaire: PHQ9,
    status: 'completed',
    subject: { reference: `Patient/${pid}` },
    authored: new Date(Date.now() - 60000).toISOString().replace(/\.\d+Z$/, 'Z'),
    item: answers.map((a, i) => (a === null ? { linkId: String(i + 1) }
      : { linkId: String(i + 1), answer: [{ valueInteger: a }] })),
    ...extra,
  };
}

const sum = (xs) => xs.reduce((t, x) => t + (x ?? 0), 0);

test('a PHQ-9 QuestionnaireResponse is scored by peerlink: its score Observation, the risk tier', async () => {
  const p = d.peerParts.find((x) => x.status === 'enrolled' && x.risk_tier === 'standard');
  assert.ok(p, 'no standard-tier participant of the peer leader');
  const answers = [2, 2, 1, 2, 1, 2, 1, 1, 0];
  const c = await fhir('POST', '/QuestionnaireResponse', 'peer', phq9(p.id, answers));
  assert.equal(c.status, 201, c.text);
  assert.equal(c.json.resourceType, 'QuestionnaireResponse');
  assert.equal(c.json.questionnaire, PHQ9);
  assert.equal(c.json.author.reference, `Practitioner/${s.me.peer.id}`);
  assert.equal(c.headers.get('location'), `/fhir/QuestionnaireResponse/${c.json.id}/_history/1`);
  assert.deepEqual(c.json.item.map((i) => i.answer?.[0].valueInteger), answers);

  // the JSON API sees the same response, scored
  const js = await s.get200('peer', `/api/v1/questionnaire-responses/${c.json.id}`);
  assert.equal(js.score, sum(answers));
  assert.equal(js.instrument, 'phq9');

  // the score Observation, read by id and found by code and patient
  const obsId = `qr-${c.json.id}-total`;
  const obs = await kit('peer').read({ resourceType: 'Observation', id: obsId });
  assert.equal(obs.valueQuantity.value, sum(answers));
  assert.ok(obs.code.coding.some((x) => x.system === 'http://loinc.org' && x.code === '44261-6'));
  assert.equal(obs.derivedFrom[0].reference, `QuestionnaireResponse/${c.json.id}`);
  assert.equal(obs.subject.reference, `Patient/${p.id}`);
  assert.equal(obs.effectiveDateTime, c.json.authored);
  const found = await fhir('GET', `/Observation?patient=${p.id}&code=http://loinc.org|44261-6&_count=100`, 'peer');
  assert.equal(found.status, 200, found.text);
  assert.ok(found.json.entry.some((e) => e.resource.id === obsId));

  // the tier follows as for a JSON questionnaire: PHQ-9 >= 10 is high need
  assert.ok(sum(answers) >= 10);
  assert.equal((await s.get200('admin', `/api/v1/participants/${p.id}`)).risk_tier, 'high_need');
  const low = [0, 1, 0, 0, 1, 0, 0, 0, 0];
  const c2 = await fhir('POST', '/QuestionnaireResponse', 'peer', phq9(p.id, low));
  assert.equal(c2.status, 201, c2.text);
  assert.equal((await kit('peer').read({ resourceType: 'Observation', id: `qr-${c2.json.id}-total` }))
    .valueQuantity.value, sum(low));
  assert.equal((await s.get200('admin', `/api/v1/participants/${p.id}`)).risk_tier, 'standard');

  // the LOINC panel names the PHQ-9 too; a blank item is recorded as not answered
  const withBlank = [1, 1, 1, 1, 1, 1, 1, null, 0];
  const c3 = await fhir('POST', '/QuestionnaireResponse', 'peer',
    phq9(p.id, withBlank, { questionnaire: 'http://loinc.org/q/44249-1' }));
  assert.equal(c3.status, 201, c3.text);
  assert.equal(c3.json.item[7].answer, undefined);
  const js3 = await s.get200('peer', `/api/v1/questionnaire-responses/${c3.json.id}`);
  assert.equal(js3.answers[7], null);
  assert.equal(js3.prorated, true);
  assertAllValid();
});

test('a DDS-17 score Observation carries its mean and its four subscales as components', async () => {
  const p = d.peerParts[3];
  const answers = [1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5];
  const body = {
    resourceType: 'QuestionnaireResponse', questionnaire: 'urn:peerlink:questionnaire:dds17',
    status: 'completed', subject: { reference: `Patient/${p.id}` },
    item: answers.map((a, i) => ({ linkId: String(i + 1), answer: [{ valueCoding: { code: String(a) } }] })),
  };
  const c = await fhir('POST', '/QuestionnaireResponse', 'peer', body);
  assert.equal(c.status, 201, c.text);
  const obs = (await fhir('GET', `/Observation/qr-${c.json.id}-total`, 'peer')).json;
  const mean = (items) => sum(items.map((k) => answers[k - 1])) / items.length;
  assert.ok(Math.abs(obs.valueQuantity.value - sum(answers) / answers.length) < 1e-9);
  assert.ok(obs.code.coding.some((x) => x.system === 'urn:peerlink:instrument-score' && x.code === 'dds17-total'));
  const subscales = {
    emotional_burden: [1, 4, 7, 10, 14], physician_distress: [2, 5, 11, 15],
    regimen_distress: [3, 6, 8, 12, 16], interpersonal_distress: [9, 13, 17],
  };
  assert.equal(obs.component.length, 4);
  for (const comp of obs.component) {
    const name = comp.code.text;
    assert.ok(subscales[name], name);
    assert.equal(comp.code.coding[0].code, `dds17-${name}`);
    assert.ok(Math.abs(comp.valueQuantity.value - mean(subscales[name])) < 1e-9, name);
  }
  assertAllValid();
});

test('bad answers: an OperationOutcome naming the FHIR path, and nothing is recorded', async () => {
  const p = d.peerParts[0];
  const before = await s.listAll('peer', `/api/v1/questionnaire-responses?participant_id=${p.id}&limit=200`);
  const cases = [
    [phq9(p.id, [0, 0, 0, 4, 0, 0, 0, 0, 0]), 'item[3].answer[0].valueInteger'],
    [phq9(p.id, [0, 0, 0, 0, 0, 0, 0, 0]), 'item'],
    [{ ...phq9(p.id, [0, 0, 0, 0, 0, 0, 0, 0, 0]), item: [...phq9(p.id, [0, 0, 0, 0, 0, 0, 0, 0, 0]).item, { linkId: '10', answer: [{ valueInteger: 1 }] }] },
      'item[9].linkId'],
    [phq9(p.id, [0, 0, 0, 0, 0, 0, 0, 0, 0], { questionnaire: 'urn:peerlink:questionnaire:gad7' }), 'questionnaire'],
    [phq9(p.id, [0, 0, 0, 0, 0, 0, 0, 0, 0], { status: 'in-progress' }), 'status'],
    [{ ...phq9(p.id, [0]), item: [{ linkId: '1', answer: [{ valueString: 'often' }] }] }, 'item[0].answer[0]'],
  ];
  for (const [body, path] of cases) {
    const r = await fhir('POST', '/QuestionnaireResponse', 'peer', body);
    assert.equal(r.status, 422, `${path}: ${r.text}`);
    assert.equal(r.json.resourceType, 'OperationOutcome');
    assert.ok(r.json.issue.some((i) => i.expression?.includes(path)),
      `${path} not named: ${JSON.stringify(r.json.issue)}`);
  }
  const after = await s.listAll('peer', `/api/v1/questionnaire-responses?participant_id=${p.id}&limit=200`);
  assert.equal(after.length, before.length, 'nothing recorded');
  assertAllValid();
});

test('QuestionnaireResponse read, vread, search by patient, questionnaire, authored, paging, _sort', async () => {
  const p = d.peerParts[1];
  const made = [];
  for (const [i, ans] of [[0, 0, 0, 0, 0, 0, 0, 0, 0], [1, 0, 0, 0, 0, 0, 0, 0, 0], [2, 0, 0, 0, 0, 0, 0, 0, 0]].entries()) {
    const r = await fhir('POST', '/QuestionnaireResponse', 'peer',
      phq9(p.id, ans, { authored: `2024-0${i + 1}-10T09:00:00Z` }));
    assert.equal(r.status, 201, r.text);
    made.push(r.json.id);
  }
  const client = kit('peer');
  const read = await client.read({ resourceType: 'QuestionnaireResponse', id: made[0] });
  assert.equal(read.meta.versionId, '1');
  await client.vread({ resourceType: 'QuestionnaireResponse', id: made[0], version: '1' });
  assert.equal((await fhir('GET', `/QuestionnaireResponse/${made[0]}/_history/2`, 'peer')).status, 404);

  let bundle = await client.search({ resourceType: 'QuestionnaireResponse',
    searchParams: { patient: p.id, questionnaire: PHQ9, authored: 'ge2024-01-01', _count: 2, _sort: '-authored' } });
  const authored = [];
  for (let n = 0; bundle; n++) {
    assert.ok(n < 10);
    authored.push(...(bundle.entry ?? []).map((e) => e.resource.authored));
    bundle = await client.nextPage({ bundle });
  }
  const mine = authored.filter((a) => a.startsWith('2024-0'));
  assert.deepEqual(mine, ['2024-03-10T09:00:00Z', '2024-02-10T09:00:00Z', '2024-01-10T09:00:00Z']);
  const between = await fhir('GET', `/QuestionnaireResponse?patient=${p.id}&authored=gt2024-01-31&authored=lt2024-03-01`, 'peer');
  assert.deepEqual(between.json.entry.map((e) => e.resource.id), [made[1]]);
  const ne = await fhir('GET', `/QuestionnaireResponse?patient=${p.id}&authored=ne2024-02-10&authored=le2024-12-31&authored=ge2024-01-01`, 'peer');
  assert.deepEqual(ne.json.entry.map((e) => e.resource.id).sort(), [made[0], made[2]].sort());
  const byId = await fhir('GET', `/QuestionnaireResponse?_id=${made[2]}`, 'peer');
  assert.deepEqual(byId.json.entry.map((e) => e.resource.id), [made[2]]);
  const other = await fhir('GET', `/QuestionnaireResponse?patient=${p.id}&questionnaire=urn:peerlink:questionnaire:dds17&authored=ge2024-01-01&authored=lt2024-12-31`, 'peer');
  assert.equal(other.json.entry.length, 0);
  const recent = await fhir('GET', `/QuestionnaireResponse?patient=${p.id}&_lastUpdated=ge${new Date(Date.now() - 3600e3).toISOString().slice(0, 10)}`, 'peer');
  assert.ok(made.every((id) => recent.json.entry.some((e) => e.resource.id === id)));
  assert.equal((await fhir('GET', '/QuestionnaireResponse?authored=soon', 'peer')).status, 400);

  // fhirclient (application/json) reads one too
  const sc = smart(s.url).client({ serverUrl: `${s.url}/fhir`, tokenResponse: { access_token: s.tokens.peer } });
  const viaSmart = await sc.request(`QuestionnaireResponse/${made[1]}`);
  assert.equal(viaSmart.item[0].answer[0].valueInteger, 1);
  assertAllValid();
});

test('Observation search pages over measurements then score Observations without gaps or repeats', async () => {
  const p = d.peerParts[1];
  const walk = async (count) => {
    const ids = [];
    let next = `/Observation?patient=${p.id}&_count=${count}`;
    for (let n = 0; next; n++) {
      assert.ok(n < 500);
      const r = await fhir('GET', next.replace(/^.*\/fhir/, ''), 'peer');
      assert.equal(r.status, 200, r.text);
      assert.ok(r.json.entry.length <= count);
      ids.push(...r.json.entry.map((e) => e.resource.id));
      next = r.json.link.find((l) => l.relation === 'next')?.url;
    }
    return ids;
  };
  const all = await walk(1000);
  assert.equal(new Set(all).size, all.length, 'no id twice');
  // every page size, whether the measurements end inside a page or at its edge, walks the same
  for (const count of [1, 2, 3, 4, 7]) assert.deepEqual(await walk(count), all, `_count=${count}`);
  const measurements = await s.listAll('peer', `/api/v1/measurements?participant_id=${p.id}&limit=200`);
  const scored = (await s.listAll('peer', `/api/v1/questionnaire-responses?participant_id=${p.id}&limit=200`))
    .filter((q) => q.scored);
  assert.equal(all.length, measurements.length + scored.length);
  const firstScore = all.findIndex((id) => id.startsWith('qr-'));
  assert.ok(firstScore >= 0);
  assert.ok(all.slice(firstScore).every((id) => id.startsWith('qr-')), 'measurements first, then scores');
  // a peerlink score code alone finds scores only; _id with a score id finds it
  const dds = await fhir('GET', `/Observation?patient=${p.id}&code=urn:peerlink:instrument-score|phq9-total`, 'peer');
  assert.ok(dds.json.entry.every((e) => e.resource.id.startsWith('qr-')));
  const one = await fhir('GET', `/Observation?_id=${all[firstScore]}`, 'peer');
  assert.deepEqual(one.json.entry.map((e) => e.resource.id), [all[firstScore]]);
  assertAllValid();
});

async function foodService(pid) {
  const svcs = await s.listAll('navigator', '/api/v1/resources?category=food&q=pantry&limit=200');
  assert.ok(svcs[0], 'no pantry');
  return svcs[0];
}

const openReferralTasks = (pid) =>
  s.listAll('admin', `/api/v1/tasks?participant_id=${pid}&kind=referral&status=open&limit=200`);

test('ServiceRequest create is a referral; Task status walks the closed loop to completed', async () => {
  const pid = d.msPart.id;
  const svc = await foodService(pid);
  const c = await fhir('POST', '/ServiceRequest', 'navigator', {
    resourceType: 'ServiceRequest', status: 'draft', intent: 'order',
    category: [{ coding: [{ system: 'http://hl7.org/fhir/us/sdoh-clinicalcare/CodeSystem/SDOHCC-CodeSystemTemporaryCodes', code: 'food-insecurity' }] }],
    subject: { reference: `Patient/${pid}` },
    performer: [{ reference: `HealthcareService/${svc.id}` }],
    note: [{ text: 'Runs out of food at the end of the month.' }],
  });
  assert.equal(c.status, 201, c.text);
  const id = c.json.id;
  assert.equal(c.json.status, 'draft');
  const js = await s.get200('navigator', `/api/v1/referrals/${id}`);
  assert.equal(js.status, 'proposed');
  assert.equal(js.need, 'food');
  assert.equal(js.service_id, svc.id);
  assert.equal(js.referred_by, s.me.navigator.id);
  assert.equal((await openReferralTasks(pid)).filter((t) => t.source_id === Number(id)).length, 1,
    'the referral task opened as for a JSON referral');

  const client = kit('navigator');
  let task = await client.read({ resourceType: 'Task', id });
  assert.equal(task.status, 'draft');
  assert.equal(task.focus.reference, `ServiceRequest/${id}`);
  let etag = `W/"${task.meta.versionId}"`;
  for (const [status, peer] of [['requested', 'sent'], ['in-progress', 'accepted'], ['completed', 'completed']]) {
    const r = await fhir('PUT', `/Task/${id}`, 'navigator',
      { ...task, status, statusReason: { text: `now ${status}` } }, { 'if-match': etag });
    assert.equal(r.status, 200, `${status}: ${r.text}`);
    assert.equal((await s.get200('navigator', `/api/v1/referrals/${id}`)).status, peer);
    etag = r.headers.get('etag');
    task = r.json;
  }
  assert.equal(task.status, 'completed');
  assert.ok(task.output?.[0]?.valueDateTime);
  const sr = await client.read({ resourceType: 'ServiceRequest', id });
  assert.equal(sr.status, 'completed');
  assert.equal((await openReferralTasks(pid)).filter((t) => t.source_id === Number(id)).length, 0,
    'the referral task closed');
  const hist = (await s.get200('navigator', `/api/v1/referrals/${id}`)).history;
  assert.deepEqual(hist.map((h) => h.to_status), ['proposed', 'sent', 'accepted', 'completed']);

  // searches
  const bySr = await client.search({ resourceType: 'ServiceRequest', searchParams: { patient: pid, status: 'completed' } });
  assert.ok(bySr.entry.some((e) => e.resource.id === id));
  const byTask = await client.search({ resourceType: 'Task', searchParams: { focus: `ServiceRequest/${id}` } });
  assert.deepEqual(byTask.entry.map((e) => e.resource.id), [id]);
  const drafts = await fhir('GET', `/Task?patient=${pid}&status=draft&_count=1`, 'navigator');
  assert.ok(drafts.json.entry.every((e) => e.resource.status === 'draft'));
  assertAllValid();
});

test('Task: an illegal transition or a stale If-Match changes nothing', async () => {
  const pid = d.msPart.id;
  const c = await fhir('POST', '/ServiceRequest', 'navigator', {
    resourceType: 'ServiceRequest', status: 'draft', intent: 'order',
    subject: { reference: `Patient/${pid}` }, code: { text: 'Bus pass office' },
  });
  assert.equal(c.status, 201, c.text);
  const id = c.json.id;
  // the JSON API's length rules hold over FHIR too, named by the FHIR path
  const before = (await fhir('GET', `/ServiceRequest?patient=${pid}&_count=1000`, 'navigator')).json.entry?.length ?? 0;
  const long = await fhir('POST', '/ServiceRequest', 'navigator', {
    resourceType: 'ServiceRequest', status: 'draft', intent: 'order',
    subject: { reference: `Patient/${pid}` }, code: { text: 'x'.repeat(501) },
  });
  assert.equal(long.status, 422, long.text);
  assert.ok(long.json.issue.some((i) => i.expression?.includes('code.text')));
  const after = (await fhir('GET', `/ServiceRequest?patient=${pid}&_count=1000`, 'navigator')).json.entry?.length ?? 0;
  assert.equal(after, before, 'nothing was written');
  const task = (await fhir('GET', `/Task/${id}`, 'navigator')).json;
  const bad = await fhir('PUT', `/Task/${id}`, 'navigator', { ...task, status: 'completed' },
    { 'if-match': 'W/"1"' });
  assert.equal(bad.status, 422, bad.text);
  assert.match(bad.json.issue[0].diagnostics, /cannot change from proposed to completed/);
  const noReason = await fhir('PUT', `/Task/${id}`, 'navigator', { ...task, status: 'cancelled' });
  assert.equal(noReason.status, 422, noReason.text);
  assert.ok(noReason.json.issue.some((i) => i.expression?.includes('statusReason.text')));
  const ok = await fhir('PUT', `/Task/${id}`, 'navigator', { ...task, status: 'requested' },
    { 'if-match': 'W/"1"' });
  assert.equal(ok.status, 200, ok.text);
  const stale = await fhir('PUT', `/Task/${id}`, 'navigator', { ...task, status: 'accepted' },
    { 'if-match': 'W/"1"' });
  assert.equal(stale.status, 412, stale.text);
  assert.equal(stale.json.resourceType, 'OperationOutcome');
  const js = await s.get200('navigator', `/api/v1/referrals/${id}`);
  assert.equal(js.status, 'sent');
  assert.equal(js.version, 2);
  assertAllValid();
});

test('scope: out of scope is 404, like an unknown id', async () => {
  // a response and a referral of a Mi Salud participant, out of the peer leader's scope
  const pid = d.msPart.id;
  const q = await fhir('POST', '/QuestionnaireResponse', 'navigator', phq9(pid, [0, 0, 0, 0, 0, 0, 0, 0, 0]));
  assert.equal(q.status, 201, q.text);
  const r = await fhir('POST', '/ServiceRequest', 'navigator', {
    resourceType: 'ServiceRequest', status: 'active', intent: 'order',
    subject: { reference: `Patient/${pid}` }, code: { text: 'Legal aid clinic' },
  });
  assert.equal(r.status, 201, r.text);
  for (const path of [`/QuestionnaireResponse/${q.json.id}`, `/Observation/qr-${q.json.id}-total`,
    `/ServiceRequest/${r.json.id}`, `/Task/${r.json.id}`, '/QuestionnaireResponse/999999999',
    '/Observation/qr-999999999-total', '/Task/999999999']) {
    const got = await fhir('GET', path, 'peer');
    assert.equal(got.status, 404, `${path}: ${got.text}`);
    assert.equal(got.json.resourceType, 'OperationOutcome');
  }
  const put = await fhir('PUT', `/Task/${r.json.id}`, 'peer', { resourceType: 'Task', status: 'accepted' });
  assert.equal(put.status, 404);
  const search = await fhir('GET', `/ServiceRequest?patient=${pid}`, 'peer');
  assert.equal(search.json.entry.length, 0);
  const qs = await fhir('GET', `/QuestionnaireResponse?_id=${q.json.id}`, 'peer');
  assert.equal(qs.json.entry.length, 0);
  const out = await fhir('POST', '/QuestionnaireResponse', 'peer', phq9(pid, [0, 0, 0, 0, 0, 0, 0, 0, 0]));
  assert.equal(out.status, 422, 'a Patient out of scope is not known');
  assertAllValid();
});

test('FHIR reads are audited as the JSON API audits responses and referrals, denied ones too', async () => {
  const p = d.peerParts[2];
  const q = await fhir('POST', '/QuestionnaireResponse', 'peer', phq9(p.id, [1, 0, 0, 0, 0, 0, 0, 0, 0]));
  assert.equal(q.status, 201, q.text);
  const sr = await fhir('POST', '/ServiceRequest', 'peer', {
    resourceType: 'ServiceRequest', status: 'draft', intent: 'order',
    subject: { reference: `Patient/${p.id}` }, code: { text: 'Walking group' },
  });
  assert.equal(sr.status, 201, sr.text);
  await fhir('GET', `/QuestionnaireResponse/${q.json.id}`, 'peer');
  await fhir('GET', `/Observation/qr-${q.json.id}-total`, 'clinician');
  await fhir('GET', `/Task/${sr.json.id}`, 'peer');
  await fhir('GET', `/Task/${sr.json.id}`, 'navigator'); // out of the navigator's scope: 404
  const events = (who, entity, id, status) => poll(async () => {
    const list = await s.listAll('admin', `/api/v1/audit?participant_id=${p.id}&entity=${entity}&action=read&limit=200`);
    return list.find((e) => e.account_id === s.me[who].id && e.entity_id === Number(id) && e.status === status);
  });
  assert.ok(await events('peer', 'questionnaire_response', q.json.id, 200), 'QuestionnaireResponse read');
  assert.ok(await events('clinician', 'questionnaire_response', q.json.id, 200), 'score Observation read');
  assert.ok(await events('peer', 'referral', sr.json.id, 200), 'Task read');
  assert.ok(await events('navigator', 'referral', sr.json.id, 404), 'the denied Task read');
});
