#!/usr/bin/env node
// `npm run security:scan`: @doyensec/electronegativity over the built app (out/), offline.
// Every finding must be explained in security/electronegativity-allow.json (check id + file +
// reason); an unexplained finding fails the scan. Two network calls of the scanner are cut off:
// its translation download (we use its bundled en-US strings) and the "available security fixes"
// check, which asks the internet for Electron releases — the Electron version is pinned in
// package.json and reviewed when upgraded.
const Module = require('node:module');
const { readFileSync, mkdirSync } = require('node:fs');
const { join, relative } = require('node:path');

const originalLoad = Module._load;
Module._load = function (request, parent, isMain) {
  if (request === 'got') return () => Promise.reject(new Error('offline: network disabled for the security scan'));
  return originalLoad.call(this, request, parent, isMain);
};

const root = join(__dirname, '..');
const electronVersion = require(join(root, 'node_modules', 'electron', 'package.json')).version;
const allow = JSON.parse(readFileSync(join(root, 'security', 'electronegativity-allow.json'), 'utf8'));
const scanner = require('@doyensec/electronegativity');
const run = scanner.default ?? scanner;

(async () => {
  mkdirSync(join(root, 'test-output'), { recursive: true });
  const origLog = console.log;
  const report = await run({
    input: join(root, 'out'),
    output: join(root, 'test-output', 'electronegativity.csv'),
    isSarif: false,
    customScan: [],
    excludeFromScan: ['AvailableSecurityFixesGlobalCheck'],
    electronVersionOverride: electronVersion,
    severitySet: 'informational',
    confidenceSet: 'tentative',
    isRelative: false,
    parserPlugins: [],
  });
  console.log = origLog;
  const issues = report.issues;
  for (const e of report.errors ?? []) console.log(`scanner ${e.tolerable ? 'warning' : 'ERROR'} in ${relative(root, e.file)}: ${e.message}`);
  console.log(`checks loaded: ${report.atomicChecks} atomic + ${report.globalChecks} global`);
  let unexplained = 0;
  for (const i of issues) {
    const file = relative(root, i.file);
    const ok = allow.find((a) => a.id === i.id && new RegExp(a.file).test(file));
    const where = `${i.id} ${file}:${i.location?.line ?? '?'} [${i.severity?.name ?? ''}/${i.confidence?.name ?? ''}] ${i.sample ? String(i.sample).slice(0, 100) : ''}`;
    if (ok) console.log(`explained  ${where}\n           reason: ${ok.reason}`);
    else {
      unexplained++;
      console.log(`UNEXPLAINED ${where}`);
    }
  }
  console.log(`electronegativity (Electron ${electronVersion}): ${issues.length} findings, ${unexplained} unexplained`);
  process.exit(unexplained ? 1 : 0);
})().catch((e) => {
  console.error('security scan failed:', e);
  process.exit(1);
});
