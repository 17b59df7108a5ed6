// The browser set-up the web scripts share (workbench_test.js, render_times.js):
// the auditor's device certificate in an NSS db of the script's own HOME, the
// Chromium policy that presents it, `careledger serve` started on a data
// directory, Debian's chromium launched through puppeteer-core, a page loaded
// with every stylesheet, and the mouse-driven sign-in.
//
// Every function throws an Error that says what is missing or what failed;
// the caller decides whether that fails a check or ends the run.
'use strict';
const {execFileSync, spawn} = require('child_process');
const fs = require('fs');
const path = require('path');

const POLICY_DIR = '/etc/chromium/policies/managed';
const DEFAULT_CHROMIUM = '/usr/bin/chromium';

// Parses `--name value` pairs into {name: value}.
function parseArgs(argv) {
  const args = {};
  for (let i = 0; i < argv.length; i += 2) args[argv[i].replace(/^--/, '')] = argv[i + 1];
  return args;
}

// puppeteer-core from the build tree's node_modules (web/package.json).
function loadPuppeteer(modules) {
  const dir = path.join(modules, 'puppeteer-core');
  if (!fs.existsSync(dir)) throw new Error(`puppeteer-core in ${modules}`);
  return require(dir);
}

// Runs `careledger --data DATA ARGV...` and returns its stdout; throws with
// its stderr when it exits non-zero.
function careledger(bin, data, ...argv) {
  try {
    return execFileSync(bin, ['--data', data, ...argv], {encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 << 20});
  } catch (error) {
    const said = `${error.stdout || ''}\n${error.stderr || ''}`.trim();
    throw new Error(`careledger ${argv.join(' ')} exited ${error.status}: ` +
      `${said || error.message}`);
  }
}

// Issues `device`'s client certificate from DATA's device CA into
// WORK/certs, and imports it with the CA (trusted) into a new NSS db in
// HOME/.pki/nssdb, where chromium started with that HOME finds it.
// Needs certutil and pk12util (libnss3-tools) and openssl.
function installDeviceCertificate({bin, data, work, home, device = 'dev-CMC001'}) {
  const certs = path.join(work, 'certs');
  careledger(bin, data, 'directory', 'issue-cert', '--device', device, '--out', certs);
  const db = path.join(home, '.pki', 'nssdb');
  const nss = `sql:${db}`;
  fs.mkdirSync(db, {recursive: true});
  execFileSync('certutil', ['-d', nss, '-N', '--empty-password']);
  execFileSync('certutil', ['-d', nss, '-A', '-t', 'C,,', '-n', 'careledger-test-ca', '-i',
    path.join(certs, 'ca.crt')]);
  const p12 = path.join(work, `${device}.p12`);
  execFileSync('openssl', ['pkcs12', '-export', '-in', path.join(certs, `${device}.crt`),
    '-inkey', path.join(certs, `${device}.key`), '-out', p12, '-passout', 'pass:']);
  execFileSync('pk12util', ['-d', nss, '-i', p12, '-W', '']);
}

// Writes the managed Chromium policy `name`.json that has chromium present
// the client certificate to https://127.0.0.1:* without asking (needs root);
// returns its path, for removePolicy.
function installPolicy(name) {
  const file = path.join(POLICY_DIR, `${name}.json`);
  fs.mkdirSync(POLICY_DIR, {recursive: true});
  fs.writeFileSync(file, JSON.stringify({AutoSelectCertificateForUrls: [
    JSON.stringify({pattern: 'https://127.0.0.1:*', filter: {}})]}));
  return file;
}

function removePolicy(file) {
  if (file) fs.rmSync(file, {force: true});
}

// Starts `careledger --data DATA serve --listen 127.0.0.1:0` and resolves
// {child, url} once it prints its "listening" line; rejects if it exits
// first (with its last log lines). `env` adds to this process's environment
// (CARELEDGER_SERVE_* configuration). After the start, child.exited is a
// promise of the exit code (or signal) and child.stderrTail() its last log
// lines other than the per-request ones.
function startService({bin, data, env = {}}) {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, ['--data', data, 'serve', '--listen', '127.0.0.1:0'],
      {stdio: ['ignore', 'pipe', 'pipe'], env: {...process.env, ...env}});
    let err = '';
    child.stderr.on('data', (chunk) => {
      err = `${err}${chunk}`.split('\n').filter((line) => !line.includes('"request_id"'))
        .slice(-10).join('\n');
    });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out = (out + chunk).slice(-65536);
      const match = out.match(/"listening":"(https:\/\/[^"]+)"/);
      if (match) resolve({child, url: match[1]});
    });
    child.exited = new Promise((done) => child.once('exit', (code, signal) => {
      reject(new Error(`careledger serve exited ${code ?? signal}: ${err.trim()}`));
      done(code ?? signal);
    }));
    child.stderrTail = () => err.trim();
  });
}

// Stops the service with SIGTERM (it drains) and waits for it to exit; one
// that has not exited 30 s later is killed (SIGKILL).
async function stopService(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 30000);
  await child.exited;
  clearTimeout(timer);
}

// Headless chromium with HOME (the NSS db) and its own profile directory.
function launchBrowser(puppeteer, {chromium = DEFAULT_CHROMIUM, home, profile}) {
  if (!fs.existsSync(chromium)) {
    throw new Error(`chromium at ${chromium} (deploy/install-deps.sh --tests)`);
  }
  return puppeteer.launch({
    executablePath: chromium, headless: true,
    args: ['--no-sandbox', '--no-proxy-server', '--disable-gpu'],
    env: {...process.env, HOME: home},
    userDataDir: profile,
  });
}

// Loads `address` (null: the page at hand, reloaded) until the document,
// every script and every stylesheet has loaded, at most 5 times. The service
// sometimes drops a kept-alive TLS connection as the browser reuses it
// (ERR_SSL_PROTOCOL_ERROR; app.js asks a GET again for that reason), and a
// page without app.js or its NHS.UK module shows nothing, one without
// app.css or print.css fails focus and print checks for a reason that is
// not theirs. Throws naming what is still missing after the fifth load.
async function loadPage(page, address) {
  let missing = [];
  const onFailed = (request) => {
    if (['document', 'script', 'stylesheet'].includes(request.resourceType())) {
      missing.push(`${request.url()} (${request.failure()?.errorText})`);
    }
  };
  page.on('requestfailed', onFailed);
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      missing = [];
      if (attempt === 0 && address) await page.goto(address, {waitUntil: 'networkidle0'});
      else await page.reload({waitUntil: 'networkidle0'});
      missing.push(...await page.$$eval('link[rel="stylesheet"]', (links) => links.filter((l) => {
        try {
          return !l.sheet || l.sheet.cssRules.length === 0;
        } catch (e) {
          return true;
        }
      }).map((link) => link.getAttribute('href'))));
      if (missing.length === 0) return;
      console.log(`loaded without ${missing.join(', ')}: loading again`);
    }
  } finally {
    page.off('requestfailed', onFailed);
  }
  throw new Error(`the page loads with its scripts and stylesheets (missing ` +
    `${missing.join(', ')})`);
}

// On the sign-in form (#signin), fills the token and the purpose and signs
// in with the mouse; resolves once the alerts page shows (#alert-count),
// throws with the page's error summary if sign-in is refused or fails.
async function signIn(page, {token, purpose}) {
  await page.waitForSelector('#signin');
  await page.$eval('#token', (e, value) => { e.value = value; }, token);
  await page.$eval('#purpose', (e) => { e.value = ''; });
  await page.type('#purpose', purpose);
  await page.click('#signin button');
  const shown = await page.waitForSelector('#alert-count, #error');
  const id = await shown.evaluate((e) => e.id);
  if (id === 'error') {
    throw new Error(`sign-in failed: ${await shown.evaluate((e) =>
      e.innerText.replace(/\s+/g, ' ').trim())}`);
  }
}

module.exports = {
  parseArgs, loadPuppeteer, careledger, installDeviceCertificate, installPolicy, removePolicy,
  startService, stopService, launchBrowser, loadPage, signIn,
};
