// helpers.mjs - shared by the black-box API tests (tests/api/*.test.mjs).
//
// Each test file has its own demo database in a temporary directory
// (`peerlink demo --seed 11`, with the demo logins; built once per binary and
// copied, see demo()), starts
// `peerlink serve --listen 127.0.0.1:0` on it as a child process, reads the
// URL from the first line of its standard output, and talks to it with
// fetch(). Ids are never hard-coded: tests discover them through the API.
//
// With PEERLINK_TEST_PG set (scripts/pg-test: the URL of a throwaway
// PostgreSQL server's `postgres` database), each Server gets a new database
// on that server instead of a file, made and dropped with psql.
//
// Only node's standard library is used (node >= 18): node:test, fetch.
import { spawn, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';

const here = dirname(fileURLToPath(import.meta.url));

// The binary: $PEERLINK_BIN (set by meson), else the first build tree found.
export function peerlinkBin() {
  if (process.env.PEERLINK_BIN) return process.env.PEERLINK_BIN;
  for (const b of ['build-dev', 'build-asan', 'build-release', 'build']) {
    const p = resolve(here, '..', '..', b, 'src', 'cli', 'peerlink');
    if (existsSync(p)) return p;
  }
  throw new Error('PEERLINK_BIN is not set and no build tree holds src/cli/peerlink');
}

let pgSeq = 0;

function psql(sql) {
  const r = spawnSync('psql', [process.env.PEERLINK_TEST_PG, '-qXc', sql], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`psql ${sql}: ${r.stderr}`);
}

// A location for a new database: a file in dir, or a new PostgreSQL database.
export function newDatabase(dir, file = 'api.db') {
  const base = process.env.PEERLINK_TEST_PG;
  if (!base) return join(dir, file);
  const name = `plapi_${process.pid}_${++pgSeq}`;
  psql(`CREATE DATABASE ${name}`);
  return base.replace('/postgres?', `/${name}?`);
}

// Removes what newDatabase made (a file goes with its directory).
export function dropDatabase(location) {
  const m = /^postgres(?:ql)?:\/\/[^/]*\/(plapi_\w+)\?/.exec(location);
  if (m) psql(`DROP DATABASE IF EXISTS ${m[1]} WITH (FORCE)`);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Dates and instants as the API writes them.
export function isoDate(d) {
  return d.toISOString().slice(0, 10);
}
export function daysAgo(n) {
  return isoDate(new Date(Date.now() - n * 86400000));
}
export function daysFromNow(n) {
  return isoDate(new Date(Date.now() + n * 86400000));
}
// An RFC 3339 instant `minutes` ago, whole seconds, UTC.
export function instantAgo(minutes) {
  return new Date(Date.now() - minutes * 60000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
// Whole days from date string a to date string b (b - a).
export function dayDiff(a, b) {
  return Math.round((Date.parse(b + 'T00:00:00Z') - Date.parse(a + 'T00:00:00Z')) / 86400000);
}

export class Server {
  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'peerlink-api-'));
    this.db = newDatabase(this.dir);
    this.bin = peerlinkBin();
    this.proc = null;
    this.url = null;
    this.stderr = '';
    this.exits = []; // {code, signal} of every server this object stopped
    this.logins = {}; // username -> password, as `peerlink demo` printed them
    this.tokens = {}; // username -> bearer token
    this.me = {}; // username -> GET /api/v1/me
  }

  // Builds the demo database and records the logins it prints. With PEERLINK_TEST_CACHE
  // (meson sets a folder in the build tree; scripts/pg-test a folder of its own) the demo is
  // built once per binary and seed, and each test file starts from a copy of it: a SQLite
  // file is copied, a PostgreSQL database is filled with `peerlink migrate` (COPY), which is
  // much faster than building the demo row by row there.
  demo(seed = 11) {
    const pg = this.db.startsWith('postgres');
    const cache = process.env.PEERLINK_TEST_CACHE;
    let file = pg ? join(this.dir, 'demo.db') : this.db;
    if (cache) {
      // the key changes with the binary, so a rebuilt peerlink never reads an older demo
      const st = statSync(this.bin);
      file = join(cache, `demo-${seed}-${st.size}-${Math.floor(st.mtimeMs)}.db`);
    }
    let r = { status: 0, stdout: '' };
    if (cache && existsSync(`${file}.out`)) {
      r.stdout = readFileSync(`${file}.out`, 'utf8');
    } else {
      // built under a name of this process's own, then renamed: suites run side by side
      const building = cache ? `${file}.${process.pid}` : file;
      if (cache) {
        mkdirSync(cache, { recursive: true });
        const key = basename(file).replace(/\.db$/, '');
        for (const f of readdirSync(cache))
          if (/^demo-/.test(f) && !f.startsWith(key)) rmSync(join(cache, f), { force: true });
      }
      r = spawnSync(this.bin, ['demo', '--db', building, '--seed', String(seed)], {
        encoding: 'utf8',
        timeout: 120000,
      });
      if (r.status === 0 && cache) {
        renameSync(building, file);
        writeFileSync(`${file}.out`, r.stdout);
      }
    }
    if (r.status !== 0)
      throw new Error(`peerlink demo failed (status ${r.status}): ${r.stderr}${r.stdout}`);
    if (pg) {
      const m = spawnSync(this.bin, ['migrate', '--from', file, '--to', this.db], {
        encoding: 'utf8',
        timeout: 120000,
      });
      if (m.status !== 0)
        throw new Error(`peerlink migrate failed (status ${m.status}): ${m.stderr}${m.stdout}`);
    } else if (file !== this.db) {
      copyFileSync(file, this.db);
    }
    const out = r.stdout;
    const start = out.indexOf('demo logins');
    for (const line of out.slice(start).split('\n').slice(1)) {
      const m = line.match(/^\s+(\S+)\s+(\S+)\s+(\S+)\s*$/);
      if (m) this.logins[m[1]] = m[2];
    }
    if (!this.logins.admin) throw new Error(`peerlink demo printed no logins:\n${out}`);
  }

  // Starts `peerlink serve`; resolves once the URL line is printed.
  // opts: {sessionIdle, sessionMax, maxBody, exportDir} (seconds / bytes / a directory).
  start(opts = {}) {
    const args = ['serve', '--db', this.db, '--listen', '127.0.0.1:0', '--threads', '2'];
    if (opts.sessionIdle !== undefined) args.push('--session-idle', String(opts.sessionIdle));
    if (opts.sessionMax !== undefined) args.push('--session-max', String(opts.sessionMax));
    if (opts.maxBody !== undefined) args.push('--max-body', String(opts.maxBody));
    if (opts.exportDir !== undefined) args.push('--export-dir', opts.exportDir);
    const proc = spawn(this.bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    this.stderr = '';
    this.url = null;
    proc.exited = new Promise((res) =>
      proc.on('exit', (code, signal) => res({ code, signal })),
    );
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (d) => {
      this.stderr += d;
    });
    return new Promise((res, rej) => {
      let out = '';
      const timer = setTimeout(() => {
        rej(new Error(`peerlink serve printed no URL within 20 s: ${out}${this.stderr}`));
      }, 20000);
      proc.stdout.setEncoding('utf8');
      proc.stdout.on('data', (d) => {
        out += d;
        const m = out.match(/http:\/\/127\.0\.0\.1:\d+\//);
        if (m && !this.url) {
          this.url = m[0].replace(/\/$/, '');
          clearTimeout(timer);
          res(this.url);
        }
      });
      proc.on('exit', (code, signal) => {
        clearTimeout(timer);
        if (!this.url)
          rej(new Error(`peerlink serve exited (${code ?? signal}) before printing its URL: ${this.stderr}`));
      });
    });
  }

  // SIGTERM, then waits for the exit; returns {code, signal}.
  async stop() {
    const proc = this.proc;
    if (!proc) return null;
    this.proc = null;
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
    const killer = setTimeout(() => proc.kill('SIGKILL'), 20000);
    const r = await proc.exited;
    clearTimeout(killer);
    this.exits.push(r);
    return r;
  }

  // Stops (asserting a clean exit) and starts again on the same database.
  async restart(opts = {}) {
    const r = await this.stop();
    assert.deepEqual(r, { code: 0, signal: null }, `server did not stop cleanly: ${this.stderr}`);
    await this.start(opts);
  }

  // For the after() hook: stops the server if it still runs (asserting
  // exit 0), then removes the temporary directory.
  async cleanup() {
    try {
      if (this.proc) {
        const r = await this.stop();
        assert.deepEqual(r, { code: 0, signal: null }, `server did not stop cleanly: ${this.stderr}`);
      }
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
      dropDatabase(this.db);
    }
  }

  // One HTTP request. opts: token, body (object: sent as JSON; string: sent
  // as is), headers, contentType. Returns {status, headers, text, json}.
  async req(method, path, opts = {}) {
    const headers = { ...(opts.headers || {}) };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    let body;
    if (opts.body !== undefined) {
      body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
      headers['content-type'] = opts.contentType || 'application/json';
    }
    const res = await fetch(this.url + path, { method, headers, body, redirect: 'manual' });
    const text = await res.text();
    let json;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json };
  }

  async login(username, password = this.logins[username]) {
    const r = await this.req('POST', '/api/v1/login', { body: { username, password } });
    assert.equal(r.status, 200, `login ${username}: ${r.status} ${r.text}`);
    assert.equal(typeof r.json.token, 'string');
    return r.json.token;
  }

  // Signs in each named demo account once; fills this.tokens and this.me.
  async loginAll(names = ['admin', 'manager', 'clinician', 'peer', 'navigator', 'evaluator']) {
    for (const n of names) {
      this.tokens[n] = await this.login(n);
      this.me[n] = await this.get200(n, '/api/v1/me');
    }
  }

  // GET as a signed-in demo account (by username) expecting 200; returns the JSON.
  async get200(who, path) {
    const r = await this.req('GET', path, { token: this.tokens[who] ?? who });
    assert.equal(r.status, 200, `GET ${path} as ${who}: ${r.status} ${r.text}`);
    return r.json;
  }

  // Every item of a list, following `next` links.
  async listAll(who, path) {
    const items = [];
    let next = path;
    for (let pages = 0; next; pages++) {
      assert.ok(pages < 1000, `paging ${path} does not end`);
      const page = await this.get200(who, next);
      assert.ok(Array.isArray(page.items), `${next}: no items array: ${JSON.stringify(page)}`);
      items.push(...page.items);
      next = page.next;
    }
    return items;
  }
}

// Builds the demo, starts a server and signs the demo accounts in.
export async function setup(opts = {}) {
  const s = new Server();
  try {
    s.demo();
    await s.start(opts);
    if (opts.login !== false) await s.loginAll(opts.accounts);
  } catch (e) {
    // the caller never sees s: stop the server here, or the test process
    // would wait for it forever
    await s.stop().catch(() => {});
    rmSync(s.dir, { recursive: true, force: true });
    dropDatabase(s.db);
    throw e;
  }
  return s;
}

// Asserts an RFC 9457 problem answer with this status.
export function assertProblem(r, status, what = '') {
  assert.equal(r.status, status, `${what} expected ${status}, got ${r.status}: ${r.text}`);
  const ct = r.headers.get('content-type') || '';
  assert.match(ct, /^application\/problem\+json/, `${what} content-type ${ct}`);
  assert.ok(r.json && typeof r.json === 'object', `${what} body is not JSON: ${r.text}`);
  assert.equal(r.json.status, status, `${what} problem status field: ${r.text}`);
  assert.equal(typeof r.json.title, 'string', `${what} problem title: ${r.text}`);
  assert.equal(typeof r.json.type, 'string', `${what} problem type: ${r.text}`);
  return r.json;
}

// The field errors of a problem, as a map field -> message.
export function fieldErrors(problem) {
  const m = {};
  for (const e of problem.errors || []) m[e.field] = e.message;
  return m;
}

// Polls fn() (async, returns a value or undefined) until it returns a truthy
// value or ms pass; returns the last value.
export async function poll(fn, ms = 2000, every = 100) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v || Date.now() >= end) return v;
    await sleep(every);
  }
}

// A contact body for participant pid that passes every rule.
export function contactBody(pid, extra = {}) {
  return {
    participant_id: pid,
    occurred_at: instantAgo(60),
    minutes: 20,
    mode: 'phone',
    key_functions: ['daily_management', 'social_emotional'],
    topics: ['taking_medication'],
    proactive: true,
    note: 'Talked about refills.',
    follow_up_date: daysFromNow(14),
    ...extra,
  };
}

// An HbA1c measurement body for participant pid.
export function measurementBody(pid, extra = {}) {
  return {
    participant_id: pid,
    code: '4548-4',
    value: '7.10',
    unit: '%',
    effective_at: instantAgo(30),
    source: 'point_of_care',
    ...extra,
  };
}

// Discovers the ids most tests need, as admin, from the signed-in accounts:
//  site: the clinician's and peer's community; shanghai: the manager's and
//  evaluator's program; misalud: the navigator's program;
//  leaderId: the peer's peer-leader id; peerParts: the peer's participants;
//  otherPart: a participant of another leader in the same community;
//  otherLeaderId: that leader; msPart: a Mi Salud participant.
export async function discover(s) {
  const d = {};
  d.site = s.me.clinician.scope_unit_id;
  d.shanghai = s.me.manager.scope_unit_id;
  d.misalud = s.me.navigator.scope_unit_id;
  d.peerParts = await s.listAll('peer', '/api/v1/participants?limit=200');
  assert.ok(d.peerParts.length > 0, 'the demo peer leader has no participants');
  d.leaderId = d.peerParts[0].peer_leader_id;
  assert.ok(Number.isInteger(d.leaderId), 'participant has no peer_leader_id');
  d.siteParts = await s.listAll('admin', `/api/v1/participants?home_unit_id=${d.site}&limit=200`);
  d.otherPart = d.siteParts.find((p) => p.peer_leader_id && p.peer_leader_id !== d.leaderId);
  assert.ok(d.otherPart, 'no participant of another leader in the community');
  d.otherLeaderId = d.otherPart.peer_leader_id;
  const ms = await s.get200('admin', `/api/v1/participants?home_unit_id=${d.misalud}&limit=1`);
  d.msPart = ms.items[0];
  assert.ok(d.msPart, 'no Mi Salud participant');
  return d;
}
