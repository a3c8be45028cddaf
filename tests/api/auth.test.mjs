// auth.test.mjs - signing in and out, the session cookie, failed-login
// throttling, disabled accounts, password resets and session expiry.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setup, assertProblem, sleep } from './helpers.mjs';

let s;
before(async () => {
  s = await setup();
});
after(async () => {
  if (s) await s.cleanup();
});

let loginRes; // the response of a fresh admin login, shared by the cookie tests

test('login with the right password answers 200 with a token and the account', async () => {
  loginRes = await s.req('POST', '/api/v1/login', {
    body: { username: 'admin', password: s.logins.admin },
  });
  assert.equal(loginRes.status, 200, loginRes.text);
  const b = loginRes.json;
  assert.match(b.token, /^[A-Za-z0-9_-]{43}$/, 'token is 43 base64url characters');
  assert.equal(typeof b.expires_at, 'string');
  assert.ok(!Number.isNaN(Date.parse(b.expires_at)), `expires_at ${b.expires_at}`);
  assert.equal(b.account.username, 'admin');
  assert.equal(b.account.role, 'admin');
  assert.ok(Number.isInteger(b.account.id));
  assert.doesNotMatch(loginRes.text, /argon2|password/i, 'no password or hash in the answer');
});

test('login sets the pl_session cookie with HttpOnly, SameSite=Strict and Path=/', () => {
  const c = loginRes.headers.get('set-cookie') || '';
  assert.ok(c.includes(`pl_session=${loginRes.json.token}`), `Set-Cookie: ${c}`);
  assert.match(c, /;\s*HttpOnly/i, `Set-Cookie: ${c}`);
  assert.match(c, /;\s*SameSite=Strict/i, `Set-Cookie: ${c}`);
  assert.match(c, /;\s*Path=\//i, `Set-Cookie: ${c}`);
});

test('the session cookie alone authenticates a request', async () => {
  const r = await s.req('GET', '/api/v1/me', {
    headers: { cookie: `pl_session=${loginRes.json.token}` },
  });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.username, 'admin');
});

test('GET /api/v1/me returns the signed-in account with its role and scope', async () => {
  const r = await s.req('GET', '/api/v1/me', { token: s.tokens.peer });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.username, 'peer');
  assert.equal(r.json.role, 'peer_leader');
  assert.ok(Number.isInteger(r.json.scope_unit_id), 'peer has a scope unit');
  assert.ok(Number.isInteger(r.json.person_id), 'peer has a person');
  assert.doesNotMatch(r.text, /argon2|password/i);
});

test('a request without credentials answers 401 with WWW-Authenticate: Bearer', async () => {
  const r = await s.req('GET', '/api/v1/me');
  assertProblem(r, 401);
  assert.match(r.headers.get('www-authenticate') || '', /^Bearer/);
});

test('an unknown bearer token answers 401', async () => {
  const r = await s.req('GET', '/api/v1/me', { token: 'A'.repeat(43) });
  assertProblem(r, 401);
  assert.match(r.headers.get('www-authenticate') || '', /^Bearer/);
});

test('a wrong password and an unknown username answer the same 401', async () => {
  const wrong = await s.req('POST', '/api/v1/login', {
    body: { username: 'manager', password: 'not-the-password' },
  });
  const unknown = await s.req('POST', '/api/v1/login', {
    body: { username: 'nobody-at-all', password: 'not-the-password' },
  });
  const a = assertProblem(wrong, 401, 'wrong password');
  const b = assertProblem(unknown, 401, 'unknown user');
  assert.equal(a.detail, b.detail, 'same detail either way');
  assert.equal(a.title, b.title);
  assert.equal(a.type, b.type);
  assert.equal(wrong.json.token, undefined);
  // the manager still signs in (one failure does not lock)
  await s.login('manager');
});

test('after 5 failed logins for one username the 6th answers 429 with Retry-After', async () => {
  for (let i = 1; i <= 5; i++) {
    const r = await s.req('POST', '/api/v1/login', {
      body: { username: 'evaluator', password: `wrong-password-${i}` },
    });
    assertProblem(r, 401, `failure ${i}`);
  }
  const r = await s.req('POST', '/api/v1/login', {
    body: { username: 'evaluator', password: 'wrong-password-6' },
  });
  assertProblem(r, 429, '6th failure');
  const ra = Number(r.headers.get('retry-after'));
  assert.ok(Number.isInteger(ra) && ra > 0, `Retry-After: ${r.headers.get('retry-after')}`);
});

test('a locked username is refused even with the right password', async () => {
  const r = await s.req('POST', '/api/v1/login', {
    body: { username: 'evaluator', password: s.logins.evaluator },
  });
  assertProblem(r, 429);
  assert.equal(r.json.token, undefined);
  assert.ok(Number(r.headers.get('retry-after')) > 0);
});

test('the lock is per username: an existing session of the locked account still works', async () => {
  const r = await s.req('GET', '/api/v1/me', { token: s.tokens.evaluator });
  assert.equal(r.status, 200, r.text);
});

let logoutRes;
test('logout answers 204 and the token then answers 401', async () => {
  const t = await s.login('admin');
  logoutRes = await s.req('POST', '/api/v1/logout', { token: t });
  assert.equal(logoutRes.status, 204, logoutRes.text);
  assert.equal(logoutRes.text, '');
  const r = await s.req('GET', '/api/v1/me', { token: t });
  assertProblem(r, 401);
  assert.match(r.headers.get('www-authenticate') || '', /^Bearer/);
});

test('logout clears the session cookie', () => {
  const c = logoutRes.headers.get('set-cookie') || '';
  assert.match(c, /pl_session=/, `Set-Cookie: ${c}`);
  assert.match(c, /Max-Age=0|expires=Thu, 01 Jan 1970/i, `Set-Cookie: ${c}`);
});

test('logout ends only that session: another session of the same account still works', async () => {
  const r = await s.req('GET', '/api/v1/me', { token: s.tokens.admin });
  assert.equal(r.status, 200, r.text);
});

test('disabling an account ends its existing sessions', async () => {
  const id = s.me.navigator.id;
  const before = await s.req('GET', '/api/v1/me', { token: s.tokens.navigator });
  assert.equal(before.status, 200);
  const p = await s.req('PATCH', `/api/v1/staff/${id}`, {
    token: s.tokens.admin,
    body: { disabled: true },
  });
  assert.equal(p.status, 200, p.text);
  assert.equal(p.json.disabled, true);
  const r = await s.req('GET', '/api/v1/me', { token: s.tokens.navigator });
  assertProblem(r, 401);
});

test('a disabled account cannot sign in', async () => {
  const r = await s.req('POST', '/api/v1/login', {
    body: { username: 'navigator', password: s.logins.navigator },
  });
  assert.ok([401, 403].includes(r.status), `status ${r.status}: ${r.text}`);
  assertProblem(r, r.status);
  assert.equal(r.json.token, undefined);
});

test('GET /api/v1/staff/{id} shows the disabled flag and never a password hash', async () => {
  const r = await s.req('GET', `/api/v1/staff/${s.me.navigator.id}`, { token: s.tokens.admin });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.disabled, true);
  assert.equal(r.json.username, 'navigator');
  assert.doesNotMatch(r.text, /argon2|password/i);
  const list = await s.listAll('admin', '/api/v1/staff?limit=200');
  assert.ok(list.length >= 6);
  assert.doesNotMatch(JSON.stringify(list), /argon2|password/i);
});

test('re-enabling an account lets it sign in again', async () => {
  const p = await s.req('PATCH', `/api/v1/staff/${s.me.navigator.id}`, {
    token: s.tokens.admin,
    body: { disabled: false },
  });
  assert.equal(p.status, 200, p.text);
  s.tokens.navigator = await s.login('navigator');
});

test('a password reset ends the account\'s sessions', async () => {
  const id = s.me.clinician.id;
  const r = await s.req('POST', `/api/v1/staff/${id}/password`, {
    token: s.tokens.admin,
    body: { password: 'a-brand-new-secret' },
  });
  assert.ok(r.status === 200 || r.status === 204, `reset: ${r.status} ${r.text}`);
  const me = await s.req('GET', '/api/v1/me', { token: s.tokens.clinician });
  assertProblem(me, 401);
});

test('after a reset the new password signs in and the old one does not', async () => {
  const old = await s.req('POST', '/api/v1/login', {
    body: { username: 'clinician', password: s.logins.clinician },
  });
  assertProblem(old, 401);
  s.tokens.clinician = await s.login('clinician', 'a-brand-new-secret');
});

test('a reset password shorter than 10 characters is refused with 422', async () => {
  const r = await s.req('POST', `/api/v1/staff/${s.me.clinician.id}/password`, {
    token: s.tokens.admin,
    body: { password: 'short' },
  });
  assertProblem(r, 422);
  assert.ok((r.json.errors || []).some((e) => e.field === 'password'), r.text);
  // the account keeps the password it had
  await s.login('clinician', 'a-brand-new-secret');
});

// Session expiry: a server with --session-idle 3 --session-max 12. A login hashes a password
// (argon2id), which takes a second or more on a loaded machine under the sanitizers: each
// session is used at once after both logins, so the idle clock starts from that use.
let idleToken, maxToken, maxLoginAt;
const IDLE = 3;
const MAX = 12;

test('a server restarted with --session-idle/--session-max keeps serving', async () => {
  await s.restart({ sessionIdle: IDLE, sessionMax: MAX });
  idleToken = await s.login('manager');
  maxLoginAt = Date.now();
  maxToken = await s.login('admin');
  for (const t of [idleToken, maxToken])
    assert.equal((await s.req('GET', '/api/v1/me', { token: t })).status, 200);
});

test('a session used more often than --session-idle stays valid past it', async () => {
  // four uses 1.2 s apart: 4.8 s in all, longer than the 3 s idle limit
  for (let i = 0; i < 4; i++) {
    await sleep(1200);
    const r = await s.req('GET', '/api/v1/me', { token: idleToken });
    assert.equal(r.status, 200, `use ${i + 1}: ${r.status} ${r.text}`);
    const m = await s.req('GET', '/api/v1/me', { token: maxToken });
    assert.equal(m.status, 200, `keep-alive ${i + 1}: ${m.status}`);
  }
});

test('a session unused for longer than --session-idle answers 401', async () => {
  // 4.8 s without using idleToken; maxToken is kept busy meanwhile
  for (let i = 0; i < 4; i++) {
    await sleep(1200);
    const m = await s.req('GET', '/api/v1/me', { token: maxToken });
    assert.equal(m.status, 200, `keep-alive ${i + 1}: ${m.status}`);
  }
  const r = await s.req('GET', '/api/v1/me', { token: idleToken });
  assertProblem(r, 401);
  assert.match(r.headers.get('www-authenticate') || '', /^Bearer/);
});

test('a session ends --session-max seconds after login even while in use', async () => {
  let endedAt = null;
  while (Date.now() - maxLoginAt < (MAX + 2) * 1000) {
    const r = await s.req('GET', '/api/v1/me', { token: maxToken });
    if (r.status === 401) {
      endedAt = (Date.now() - maxLoginAt) / 1000;
      break;
    }
    assert.equal(r.status, 200, r.text);
    await sleep(700);
  }
  assert.ok(endedAt !== null, `session still valid ${MAX + 2} s after login`);
  assert.ok(endedAt >= MAX - 1, `session ended after ${endedAt} s, before --session-max ${MAX}`);
});

test('SIGTERM stops the server cleanly (exit 0)', async () => {
  const r = await s.stop();
  assert.deepEqual(r, { code: 0, signal: null }, s.stderr);
  assert.ok(s.exits.every((e) => e.code === 0), JSON.stringify(s.exits));
});
