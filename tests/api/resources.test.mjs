// resources.test.mjs - the community resource directory (Open Referral HSDS 3)
// and closed-loop referrals (docs/RESOURCES.md): the shared HSDS 3.1 examples
// imported (again: nothing new), searched by category, text and language,
// exported and read back into a fresh database to the same export; a
// referral's whole life with its history, refused transitions that change
// nothing, 412 on a stale If-Match, scope, the audit trail and the
// evaluator's view.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Server, setup, discover, assertProblem, fieldErrors, poll } from './helpers.mjs';

const EXAMPLES = join(process.env.PEERLINK_SOURCE_ROOT || '.', '..', 'shared', 'data', 'hsds',
  '3.1-examples', 'examples');
const haveExamples = existsSync(join(EXAMPLES, 'organization_full.json'));
const example = (name) => readFileSync(join(EXAMPLES, name), 'utf8');

let s, d;
before(async () => {
  s = await setup();
  d = await discover(s);
});
after(async () => {
  if (s) await s.cleanup();
});

const importDoc = (who, body, program = d.shanghai) =>
  s.req('POST', `/api/v1/resources/import?program_id=${program}`, { token: s.tokens[who], body });
const search = (who, query) => s.listAll(who, `/api/v1/resources?${query}&limit=200`);
const ids = (xs) => xs.map((x) => x.id).sort((a, b) => a - b);

// ---- the demo's directory -------------------------------------------------

test('the navigator finds Mi Salud\'s food pantry by category, text and language', async () => {
  const food = await search('navigator', 'category=food');
  assert.ok(food.length >= 1, 'no food resource in the Mi Salud demo directory');
  assert.ok(food.every((r) => r.program_id === d.misalud), 'another program\'s directory leaked');
  assert.ok(food.every((r) => r.categories.some((c) => c.code === 'food')));
  const pantry = food.find((r) => /pantry/i.test(r.name));
  assert.ok(pantry, JSON.stringify(food.map((r) => r.name)));
  assert.equal(pantry.status, 'active');
  assert.ok(pantry.organization.name);
  assert.ok(pantry.locations[0].address.includes('Chicago'), JSON.stringify(pantry.locations));
  assert.ok(pantry.schedules.length > 0 && pantry.schedules[0].opens_at);
  const byText = await search('navigator', 'q=pantry');
  assert.ok(byText.some((r) => r.id === pantry.id));
  const byWords = await search('navigator', 'q=PANTR%20weekly');
  assert.ok(byWords.some((r) => r.id === pantry.id), 'words are prefixes, case folded');
  const spanish = await search('navigator', 'language=es&category=food');
  assert.deepEqual(ids(spanish), ids(food));
  assert.deepEqual(await search('navigator', 'language=zh'), []);
  const one = await s.get200('navigator', `/api/v1/resources/${pantry.id}`);
  assert.equal(one.name, pantry.name);
});

test('the directory is readable by every role, each seeing the programs of its scope', async () => {
  const ev = await search('evaluator', 'category=food');
  assert.ok(ev.length > 0, 'the evaluator sees the Shanghai directory');
  assert.ok(ev.every((r) => r.program_id === d.shanghai));
  const peer = await search('peer', 'category=food');
  assert.deepEqual(ids(peer), ids(ev));
  const all = await search('admin', 'category=food');
  assert.ok(all.some((r) => r.program_id === d.misalud) && all.some((r) => r.program_id === d.shanghai));
  const msFood = (await search('navigator', 'category=food'))[0];
  const r = await s.req('GET', `/api/v1/resources/${msFood.id}`, { token: s.tokens.peer });
  assertProblem(r, 404);
});

test('search parameters are checked', async () => {
  for (const [q, field] of [['q=...', 'q'], ['status=closed', 'status'], ['program_id=x', 'program_id'],
    [`q=${'a'.repeat(201)}`, 'q']]) {
    const r = await s.req('GET', `/api/v1/resources?${q}`, { token: s.tokens.navigator });
    const p = assertProblem(r, 400, q);
    assert.ok(fieldErrors(p)[field], `${q}: ${r.text}`);
  }
});

// ---- HSDS import and export -------------------------------------------------

test('the shared HSDS 3.1 examples import, and importing them again creates nothing', { skip: !haveExamples && 'no ../shared/data/hsds' }, async () => {
  const r = await importDoc('manager', example('organization_full.json'));
  assert.equal(r.status, 200, r.text);
  const rep = r.json;
  assert.equal(rep.program_id, d.shanghai);
  for (const k of ['organizations', 'locations', 'services', 'service_at_locations', 'taxonomy_terms'])
    assert.deepEqual(rep[k], { created: 1, updated: 0, not_kept: 0 }, `${k}: ${r.text}`);
  // nothing dropped silently: entities and fields not kept are counted, cleaned values warned
  const ent = Object.fromEntries(rep.ignored_entities.map((e) => [e.entity, e.count]));
  assert.equal(ent.contact, 5);
  assert.ok(ent.funding > 0 && ent.cost_option > 0);
  const fields = Object.fromEntries(rep.ignored_fields.map((e) => [e.field, e.count]));
  assert.equal(fields['service.wait_time'], 1);
  assert.ok(rep.warnings.some((w) => /latitude 100/.test(w)), JSON.stringify(rep.warnings));

  const again = await importDoc('manager', example('organization_full.json'));
  assert.equal(again.status, 200, again.text);
  for (const k of ['organizations', 'locations', 'services', 'service_at_locations', 'taxonomy_terms'])
    assert.deepEqual(again.json[k], { created: 0, updated: 1, not_kept: 0 }, k);
  // the other shapes of the same records: a service with everything, a
  // service_at_location, list pages, a lone location, a term: all updates
  for (const f of ['service_full.json', 'service_at_location_full.json', 'organization_list.json',
    'service_list.json', 'service_at_location_list.json', 'location.json', 'taxonomy_term.json',
    'taxonomy_term_list.json', 'base.json', 'taxonomy.json']) {
    const x = await importDoc('admin', example(f));
    assert.equal(x.status, 200, `${f}: ${x.text}`);
    for (const k of ['organizations', 'locations', 'services', 'service_at_locations', 'taxonomy_terms'])
      assert.equal(x.json[k].created, 0, `${f} created a new ${k}`);
  }
  const found = await search('manager', 'q=counselling');
  assert.equal(found.length, 1, 'one service, however often it was imported');
});

test('the imported example is found by its category, words and language', { skip: !haveExamples && 'no ../shared/data/hsds' }, async () => {
  await importDoc('manager', example('organization_full.json'));
  const [svc] = await search('manager', 'q=counselling');
  assert.ok(svc, 'the example service is not found by text');
  assert.equal(svc.hsds_id, 'ac148810-d857-441c-9679-408f346de14b');
  assert.equal(svc.organization.name, 'Example Organization Inc.');
  assert.deepEqual(svc.languages, ['ur']);
  assert.deepEqual(ids(await search('manager', 'category=code')), [svc.id]);
  assert.deepEqual(ids(await search('manager', 'category=NAME&language=UR')), [svc.id]);
  assert.deepEqual(ids(await search('manager', 'q=mental%20health&status=active')), [svc.id]);
  assert.deepEqual(await search('manager', 'q=counselling&language=es'), []);
  assert.deepEqual(await search('navigator', 'q=counselling'), [], 'Mi Salud does not see it');
});

test('an HSDS document with errors is refused whole, each error at its path', async () => {
  const before = await search('admin', `program_id=${d.shanghai}`);
  const doc = {
    id: 'org-err', name: 'Refused org', description: 'x',
    services: [
      { id: 'svc-ok', name: 'Fine', status: 'active' },
      { id: 'svc-bad', status: 'open', email: 'nobody' },
    ],
  };
  const r = await importDoc('manager', doc);
  const p = assertProblem(r, 422);
  const f = fieldErrors(p);
  assert.match(f['services[1].name'], /required/);
  assert.match(f['services[1].status'], /one of active/);
  assert.match(f['services[1].email'], /email/);
  const after = await search('admin', `program_id=${d.shanghai}`);
  assert.deepEqual(ids(after), ids(before), 'a refused import wrote something');
  assertProblem(await importDoc('manager', '{"id": "x", "name": "y", "name": "z"}'), 400);
  assertProblem(await importDoc('manager', '[{"id": \'x\'}]'), 400);
  const ct = await s.req('POST', `/api/v1/resources/import?program_id=${d.shanghai}`,
    { token: s.tokens.manager, body: '{}', contentType: 'text/plain' });
  assertProblem(ct, 415);
  // a program outside the manager's scope, and a unit that is not a program
  assertProblem(await importDoc('manager', doc, d.misalud), 404);
  const notProgram = await importDoc('admin', doc, d.site);
  assert.ok(fieldErrors(assertProblem(notProgram, 400)).program_id);
});

test('export, import into a fresh database, export again: the same directory', async () => {
  if (haveExamples) await importDoc('manager', example('organization_full.json'));
  const first = await s.get200('manager', '/api/v1/resources/export');
  assert.ok(Array.isArray(first) && first.length > 0);
  assert.ok(first.every((o) => o.id && o.name && Array.isArray(o.services)));
  const ids1 = first.map((o) => o.id);
  assert.deepEqual(ids1, [...ids1].sort(), 'organizations in id order');

  // a second installation: a small demo database with a new admin
  const fresh = new Server();
  try {
    let r = spawnSync(fresh.bin, ['demo', '--db', fresh.db, '--participants', '5', '--no-accounts'],
      { encoding: 'utf8', timeout: 120000 });
    assert.equal(r.status, 0, r.stderr);
    r = spawnSync(fresh.bin, ['user', 'add', '--db', fresh.db, '--username', 'roundtrip', '--role', 'admin'],
      { input: 'round-trip-password\n', encoding: 'utf8', timeout: 60000 });
    assert.equal(r.status, 0, r.stderr);
    await fresh.start();
    fresh.tokens.rt = await fresh.login('roundtrip', 'round-trip-password');
    const programs = await fresh.listAll('rt', '/api/v1/org-units?kind=program&limit=200');
    assert.equal(programs.length, 1);
    const pid = programs[0].id;
    const empty = await fresh.get200('rt', `/api/v1/resources/export?program_id=${pid}`);
    assert.deepEqual(empty, [], 'the fresh directory is empty');
    const imp = await fresh.req('POST', `/api/v1/resources/import?program_id=${pid}`,
      { token: fresh.tokens.rt, body: first });
    assert.equal(imp.status, 200, imp.text);
    assert.deepEqual(imp.json.ignored_fields, [], 'the export holds only what is kept');
    assert.deepEqual(imp.json.ignored_entities, []);
    assert.equal(imp.json.organizations.created, first.length);
    const second = await fresh.get200('rt', `/api/v1/resources/export?program_id=${pid}`);
    assert.deepEqual(second, first);
    // and once more: updates only
    const again = await fresh.req('POST', `/api/v1/resources/import?program_id=${pid}`,
      { token: fresh.tokens.rt, body: second });
    assert.equal(again.json.organizations.created, 0);
    assert.deepEqual(await fresh.get200('rt', `/api/v1/resources/export?program_id=${pid}`), first);
  } finally {
    await fresh.cleanup();
  }
});

// ---- referrals ---------------------------------------------------------------

async function pantry() {
  const food = await search('navigator', 'category=food&q=pantry');
  assert.ok(food[0], 'no pantry');
  return food[0];
}

async function refer(who, body) {
  const r = await s.req('POST', '/api/v1/referrals', { token: s.tokens[who], body });
  assert.equal(r.status, 201, r.text);
  return r;
}

async function move(who, id, etag, status, note) {
  return s.req('POST', `/api/v1/referrals/${id}/status`, {
    token: s.tokens[who],
    headers: etag ? { 'if-match': etag } : {},
    body: note === undefined ? { status } : { status, note },
  });
}

test('a referral\'s whole life: proposed, sent, accepted, completed, with its history', async () => {
  const svc = await pantry();
  const pid = d.msPart.id;
  const c = await refer('navigator', { participant_id: pid, service_id: svc.id, need: 'food',
    notes: 'Runs out of food at the end of the month.' });
  let ref = c.json;
  assert.equal(ref.status, 'proposed');
  assert.equal(ref.open, true);
  assert.equal(ref.linked_to_resource, false);
  assert.equal(ref.service.name, svc.name);
  assert.equal(ref.referred_by, s.me.navigator.id);
  assert.equal(c.headers.get('location'), `/api/v1/referrals/${ref.id}`);
  let etag = c.headers.get('etag');
  assert.equal(etag, 'W/"1"');
  assert.equal(ref.history.length, 1);
  assert.equal(ref.history[0].from_status, null);

  for (const [to, note] of [['sent', 'called the pantry'], ['accepted', 'registered for Wednesdays'],
    ['completed', 'picked up two boxes']]) {
    const r = await move('navigator', ref.id, etag, to, note);
    assert.equal(r.status, 200, `${to}: ${r.text}`);
    assert.equal(r.json.status, to);
    assert.equal(r.json.version, ref.version + 1);
    etag = r.headers.get('etag');
    ref = r.json;
  }
  assert.equal(ref.open, false);
  assert.equal(ref.linked_to_resource, true, 'completion is linkage to the resource');
  assert.ok(ref.closed_at);

  const got = await s.get200('navigator', `/api/v1/referrals/${ref.id}`);
  assert.deepEqual(got.history.map((h) => [h.from_status, h.to_status]),
    [[null, 'proposed'], ['proposed', 'sent'], ['sent', 'accepted'], ['accepted', 'completed']]);
  assert.deepEqual(got.history.slice(1).map((h) => h.note),
    ['called the pantry', 'registered for Wednesdays', 'picked up two boxes']);
  assert.ok(got.history.every((h) => h.by === s.me.navigator.id && h.at));
  const listed = await s.listAll('navigator', `/api/v1/referrals?participant_id=${pid}&status=completed&limit=200`);
  assert.ok(listed.some((x) => x.id === ref.id));
  assert.ok(!('history' in listed[0]), 'lists leave the history out');
});

test('an illegal transition is refused with a clear message and changes nothing', async () => {
  const c = await refer('navigator', { participant_id: d.msPart.id, need: 'legal',
    resource_text: 'Legal aid walk-in clinic' });
  const id = c.json.id;
  let r = await move('navigator', id, null, 'completed', 'done');
  let p = assertProblem(r, 422);
  assert.match(fieldErrors(p).status,
    /cannot change from proposed to completed: after proposed a referral can become sent, declined or cancelled/);
  r = await move('navigator', id, null, 'declined');
  assert.match(fieldErrors(assertProblem(r, 422)).note, /must say why/);
  r = await move('navigator', id, null, 'bogus');
  assertProblem(r, 422);
  let got = await s.get200('navigator', `/api/v1/referrals/${id}`);
  assert.equal(got.status, 'proposed');
  assert.equal(got.version, 1);
  assert.equal(got.history.length, 1);
  r = await move('navigator', id, null, 'cancelled', 'the family moved away');
  assert.equal(r.status, 200, r.text);
  r = await move('navigator', id, null, 'sent', 'again');
  p = assertProblem(r, 422);
  assert.match(fieldErrors(p).status, /cancelled is final/);
  got = await s.get200('navigator', `/api/v1/referrals/${id}`);
  assert.equal(got.status, 'cancelled');
  assert.equal(got.history.length, 2);
  assert.equal(got.history[1].note, 'the family moved away');
});

test('a stale If-Match answers 412 and changes nothing', async () => {
  const c = await refer('navigator', { participant_id: d.msPart.id, need: 'education',
    resource_text: 'ESL evening classes' });
  const id = c.json.id;
  const etag = c.headers.get('etag');
  assert.equal((await move('navigator', id, etag, 'sent', 'form sent')).status, 200);
  const r = await move('navigator', id, etag, 'accepted', 'too late');
  assertProblem(r, 412);
  const got = await s.get200('navigator', `/api/v1/referrals/${id}`);
  assert.equal(got.status, 'sent');
  assert.equal(got.history.length, 2);
});

test('a referral needs a service of the participant\'s program or words', async () => {
  const shFood = (await search('manager', 'category=food'))[0];
  let r = await s.req('POST', '/api/v1/referrals', { token: s.tokens.navigator,
    body: { participant_id: d.msPart.id, need: 'food', service_id: shFood.id } });
  assert.match(fieldErrors(assertProblem(r, 422)).service_id, /participant's program/);
  r = await s.req('POST', '/api/v1/referrals', { token: s.tokens.navigator,
    body: { participant_id: d.msPart.id, need: 'food' } });
  assert.ok(fieldErrors(assertProblem(r, 422)).service_id);
  r = await s.req('POST', '/api/v1/referrals', { token: s.tokens.navigator,
    body: { participant_id: d.msPart.id, need: 'groceries', resource_text: 'x' } });
  assert.ok(fieldErrors(assertProblem(r, 422)).need);
  r = await s.req('POST', '/api/v1/referrals', { token: s.tokens.navigator,
    body: { participant_id: d.msPart.id, need: 'food', resource_text: 'x', status: 'completed' } });
  assert.ok(fieldErrors(assertProblem(r, 422)).status);
});

test('scope: another community\'s or another leader\'s referral answers 404, like a nonexistent one', async () => {
  // the peer leader's own participant, and a participant of another leader in the same community
  const mine = await refer('peer', { participant_id: d.peerParts[0].id, need: 'health',
    resource_text: 'Community walking group' });
  const theirs = await refer('admin', { participant_id: d.otherPart.id, need: 'food',
    resource_text: 'Community canteen' });
  // a participant of another Shanghai community
  const all = await s.listAll('manager', '/api/v1/participants?limit=200');
  const elsewhere = all.find((p) => p.home_unit_id !== d.site);
  assert.ok(elsewhere, 'no participant outside the demo community');
  const far = await refer('manager', { participant_id: elsewhere.id, need: 'economic',
    resource_text: 'Social assistance office' });
  assert.equal((await s.req('GET', `/api/v1/referrals/${mine.json.id}`, { token: s.tokens.peer })).status, 200);
  const none = await s.req('GET', '/api/v1/referrals/999999999', { token: s.tokens.peer });
  for (const [who, id] of [['peer', theirs.json.id], ['peer', far.json.id], ['clinician', far.json.id],
    ['navigator', mine.json.id]]) {
    const r = await s.req('GET', `/api/v1/referrals/${id}`, { token: s.tokens[who] });
    const p = assertProblem(r, 404, `${who} reading referral ${id}`);
    const { instance: _a, ...x } = p;
    const { instance: _b, ...y } = (who === 'peer' ? none : await s.req('GET', '/api/v1/referrals/999999999', { token: s.tokens[who] })).json;
    assert.deepEqual(x, y);
    const w = await move(who, id, null, 'sent', 'not mine');
    assertProblem(w, 404);
  }
  const peerList = await s.listAll('peer', '/api/v1/referrals?limit=200');
  const mineIds = new Set(d.peerParts.map((p) => p.id));
  assert.ok(peerList.every((x) => mineIds.has(x.participant_id)), 'the peer sees only their participants\' referrals');
  assert.ok(peerList.some((x) => x.id === mine.json.id));
  const r = await s.req('POST', '/api/v1/referrals', { token: s.tokens.peer,
    body: { participant_id: d.otherPart.id, need: 'food', resource_text: 'x' } });
  assertProblem(r, 404);
});

test('referrals are audited: create, transition, read', async () => {
  const pid = d.msPart.id;
  const c = await refer('navigator', { participant_id: pid, need: 'childcare', resource_text: 'Daycare' });
  const id = c.json.id;
  await move('navigator', id, null, 'sent', 'application sent');
  await s.get200('navigator', `/api/v1/referrals/${id}`);
  const ev = await poll(async () => {
    const all = await s.listAll('admin', `/api/v1/audit?participant_id=${pid}&entity=referral&limit=200`);
    const mine = all.filter((e) => e.entity_id === id);
    return ['create', 'transition', 'read'].every((a) => mine.some((e) => e.action === a)) && mine;
  });
  assert.ok(ev, 'missing audit events for the referral');
  assert.ok(ev.every((e) => e.account_id === s.me.navigator.id));
  const imports = await s.listAll('admin', '/api/v1/audit?entity=resource_directory&action=import&limit=200');
  assert.ok(imports.some((e) => e.entity_id === d.shanghai && e.status === 200), 'the import is audited');
});

test('open_for_days lists the referrals still open that long', async () => {
  const old = await s.listAll('navigator', '/api/v1/referrals?open_for_days=10&limit=200');
  assert.ok(old.length > 0, 'the demo has referrals open for more than 10 days');
  const cut = Date.now() - 10 * 86400e3;
  assert.ok(old.every((x) => x.open && Date.parse(x.created_at) <= cut + 1000), JSON.stringify(old[0]));
  const all = await s.listAll('navigator', '/api/v1/referrals?limit=200');
  const fresh = all.filter((x) => x.open && Date.parse(x.created_at) > cut + 60000);
  assert.ok(fresh.length > 0, 'no recent open referral to leave out');
  assert.ok(fresh.every((x) => !old.some((o) => o.id === x.id)));
  assertProblem(await s.req('GET', '/api/v1/referrals?open_for_days=-1', { token: s.tokens.navigator }), 400);
  assertProblem(await s.req('GET', '/api/v1/referrals?status=closed', { token: s.tokens.navigator }), 400);
});

test('evaluators list referrals de-identified and may not read one', async () => {
  const items = await s.listAll('evaluator', '/api/v1/referrals?limit=200');
  assert.ok(items.length > 0, 'the demo has Shanghai referrals');
  for (const x of items) {
    for (const f of ['id', 'participant_id', 'notes', 'resource_text', 'referred_by', 'history'])
      assert.ok(!(f in x), `${f} present: ${JSON.stringify(x)}`);
    assert.match(x.pseudonym, /^P[0-9A-F]{16}$/);
    assert.equal(typeof x.linked_to_resource, 'boolean');
  }
  const any = (await s.listAll('admin', `/api/v1/referrals?limit=1`))[0];
  assertProblem(await s.req('GET', `/api/v1/referrals/${any.id}`, { token: s.tokens.evaluator }), 403);
  const r = await s.req('GET', `/api/v1/referrals?participant_id=${d.peerParts[0].id}`, { token: s.tokens.evaluator });
  assertProblem(r, 400);
});
