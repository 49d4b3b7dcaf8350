#!/usr/bin/env node
// Turns the measurements of benches/compare/run.sh into the Markdown report.
//
//   node report.js <results.tsv> <meta.env>    (prints Markdown on stdout)
//
// results.tsv: `round <TAB> job <TAB> metric <TAB> value` per line, where job is one of
// ours_a pgl_a raw_a ours_b pgl_b raw_b ours_c raw_c ours_d raw_upd_on raw_upd_off and
// metric one of rate (requests or transactions per second), n (how many), ms_cpu_us /
// pgl_cpu_us / pg_cpu_us (CPU of our server / PostGraphile / the whole PostgreSQL
// instance per request or transaction, µs), p50_ms, p99_ms, lat_ms.
// meta.env: `key=value` lines describing the run.

'use strict';
const fs = require('fs');

const [resultsFile, metaFile] = process.argv.slice(2);
const rows = fs.readFileSync(resultsFile, 'utf8').split('\n').filter(Boolean).map((l) => l.split('\t'));
const meta = {};
for (const line of fs.readFileSync(metaFile, 'utf8').split('\n')) {
  const i = line.indexOf('=');
  if (i > 0) meta[line.slice(0, i)] = line.slice(i + 1);
}

const values = {}; // job -> metric -> [value per round]
const rounds = new Set();
for (const [round, job, metric, value] of rows) {
  rounds.add(round);
  ((values[job] ||= {})[metric] ||= []).push({ round, value: Number(value) });
}
const roundList = [...rounds].sort((a, b) => Number(a) - Number(b));

function median(xs) {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
const med = (job, metric, scale = 1) => median(((values[job] || {})[metric] || []).map((v) => v.value * scale));

function fmt(x) {
  if (!Number.isFinite(x)) return 'n/a';
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString('en-US');
  if (Math.abs(x) >= 100) return x.toFixed(0);
  if (Math.abs(x) >= 10) return x.toFixed(1);
  return x.toFixed(2);
}
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? `${(a / b).toFixed(2)}×` : '–');
const dash = '–';

// Per-row figures: (b) is counted in rows (100 per request), the rest per request.
const PER = { a: 1, b: 100, c: 1, d: 1 };

const out = [];
const p = (s = '') => out.push(s);

p('# benches/compare — last run');
p();
p(`${meta.date} · ${meta.host_cpus} CPUs (${meta.cpu_model}) · load average at start ${meta.loadavg_start}, at end ${meta.loadavg_end}`);
p();
p(`- ours: \`${meta.ms_bin}\` (sha256 ${meta.ms_sha256.slice(0, 12)}…, built ${meta.ms_mtime}), repo at ${meta.git_rev}, \`serve --no-worker\`, default settings`);
p(`- PostGraphile ${meta.pgl_version} on Node ${meta.node_version}: \`postgraphile ${meta.pgl_flags}\` (NODE_ENV=production, one process)`);
p(`- ${meta.pg_version}; ${meta.campaigns} campaigns, metadata ${meta.doc_bytes} bytes of JSON text on average`);
p(`- ${meta.rounds} interleaved rounds × ${meta.duration} s per measurement; \`wrk -t${meta.threads} -c${meta.connections}\` (${meta.wrk_version}); \`pgbench -M prepared -c${meta.connections} -j${meta.threads}\` (${meta.pgbench_version}); medians of the rounds`);
p();

const HEAD = '| Scenario | Metric | ours | PostGraphile | pgbench (raw SQL) | ours / PostGraphile | ours / pgbench |';
const ALIGN = '|---|---|--:|--:|--:|--:|--:|';
p(HEAD);
p(ALIGN);

const PLURAL = { req: 'req', row: 'rows', write: 'writes' };

function block(label, sc, unit, oursJob, pglJob, rawJob) {
  const per = PER[sc];
  const rate = (job) => (job ? med(job, 'rate', per) : NaN);
  const r = [rate(oursJob), rate(pglJob), rate(rawJob)];
  p(`| ${label} | ${PLURAL[unit]}/s | ${fmt(r[0])} | ${pglJob ? fmt(r[1]) : 'n/a'} | ${rawJob ? fmt(r[2]) : 'n/a'} | ${pglJob ? ratio(r[0], r[1]) : dash} | ${rawJob ? ratio(r[0], r[2]) : dash} |`);
  const cpuOurs = med(oursJob, 'ms_cpu_us', 1 / per);
  const cpuPgl = pglJob ? med(pglJob, 'pgl_cpu_us', 1 / per) : NaN;
  p(`| | server CPU µs/${unit} | ${fmt(cpuOurs)} | ${pglJob ? fmt(cpuPgl) : 'n/a'} | ${dash} | ${pglJob ? ratio(cpuOurs, cpuPgl) : dash} | ${dash} |`);
  const pg = [oursJob, pglJob, rawJob].map((job) => (job ? med(job, 'pg_cpu_us', 1 / per) : NaN));
  p(`| | PostgreSQL CPU µs/${unit} | ${fmt(pg[0])} | ${pglJob ? fmt(pg[1]) : 'n/a'} | ${rawJob ? fmt(pg[2]) : 'n/a'} | ${pglJob ? ratio(pg[0], pg[1]) : dash} | ${rawJob ? ratio(pg[0], pg[2]) : dash} |`);
}

block('(a) `campaign(id)` { metadata, metadataMaster { id version metadata } } — raw: one join by id', 'a', 'req', 'ours_a', 'pgl_a', 'raw_a');
block('(b) `campaigns(first: 100)` { metadata, metadataMaster { id version } } — raw: one join, LIMIT 100', 'b', 'row', 'ours_b', 'pgl_b', 'raw_b');
block('(c) `_entities` × 50 Campaign → metadataMaster { version } — raw: one statement for 50 ids', 'c', 'req', 'ours_c', null, 'raw_c');
block('(d) `updateEntityMetadata` patch `{counter}` — raw: the same UPDATE, triggers on', 'd', 'write', 'ours_d', null, 'raw_upd_on');
const on = med('raw_upd_on', 'rate'), off = med('raw_upd_off', 'rate');
p(`| raw UPDATE (pgbench), triggers on / off | writes/s (on = ${ratio(on, off)} off) | ${dash} | ${dash} | ${fmt(on)} / ${fmt(off)} | ${dash} | ${dash} |`);
p(`| | PostgreSQL CPU µs/write | ${dash} | ${dash} | ${fmt(med('raw_upd_on', 'pg_cpu_us'))} / ${fmt(med('raw_upd_off', 'pg_cpu_us'))} | ${dash} | ${dash} |`);
p();
p('Ratios are of the medians: above 1× ours does more per second (rates) or spends more CPU per unit (CPU rows).');
p('Server CPU is utime+stime of the server process from `/proc/<pid>/stat`; PostgreSQL CPU is that of the whole');
p('instance (postmaster, its live children and the children it reaped), so other databases\' load on the same');
p('instance shows up in it. Rows/s and µs/row of (b) count 100 rows per request.');
p();

p('| Latency (wrk, median of rounds) | p50 ms | p99 ms |');
p('|---|--:|--:|');
for (const job of ['ours_a', 'pgl_a', 'ours_b', 'pgl_b', 'ours_c', 'ours_d']) {
  p(`| ${job} | ${fmt(med(job, 'p50_ms'))} | ${fmt(med(job, 'p99_ms'))} |`);
}
p();
if (meta.idle_pg_ms_per_s !== undefined) {
  p(`Idle baseline (CPU during ${meta.idle_secs} s before the runs, both servers up): PostgreSQL instance ${meta.idle_pg_ms_per_s} ms/s,`);
  p(`ours ${meta.idle_ms_ms_per_s} ms/s, PostGraphile ${meta.idle_pgl_ms_per_s} ms/s. A busy baseline means other load on the instance.`);
}
p(`Peak RSS (VmHWM after all runs): ours ${meta.ms_rss_mib} MiB, PostGraphile ${meta.pgl_rss_mib} MiB.`);
const bg = med('raw_upd_on', 'ms_cpu_us');
if (Number.isFinite(bg)) {
  p(`While pgbench wrote with the triggers on, our (otherwise idle) server spent ${fmt(bg)} µs CPU per write`);
  p('consuming the events those writes recorded (its subscriptions consumer).');
}
p();

p('<details><summary>Every round</summary>');
p();
p(`| job | metric | ${roundList.map((r) => `round ${r}`).join(' | ')} |`);
p(`|---|---|${roundList.map(() => '--:').join('|')}|`);
for (const job of Object.keys(values)) {
  for (const metric of Object.keys(values[job])) {
    const byRound = Object.fromEntries(values[job][metric].map((v) => [v.round, v.value]));
    p(`| ${job} | ${metric} | ${roundList.map((r) => fmt(byRound[r])).join(' | ')} |`);
  }
}
p();
p('</details>');

process.stdout.write(out.join('\n') + '\n');
