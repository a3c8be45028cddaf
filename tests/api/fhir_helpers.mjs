// fhir_helpers.mjs - what the FHIR test files share: a FHIR request as a demo
// login, and the check of an OperationOutcome answer.
import assert from 'node:assert/strict';

export const FHIR = 'application/fhir+json';

// A request to s as `who` (a demo login's name, or a token), FHIR JSON both ways.
export function fhirRequest(s, method, path, who, body, headers = {}) {
  return s.req(method, path, {
    token: s.tokens[who] ?? who,
    body,
    contentType: FHIR,
    headers: { accept: FHIR, ...headers },
  });
}

// Asserts an OperationOutcome of that status, as application/fhir+json, one of whose
// diagnostics (one a line) matches pattern; returns it.
export function assertOutcome(r, status, pattern) {
  assert.equal(r.status, status, r.text);
  assert.match(r.headers.get('content-type'), /^application\/fhir\+json/);
  assert.equal(r.json.resourceType, 'OperationOutcome');
  assert.match(r.json.issue.map((i) => i.diagnostics).join('\n'), pattern);
  return r.json;
}
