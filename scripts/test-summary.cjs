#!/usr/bin/env node
// Prints one closing line, "N passed, N failed[, N skipped]", summed over the vitest JSON reports
// that `npm test` wrote, so CI logs end with a count a machine and a person can both read.
const { existsSync, readFileSync } = require('node:fs');
const { join } = require('node:path');
let passed = 0, failed = 0, skipped = 0, found = 0;
for (const name of ['vitest-unit.json', 'vitest-e2e.json']) {
  const file = join(__dirname, '..', 'test-output', name);
  if (!existsSync(file)) continue;
  found++;
  const r = JSON.parse(readFileSync(file, 'utf8'));
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  skipped += r.numPendingTests + (r.numTodoTests ?? 0);
}
if (!found) {
  console.log('0 passed, 1 failed');
  process.exit(1);
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
