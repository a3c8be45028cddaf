// shutdown.test.mjs - SIGTERM while writes are in flight: the server stops
// cleanly, and every contact it acknowledged (201) is in the database
// afterwards, and nothing it did not acknowledge.
import test, { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setup, discover, contactBody, sleep } from './helpers.mjs';

let s, d, pid;
before(async () => {
  s = await setup();
  d = await discover(s);
  pid = d.peerParts[0].id;
});
after(async () => {
  if (s) await s.cleanup();
});

async function contactIds() {
  const items = await s.listAll('admin', `/api/v1/contacts?participant_id=${pid}&limit=200`);
  return new Set(items.map((c) => c.id));
}

test('SIGTERM during 60 concurrent writes loses no acknowledged contact', async () => {
  const before = await contactIds();
  const sends = [];
  for (let i = 0; i < 60; i++) {
    sends.push(
      s
        .req('POST', '/api/v1/contacts', {
          token: s.tokens.peer,
          body: contactBody(pid, { minutes: 1 + i, note: `shutdown ${i}` }),
        })
        .catch((e) => ({ status: 0, error: e })),
    );
    if (i === 30) await sleep(5); // let some commits start before the signal
  }
  const stopped = s.stop(); // SIGTERM while requests are queued or in flight
  const answers = await Promise.all(sends);
  const r = await stopped;
  assert.deepEqual(r, { code: 0, signal: null }, `server did not stop cleanly: ${s.stderr}`);

  const acknowledged = answers.filter((a) => a.status === 201).map((a) => a.json.id);
  assert.ok(acknowledged.length > 0, 'some writes were acknowledged before the signal');
  await s.start();
  const after = await contactIds();
  for (const id of acknowledged) assert.ok(after.has(id), `acknowledged contact ${id} was lost`);
  const added = [...after].filter((id) => !before.has(id));
  assert.equal(added.length, acknowledged.length, 'only acknowledged contacts were written');
});
