#!/usr/bin/env node
// Pre-flight of benches/compare/run.sh: sends every scenario of queries.txt once and
// checks that ours and PostGraphile answer the same data (same rows, same fields, same
// documents), so that the two throughputs compare like with like. Exits non-zero on
// any difference or GraphQL error.
//
//   node check.js <ours url> <postgraphile url> <ids file> <queries file>

'use strict';
const fs = require('fs');

const [oursUrl, pglUrl, idsFile, queriesFile] = process.argv.slice(2);
if (!queriesFile) {
  console.error('usage: check.js <ours url> <postgraphile url> <ids file> <queries file>');
  process.exit(2);
}

const queries = {};
for (const line of fs.readFileSync(queriesFile, 'utf8').split('\n')) {
  const m = /^([\w]+):\s*(.+)$/.exec(line);
  if (m) queries[m[1]] = m[2];
}
const ids = fs.readFileSync(idsFile, 'utf8').split('\n').filter(Boolean);

async function gql(url, name, variables) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query: queries[name], variables }),
  });
  const text = await res.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`${name}: HTTP ${res.status}, not JSON: ${text.slice(0, 300)}`);
  }
  if (res.status !== 200 || body.errors || !body.data) {
    throw new Error(`${name}: HTTP ${res.status}: ${text.slice(0, 500)}`);
  }
  return { data: body.data, bytes: Buffer.byteLength(text) };
}

// PostGraphile returns bigint columns (`version`) as strings; ours as numbers.
function normalize(value, key) {
  if (Array.isArray(value)) return value.map((v) => normalize(v));
  if (value && typeof value === 'object') {
    const out = {};
    for (const k of Object.keys(value).sort()) out[k] = normalize(value[k], k);
    return out;
  }
  if (key === 'version' && typeof value === 'string') return Number(value);
  return value;
}
const same = (a, b) => JSON.stringify(normalize(a)) === JSON.stringify(normalize(b));

function fail(message) {
  console.error(`check.js: ${message}`);
  process.exit(1);
}

(async () => {
  // (a) a few ids: the same campaign, document and master row from both.
  const sample = [ids[0], ids[ids.length - 1], ...Array.from({ length: 8 }, () => ids[Math.floor(Math.random() * ids.length)])];
  let aBytes = [0, 0];
  for (const id of sample) {
    const ours = await gql(oursUrl, 'ours_a', { id });
    const pgl = await gql(pglUrl, 'pgl_a', { id });
    if (!ours.data.campaign) fail(`(a) ours found no campaign ${id}`);
    if (!same(ours.data, pgl.data)) fail(`(a) answers differ for ${id}:\nours ${JSON.stringify(ours.data).slice(0, 400)}\npgl  ${JSON.stringify(pgl.data).slice(0, 400)}`);
    if (!same(ours.data.campaign.metadata, ours.data.campaign.metadataMaster.metadata)) fail(`(a) entity and master documents differ for ${id}`);
    aBytes = [ours.bytes, pgl.bytes];
  }
  console.log(`(a) ${sample.length} ids: same answers (last response ${aBytes[0]} B ours, ${aBytes[1]} B PostGraphile)`);

  // (b) the same 100 rows in the same order with the same fields.
  const oursB = await gql(oursUrl, 'ours_b', {});
  const pglB = await gql(pglUrl, 'pgl_b', {});
  const oursNodes = oursB.data.campaigns.nodes;
  if (oursNodes.length !== 100) fail(`(b) ours returned ${oursNodes.length} rows, not 100`);
  if (!same(oursB.data, pglB.data)) {
    const a = oursNodes.map((n) => n.id), b = pglB.data.campaigns.nodes.map((n) => n.id);
    fail(`(b) answers differ (ids equal: ${JSON.stringify(a) === JSON.stringify(b)})`);
  }
  console.log(`(b) same 100 rows in the same order (${oursB.bytes} B ours, ${pglB.bytes} B PostGraphile)`);

  // (c) 50 representations: 50 answers, in order, with the versions PostGraphile reads.
  const reps = Array.from({ length: 50 }, () => ids[Math.floor(Math.random() * ids.length)]);
  const oursC = await gql(oursUrl, 'ours_c', { r: reps.map((id) => ({ __typename: 'Campaign', id })) });
  if (oursC.data._entities.length !== 50) fail(`(c) ${oursC.data._entities.length} entities, not 50`);
  for (let i = 0; i < 5; i++) {
    const pgl = await gql(pglUrl, 'pgl_a', { id: reps[i] });
    if (Number(pgl.data.campaign.metadataMaster.version) !== oursC.data._entities[i].metadataMaster.version) fail(`(c) version of ${reps[i]} differs`);
  }
  console.log(`(c) 50 entities answered (${oursC.bytes} B)`);

  // (d) one patch: the master's version grows by one and both sides carry the change.
  const id = ids[Math.floor(Math.random() * ids.length)];
  const before = await gql(pglUrl, 'pgl_a', { id });
  const counter = 1000000000 + Math.floor(Math.random() * 1000000);
  const oursD = await gql(oursUrl, 'ours_d', { id, patch: { counter } });
  const after = await gql(pglUrl, 'pgl_a', { id });
  const version = oursD.data.updateEntityMetadata.master.version;
  if (version !== Number(before.data.campaign.metadataMaster.version) + 1) fail(`(d) version ${version} after ${before.data.campaign.metadataMaster.version}`);
  if (after.data.campaign.metadata.counter !== counter || after.data.campaign.metadataMaster.metadata.counter !== counter) fail('(d) the patch did not reach both sides');
  if (Number(after.data.campaign.metadataMaster.version) !== version) fail('(d) PostGraphile reads another version');
  console.log(`(d) patch applied to entity and master, version ${version - 1} -> ${version}`);
})().catch((e) => fail(e.message));
