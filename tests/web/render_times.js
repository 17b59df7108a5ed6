#!/usr/bin/env node
// How long the auditors' workbench takes to show a patient's timeline and a
// user's day on an existing (big) ledger, in a real browser (issue 12: "a
// patient timeline or a user's day renders within a second"). A measurement,
// not a test: renders over a second are counted and reported, never failed.
//
// It mints an auditor token (auditor.cmc) and the CMC device's certificate
// from DATA_DIR, starts `careledger serve` on it (the only writer: every
// query below is an audit query the service records, as any auditor's is),
// opens the page in headless chromium (browser_session.js), signs in
// through the form (timed: its check, the open cases, and the alerts queue
// it lands on, the last 7 days), and then:
//   - finds the users from the directory (`directory list`, before the
//     service starts) and, through the API, each one's activity on one day
//     (the last working day before the latest activity: a whole day), the
//     patients they read then, the busiest users and random ones;
//   - for each sampled patient, navigates the page to their timeline (the
//     newest 500 entries and the summary of the whole trail, as the page
//     asks them) and for each sampled
//     user to their day (#/user/ID?from=DAY&to=DAY), timing with
//     performance.now() from setting the address until the content is on
//     screen: the timeline table in the view, no loading message, and the
//     frame after it painted. For a user the time until the page is
//     complete (its "family or neighbours" panel, a second query) is kept
//     too. The page's own API request is taken from Resource Timing, so
//     the time splits into the request (server and transfer) and the
//     rendering after its last byte; then the same request (the newest
//     500 entries and the summary) is made once more by a fetch in the
//     page, timed alone (warm: after the page's).
//
// usage: render_times.js --careledger BIN --modules NODE_MODULES --data DATA_DIR
//                        [--samples N] [--out FILE.json] [--seed S] [--chromium PATH]
// Prints, per view, samples, p50, p90 and max in ms, rows rendered and the
// count over 1,000 ms; --out writes the same and every sample as JSON.
// Exits 0 when every page rendered; 1 when the service failed (at once), or
// a page showed an error or a page or a request did not finish within 30 s
// (each reported as it happens, the other samples still measured); 2 on bad
// usage.
// Needs root (the policy file under /etc/chromium/policies/managed/).
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const session = require('./browser_session');

const RENDER_TIMEOUT_MS = 30000;
const SLOW_MS = 1000;
const PAGE_LIMIT = 500;  // the page asks this many entries (app.js TRAIL_PAGE)
const ACTIVITY_LIMIT = 10000;  // the entries of a user's day read to choose the samples
const PURPOSE = 'render-time measurement (tests/web/render_times.js)';

function usage(message) {
  console.error(`render_times: ${message}\nusage: render_times.js --careledger BIN ` +
    '--modules NODE_MODULES --data DATA_DIR [--samples N] [--out FILE.json] [--seed S] ' +
    '[--chromium PATH]');
  process.exit(2);
}

// The options, checked: paths resolved, --samples a whole number >= 1.
function options() {
  const args = session.parseArgs(process.argv.slice(2));
  if (!args.careledger || !args.modules || !args.data) usage('missing an argument');
  const samples = Number(args.samples ?? 10);
  const seed = Number(args.seed ?? 1);
  if (!Number.isInteger(samples) || samples < 1) usage(`--samples ${args.samples}`);
  if (!Number.isInteger(seed)) usage(`--seed ${args.seed}`);
  const data = path.resolve(args.data);
  if (!fs.existsSync(data)) usage(`no data directory ${data}`);
  return {bin: path.resolve(args.careledger), modules: path.resolve(args.modules), data,
    samples, seed, out: args.out && path.resolve(args.out),
    chromium: args.chromium || '/usr/bin/chromium'};
}

// A seeded pseudo-random generator (mulberry32): the same samples each run.
function random(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffled(items, next) {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}

// The nearest-rank percentile `p` (0-100) of `values`; null when empty.
function percentile(values, p) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

// `ms` rounded to 0.1; null when it is not a number.
function tenth(ms) {
  return typeof ms === 'number' ? Math.round(ms * 10) / 10 : null;
}

// Samples, p50, p90 and max of `values`, and (`timed`) how many exceed
// SLOW_MS.
function summary(values, timed = true) {
  const result = {samples: values.length, p50: percentile(values, 50),
    p90: percentile(values, 90), max: values.length ? Math.max(...values) : null};
  if (timed) result.over_1000_ms = values.filter((v) => v > SLOW_MS).length;
  return result;
}

// The directory's users ({id, role, organisation, lastActivity}), from
// `careledger --json directory list` (the projection, read before the
// service starts; nothing is appended).
function directoryUsers(bin, data) {
  return session.careledger(bin, data, '--json', 'directory', 'list').trim().split('\n')
    .filter((line) => line.startsWith('{')).map((line) => JSON.parse(line))
    .filter((entry) => entry.user)
    .map((entry) => ({id: entry.user.user_id ?? entry.user.userId, role: entry.user.role,
      organisation: entry.user.organisation, status: entry.user.status,
      lastActivity: entry.last_activity ?? entry.lastActivity}))
    .filter((user) => user.id);
}

// The UTC day (YYYY-MM-DD) of `iso`.
function dayOf(iso) {
  return new Date(Date.parse(iso)).toISOString().slice(0, 10);
}

// The last working day (Monday to Friday, UTC) before the day of `iso`: a
// whole day, with the GPs' reads (in hours) as well as urgent care's.
function workingDayBefore(iso) {
  let at = Date.parse(`${dayOf(iso)}T00:00:00Z`) - 86400000;
  while ([0, 6].includes(new Date(at).getUTCDay())) at -= 86400000;
  return new Date(at).toISOString().slice(0, 10);
}

// In the page, as the signed-in auditor: GET `apiPath` with `params` (and
// the session's purpose), the whole body read, timed. Resolves {ok, status,
// ms, serverWaitMs (request sent to first byte, Resource Timing), body
// (parsed JSON) or problem}; status 0 when there was no whole answer within
// RENDER_TIMEOUT_MS. Each is an audit query the service records.
function fetchInPage(page, apiPath, params, timeoutMs = RENDER_TIMEOUT_MS) {
  return page.evaluate(async (apiPath, params, timeoutMs) => {
    const url = new URL(apiPath, location.origin);
    url.searchParams.set('purpose', sessionStorage.getItem('purpose') || '');
    for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
    performance.clearResourceTimings();
    const started = performance.now();
    let response;
    let text;
    try {
      response = await fetch(url, {cache: 'no-store', signal: AbortSignal.timeout(timeoutMs),
        headers: {Authorization: `Bearer ${sessionStorage.getItem('token')}`}});
      text = await response.text();
    } catch (error) {
      return {ok: false, status: 0, problem: `no answer within ${timeoutMs} ms (${error})`};
    }
    const ms = performance.now() - started;
    const timing = performance.getEntriesByType('resource').filter((e) => e.name === url.href)
      .pop();
    let body = null;
    try { body = JSON.parse(text); } catch (e) { body = null; }
    return {ok: response.ok, status: response.status, ms,
      serverWaitMs: timing ? timing.responseStart - timing.requestStart : null,
      body: response.ok ? body : null, problem: response.ok ? '' : text.slice(0, 500)};
  }, apiPath, params, timeoutMs);
}

// Signs in through the form (browser_session.signIn) and times it: `ms`
// from the click until the alerts queue shows, and from Resource Timing
// the check's request (`check_ms`, the open cases) and the landing's
// (`landing_ms`, the alerts of the last 7 days, `landing` its period).
async function timedSignIn(page, token) {
  await page.evaluate(() => performance.clearResourceTimings());
  const started = Date.now();
  await session.signIn(page, {token, purpose: PURPOSE});
  const ms = Date.now() - started;
  const timings = await page.evaluate(() => performance.getEntriesByType('resource')
    .map((e) => ({path: new URL(e.name).pathname, ms: e.responseEnd - e.startTime})));
  const of = (apiPath) => timings.filter((t) => t.path === apiPath).pop()?.ms ?? null;
  const landing = await page.evaluate(() => ({from: document.getElementById('from')?.value,
    to: document.getElementById('to')?.value}));
  return {ms, check_ms: of('/v1/audit/cases'), landing_ms: of('/v1/audit/alerts'), landing};
}

// The alerts of the 7 days to `day` (the landing's period on a ledger whose
// latest activity is that day), timed in the page; at most 5 minutes.
async function weekOfAlerts(page, day) {
  const from = new Date(Date.parse(`${day}T00:00:00Z`) - 6 * 86400000).toISOString()
    .slice(0, 10);
  const answer = await fetchInPage(page, '/v1/audit/alerts', {from, to: day}, 300000);
  if (!answer.ok) {
    throw new Error(`GET /v1/audit/alerts of ${from} to ${day} answered ${answer.status}: ` +
      answer.problem);
  }
  return {from, to: day, ms: answer.ms, records_examined: answer.body.records_examined,
    alerts: answer.body.alerts.length};
}

// Each user's activity on `day` (at most ACTIVITY_LIMIT entries: `saturated`
// when there were more), and the patients they touched then.
async function activityOn(page, users, day) {
  const activity = [];
  for (const user of users) {
    const answer = await fetchInPage(page, `/v1/audit/users/${encodeURIComponent(user.id)}`,
      {from: day, to: day, order: 'newest', limit: ACTIVITY_LIMIT});
    if (!answer.ok) {
      throw new Error(`GET /v1/audit/users/${user.id} answered ${answer.status}: ` +
        answer.problem);
    }
    const entries = answer.body.entries;
    activity.push({user: user.id, entries: entries.length,
      saturated: Boolean(answer.body.next_page_token),
      patients: [...new Set(entries.map((e) => e.nhs_number).filter(Boolean))]});
  }
  return activity;
}

// The sampled subjects: the busiest users of the day (half, rounded up),
// random other users active that day, and random patients read that day.
function chooseSamples(activity, count, next) {
  const active = activity.filter((a) => a.entries > 0)
    .sort((a, b) => b.entries - a.entries || a.user.localeCompare(b.user));
  const busiest = active.slice(0, Math.ceil(count / 2));
  const others = shuffled(active.slice(busiest.length), next).slice(0, count - busiest.length);
  const patients = [...new Set(active.flatMap((a) => a.patients))].sort();
  return {
    users: [...busiest.map((a) => ({id: a.user, why: 'busiest', entries: a.entries,
      saturated: a.saturated})),
    ...others.map((a) => ({id: a.user, why: 'random', entries: a.entries,
      saturated: a.saturated}))],
    patients: shuffled(patients, next).slice(0, count),
  };
}

// In the page: sets location.hash to `hash` and resolves once the view shows
// `title` as its heading with its #timeline table and no loading message,
// and a frame has been painted after that (rAF, then a task). Resolves
// {renderMs, rows, request: the page's own request to `apiPath` from
// Resource Timing} or {error: the page's error summary}; rejects after
// `timeoutMs`.
function navigateAndRender(page, {hash, title, apiPath, timeoutMs}) {
  return page.evaluate(async ({hash, title, apiPath, timeoutMs}) => {
    const view = document.getElementById('view');
    const state = () => {
      if (view.querySelector('h1')?.textContent !== title) return null;
      const error = view.querySelector('#error');
      if (error) return {error: error.innerText.replace(/\s+/g, ' ').trim()};
      const loading = [...view.querySelectorAll('p')].some((p) =>
        /^Loading/.test(p.textContent));
      return view.querySelector('#timeline') && !loading ? {shown: true} : null;
    };
    performance.clearResourceTimings();
    const started = performance.now();
    location.hash = hash;
    const shown = await new Promise((resolve, reject) => {
      const observer = new MutationObserver(() => settle());
      const timer = setTimeout(() => {
        observer.disconnect();
        reject(new Error(`${hash} did not render within ${timeoutMs} ms (the page shows: ` +
          `${view.innerText.replace(/\s+/g, ' ').trim().slice(0, 300)})`));
      }, timeoutMs);
      function settle() {
        const now = state();
        if (!now) return;
        observer.disconnect();
        clearTimeout(timer);
        resolve(now);
      }
      observer.observe(view, {childList: true, subtree: true, characterData: true});
      settle();
    });
    await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
    const renderMs = performance.now() - started;
    if (shown.error) return {error: shown.error};
    const request = performance.getEntriesByType('resource').filter((e) =>
      new URL(e.name).pathname === apiPath).pop();
    return {renderMs, rows: view.querySelectorAll('#timeline tbody tr').length,
      request: request ? {startMs: request.startTime - started,
        totalMs: request.responseEnd - request.startTime,
        serverWaitMs: request.responseStart - request.requestStart,
        afterResponseMs: renderMs - (request.responseEnd - started)} : null};
  }, {hash, title, apiPath, timeoutMs});
}

// In the page: resolves the ms from now until `selector` is in the view, or
// rejects after `timeoutMs`.
function waitInView(page, selector, timeoutMs) {
  return page.evaluate((selector, timeoutMs) => new Promise((resolve, reject) => {
    const started = performance.now();
    const view = document.getElementById('view');
    const observer = new MutationObserver(() => check());
    const timer = setTimeout(() => {
      observer.disconnect();
      reject(new Error(`${selector} did not show within ${timeoutMs} ms`));
    }, timeoutMs);
    function check() {
      if (!view.querySelector(selector)) return;
      observer.disconnect();
      clearTimeout(timer);
      resolve(performance.now() - started);
    }
    observer.observe(view, {childList: true, subtree: true});
    check();
  }), selector, timeoutMs);
}

// One sample: the page navigated to `target` and rendered, then (for a
// user) completed, then the same API request timed alone. Throws on an
// error page, a timeout or a failed request.
async function measure(page, target) {
  const rendered = await navigateAndRender(page, {...target, timeoutMs: RENDER_TIMEOUT_MS});
  if (rendered.error) throw new Error(`${target.hash} shows an error: ${rendered.error}`);
  const sample = {subject: target.subject, why: target.why, render_ms: tenth(rendered.renderMs),
    rows: rendered.rows, page_request_ms: tenth(rendered.request?.totalMs),
    page_request_server_wait_ms: tenth(rendered.request?.serverWaitMs),
    after_response_ms: tenth(rendered.request?.afterResponseMs)};
  if (target.completeSelector) {
    // The rest of the page (a second query), timed from the render.
    const more = await waitInView(page, target.completeSelector, RENDER_TIMEOUT_MS);
    sample.complete_ms = tenth(rendered.renderMs + more);
  }
  const direct = await fetchInPage(page, target.apiPath, target.params);
  if (!direct.ok) {
    throw new Error(`GET ${target.apiPath} answered ${direct.status}: ${direct.problem}`);
  }
  sample.fetch_ms = tenth(direct.ms);
  sample.fetch_server_wait_ms = tenth(direct.serverWaitMs);
  sample.fetch_entries = direct.body.entries.length;
  return sample;
}

function patientTarget(nhs) {
  return {subject: nhs, why: 'random', hash: `#/patient/${nhs}`, title: `Patient ${nhs}`,
    apiPath: `/v1/audit/patients/${nhs}`,
    params: {order: 'newest', limit: PAGE_LIMIT, summary: 'true'}};
}

function userDayTarget(user, day) {
  const id = encodeURIComponent(user.id);
  return {subject: user.id, why: user.why, hash: `#/user/${id}?from=${day}&to=${day}`,
    title: `User ${user.id}`, apiPath: `/v1/audit/users/${id}`,
    params: {from: day, to: day, order: 'newest', limit: PAGE_LIMIT, summary: 'true'},
    completeSelector: '#relatives, #error'};
}

// The per-view summary the report prints and writes.
function viewReport(samples) {
  const of = (key) => samples.map((s) => s[key]).filter((v) => typeof v === 'number');
  const report = {render: summary(of('render_ms')), rows: summary(of('rows'), false),
    page_request: summary(of('page_request_ms')), after_response: summary(of('after_response_ms')),
    fetch: summary(of('fetch_ms'))};
  if (samples.some((s) => 'complete_ms' in s)) report.complete = summary(of('complete_ms'));
  const slowest = [...samples].sort((a, b) => b.render_ms - a.render_ms)[0];
  report.slowest = slowest ? {subject: slowest.subject, render_ms: slowest.render_ms,
    rows: slowest.rows} : null;
  return report;
}

function printReport(report) {
  const ms = (v) => (v === null ? '-' : v.toFixed(0)).padStart(7);
  const row = (what, s) => console.log(`  ${what.padEnd(38)}${String(s.samples).padStart(7)} ` +
    `${ms(s.p50)} ${ms(s.p90)} ${ms(s.max)} ${String(s.over_1000_ms).padStart(8)}`);
  console.log(`\nrender times on ${report.data}; users' day ${report.day} (UTC); ms`);
  const signIn = report.sign_in;
  console.log(`sign-in through the form ${signIn.ms.toFixed(0)} (its check ` +
    `${signIn.check_ms?.toFixed(0) ?? '-'}, the landing's alerts of ${signIn.landing.from} to ` +
    `${signIn.landing.to} ${signIn.landing_ms?.toFixed(0) ?? '-'}); the alerts of ` +
    `${report.alerts_week.from} to ${report.alerts_week.to} ${report.alerts_week.ms.toFixed(0)} ` +
    `(${report.alerts_week.records_examined} records examined)`);
  console.log(`  ${'view'.padEnd(38)}samples     p50     p90     max  >1000ms`);
  for (const [name, view] of Object.entries(report.views)) {
    console.log(name);
    row('rendered (navigation to painted)', view.render);
    row('  its API request (Resource Timing)', view.page_request);
    row('  rendering after the response', view.after_response);
    row('  the same request alone (fetch)', view.fetch);
    if (view.complete) row('page complete (+ its second query)', view.complete);
    console.log(`  rows rendered: p50 ${view.rows.p50 ?? '-'}, max ${view.rows.max ?? '-'}; ` +
      `slowest ${view.slowest ? `${view.slowest.subject} (${view.slowest.render_ms.toFixed(0)}` +
        ` ms, ${view.slowest.rows} rows)` : '-'}`);
  }
}

async function run(opts, work) {
  const {bin, data} = opts;
  const auditor = JSON.parse(session.careledger(bin, data, '--json', 'directory', 'show',
    '--user', 'auditor.cmc').trim().split('\n').pop()).user;
  if (!auditor) throw new Error(`the directory of ${data} has no auditor.cmc`);
  // The auditor measuring is no subject: their day is this measurement.
  const users = directoryUsers(bin, data).filter((u) => u.id !== 'auditor.cmc');
  const latest = users.map((u) => u.lastActivity).filter(Boolean).sort().pop();
  if (!latest) throw new Error(`no user of ${data} has any activity`);
  const token = session.careledger(bin, data, 'token', '--user', 'auditor.cmc', '--role',
    'auditor').trim();
  const home = path.join(work, 'home');
  session.installDeviceCertificate({bin, data, work, home});
  const puppeteer = session.loadPuppeteer(opts.modules);
  const policy = session.installPolicy('careledger-render-times');
  let service = null;
  let browser = null;
  try {
    service = await session.startService({bin, data});
    browser = await session.launchBrowser(puppeteer, {chromium: opts.chromium, home,
      profile: path.join(work, 'profile')});
    const page = await browser.newPage();
    await page.setViewport({width: 1280, height: 900});
    await session.loadPage(page, `${service.url}/audit/`);
    // Signed in through the form, timed from the click until the alerts
    // queue it lands on is shown: its check (the open cases) and the
    // landing's alerts query (the last 7 days), each also from Resource
    // Timing.
    const signIn = await timedSignIn(page, token);
    console.log(`signed in through the form: ${signIn.ms.toFixed(0)} ms (check ` +
      `${signIn.check_ms?.toFixed(0) ?? '-'} ms, landing alerts ` +
      `${signIn.landing_ms?.toFixed(0) ?? '-'} ms)`);
    // A whole working day before the latest activity, unless nobody was
    // active then (a load of a day or two): the latest activity's day.
    let day = workingDayBefore(latest);
    let activity = await activityOn(page, users, day);
    if (!activity.some((a) => a.entries > 0)) {
      day = dayOf(latest);
      activity = await activityOn(page, users, day);
    }
    // The landing's period as it would be on a ledger whose latest activity
    // is today: the alerts of the 7 days to the day measured.
    const week = await weekOfAlerts(page, day);
    console.log(`alerts of ${week.from} to ${week.to}: ${week.ms.toFixed(0)} ms ` +
      `(${week.records_examined} records examined, ${week.alerts} alerts)`);
    const chosen = chooseSamples(activity, opts.samples, random(opts.seed));
    console.log(`day ${day}: ${activity.filter((a) => a.entries > 0).length} of ` +
      `${users.length} users active; sampling ${chosen.patients.length} patients and ` +
      `${chosen.users.length} users`);
    const views = {patient_timeline: [], user_day: []};
    const targets = [...chosen.patients.map((nhs) => ['patient_timeline', patientTarget(nhs)]),
      ...chosen.users.map((user) => ['user_day', userDayTarget(user, day)])];
    // A sample that fails (an error shown, nothing within 30 s) is reported
    // and the others are still measured; a service that has exited ends it.
    const errors = [];
    for (const [view, target] of targets) {
      let sample;
      try {
        sample = await measure(page, target);
      } catch (error) {
        if (service.child.exitCode !== null || service.child.signalCode !== null) throw error;
        console.error(`render_times: ERROR: ${view} ${target.subject}: ${error.message}`);
        errors.push({view, subject: target.subject, error: error.message});
        continue;
      }
      console.log(`${view} ${target.subject}: ${sample.render_ms.toFixed(0)} ms, ` +
        `${sample.rows} rows (request ${sample.page_request_ms?.toFixed(0) ?? '-'} ms, ` +
        `fetch alone ${sample.fetch_ms.toFixed(0)} ms)`);
      views[view].push(sample);
    }
    const report = {data, day, samples_requested: opts.samples, seed: opts.seed,
      measured_at: new Date().toISOString(), slow_ms: SLOW_MS, sign_in: signIn,
      alerts_week: week, users: chosen.users, errors, views: {}};
    for (const [name, samples] of Object.entries(views)) {
      report.views[name] = {...viewReport(samples), samples};
    }
    return report;
  } catch (error) {
    const child = service?.child;
    if (child && (child.exitCode !== null || child.signalCode !== null)) {
      error.message = `careledger serve exited ${child.exitCode ?? child.signalCode} ` +
        `(${child.stderrTail()}); ${error.message}`;
    }
    throw error;
  } finally {
    if (browser) await browser.close();
    await session.stopService(service?.child);
    session.removePolicy(policy);
  }
}

async function main() {
  const opts = options();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'careledger-render-'));
  try {
    const report = await run(opts, work);
    printReport(report);
    if (opts.out) fs.writeFileSync(opts.out, `${JSON.stringify(report, null, 2)}\n`);
    if (report.errors.length) {
      console.error(`render_times: ERROR: ${report.errors.length} of the pages did not ` +
        'render (above)');
      process.exitCode = 1;
    }
  } catch (error) {
    console.error(`render_times: ERROR: ${error.message}`);
    process.exitCode = 1;
  } finally {
    fs.rmSync(work, {recursive: true, force: true});
  }
}

main();
