// The auditors' workbench: a client of the /v1/audit API (docs/service.md).
// Every query it makes is one the API authenticates and records; this file
// only asks and shows. Every value from the API reaches the page through
// textContent (the h() helper), never as markup.
import { initAll } from './nhsuk/nhsuk-frontend.min.js';

const RULES = ['break_glass', 'restricted_record', 'no_relationship', 'family_or_neighbour',
  'own_record', 'deceased', 'out_of_hours', 'many_patients', 'unregistered_device',
  'repeated_refusals'];
const OUTCOMES = [['justified', 'Justified'], ['inappropriate-access-confirmed',
  'Inappropriate access confirmed'], ['false-positive', 'False positive'],
  ['referred', 'Referred']];
const ZONE = 'Europe/London';
const view = document.getElementById('view');

// An element: attributes (on* never), then children (strings become text).
function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') element.className = value;
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

function show(...nodes) {
  view.replaceChildren(...nodes);
}

// After a page change the focus goes to the top of the main content (it
// may not stay on a control that was removed, where the next Tab would
// start from an arbitrary place): the next Tab reaches the page's first
// control, and a screen reader starts reading the new page.
function focusMain() {
  document.getElementById('main').focus({preventScroll: true});
}

// A time as Europe/London wall clock with the zone (GMT or BST) shown. One
// formatter for the page: making one is far slower than using it, and a
// trail shows 500 rows at a time.
const LONDON = new Intl.DateTimeFormat('en-GB', {
  timeZone: ZONE, year: 'numeric', month: 'short', day: '2-digit', hour: '2-digit',
  minute: '2-digit', second: '2-digit', timeZoneName: 'short',
});
function londonTime(iso) {
  if (!iso) return '';
  return LONDON.format(new Date(iso));
}

function session() {
  return {token: sessionStorage.getItem('token'), purpose: sessionStorage.getItem('purpose')};
}

class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

// GET or POST to the API as the signed-in auditor, ?purpose= added to
// every query. Throws ApiError with the problem details on refusal.
async function api(path, params = {}, options = {}) {
  const {token, purpose} = session();
  const url = new URL(path, location.origin);
  url.searchParams.set('purpose', purpose || '');
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') url.searchParams.set(key, value);
  }
  const headers = {Authorization: `Bearer ${token}`, ...(options.headers || {})};
  const request = () => fetch(url, {...options, headers, cache: 'no-store'});
  let response;
  try {
    response = await request();
  } catch (error) {
    // A kept-alive connection the service closed as it was reused: a GET
    // is asked once more (a POST never is: it may have been recorded).
    if (options.method && options.method !== 'GET') throw error;
    response = await request();
  }
  if (!response.ok) {
    let problem = {};
    try { problem = await response.json(); } catch (e) { problem = {}; }
    throw new ApiError(response.status, problem);
  }
  if (options.raw) return response;
  const body = await response.json();
  if (body.access) noteRecorded(body.access);
  return body;
}

// Item 10: the auditor sees their own purpose and where their last query
// was recorded.
function noteRecorded(access) {
  const box = document.getElementById('whoami');
  const {purpose} = session();
  box.hidden = false;
  box.replaceChildren(
    h('p', {}, 'Signed in as ', h('strong', {id: 'whoami-user'}, tokenSubject()),
      '. Your recorded purpose of use: ', h('strong', {id: 'whoami-purpose'}, purpose)),
    access ? h('p', {class: 'cl-small', id: 'whoami-recorded'},
      `Your last query was recorded on the ledger at partition ${access.partition}, offset ` +
      `${access.offset}.`) : '');
}

function tokenSubject() {
  try {
    const payload = session().token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(payload)).sub || '';
  } catch (e) {
    return '';
  }
}

function errorPanel(error) {
  const problem = error.problem || {};
  const refused = error.status === 403;
  const items = [h('p', {}, problem.detail || error.message)];
  if (problem.access) {
    items.push(h('p', {id: 'refusal-recorded'}, `This refusal was recorded on the ledger at ` +
      `partition ${problem.access.partition}, offset ${problem.access.offset}.`));
  }
  return h('div', {class: 'nhsuk-error-summary', role: 'alert', tabindex: '-1', id: 'error'},
    h('h2', {class: 'nhsuk-error-summary__title'},
      refused ? 'Access refused' : error.status === 401 ? 'Not signed in' : 'Something went wrong'),
    h('div', {class: 'nhsuk-error-summary__body'}, items));
}

function field(label, id, input) {
  return h('div', {class: 'nhsuk-form-group'},
    h('label', {class: 'nhsuk-label', for: id}, label), input);
}

function textInput(id, value = '', type = 'text', extra = {}) {
  return h('input', {class: 'nhsuk-input', id, name: id, type, value, ...extra});
}

function select(id, options, value = '') {
  return h('select', {class: 'nhsuk-select', id, name: id},
    options.map(([v, text]) => h('option', {value: v, selected: v === value}, text)));
}

function button(text, attrs = {}) {
  return h('button', {class: 'nhsuk-button', type: 'submit', ...attrs}, text);
}

function table(caption, headings, rows, id) {
  return h('table', {class: 'nhsuk-table', id},
    h('caption', {class: 'nhsuk-table__caption'}, caption),
    h('thead', {class: 'nhsuk-table__head'}, h('tr', {}, headings.map(
      (text) => h('th', {scope: 'col', class: 'nhsuk-table__header'}, text)))),
    h('tbody', {class: 'nhsuk-table__body'}, rows.map(tableRow)));
}

function tableRow(cells) {
  return h('tr', {class: 'nhsuk-table__row'},
    cells.map((cell) => h('td', {class: 'nhsuk-table__cell'}, cell)));
}

// 31204 as "31,204".
function count(n) {
  return Number(n).toLocaleString('en-GB');
}

function short(value) {
  return String(value || '').replace(/^(ROLE_|ACCESS_OUTCOME_|AUDIT_KIND_|ALERT_SEVERITY_|ALERT_REVIEW_OUTCOME_)/, '')
    .replace(/_/g, ' ').toLowerCase();
}

function recordLink(position, text = 'What were they shown?') {
  return h('a', {href: `#/record/${position.partition}/${position.offset}`}, text);
}

// --- sign in ---------------------------------------------------------------

function signIn(message) {
  document.getElementById('menu').hidden = true;
  document.getElementById('whoami').hidden = true;
  const form = h('form', {id: 'signin', novalidate: true},
    field('Bearer token', 'token', h('textarea', {class: 'nhsuk-textarea', id: 'token',
      name: 'token', rows: 3, autocomplete: 'off', spellcheck: 'false'})),
    field('Purpose of use (recorded with every query you make)', 'purpose',
      textInput('purpose', 'complaint investigation')),
    button('Sign in'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    sessionStorage.setItem('token', form.token.value.trim());
    sessionStorage.setItem('purpose', form.purpose.value.trim());
    try {
      // The check: the open investigation cases, an audited query only the
      // CMC team is granted (a refusal is recorded and shown) that reads a
      // few stored cases, however long the log. Then the alerts queue.
      await api('/v1/audit/cases', {status: 'open'});
      document.getElementById('menu').hidden = false;
      if (location.hash === '#/alerts') {
        route();
        focusMain();
      } else {
        location.hash = '#/alerts';
      }
    } catch (error) {
      sessionStorage.removeItem('token');
      show(h('h1', {}, 'Sign in'), errorPanel(error), form);
      document.getElementById('error').focus();  // the NHS error summary pattern
    }
  });
  show(h('h1', {}, 'Sign in'),
    h('p', {}, 'Sign in with your careledger bearer token. Your device certificate is ' +
      'presented by your browser; only the CMC team may audit.'),
    message ? h('p', {}, message) : '', form);
}

// --- alerts (item 6) ---------------------------------------------------------

// The period the queue opens on when none is asked for: the last
// RECENT_DAYS days, today included (UTC days, as the API reads dates),
// shown in the From and To fields. The rules run over the records of the
// period when asked, so the whole log would take minutes on a big ledger.
const RECENT_DAYS = 7;
function recentPeriod() {
  const day = (ms) => new Date(ms).toISOString().slice(0, 10);
  const now = Date.now();
  return {from: day(now - (RECENT_DAYS - 1) * 86400000), to: day(now)};
}

async function alerts(asked) {
  // No period at all in the address (the landing page, the menu's link):
  // the recent one. A submitted form always names both, blank or not, so an
  // auditor who clears them gets the whole log.
  const params = new URLSearchParams(asked);
  const recent = !params.has('from') && !params.has('to');
  if (recent) {
    const period = recentPeriod();
    params.set('from', period.from);
    params.set('to', period.to);
  }
  const form = h('form', {id: 'alert-filters', class: 'cl-filters'},
    field('Rule', 'rule', select('rule', [['', 'All rules'], ...RULES.map((r) => [r, short(r)])],
      params.get('rule') || '')),
    field('Status', 'status', select('status', [['', 'All'], ['unreviewed', 'Unreviewed']],
      params.get('status') || '')),
    field('From (date)', 'from', textInput('from', params.get('from') || '', 'date')),
    field('To (date)', 'to', textInput('to', params.get('to') || '', 'date')),
    button('Show alerts'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const query = new URLSearchParams();
    for (const key of ['rule', 'status']) {
      if (form[key].value) query.set(key, form[key].value);
    }
    for (const key of ['from', 'to']) query.set(key, form[key].value);
    location.hash = `#/alerts?${query}`;
  });
  show(h('h1', {}, 'Alerts'), form, h('p', {}, 'Loading alerts...'));
  try {
    const body = await api('/v1/audit/alerts', {rule: params.get('rule'),
      from: params.get('from'), to: params.get('to'),
      unreviewed: params.get('status') === 'unreviewed' ? 'true' : ''});
    const rows = body.alerts.map((alert) => [
      h('strong', {}, short(alert.severity)),
      short(alert.rule),
      londonTime(alert.at),
      // Who: the directory's name for them now (alert.actor_name), then the id.
      [...(alert.actor_name ? [h('span', {class: 'cl-name'}, alert.actor_name), h('br')] : []),
        h('a', {href: `#/user/${encodeURIComponent(alert.actor.user_id)}`}, alert.actor.user_id),
        h('br'), `${short(alert.actor.role)}, ${alert.actor.organisation}`],
      alert.nhs_number ? h('a', {href: `#/patient/${alert.nhs_number}`}, alert.nhs_number) : '',
      [alert.reason, alert.occurrences > 1 ? ` (${alert.occurrences} times)` : ''],
      (alert.evidence || []).map((position) => h('div', {},
        recordLink(position, `record ${position.partition}/${position.offset}`))),
      // The review, then the cases it is in and a way to open (another) one.
      [alert.review ? `Reviewed: ${short(alert.review.outcome)}` :
        h('a', {href: `#/review/${alert.alert_id}`, class: 'cl-review'}, 'Review'),
      ...(alert.case_ids || []).map((id) => h('div', {},
        h('a', {href: `#/case/${id}`, class: 'cl-in-case'}, `Case ${id}`))),
      h('div', {}, h('a', {href: `#/newcase/${alert.alert_id}`, class: 'cl-case'},
        alert.case_ids?.length ? 'Add to another case' : 'Open a case',
        h('span', {class: 'nhsuk-u-visually-hidden'}, ` for alert ${alert.alert_id}`)))],
    ]);
    show(h('h1', {}, 'Alerts'), form,
      recent ? h('p', {id: 'alert-period'}, `The last ${RECENT_DAYS} days (${params.get('from')} ` +
        `to ${params.get('to')}); change From and To, or clear them for the whole log.`) : '',
      h('p', {id: 'alert-count'}, `${body.alerts.length} alerts shown, ${body.unreviewed} ` +
        `unreviewed, ${body.records_examined} records examined (times in ${body.time_zone}).`),
      table('Alerts raised by the investigation rules', ['Severity', 'Rule', 'When', 'Who',
        'Patient', 'Reason', 'Evidence', 'Review and case'], rows, 'alerts'));
    sessionStorage.setItem('alerts', JSON.stringify(body.alerts));
  } catch (error) {
    show(h('h1', {}, 'Alerts'), errorPanel(error), form);
  }
}

function review(alertId) {
  const known = JSON.parse(sessionStorage.getItem('alerts') || '[]');
  const alert = known.find((a) => a.alert_id === alertId);
  const form = h('form', {id: 'review'},
    h('fieldset', {class: 'nhsuk-fieldset'},
      h('legend', {class: 'nhsuk-fieldset__legend nhsuk-fieldset__legend--m'}, 'Outcome'),
      h('div', {class: 'nhsuk-radios'}, OUTCOMES.map(([value, text], i) =>
        h('div', {class: 'nhsuk-radios__item'},
          h('input', {class: 'nhsuk-radios__input', id: `outcome-${i}`, name: 'outcome',
            type: 'radio', value, checked: i === 0}),
          h('label', {class: 'nhsuk-label nhsuk-radios__label', for: `outcome-${i}`}, text))))),
    field('Note', 'note', h('textarea', {class: 'nhsuk-textarea', id: 'note', name: 'note',
      rows: 4})),
    button('Record review'));
  const key = crypto.randomUUID();  // one review, however often it is sent
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const [rule, position] = alertId.split('/');
    try {
      const body = await api(`/v1/audit/alerts/${rule}/${position}/review`, {}, {
        method: 'POST', headers: {'Content-Type': 'application/json', 'Idempotency-Key': key},
        body: JSON.stringify({outcome: form.outcome.value, note: form.note.value})});
      show(h('h1', {}, 'Review recorded'),
        h('div', {class: 'nhsuk-inset-text', id: 'review-done'},
          h('p', {}, `Your review of ${alertId} (${form.outcome.value}) was signed and recorded ` +
            `at partition ${body.partition}, offset ${body.offset}.`)),
        h('a', {href: '#/alerts'}, 'Back to alerts'));
      focusMain();
    } catch (error) {
      show(h('h1', {}, `Review ${alertId}`), errorPanel(error), form);
      document.getElementById('error').focus();
    }
  });
  show(h('h1', {}, `Review alert ${alertId}`),
    alert ? h('p', {id: 'review-reason'}, alert.reason) : '', form);
}

// --- investigation cases (item 6) ---------------------------------------------

const CASE_ACTIONS = {case_opened: 'Case opened', case_alert_added: 'Alert added',
  case_note_added: 'Note', case_closed: 'Case closed'};

function outcomeText(outcome) {
  const name = short(outcome).replace(/ /g, '-');
  return (OUTCOMES.find(([value]) => value === name) || [name, name])[1];
}

// A POST of a case command, sent once however often the form is submitted
// (`key`: its Idempotency-Key).
function postCase(path, body, key) {
  return api(path, {}, {method: 'POST',
    headers: {'Content-Type': 'application/json', 'Idempotency-Key': key},
    body: JSON.stringify(body)});
}

function outcomeRadios(prefix, legend) {
  return h('fieldset', {class: 'nhsuk-fieldset'},
    h('legend', {class: 'nhsuk-fieldset__legend nhsuk-fieldset__legend--s'}, legend),
    h('div', {class: 'nhsuk-radios'}, OUTCOMES.map(([value, text], i) =>
      h('div', {class: 'nhsuk-radios__item'},
        h('input', {class: 'nhsuk-radios__input', id: `${prefix}-${i}`, name: 'outcome',
          type: 'radio', value, checked: i === 0}),
        h('label', {class: 'nhsuk-label nhsuk-radios__label', for: `${prefix}-${i}`}, text)))));
}

// From an alert: open a new case with it, or add it to an open case.
async function newCase(alertId) {
  const known = JSON.parse(sessionStorage.getItem('alerts') || '[]');
  const alert = known.find((a) => a.alert_id === alertId);
  const user = alert?.actor?.user_id || '';
  const who = alert?.actor_name ? `${alert.actor_name} (${user})` : user;
  const subjects = [...(user ? [['user', `The user: ${who}`]] : []),
    ...(alert?.nhs_number ? [['patient', `The patient: ${alert.nhs_number}`]] : [])];
  const form = h('form', {id: 'open-case'},
    field('Title', 'case-title', textInput('case-title',
      alert ? `${short(alert.rule)}: ${who}` : '', 'text', {maxlength: 256})),
    subjects.length ? h('fieldset', {class: 'nhsuk-fieldset'},
      h('legend', {class: 'nhsuk-fieldset__legend nhsuk-fieldset__legend--s'},
        'Who the case is about'),
      h('div', {class: 'nhsuk-radios'}, subjects.map(([value, text], i) =>
        h('div', {class: 'nhsuk-radios__item'},
          h('input', {class: 'nhsuk-radios__input', id: `case-subject-${i}`, name: 'subject',
            type: 'radio', value, checked: i === 0}),
          h('label', {class: 'nhsuk-label nhsuk-radios__label', for: `case-subject-${i}`},
            text))))) : '',
    button('Open case'));
  const openKey = crypto.randomUUID();
  const addKey = crypto.randomUUID();
  const addAlert = async (caseId) => {
    await postCase(`/v1/audit/cases/${caseId}/alerts`, {alert_id: alertId}, addKey);
    location.hash = `#/case/${caseId}`;
  };
  const failed = (error, ...rest) => {
    show(h('h1', {}, `Open a case for alert ${alertId}`), errorPanel(error), ...rest);
    document.getElementById('error').focus();
  };
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const subject = form.subject?.value || 'user';
    const body = {title: form['case-title'].value};
    if (subject === 'patient') body.nhs_number = alert.nhs_number;
    else body.user_id = user;
    try {
      const opened = await postCase('/v1/audit/cases', body, openKey);
      await addAlert(opened.case_id);
    } catch (error) {
      failed(error, form);
    }
  });
  const page = [h('h1', {}, `Open a case for alert ${alertId}`),
    alert ? h('p', {id: 'case-alert-reason'}, alert.reason) : '', form];
  show(...page);
  // ...or add it to a case already open about the same person. Appended
  // below the form, never by showing the page again: the auditor may be in
  // the form by now, and a control taken out of the page loses the focus
  // (to the body, where the next Tab starts from the top). Nothing is added
  // once the page has been left.
  try {
    const body = await api('/v1/audit/cases', {status: 'open'});
    if (body.cases.length === 0 || !form.isConnected) return;
    const add = h('form', {id: 'add-to-case'},
      field('Open case', 'open-cases', select('open-cases', body.cases.map((c) =>
        [c.case_id, `${c.title} (${c.user_name || c.user_id || c.nhs_number})`]))),
      button('Add to this case', {class: 'nhsuk-button nhsuk-button--secondary'}));
    add.addEventListener('submit', async (event) => {
      event.preventDefault();
      try {
        await addAlert(add['open-cases'].value);
      } catch (error) {
        failed(error, form, add);
      }
    });
    view.append(h('h2', {}, 'Or add it to an open case'), add);
  } catch (error) {
    if (form.isConnected) view.append(errorPanel(error));
  }
}

async function cases(params) {
  const form = h('form', {id: 'case-filters', class: 'cl-filters'},
    field('Status', 'case-status-filter', select('case-status-filter',
      [['', 'All'], ['open', 'Open'], ['closed', 'Closed']], params.get('status') || '')),
    button('Show cases'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const value = form['case-status-filter'].value;
    location.hash = value ? `#/cases?status=${value}` : '#/cases';
  });
  show(h('h1', {}, 'Cases'), form, h('p', {}, 'Loading cases...'));
  try {
    const body = await api('/v1/audit/cases', {status: params.get('status')});
    const rows = body.cases.map((c) => [
      h('a', {href: `#/case/${c.case_id}`}, c.title),
      c.user_id ? [...(c.user_name ? [h('span', {class: 'cl-name'}, c.user_name), h('br')] : []),
        c.user_id] : c.nhs_number,
      c.status === 'closed' ? `Closed: ${outcomeText(c.outcome)}` : 'Open',
      londonTime(c.opened_at),
      String((c.alert_ids || []).length),
      String(c.note_count || 0),
    ]);
    show(h('h1', {}, 'Cases'), form, table('Investigation cases', ['Case', 'About', 'Status',
      'Opened', 'Alerts', 'Notes'], rows, 'cases'));
  } catch (error) {
    show(h('h1', {}, 'Cases'), errorPanel(error), form);
  }
}

function caseEntryRow(entry) {
  const what = [CASE_ACTIONS[entry.action] || entry.action];
  if (entry.alert_id) what.push(': ', entry.alert_id);
  if (entry.outcome && entry.outcome !== 'ALERT_REVIEW_OUTCOME_UNSPECIFIED') {
    what.push(': ', outcomeText(entry.outcome));
  }
  const actor = entry.actor || {};
  return [
    londonTime(entry.at),
    [...(entry.actor_name ? [h('span', {class: 'cl-name'}, entry.actor_name), h('br')] : []),
      actor.user_id || ''],
    what,
    entry.note || entry.title || '',
    entry.position ? `${entry.position.partition}/${entry.position.offset}` : '',
  ];
}

async function investigationCase(caseId) {
  show(h('h1', {}, `Case ${caseId}`), h('p', {}, 'Loading the case...'));
  let found;
  try {
    found = await api(`/v1/audit/cases/${caseId}`);
  } catch (error) {
    show(h('h1', {}, `Case ${caseId}`), errorPanel(error));
    return;
  }
  const open = found.status === 'open';
  const about = found.user_id ?
    [found.user_name ? `${found.user_name} (${found.user_id})` : found.user_id, ' ',
      h('a', {href: `#/user/${encodeURIComponent(found.user_id)}`}, 'their trail')] :
    [found.nhs_number, ' ', h('a', {href: `#/patient/${found.nhs_number}`}, 'their trail')];
  const row = (key, ...value) => h('div', {class: 'nhsuk-summary-list__row'},
    h('dt', {class: 'nhsuk-summary-list__key'}, key),
    h('dd', {class: 'nhsuk-summary-list__value'}, ...value));
  const summary = h('dl', {class: 'nhsuk-summary-list', id: 'case-summary'},
    row('Case', h('span', {id: 'case-id', class: 'cl-mono'}, found.case_id || caseId)),
    row('About', ...about),
    row('Status', h('span', {id: 'case-status'},
      open ? 'Open' : `Closed: ${outcomeText(found.outcome)}`)),
    row('Opened', `${londonTime(found.opened_at)} by ${found.opened_by?.user_id || ''}`),
    ...(open ? [] : [row('Closed', londonTime(found.closed_at))]));
  const alertRows = (found.alerts || []).map((alert) => alert.found ? [
    alert.alert_id,
    [...(alert.actor_name ? [h('span', {class: 'cl-name'}, alert.actor_name), h('br')] : []),
      alert.actor?.user_id || ''],
    alert.nhs_number || '',
    alert.reason,
    alert.review ? [`Reviewed: ${outcomeText(alert.review.outcome)}`,
      ...(alert.review.note ? [h('br'), alert.review.note] : [])] :
      h('a', {href: `#/review/${alert.alert_id}`}, 'Review',
        h('span', {class: 'nhsuk-u-visually-hidden'}, ` alert ${alert.alert_id}`)),
  ] : [alert.alert_id, '', '', 'The rules no longer raise this alert (with these thresholds).',
    '']);
  const page = [h('h1', {}, found.title), summary,
    table('Alerts in this case', ['Alert', 'Who', 'Patient', 'Reason', 'Review'], alertRows,
      'case-alerts'),
    table('What was done, oldest first (each a signed event on the ledger)',
      ['When', 'Auditor', 'What', 'Note', 'Record'], (found.entries || []).map(caseEntryRow),
      'case-entries')];
  if (open) {
    const noteForm = h('form', {id: 'add-note'},
      field('Note', 'case-note', h('textarea', {class: 'nhsuk-textarea', id: 'case-note',
        name: 'case-note', rows: 3, maxlength: 2000})),
      button('Add note'));
    const noteKey = crypto.randomUUID();
    noteForm.addEventListener('submit', async (event) => {
      event.preventDefault();
      try {
        await postCase(`/v1/audit/cases/${caseId}/notes`, {note: noteForm['case-note'].value},
          noteKey);
        await investigationCase(caseId);
        focusMain();
      } catch (error) {
        show(...page, errorPanel(error), noteForm, closeForm);
        document.getElementById('error').focus();
      }
    });
    const closeForm = h('form', {id: 'close-case'},
      outcomeRadios('close-outcome', 'Outcome'),
      field('Closing note', 'close-note', h('textarea', {class: 'nhsuk-textarea',
        id: 'close-note', name: 'close-note', rows: 3, maxlength: 2000})),
      button('Close case', {class: 'nhsuk-button nhsuk-button--secondary'}));
    const closeKey = crypto.randomUUID();
    closeForm.addEventListener('submit', async (event) => {
      event.preventDefault();
      try {
        await postCase(`/v1/audit/cases/${caseId}/close`, {outcome: closeForm.outcome.value,
          note: closeForm['close-note'].value}, closeKey);
        await investigationCase(caseId);
        focusMain();
      } catch (error) {
        show(...page, errorPanel(error), noteForm, closeForm);
        document.getElementById('error').focus();
      }
    });
    page.push(h('h2', {}, 'Add a note'), noteForm, h('h2', {}, 'Close the case'), closeForm);
  }
  show(...page);
}

// --- patient and user trails (items 2, 4, 7) ------------------------------

function matches(entry, filter) {
  if (filter.kind === 'reads' && entry.kind !== 'AUDIT_KIND_READ') return false;
  if (filter.kind === 'refusals' && entry.outcome !== 'ACCESS_OUTCOME_DENIED') return false;
  if (filter.kind === 'break_glass' && !entry.break_glass) return false;
  if (filter.org && (entry.actor?.organisation || '') !== filter.org) return false;
  return true;
}

function entryRow(entry, showPatient) {
  const actor = entry.actor || {};
  const refused = entry.outcome === 'ACCESS_OUTCOME_DENIED';
  const what = [short(entry.action || entry.kind)];
  if (entry.break_glass) {
    what.push(' ', h('span', {class: 'cl-breakglass'}, 'break-glass'),
      entry.break_glass_reason ? `: ${entry.break_glass_reason}` : '');
  }
  if (showPatient && entry.nhs_number) {
    what.push(h('br'), h('a', {href: `#/patient/${entry.nhs_number}`}, entry.nhs_number));
  }
  const read = entry.kind === 'AUDIT_KIND_READ' && !refused && entry.position;
  return [
    londonTime(entry.at),
    // Who: the name the directory has for them now (entry.actor_name; only
    // the id when it does not know them), the id, role and organisation.
    [...(entry.actor_name ? [h('span', {class: 'cl-name'}, entry.actor_name), h('br')] : []),
      h('a', {href: `#/user/${encodeURIComponent(actor.user_id || '')}`}, actor.user_id || ''),
      h('br'), `${short(actor.role)}, `, actor.organisation ?
        h('a', {href: `#/org/${encodeURIComponent(actor.organisation)}`}, actor.organisation) : ''],
    [actor.device_id || '', h('br'), entry.site || '', h('br'), actor.network_address || ''],
    what,
    actor.purpose || '',
    refused ? h('span', {class: 'cl-refused'}, `refused: ${entry.reason || ''}`) : 'granted',
    read ? recordLink(entry.position) : '',
  ];
}

function downloadButtons(collection, subject, range) {
  const box = h('div', {class: 'cl-noprint', id: 'downloads'});
  for (const [format, name, type] of [['fhir', 'FHIR R4 AuditEvent Bundle', 'json'],
    ['csv', 'CSV', 'csv']]) {
    const link = h('button', {class: 'nhsuk-button nhsuk-button--secondary', type: 'button',
      id: `download-${format}`}, `Download ${name}`);
    link.addEventListener('click', async () => {
      try {
        const response = await api(`/v1/audit/${collection}/${encodeURIComponent(subject)}/export`,
          {format, ...range}, {raw: true});
        const blob = await response.blob();
        const anchor = h('a', {href: URL.createObjectURL(blob),
          download: `audit-${collection}-${subject}.${type}`});
        document.body.append(anchor);
        anchor.click();
        anchor.remove();
      } catch (error) {
        box.append(errorPanel(error));
      }
    });
    box.append(link, ' ');
  }
  box.append(h('button', {class: 'nhsuk-button nhsuk-button--secondary', type: 'button',
    id: 'print'}, 'Print report'));
  box.lastChild.addEventListener('click', () => window.print());
  return box;
}

// The newest entries a trail view shows at first, and each "Show older
// entries" adds; the charts and counts come from the whole period's summary
// (the server counts every entry of the range: docs/service.md).
const TRAIL_PAGE = 500;

async function trail(collection, subject, params) {
  const patient = collection === 'patients';
  const org = collection === 'organisations';
  const title = patient ? 'Patient' : org ? 'Organisation' : 'User';
  const hashName = patient ? 'patient' : org ? 'org' : 'user';
  const form = h('form', {id: 'trail-filters', class: 'cl-filters'},
    field(patient ? 'NHS number' : org ? 'ODS code' : 'User id', 'subject',
      textInput('subject', subject)),
    field('Show', 'kind', select('kind', [['', 'Everything'], ['reads', 'Reads only'],
      ['refusals', 'Refusals'], ['break_glass', 'Break-glass']], params.get('kind') || '')),
    field('Organisation (ODS code)', 'org', textInput('org', params.get('org') || '')),
    field('From (date)', 'from', textInput('from', params.get('from') || '', 'date')),
    field('To (date)', 'to', textInput('to', params.get('to') || '', 'date')),
    button(`Find ${title.toLowerCase()}`));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const query = new URLSearchParams();
    for (const key of ['kind', 'org', 'from', 'to']) {
      if (form[key].value) query.set(key, form[key].value);
    }
    location.hash = `#/${hashName}/` +
      `${encodeURIComponent(form.subject.value.replace(/\s/g, patient ? '' : ' ').trim())}?${query}`;
  });
  if (!subject) return show(h('h1', {}, title), form);
  show(h('h1', {}, `${title} ${subject}`), form, h('p', {}, 'Loading...'));
  const range = {from: params.get('from'), to: params.get('to')};
  const path = `/v1/audit/${collection}/${encodeURIComponent(subject)}`;
  const asked = {...range, order: 'newest', limit: TRAIL_PAGE};
  try {
    const body = await api(path, {...asked, summary: 'true'});
    const {summary} = body;
    const filter = {kind: params.get('kind'), org: params.get('org')};
    const filtered = Boolean(filter.kind || filter.org);
    const shown = {rows: 0, matching: 0, next: body.next_page_token};
    const countLine = h('p', {id: 'trail-count', tabindex: '-1', 'aria-live': 'polite'});
    const timeline = table(`${title} trail`, ['When', 'Who', 'Where (device, site, address)',
      'What', 'Purpose', 'Outcome', ''], [], 'timeline');
    const older = h('button', {class: 'nhsuk-button nhsuk-button--secondary', type: 'button',
      id: 'show-older'}, 'Show older entries');
    const add = (entries) => {
      const matching = entries.filter((entry) => matches(entry, filter));
      shown.rows += entries.length;
      shown.matching += matching.length;
      timeline.tBodies[0].append(...matching.map((e) => tableRow(entryRow(e, !patient))));
      countLine.textContent = trailCount(shown, summary.entries, filtered);
      if (!shown.next) older.remove();
    };
    older.addEventListener('click', async () => {
      older.disabled = true;
      try {
        const page = await api(path, {...asked, page: shown.next});
        shown.next = page.next_page_token;
        add(page.entries);
        if (!shown.next) countLine.focus();
      } catch (error) {
        older.before(errorPanel(error));
      }
      older.disabled = false;
    });
    const parts = [h('h1', {}, `${title} ${subject}`), form,
      downloadButtons(collection, subject, range), countLine];
    if (patient) parts.push(whoLooked(summary));
    else if (org) parts.push(busiest(summary));
    else parts.push(heatMap());
    parts.push(timeline, older);
    show(...parts);
    add(body.entries);
    if (!patient && !org) {
      drawHeatMap(summary.by_weekday_hour);
      await relatives(subject, summary).catch((error) =>
        document.getElementById('timeline').before(errorPanel(error)));
    }
  } catch (error) {
    show(h('h1', {}, `${title} ${subject}`), errorPanel(error), form);
  }
}

// "Showing the newest 500 of 31,204 entries in this period" (or all of
// them), and how many of those shown the filters let through.
function trailCount(shown, total, filtered) {
  const entries = (n) => `${count(n)} ${n === 1 ? 'entry' : 'entries'}`;
  const which = shown.next ? `Showing the newest ${count(shown.rows)} of ${entries(total)}` :
    `Showing all ${entries(shown.rows)}`;
  const matching = filtered ? ` ${count(shown.matching)} of those shown match the filters.` : '';
  return `${which} in this period, newest first.${matching} Times are ${ZONE} (GMT or BST as ` +
    'shown).';
}

// Who has looked over the whole period, by organisation: reads and
// refusals, not changes or audit queries (the server's summary.who_looked).
function whoLooked(summary) {
  const rows = summary.who_looked.map((row) => [row.organisation || '(none)',
    `${row.actor_name ? `${row.actor_name}, ` : ''}${row.user_id} (${short(row.role)})`,
    count(row.reads), row.refusals ? h('span', {class: 'cl-refused'}, count(row.refusals)) :
      '0']);
  return table('Who has looked, by organisation', ['Organisation', 'User', 'Reads', 'Refusals'],
    rows, 'who-looked');
}

// Item 4: the patients this user read who share their surname, address or
// postcode, as the family_or_neighbour rule finds them over the days of
// the period's first and last entries: the rule run over this user's
// records only (user=), which raises the same alerts for them as over
// everyone's.
async function relatives(user, summary) {
  if (!summary.entries) return;
  // UTC days, as the API reads them: `to` a day means to its end.
  const day = (iso) => new Date(Date.parse(iso)).toISOString().slice(0, 10);
  const body = await api('/v1/audit/alerts', {rule: 'family_or_neighbour', user,
    from: day(summary.first_at), to: day(summary.last_at)});
  const flagged = body.alerts;
  const box = h('div', {id: 'relatives'}, h('h2', {}, 'Patients who may be family or neighbours'),
    flagged.length ? h('ul', {}, flagged.map((a) => h('li', {},
      h('a', {href: `#/patient/${a.nhs_number}`}, a.nhs_number), `: ${a.reason}`))) :
      h('p', {}, 'None of the patients this user read shares their surname and address or ' +
        'postcode.'));
  document.getElementById('timeline').before(box);
}

// Item 5: an organisation's busiest users over the whole period, and their
// refusals (the server's summary.busiest, most reads first).
function busiest(summary) {
  const rows = summary.busiest.map((row) => [
    h('a', {href: `#/user/${encodeURIComponent(row.user_id)}`}, row.user_id || '(none)'),
    short(row.role), count(row.reads), count(row.patients), row.refusals ?
      h('span', {class: 'cl-refused'}, count(row.refusals)) : '0']);
  return table('Busiest users', ['User', 'Role', 'Reads', 'Patients', 'Refusals'], rows,
    'busiest');
}

// Item 9: the log verified, its latest signed checkpoints, and a kept
// checkpoint proven or refuted.
function integrityReport(body) {
  const parts = [body.ok ?
    h('div', {class: 'nhsuk-inset-text', id: 'integrity-status'}, h('p', {},
      h('span', {class: 'cl-verified'}, 'The log verifies'), `: ${body.records} records and ` +
      `${body.checkpoints} signed checkpoints, every signature, chain and sequence checked.`)) :
    h('div', {class: 'nhsuk-error-summary', id: 'integrity-status', role: 'alert'},
      h('h2', {class: 'nhsuk-error-summary__title'}, 'The log does not verify'),
      h('ul', {}, body.failures.map((f) =>
        h('li', {}, `partition ${f.partition}, offset ${f.offset}: ${f.reason}`)),
      body.kept_failures.map((line) => h('li', {}, line))))];
  parts.push(table('Partitions and their latest signed checkpoints', ['Partition', 'Records',
    'Last offset', 'Latest checkpoint', 'Running hash'], body.partitions.map((p) => [
    String(p.partition), String(p.records), String(p.last_offset),
    p.last_checkpoint_offset < 0 ? 'none yet' :
      `offset ${p.last_checkpoint_offset}, ${londonTime(p.last_checkpoint_at)}`,
    h('span', {class: 'cl-mono cl-small'}, p.running_hash)]), 'partitions'));
  if (body.kept.length) {
    parts.push(h('h2', {}, 'Your kept checkpoint'), h('ul', {id: 'kept-result'},
      body.kept.map((k) => h('li', {}, `Partition ${k.partition} to offset ${k.last_offset}: `,
        k.confirmed ? h('span', {class: 'cl-verified'}, 'proven: the log holds exactly this ' +
          'history') : h('span', {class: 'cl-failed'}, 'REFUTED')))),
    body.kept_failures.length ? h('ul', {id: 'kept-failures'}, body.kept_failures.map(
      (line) => h('li', {}, line))) : '');
  }
  return parts;
}

async function integrity() {
  const form = h('form', {id: 'kept'},
    field('Paste a kept checkpoint (the JSON careledger --json checkpoint printed)', 'checkpoint',
      h('textarea', {class: 'nhsuk-textarea cl-mono', id: 'checkpoint', name: 'checkpoint',
        rows: 6, spellcheck: 'false'})),
    button('Check it against the log'));
  const result = h('div', {id: 'integrity'}, h('p', {}, 'Verifying the whole log...'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    result.replaceChildren(h('p', {}, 'Verifying the whole log...'));
    try {
      const body = await api('/v1/audit/integrity', {}, {method: 'POST',
        headers: {'Content-Type': 'application/json'}, body: form.checkpoint.value});
      result.replaceChildren(...integrityReport(body));
    } catch (error) {
      result.replaceChildren(errorPanel(error));
    }
  });
  show(h('h1', {}, 'Integrity'), result, form);
  try {
    result.replaceChildren(...integrityReport(await api('/v1/audit/integrity')));
  } catch (error) {
    result.replaceChildren(errorPanel(error));
  }
}

// Item 4: activity by weekday and hour (Europe/London), as a bubble chart.
const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
function heatMap() {
  return h('div', {class: 'cl-chart'}, h('canvas', {id: 'heatmap', role: 'img',
    'aria-label': 'Activity by weekday and hour, Europe/London time'}));
}

// `byWeekdayHour`: the summary's counts, [weekday, Monday first][hour],
// Europe/London.
function drawHeatMap(byWeekdayHour) {
  const cells = byWeekdayHour.flatMap((hours, day) => hours.map((n, hour) => ({x: hour, y: day,
    n}))).filter((cell) => cell.n);
  const max = Math.max(1, ...cells.map((cell) => cell.n));
  const data = cells.map((cell) => ({...cell, r: 4 + 14 * cell.n / max}));
  if (!window.Chart) return;
  new window.Chart(document.getElementById('heatmap'), {
    type: 'bubble',
    data: {datasets: [{label: 'Records', data, backgroundColor: 'rgba(0, 94, 184, 0.6)'}]},
    options: {animation: false, maintainAspectRatio: false,
      scales: {x: {min: -0.5, max: 23.5, title: {display: true, text: 'Hour (Europe/London)'}},
        y: {min: -0.5, max: 6.5, reverse: true, ticks: {stepSize: 1,
          callback: (v) => DAYS[v] || ''}}},
      plugins: {tooltip: {callbacks: {label: (c) => `${DAYS[c.raw.y]} ${c.raw.x}:00, ` +
        `${c.raw.n} records`}}}},
  });
}

// --- what were they shown (item 3) --------------------------------------------

function planList(value, prefix = '') {
  const rows = [];
  const walk = (node, path) => {
    if (node !== null && typeof node === 'object') {
      for (const [key, child] of Object.entries(node)) {
        walk(child, path ? `${path} / ${key}` : key);
      }
    } else {
      rows.push(h('dt', {}, path), h('dd', {}, String(node)));
    }
  };
  walk(value, prefix);
  return h('dl', {class: 'cl-plan', id: 'plan-content'}, rows);
}

async function record(partition, offset) {
  show(h('h1', {}, 'What were they shown?'), h('p', {}, 'Rebuilding from the signed log...'));
  try {
    const body = await api(`/v1/audit/records/${partition}/${offset}`);
    const entry = body.entry;
    const content = body.content;
    const parts = [h('h1', {}, 'What were they shown?'),
      table('The access record', ['When', 'Who', 'Where (device, site, address)', 'What',
        'Purpose', 'Outcome', ''], [entryRow(entry, true)], 'record-entry'),
      h('h2', {}, 'Verification'),
      h('ul', {id: 'verification'},
        h('li', {}, 'Signature: ', h('span', {class: 'cl-verified'}, body.record.signature),
          ` (key ${body.record.key_id})`),
        h('li', {}, `Log position: partition ${body.record.partition}, offset ` +
          `${body.record.offset} (stream ${body.record.stream_id}, sequence ` +
          `${body.record.stream_seq})`),
        h('li', {}, 'Record hash: ', h('span', {class: 'cl-mono'}, body.record.value_hash)))];
    if (content) {
      parts.push(h('p', {id: 'content-check'}, 'Content hash ',
        h('span', {class: 'cl-mono'}, content.content_hash), ': ',
        content.verified ? h('span', {class: 'cl-verified'},
          'matches the hash in the access record') :
          h('span', {class: 'cl-failed'}, 'does NOT match the access record')),
      h('p', {}, `${content.what}; rebuilt from ${content.rebuilt_from.length} signed records ` +
        `(partition ${content.rebuilt_from[0]?.partition}, offsets ` +
        `${content.rebuilt_from.map((p) => p.offset).join(', ')}).`),
      h('h2', {}, 'The plan as they were shown it'), planList(content.plan));
    } else {
      parts.push(h('p', {id: 'content-check'}, 'This record showed no plan content.'));
    }
    // The receipt: the record chained to the signed checkpoint after it,
    // checkable offline (docs/proof.md).
    const proof = h('button', {class: 'nhsuk-button nhsuk-button--secondary cl-noprint',
      type: 'button', id: 'download-proof'}, 'Download the proof of this record');
    proof.addEventListener('click', async () => {
      try {
        const body = await api(`/v1/audit/records/${partition}/${offset}/proof`);
        const blob = new Blob([JSON.stringify(body.proof, null, 2)], {type: 'application/json'});
        const anchor = h('a', {href: URL.createObjectURL(blob),
          download: `proof-${partition}-${offset}.json`});
        document.body.append(anchor);
        anchor.click();
        anchor.remove();
      } catch (error) {
        proof.after(errorPanel(error));
      }
    });
    parts.splice(3, 0, proof);
    show(...parts);
  } catch (error) {
    show(h('h1', {}, 'What were they shown?'), errorPanel(error));
  }
}

// --- routing -----------------------------------------------------------------

function route() {
  const [path, query] = location.hash.slice(1).split('?');
  const params = new URLSearchParams(query || '');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'signout') {
    sessionStorage.clear();
    return signIn('You have signed out.');
  }
  if (!session().token) return signIn();
  document.getElementById('menu').hidden = false;
  noteRecorded(null);
  switch (parts[0]) {
    case 'patient': return trail('patients', parts[1] || '', params);
    case 'user': return trail('users', parts[1] || '', params);
    case 'org': return trail('organisations', parts[1] || '', params);
    case 'integrity': return integrity();
    case 'cases': return cases(params);
    case 'case':
      if (!/^[a-z0-9-]{1,64}$/.test(parts[1] || '')) break;
      return investigationCase(parts[1]);
    case 'newcase':
      if (!/^[a-z_]+$/.test(parts[1] || '') || !/^\d+-\d+$/.test(parts[2] || '')) break;
      return newCase(`${parts[1]}/${parts[2]}`);
    case 'record':
      if (!/^\d+$/.test(parts[1] || '') || !/^\d+$/.test(parts[2] || '')) break;
      return record(parts[1], parts[2]);
    case 'review':
      if (!/^[a-z_]+$/.test(parts[1] || '') || !/^\d+-\d+$/.test(parts[2] || '')) break;
      return review(`${parts[1]}/${parts[2]}`);
    default: return alerts(params);
  }
  return alerts(new URLSearchParams());
}

window.addEventListener('hashchange', () => {
  route();
  focusMain();
});
initAll();
route();
