// The package as a user imports it: the "exports" map resolves both entry
// points by name (a package may import itself by name), and each has its types.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { test } from 'node:test';

const pkgPath = createRequire(import.meta.url).resolve('../../package.json');
const pkg = JSON.parse(fs.readFileSync(pkgPath, 'utf8'));

test('@cronq/client and @cronq/client/next import by name, with types', async () => {
  const name: string = pkg.name;
  assert.equal(name, '@cronq/client');
  const main = await import(name);
  for (const k of ['Queue', 'Worker', 'Job', 'UnrecoverableError', 'CronqError', 'HttpClient']) assert.equal(typeof main[k], 'function', k);
  const next = await import(`${name}/next`);
  for (const k of ['verifySignature', 'checkSignature', 'withCronqSignature', 'withCronSecret', 'noRetry', 'signPayload']) assert.equal(typeof next[k], 'function', k);
  for (const entry of Object.values(pkg.exports) as { types: string; import: string }[]) {
    assert.ok(fs.existsSync(path.resolve(path.dirname(pkgPath), entry.types)), entry.types);
    assert.ok(fs.existsSync(path.resolve(path.dirname(pkgPath), entry.import)), entry.import);
  }
});
