// web.test.mjs - the web app in a real browser (chromium headless, playwright-core).
//
// The flows of issue #5: a peer leader signs in, opens the worklist, logs a
// contact for a due participant and sees the task leave the worklist;
// records an HbA1c above the urgent threshold and a clinician sees and
// acknowledges the alert; a manager's dashboard shows the demo's
// communities; the same flow in Spanish and in Chinese; a form error keeps
// what was typed; a POST without the CSRF token is refused. Screenshots of
// the main pages are saved under the build folder.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Server } from '../api/helpers.mjs';
import { launch, newPage, shot, signIn } from './helpers.mjs';

const srv = new Server();
let browser;

before(async () => {
  srv.demo();
  await srv.start();
  await srv.loginAll(['peer', 'clinician', 'manager', 'admin']);
  browser = await launch();
});

after(async () => {
  if (browser) {
    await browser.close();
  }
  await srv.cleanup();
});

// Worklist entries whose every task is the follow-up (a contact closes those).
async function followUpEntries(page) {
  return page.$$eval('#worklist > li', (lis) =>
    lis
      .map((li) => ({
        participant: li.dataset.participant,
        tasks: [...li.querySelectorAll('[data-task]')].map((t) => t.dataset.task),
        text: li.textContent,
      }))
      .filter((e) => e.tasks.length > 0),
  );
}

async function logContact(page, participant, { minutes = '20', note = 'Talked about walking' } = {}) {
  await page.goto(`${srv.url}/participants/${participant}/contact`);
  await page.selectOption('#mode', 'phone');
  await page.fill('#minutes', minutes);
  await page.check('input[name=key_functions][value=daily_management]');
  await page.check('input[name=topics][value=being_active]');
  await page.fill('#note', note);
  await Promise.all([page.waitForNavigation(), page.click('form.card button[type=submit]')]);
}

test('a peer leader signs in, logs a contact for a due participant and the task leaves the worklist', async () => {
  const page = await newPage(browser);
  await signIn(page, srv.url, 'peer', srv.logins.peer);
  assert.match(page.url(), /\/worklist$/);
  assert.equal(await page.textContent('h1'), 'My worklist');
  await shot(page, 'worklist-desktop');
  const entries = await followUpEntries(page);
  assert.ok(entries.length > 0, 'the demo peer leader has someone due');
  const due = entries[0];
  await page.goto(`${srv.url}/participants/${due.participant}`);
  await shot(page, 'participant-desktop');
  assert.equal(await page.locator('svg[role=img]').count() >= 3, true, 'three trend charts');
  await logContact(page, due.participant);
  assert.match(page.url(), /\/worklist$/);
  const after = await followUpEntries(page);
  const stillThere = after.flatMap((e) => e.tasks).filter((t) => due.tasks.includes(t));
  assert.deepEqual(stillThere, [], 'the follow-up task is no longer on the worklist');
  // the contact is in the record, as the API sees it
  const contacts = await srv.listAll('peer', `/api/v1/contacts?participant_id=${due.participant}`);
  assert.ok(contacts.some((c) => c.note === 'Talked about walking' && c.minutes === 20));
  await page.context().close();
});

test('an HbA1c above the urgent threshold reaches the clinician, who acknowledges it', async () => {
  // a participant both the peer leader and the clinician see
  const mine = await srv.listAll('peer', '/api/v1/participants?limit=200');
  const theirs = new Set(
    (await srv.listAll('clinician', '/api/v1/participants?limit=200')).map((p) => p.id),
  );
  const p = mine.find((x) => theirs.has(x.id));
  assert.ok(p, 'the demo has a participant in both scopes');
  const peer = await newPage(browser, { phone: true });
  await signIn(peer, srv.url, 'peer', srv.logins.peer);
  await peer.goto(`${srv.url}/participants/${p.id}/measurement`);
  await shot(peer, 'measurement-phone');
  await peer.selectOption('#code', '4548-4');
  await peer.fill('#value', '14.2');
  await Promise.all([peer.waitForNavigation(), peer.click('form.card button[type=submit]')]);
  assert.match(peer.url(), new RegExp(`/participants/${p.id}$`));
  assert.match(await peer.textContent('main'), /Very high HbA1c/);
  await shot(peer, 'participant-phone');

  const clin = await newPage(browser);
  await signIn(clin, srv.url, 'clinician', srv.logins.clinician);
  assert.match(clin.url(), /\/alerts$/);
  const card = clin
    .locator('#alerts > li')
    .filter({ has: clin.locator(`a[href="/participants/${p.id}"]`) })
    .filter({ hasText: 'Very high HbA1c' });
  assert.equal(await card.count(), 1, 'the alert is in the inbox');
  assert.ok((await card.textContent()).includes(p.given_name), 'the inbox names the participant');
  assert.match(await card.textContent(), /Attention|Urgent/, 'severity is written, not only coloured');
  await shot(clin, 'alerts-desktop');
  const alertId = await card.getAttribute('data-alert');
  await Promise.all([clin.waitForNavigation(), card.locator('button').click()]);
  assert.equal(await clin.locator(`#alerts > li[data-alert="${alertId}"]`).count(), 0);
  const a = await srv.get200('clinician', `/api/v1/alerts/${alertId}`);
  assert.equal(a.status, 'acknowledged');
  await peer.context().close();
  await clin.context().close();
});

test("a manager's dashboard shows the demo's communities", async () => {
  const communities = await srv.listAll('manager', '/api/v1/org-units?kind=community&limit=200');
  assert.ok(communities.length > 0);
  const page = await newPage(browser);
  await signIn(page, srv.url, 'manager', srv.logins.manager);
  assert.match(page.url(), /\/dashboard$/);
  const table = await page.textContent('#communities');
  for (const c of communities) assert.ok(table.includes(c.name), `${c.name} is on the dashboard`);
  assert.ok((await page.locator('svg[role=img]').count()) >= 2, 'charts are drawn');
  assert.match(await page.textContent('#hba1c'), /HbA1c < 7 %/);
  const size = (await page.content()).length;
  assert.ok(size < 100 * 1024, `the dashboard is ${size} bytes`);
  await shot(page, 'dashboard-desktop');
  await page.setViewportSize({ width: 360, height: 740 });
  await shot(page, 'dashboard-phone');
  // the study's outcome report (issue #7) is one link away
  await Promise.all([page.waitForNavigation(), page.click('a[href$="/report"]')]);
  assert.match(await page.title(), /outcome report/);
  await page.context().close();
});

for (const [locale, heading, logLabel, saved] of [
  ['es-MX', 'Mi lista de trabajo', 'Registrar un contacto', 'Guardar'],
  ['zh-CN', '我的工作清单', '记录联系', '保存'],
]) {
  test(`the same flow renders in ${locale}`, async () => {
    const page = await newPage(browser, { locale, phone: true });
    await signIn(page, srv.url, 'peer', srv.logins.peer);
    assert.equal(await page.getAttribute('html', 'lang'), locale.startsWith('zh') ? 'zh-CN' : 'es');
    assert.equal(await page.textContent('h1'), heading);
    await shot(page, `worklist-phone-${locale}`);
    const entries = await followUpEntries(page);
    assert.ok(entries.length > 0);
    await page.goto(`${srv.url}/participants/${entries[0].participant}/contact`);
    assert.equal(await page.textContent('h1'), logLabel);
    assert.equal(await page.textContent('form.card button[type=submit]'), saved);
    await shot(page, `contact-phone-${locale}`);
    await logContact(page, entries[0].participant, { note: `nota ${locale}` });
    assert.match(page.url(), /\/worklist$/);
    assert.equal(await page.textContent('h1'), heading);
    // dates in the locale's own format
    const text = await page.textContent('main');
    if (locale === 'zh-CN') assert.match(text, /\d{4}年\d{1,2}月\d{1,2}日/);
    else assert.match(text, /\d{2}\/\d{2}\/\d{4}/);
    await page.context().close();
  });
}

test('a form error is shown beside its field and keeps what was typed', async () => {
  const page = await newPage(browser);
  await signIn(page, srv.url, 'peer', srv.logins.peer);
  const entries = await followUpEntries(page);
  const participant = entries.length ? entries[0].participant : (await srv.listAll('peer', '/api/v1/participants?limit=1'))[0].id;
  await page.goto(`${srv.url}/participants/${participant}/contact`);
  await page.selectOption('#mode', 'home_visit');
  await page.fill('#minutes', '35');
  await page.check('input[name=topics][value=healthy_eating]');
  await page.fill('#note', 'Cooked <b>rice</b> & beans "together"');
  await page.fill('#follow_up_date', '2099-01-15');
  // no key function ticked: the server refuses the contact
  const [resp] = await Promise.all([
    page.waitForNavigation(),
    page.click('form.card button[type=submit]'),
  ]);
  assert.equal(resp.status(), 422);
  assert.equal(await page.locator('#err-key_functions').count(), 1, 'the error is beside the field');
  // the rule is said, not a generic "check this value"
  assert.match(await page.textContent('#err-key_functions'), /at least one/i);
  assert.equal(await page.inputValue('#minutes'), '35');
  assert.equal(await page.inputValue('#mode'), 'home_visit');
  assert.equal(await page.inputValue('#note'), 'Cooked <b>rice</b> & beans "together"');
  assert.equal(await page.inputValue('#follow_up_date'), '2099-01-15');
  assert.ok(await page.isChecked('input[name=topics][value=healthy_eating]'));
  await shot(page, 'contact-error-desktop');
  // a rule only the server knows: its own words beside the field, the typed value kept
  await page.goto(`${srv.url}/participants/${participant}/measurement`);
  await page.selectOption('#code', '4548-4');
  await page.fill('#value', '31');
  const [mresp] = await Promise.all([
    page.waitForNavigation(),
    page.click('form.card button[type=submit]'),
  ]);
  assert.equal(mresp.status(), 422);
  assert.match(await page.textContent('#err-value'), /outside the plausible range/);
  assert.equal(await page.inputValue('#value'), '31');
  // nothing was written
  const contacts = await srv.listAll('peer', `/api/v1/contacts?participant_id=${participant}`);
  assert.ok(!contacts.some((c) => c.note && c.note.startsWith('Cooked')));
  await page.context().close();
});

test('a POST without the CSRF token is refused with 403 and changes nothing', async () => {
  const page = await newPage(browser);
  await signIn(page, srv.url, 'peer', srv.logins.peer);
  const entries = await followUpEntries(page);
  const participant = entries.length ? entries[0].participant : (await srv.listAll('peer', '/api/v1/participants?limit=1'))[0].id;
  const before = (await srv.listAll('peer', `/api/v1/contacts?participant_id=${participant}`)).length;
  const form = {
    mode: 'phone',
    minutes: '10',
    key_functions: 'linkage',
    note: 'forged',
  };
  // the session cookie is sent (same browser context), the token is not
  const none = await page.request.post(`${srv.url}/participants/${participant}/contact`, { form, maxRedirects: 0 });
  assert.equal(none.status(), 403);
  const wrong = await page.request.post(`${srv.url}/participants/${participant}/contact`, {
    form: { ...form, csrf: 'f'.repeat(64) },
    maxRedirects: 0,
  });
  assert.equal(wrong.status(), 403);
  const afterN = (await srv.listAll('peer', `/api/v1/contacts?participant_id=${participant}`)).length;
  assert.equal(afterN, before);
  // the same form with the page's own token is accepted
  await page.goto(`${srv.url}/participants/${participant}/contact`);
  const csrf = await page.inputValue('input[name=csrf]');
  const ok = await page.request.post(`${srv.url}/participants/${participant}/contact`, {
    form: { ...form, csrf },
    maxRedirects: 0,
  });
  assert.equal(ok.status(), 303);
  await page.context().close();
});

test('a questionnaire is filled in and its score shown at once', async () => {
  const page = await newPage(browser, { locale: 'es-MX', phone: true });
  await signIn(page, srv.url, 'peer', srv.logins.peer);
  const [p] = await srv.listAll('peer', '/api/v1/participants?limit=1');
  await page.goto(`${srv.url}/participants/${p.id}/questionnaire`);
  await Promise.all([page.waitForNavigation(), page.click('a[href$="instrument=phq2"]')]);
  // the item labels of core/instrument.c, in the page's language
  assert.equal(await page.locator('fieldset').count(), 2);
  await page.check('input[name=item1][value="2"]');
  await page.check('input[name=item2][value="2"]');
  await shot(page, 'questionnaire-phone-es-MX');
  await Promise.all([page.waitForNavigation(), page.click('form.card button[type=submit]')]);
  assert.match(page.url(), /\/questionnaires\/\d+$/);
  assert.match(await page.textContent('#score'), /Puntuación: 4/);
  await page.context().close();
});

test('attendance is taken with one tap per member', async () => {
  const page = await newPage(browser, { phone: true });
  await signIn(page, srv.url, 'peer', srv.logins.peer);
  await page.goto(`${srv.url}/sessions`);
  const links = await page.$$eval('#sessions a', (as) => as.map((a) => a.getAttribute('href')));
  assert.ok(links.length > 0, 'the demo peer leader has group sessions');
  let done = false;
  for (const href of links) {
    await page.goto(srv.url + href);
    const rows = page.locator('fieldset[data-participant]');
    if ((await rows.count()) === 0) continue;
    const pid = await rows.first().getAttribute('data-participant');
    await rows.first().locator('input[value=absent]').check();
    await shot(page, 'attendance-phone');
    await Promise.all([page.waitForNavigation(), page.click('form.card button[type=submit]')]);
    assert.ok(page.url().endsWith(href), page.url());
    assert.ok(
      await page.isChecked(`fieldset[data-participant="${pid}"] input[value=absent]`),
      'the tap was saved',
    );
    const sid = href.split('/')[2];
    const att = await srv.get200('peer', `/api/v1/group-sessions/${sid}/attendance`);
    assert.equal(att.items.find((r) => String(r.participant_id) === pid).status, 'absent');
    done = true;
    break;
  }
  assert.ok(done, 'a session with members was found');
  await page.context().close();
});

test('the resource directory is searched and a participant referred', async () => {
  const page = await newPage(browser);
  await signIn(page, srv.url, 'peer', srv.logins.peer);
  const [p] = await srv.listAll('peer', '/api/v1/participants?limit=1');
  const before = (await srv.listAll('peer', `/api/v1/referrals?participant_id=${p.id}`)).length;
  await page.goto(`${srv.url}/participants/${p.id}/refer`);
  await page.fill('#q', 'lunch');
  await Promise.all([page.waitForNavigation(), page.click('form[role=search] button')]);
  const first = page.locator('#resources > li').first();
  assert.match(await first.textContent(), /lunch/i);
  await shot(page, 'refer-desktop');
  await first.locator('select[name=need]').selectOption('food');
  await Promise.all([page.waitForNavigation(), first.locator('button').click()]);
  assert.match(page.url(), new RegExp(`/participants/${p.id}$`));
  const refs = await srv.listAll('peer', `/api/v1/referrals?participant_id=${p.id}`);
  assert.equal(refs.length, before + 1);
  assert.equal(refs.at(-1).need, 'food');
  await page.context().close();
});

test('an admin creates an account, which signs in, then disables it', async () => {
  const page = await newPage(browser);
  await signIn(page, srv.url, 'admin', srv.logins.admin);
  await page.goto(`${srv.url}/admin/accounts`);
  await page.fill('#username', 'webnurse');
  await page.fill('#display_name', 'Web Nurse');
  await page.selectOption('#role', 'clinician');
  await page.selectOption('#scope_unit_id', { label: 'Dapuqiao Community' });
  await page.fill('#password', 'a-long-enough-password-1');
  await page.selectOption('#language', 'es');
  await Promise.all([page.waitForNavigation(), page.click('form.card button[type=submit]')]);
  assert.match(page.url(), /\/admin\/accounts$/);
  const row = page.locator('#accounts tr[data-account=webnurse]');
  assert.equal(await row.count(), 1);
  await shot(page, 'accounts-desktop');
  // the account's own language wins over an English browser
  const other = await newPage(browser, { locale: 'en-US' });
  await signIn(other, srv.url, 'webnurse', 'a-long-enough-password-1');
  assert.match(other.url(), /\/alerts$/);
  assert.equal(await other.getAttribute('html', 'lang'), 'es');
  assert.match(await other.textContent('h1'), /Bandeja de alertas/);
  await other.context().close();
  // the admin changes the account's language back to the browser's, and sets a new password
  await page.click('#accounts tr[data-account=webnurse] a');
  assert.equal(await page.inputValue('#display_name'), 'Web Nurse');
  assert.equal(await page.inputValue('#role'), 'clinician');
  await page.selectOption('#language', '');
  await Promise.all([
    page.waitForNavigation(),
    page.locator('form.card').first().locator('button').click(),
  ]);
  assert.match(page.url(), /\/admin\/accounts$/);
  const edited = (await srv.listAll('admin', '/api/v1/staff?limit=200')).find((a) => a.username === 'webnurse');
  assert.equal(edited.language, null);
  assert.equal(edited.role, 'clinician', 'the role is kept');
  // two admins edit the account at once: the later save is refused, not silently lost
  await page.click('#accounts tr[data-account=webnurse] a');
  const second = await newPage(browser);
  await signIn(second, srv.url, 'admin', srv.logins.admin);
  await second.goto(page.url());
  await page.fill('#display_name', 'Nurse One');
  await Promise.all([page.waitForNavigation(), page.locator('form.card').first().locator('button').click()]);
  await second.fill('#display_name', 'Nurse Two');
  const [stale] = await Promise.all([
    second.waitForNavigation(),
    second.locator('form.card').first().locator('button').click(),
  ]);
  assert.equal(stale.status(), 409);
  assert.match(await second.textContent('main'), /changed this record after you opened it/);
  assert.equal(await second.inputValue('#display_name'), 'Nurse Two', 'what was typed is kept');
  const named = async () =>
    (await srv.listAll('admin', '/api/v1/staff?limit=200')).find((a) => a.username === 'webnurse').display_name;
  assert.equal(await named(), 'Nurse One', 'the first save stands');
  // the form now carries the current version: saving again, having looked, goes through
  await Promise.all([second.waitForNavigation(), second.locator('form.card').first().locator('button').click()]);
  assert.match(second.url(), /\/admin\/accounts$/);
  assert.equal(await named(), 'Nurse Two');
  await second.context().close();
  await page.click('#accounts tr[data-account=webnurse] a');
  await page.fill('#password', 'short');
  const [bad] = await Promise.all([page.waitForNavigation(), page.click('form[action$="/password"] button')]);
  assert.equal(bad.status(), 422, 'a short password is refused beside its field');
  assert.equal(await page.locator('#err-password').count(), 1);
  assert.equal(await page.inputValue('#role'), 'clinician', 'the other form still shows the account');
  await page.fill('#password', 'a-new-long-password-2');
  await Promise.all([page.waitForNavigation(), page.click('form[action$="/password"] button')]);
  assert.match(page.url(), /\/admin\/accounts$/);
  const renewed = await newPage(browser);
  await signIn(renewed, srv.url, 'webnurse', 'a-long-enough-password-1');
  assert.match(renewed.url(), /\/login$/, 'the old password no longer works');
  await signIn(renewed, srv.url, 'webnurse', 'a-new-long-password-2');
  assert.match(renewed.url(), /\/alerts$/);
  assert.equal(await renewed.getAttribute('html', 'lang'), 'en', 'the browser\'s language again');
  await renewed.context().close();
  await Promise.all([page.waitForNavigation(), row.locator('button').click()]);
  assert.match(await page.textContent('#accounts tr[data-account=webnurse]'), /Disabled/);
  const again = await newPage(browser);
  await signIn(again, srv.url, 'webnurse', 'a-new-long-password-2');
  assert.match(again.url(), /\/login$/);
  assert.match(await again.textContent('main'), /Wrong username or password/);
  await again.context().close();
  await page.context().close();
});

// Last: it changes the program's settings.
test("readings are entered and shown in the program's units", async () => {
  const [p] = await srv.listAll('peer', '/api/v1/participants?limit=1');
  const path = `/api/v1/programs/${p.program_id}/settings`;
  const set = await srv.req('PATCH', path, {
    token: srv.tokens.manager,
    body: { hba1c_mmol_mol: 1, glucose_mg_dl: 1 },
  });
  assert.equal(set.status, 200, set.text);
  const page = await newPage(browser);
  await signIn(page, srv.url, 'peer', srv.logins.peer);
  await page.goto(`${srv.url}/participants/${p.id}/measurement`);
  await page.selectOption('#code', '4548-4');
  await page.fill('#value', '64'); // mmol/mol, the program's unit
  await Promise.all([page.waitForNavigation(), page.click('form.card button[type=submit]')]);
  assert.match(page.url(), new RegExp(`/participants/${p.id}$`));
  const ms = await srv.listAll('peer', `/api/v1/measurements?participant_id=${p.id}&analyte=hba1c`);
  const last = ms.find((m) => m.unit === 'mmol/mol' && m.value === '64');
  assert.ok(last, 'stored as entered, in mmol/mol');
  assert.equal(Math.round(last.canonical_value * 10) / 10, 8.0);
  assert.match(await page.textContent('main'), /HbA1c \(mmol\/mol\)/);
  assert.match(await page.textContent('main'), /64\.0 mmol\/mol/);
  await shot(page, 'participant-ifcc-desktop');
  await page.context().close();
});
