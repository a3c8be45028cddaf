// studies.test.mjs - /api/v1/studies: the study design endpoints (create,
// arms entered, imported and randomised), the CONSORT flow, the outcome
// report in its three formats and the research exports, as evaluators,
// managers and others see them: roles (403), scope (out of the program: 404,
// exactly like a study that does not exist), the audit trail, aggregates
// only in the report, the pseudonyms of the evaluator view in the exports,
// and a cached report recomputed when its data change.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setup, discover, assertProblem, fieldErrors, poll, daysAgo } from './helpers.mjs';

let s, d, shanghaiStudy, misaludStudy;
before(async () => {
  s = await setup();
  d = await discover(s);
  const all = await s.listAll('admin', '/api/v1/studies?limit=200');
  shanghaiStudy = all.find((x) => x.program_id === d.shanghai);
  misaludStudy = all.find((x) => x.program_id === d.misalud);
  assert.ok(shanghaiStudy && misaludStudy, `the demo's studies: ${JSON.stringify(all)}`);
});
after(async () => {
  if (s) await s.cleanup();
});

const report = (who, id, format = 'json') =>
  s.req('GET', `/api/v1/studies/${id}/report?format=${format}`, { token: s.tokens[who] });
const audit = (query) => s.listAll('admin', `/api/v1/audit?${query}&limit=200`);

test('an evaluator gets the JSON report of its program\'s study: aggregates only', async () => {
  const r = await report('evaluator', shanghaiStudy.id);
  assert.equal(r.status, 200, r.text);
  assert.match(r.headers.get('content-type'), /^application\/json/);
  const j = r.json;
  assert.equal(j.study.id, shanghaiStudy.id);
  assert.deepEqual(j.groups.map((g) => g.group), ['intervention', 'control']);
  const h = j.outcomes.find((o) => o.outcome === 'hba1c');
  assert.ok(h, 'no HbA1c section');
  const iv = h.change.find((c) => c.group === 'intervention');
  assert.ok(iv.t_test.computed && iv.t_test.estimate < 0, JSON.stringify(iv));
  assert.ok(iv.t_test.ci_low < iv.t_test.estimate && iv.t_test.estimate < iv.t_test.ci_high);
  assert.ok(iv.wilcoxon.computed);
  assert.match(h.subgroup.caution, /regression to the mean/);
  assert.ok(h.arm_comparison.computed, JSON.stringify(h.arm_comparison));
  assert.ok(h.arm_comparison.coefficients.some((c) => c.term === 'armintervention'));
  assert.ok(h.difference_in_differences.computed);
  assert.equal(h.goals.length, 9);
  assert.equal(j.flow.groups[0].communities + j.flow.groups[1].communities, 16);
  // the demo rates its intervention communities: the association is fitted for every outcome
  assert.ok(j.implementation.computed);
  assert.equal(j.implementation.communities, 12);
  assert.equal(j.implementation.rated_communities, 12);
  assert.ok(j.implementation.min_rating >= 1 && j.implementation.max_rating <= 5);
  assert.ok(h.implementation.computed, JSON.stringify(h.implementation));
  assert.ok(h.implementation.coefficients.some((c) => c.term === 'rating'));
  assert.ok(h.dose_response_sessions.computed, JSON.stringify(h.dose_response_sessions));
  // the questionnaires are outcomes too
  assert.ok(j.outcomes.some((o) => o.outcome === 'dds') && j.outcomes.some((o) => o.outcome === 'phq9'));
  assert.doesNotMatch(j.implementation.message, /\d{4}-\d\d-\d\d/, 'a date in the report');
  assert.match(j.methods, /Satterthwaite/);
  // nothing that points at a person
  assert.doesNotMatch(r.text, /P[0-9A-F]{16}/, 'a pseudonym in the report');
  assert.doesNotMatch(r.text, /participant_id|given_name|program_ident|mrn/);
});

test('the HTML report is one page with inline SVG plots and no script', async () => {
  const r = await report('evaluator', shanghaiStudy.id, 'html');
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/html/);
  assert.match(r.text, /^<!DOCTYPE html>/);
  assert.match(r.text, /<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.doesNotMatch(r.text, /<script|<link |src="http/);
});

test('the CSV report is one tidy row per number', async () => {
  const r = await report('manager', shanghaiStudy.id, 'csv');
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/csv/);
  const lines = r.text.trim().split('\n');
  assert.equal(lines[0], 'section,outcome,group,month,term,statistic,value,message');
  assert.ok(lines.some((l) => l.startsWith('change,hba1c,intervention,12,t_test,estimate,')));
});

test('a bad format is 400 naming format', async () => {
  const r = await report('evaluator', shanghaiStudy.id, 'pdf');
  const p = assertProblem(r, 400);
  assert.ok(fieldErrors(p).format);
});

test('a peer leader, clinician and navigator may not read a report (403)', async () => {
  for (const who of ['peer', 'clinician', 'navigator']) {
    const r = await report(who, shanghaiStudy.id);
    assertProblem(r, 403, who);
  }
});

test('another program\'s study answers 404, exactly like one that does not exist', async () => {
  const out = await report('evaluator', misaludStudy.id);
  const none = await report('evaluator', 999999999);
  assertProblem(out, 404, 'out of program');
  assertProblem(none, 404, 'nonexistent');
  assert.equal(out.json.detail, none.json.detail);
  const get = await s.req('GET', `/api/v1/studies/${misaludStudy.id}`, { token: s.tokens.manager });
  assertProblem(get, 404);
  const list = await s.listAll('evaluator', '/api/v1/studies?limit=200');
  assert.ok(list.every((x) => x.program_id === d.shanghai), JSON.stringify(list));
  const exp = await s.req('GET', `/api/v1/studies/${misaludStudy.id}/export?file=wide`, {
    token: s.tokens.evaluator,
  });
  assertProblem(exp, 404);
});

test('a report read is audited: read, study_report, the study, the evaluator', async () => {
  const r = await report('evaluator', shanghaiStudy.id);
  assert.equal(r.status, 200);
  const e = await poll(async () =>
    (await audit(`entity=study_report&account_id=${s.me.evaluator.id}`)).find(
      (x) => x.entity_id === shanghaiStudy.id && x.action === 'read' && x.status === 200,
    ));
  assert.ok(e, 'no audit event for the report');
});

test('a Mi Salud study without arms reports one group and says why there is no comparison', async () => {
  const r = await report('admin', misaludStudy.id);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.groups.map((g) => g.group), ['all']);
  const h = r.json.outcomes.find((o) => o.outcome === 'hba1c');
  assert.equal(h.arm_comparison.computed, false);
  assert.match(h.arm_comparison.message, /no arms/);
  assert.ok(h.change[0].t_test.computed);
});

test('the flow counts per arm add up', async () => {
  const f = await s.get200('evaluator', `/api/v1/studies/${shanghaiStudy.id}/flow`);
  assert.equal(f.groups.length, 2);
  const enrolled = f.groups.reduce((a, g) => a + g.enrolled, 0);
  assert.equal(enrolled, f.participants);
  assert.equal(f.not_allocated, 0);
  for (const g of f.groups) {
    assert.ok(g.withdrawn + g.lost + g.deceased + g.active === g.enrolled, JSON.stringify(g));
    assert.ok(g.waves[0].assessed >= g.waves[2].assessed);
    assert.ok(g.analysed_hba1c <= g.waves[2].assessed);
  }
});

test('a cached report is recomputed when its data change', async () => {
  const before = (await report('evaluator', shanghaiStudy.id)).json;
  const again = (await report('evaluator', shanghaiStudy.id)).json;
  assert.equal(again.generated_at, before.generated_at, 'a repeated request is answered from the cache');
  const study = await s.get200('evaluator', `/api/v1/studies/${shanghaiStudy.id}`);
  const community = study.arms.find((a) => a.arm === 'intervention').unit_id;
  const p = await s.req('POST', '/api/v1/participants', {
    token: s.tokens.manager,
    body: { given_name: 'Cache', sex: 'female', birth_date: '1960-01-01', enrol_date: daysAgo(3),
      consent: true, home_unit_id: community },
  });
  assert.equal(p.status, 201, p.text);
  const after = (await report('evaluator', shanghaiStudy.id)).json;
  assert.equal(after.participants, before.participants + 1);
});

test('concurrent requests after a change share one computation of the report', async () => {
  const study = await s.get200('admin', `/api/v1/studies/${shanghaiStudy.id}`);
  const community = study.arms.find((a) => a.arm === 'control').unit_id;
  const p = await s.req('POST', '/api/v1/participants', {
    token: s.tokens.manager,
    body: { given_name: 'Burst', sex: 'male', birth_date: '1958-05-05', enrol_date: daysAgo(2),
      consent: true, home_unit_id: community },
  });
  assert.equal(p.status, 201, p.text);
  const all = await Promise.all(['evaluator', 'manager', 'admin', 'evaluator'].map((who) =>
    report(who, shanghaiStudy.id)));
  for (const r of all) assert.equal(r.status, 200, r.text);
  const stamps = new Set(all.map((r) => r.json.generated_at));
  const counts = new Set(all.map((r) => r.json.participants));
  assert.equal(counts.size, 1);
  assert.equal(stamps.size, 1, `the burst computed ${stamps.size} reports`);
});

// ---- design -------------------------------------------------------------------

test('an evaluator creates a study; bad waves are 422 naming the wave', async () => {
  const ok = await s.req('POST', '/api/v1/studies', {
    token: s.tokens.evaluator,
    body: { program_id: d.shanghai, name: 'Two-year follow-up', wave_months: [0, 6, 12, 24],
      target_intervention: 1440, target_control: 720, subgroup_threshold: '9.0' },
  });
  assert.equal(ok.status, 201, ok.text);
  assert.match(ok.headers.get('location'), new RegExp(`/api/v1/studies/${ok.json.id}$`));
  assert.deepEqual(ok.json.waves.map((w) => [w.month, w.window_days]), [[0, 30], [6, 45], [12, 45], [24, 45]]);
  assert.equal(ok.json.allocation, 'none');
  assert.equal(ok.json.subgroup_threshold, 9);
  const e = await audit(`entity=study&account_id=${s.me.evaluator.id}`);
  assert.ok(e.some((x) => x.action === 'create' && x.entity_id === ok.json.id));

  const bad = await s.req('POST', '/api/v1/studies', {
    token: s.tokens.evaluator,
    body: { program_id: d.shanghai, name: 'Overlapping', wave_months: [0, 3, 2],
      wave_windows: [30, 61, 10], subgroup_threshold: 30 },
  });
  const f = fieldErrors(assertProblem(bad, 422));
  assert.match(f['wave_windows[1]'], /overlaps/);
  assert.match(f['wave_months[2]'], /ascending/);
  assert.ok(f.subgroup_threshold);

  const notProgram = await s.req('POST', '/api/v1/studies', {
    token: s.tokens.evaluator, body: { program_id: d.site, name: 'A community' },
  });
  assert.ok(fieldErrors(assertProblem(notProgram, 422)).program_id);
  const other = await s.req('POST', '/api/v1/studies', {
    token: s.tokens.evaluator, body: { program_id: d.misalud, name: 'Not mine' },
  });
  assertProblem(other, 404);
});

test('randomisation: the same seed gives the same allocation, balanced by district', async () => {
  const c = await s.req('POST', '/api/v1/studies', {
    token: s.tokens.manager, body: { program_id: d.shanghai, name: 'Randomised' },
  });
  assert.equal(c.status, 201, c.text);
  const id = c.json.id;
  const draw = async () => {
    const r = await s.req('POST', `/api/v1/studies/${id}/randomise`, {
      token: s.tokens.manager, body: { seed: 20261123, control: 4 },
    });
    assert.equal(r.status, 200, r.text);
    return r.json;
  };
  const a = await draw();
  const b = await draw();
  assert.equal(a.allocation, 'randomised');
  assert.equal(a.seed, 20261123);
  assert.equal(b.version, a.version + 1);
  const key = (x) => x.arms.map((y) => `${y.unit_id}:${y.arm}`).join(',');
  assert.equal(key(a), key(b));
  assert.equal(a.arms.length, 16);
  assert.equal(a.communities.control, 4);
  const perDistrict = {};
  for (const x of a.arms) {
    perDistrict[x.district] ??= { n: 0, control: 0 };
    perDistrict[x.district].n++;
    perDistrict[x.district].control += x.arm === 'control';
  }
  for (const [dist, v] of Object.entries(perDistrict)) {
    const share = (v.n * 4) / 16;
    assert.ok(v.control >= Math.floor(share) && v.control <= Math.ceil(share), `${dist}: ${JSON.stringify(v)}`);
  }
  const other = await s.req('POST', `/api/v1/studies/${id}/randomise`, {
    token: s.tokens.manager, body: { seed: 20261123, control: 16 },
  });
  assert.ok(fieldErrors(assertProblem(other, 422)).control);
  const stale = await s.req('POST', `/api/v1/studies/${id}/randomise`, {
    token: s.tokens.manager, body: { seed: 7, control: 4 }, headers: { 'if-match': 'W/"1"' },
  });
  assertProblem(stale, 412);
});

test('arms entered and imported: each bad entry named', async () => {
  const c = await s.req('POST', '/api/v1/studies', {
    token: s.tokens.evaluator, body: { program_id: d.shanghai, name: 'Entered' },
  });
  const id = c.json.id;
  const full = await s.get200('evaluator', `/api/v1/studies/${shanghaiStudy.id}`);
  const [i1, i2] = full.arms.filter((x) => x.arm === 'intervention');
  const [c1] = full.arms.filter((x) => x.arm === 'control');
  const ok = await s.req('PUT', `/api/v1/studies/${id}/arms`, {
    token: s.tokens.evaluator, body: { intervention: [i1.unit_id, i2.unit_id], control: [c1.unit_id] },
  });
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.json.allocation, 'entered');
  assert.equal(ok.json.arms.length, 3);
  const chcs = await s.get200('admin', `/api/v1/org-units?kind=chc&limit=1`);
  const bad = await s.req('PUT', `/api/v1/studies/${id}/arms`, {
    token: s.tokens.evaluator,
    body: { intervention: [i1.unit_id, chcs.items[0].id], control: [i1.unit_id] },
  });
  const f = fieldErrors(assertProblem(bad, 422));
  assert.match(f['intervention[1]'], /not a community/);
  assert.match(f['control[0]'], /twice/);

  const csv = `community,arm\n${i1.code},intervention\n${c1.code},control\n`;
  const imp = await s.req('POST', `/api/v1/studies/${id}/arms/import`, {
    token: s.tokens.evaluator, body: csv, contentType: 'text/csv',
  });
  assert.equal(imp.status, 200, imp.text);
  assert.equal(imp.json.allocation, 'imported');
  assert.equal(imp.json.arms.length, 2);
  const badCsv = await s.req('POST', `/api/v1/studies/${id}/arms/import`, {
    token: s.tokens.evaluator, body: `community,arm\n${i1.code},intervention\nNOPE,control\n${c1.code},placebo\n`,
    contentType: 'text/csv',
  });
  const g = fieldErrors(assertProblem(badCsv, 422));
  assert.match(g['line 3'], /not the code or id/);
  assert.match(g['line 4'], /intervention or control/);
  const json = await s.req('POST', `/api/v1/studies/${id}/arms/import`, {
    token: s.tokens.evaluator, body: { intervention: [] },
  });
  assertProblem(json, 415);
});

// ---- research exports ------------------------------------------------------------

test('the research export carries the evaluator view\'s pseudonyms and nothing identifying', async () => {
  const r = await s.req('GET', `/api/v1/studies/${shanghaiStudy.id}/export?file=wide`, {
    token: s.tokens.evaluator,
  });
  assert.equal(r.status, 200, r.text);
  assert.match(r.headers.get('content-type'), /^text\/csv/);
  assert.match(r.headers.get('content-disposition'), /attachment; filename="study-\d+-wide.csv"/);
  const lines = r.text.trim().split('\n');
  assert.match(lines[0], /^pseudonym,community,district,arm,sex,birth_year,status,status_day,contacts,sessions,impl_rating,hba1c_m0,/);
  const pseudonyms = new Set(lines.slice(1).map((l) => l.split(',')[0]));
  const page = await s.get200('evaluator', '/api/v1/participants?limit=50');
  const seen = page.items.filter((p) => pseudonyms.has(p.pseudonym));
  assert.ok(seen.length > 0, 'no pseudonym of the evaluator view is in the export');
  const admin = await s.get200('admin', `/api/v1/participants?home_unit_id=${d.site}&limit=5`);
  for (const p of admin.items) {
    assert.ok(!r.text.includes(p.given_name + ','), `a name in the export: ${p.given_name}`);
    if (p.program_ident) assert.ok(!r.text.includes(p.program_ident));
  }
  assert.doesNotMatch(r.text, /\d{4}-\d\d-\d\d/, 'a calendar date in the export');
  const e = await poll(async () =>
    (await audit(`entity=research_export&account_id=${s.me.evaluator.id}`)).find(
      (x) => x.action === 'export' && x.entity_id === shanghaiStudy.id,
    ));
  assert.ok(e, 'no audit event for the export');
});

test('the export\'s codebook, R script and Stata do-file', async () => {
  const cb = await s.req('GET', `/api/v1/studies/${shanghaiStudy.id}/export?file=codebook`, { token: s.tokens.evaluator });
  assert.equal(cb.status, 200);
  assert.match(cb.text, /^file,variable,label,type,unit,value_labels\n/);
  const r = await s.req('GET', `/api/v1/studies/${shanghaiStudy.id}/export?file=r`, { token: s.tokens.evaluator });
  assert.match(r.headers.get('content-type'), /^text\/plain/);
  assert.match(r.text, /read_peerlink_csv\("wide.csv"/);
  const st = await s.req('GET', `/api/v1/studies/${shanghaiStudy.id}/export?file=stata`, { token: s.tokens.evaluator });
  assert.match(st.text, /import delimited using/);
  assert.match(st.text, /label define arm_lbl 1 "Intervention"/);
  const bad = await s.req('GET', `/api/v1/studies/${shanghaiStudy.id}/export?file=sas`, { token: s.tokens.evaluator });
  assert.ok(fieldErrors(assertProblem(bad, 400)).file);
});
