// The managers' dashboard: plain JavaScript, charts drawn as inline SVG, no dependencies.
// The token arrives in the URL fragment (#token=...), which browsers never send to a server,
// is kept in localStorage and goes to the API as a bearer token.
// Words: `_("…")`, `N_("…")` and `ngettext(…)` as in the Python code, translated with the
// service's catalogues (GET /dashboard/messages/{language}); figures and times formatted by Intl
// in the locale the command line formats with (Babel's), in the venue's time zone.
"use strict";

const TOKEN_KEY = "admission.dashboard.token";
const LANGUAGE_KEY = "admission.dashboard.language";
const REFRESH_MS = 30000;
const SVG_NS = "http://www.w3.org/2000/svg";
const PALETTE = ["#1f6feb", "#2e7d32", "#c62828", "#ef6c00", "#6a1b9a", "#00838f", "#5d4037", "#ad1457"];
// The same words as the gates and the reports use (admission/domain/wording.py).
const REASON_LABELS = {
  ok: N_("Valid ticket"), invalid: N_("Not a valid ticket"), void: N_("Ticket is void"),
  already_used: N_("Already used"), not_yet_valid: N_("Not valid yet"), expired: N_("Expired"),
  wrong_event: N_("Ticket for another event"), event_not_today: N_("Event is not today"),
  wrong_gate: N_("Wrong gate or zone"), entries_exhausted: N_("No entries left"),
  reentry_not_allowed: N_("Re-entry not allowed"), turned_away: N_("Turned away"),
  outside_entry_window: N_("Outside the entry window"), too_soon: N_("Too soon after the last entry"),
  daily_limit: N_("Entries for today used"), entry_days_used: N_("All entry days used"),
  exit_required: N_("Exit required before re-entry"), unpaid: N_("Not paid yet"),
  custom_rule: N_("Refused by the template's rule"),
};
const SOURCE_LABELS = {
  online: N_("online at the gate"), offline: N_("retroactive from gate clients"), import: N_("imported scan logs"),
  override: N_("supervisor override"), auto_exit: N_("automatic exit at closing"),
};
const ONLINE_LABELS = { revoked: N_("revoked"), yes: N_("yes"), no: N_("no") };
const ROLE_LABELS = { gate: N_("gate"), box_office: N_("box office"), admin: N_("admin"), viewer: N_("viewer") };

const state = { token: null, role: null, timer: null, colours: new Map(), timezone: undefined };

// ------------------------------------------------------------------ words and figures

// The language the page speaks: its messages, the locale of its figures and the menu's languages.
const speech = { language: "en", locale: "en-GB", messages: {}, languages: [], plurals: new Intl.PluralRules("en-GB") };
const originals = new WeakMap(); // each marked element's English words, to translate it again

function N_(message) {
  return message;
}

function _(message) {
  const translated = speech.messages[message];
  return typeof translated === "string" && translated ? translated : message;
}

function ngettext(singular, plural, count) {
  const forms = speech.messages[singular];
  // Every language of this release has two forms, one and many, as the catalogues say.
  const one = speech.plurals.select(count) === "one";
  if (Array.isArray(forms) && forms.length === 2) return forms[one ? 0 : 1];
  return one ? singular : plural;
}

// "{name}" placeholders, as in the Python code's str.format.
function format(text, values) {
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

function number(value) {
  return new Intl.NumberFormat(speech.locale).format(value);
}

function percent(share) {
  return new Intl.NumberFormat(speech.locale, { style: "percent", maximumFractionDigits: 0 }).format(share);
}

// Times as the venue's clocks show them, in the page's language.
function timeFormat(options) {
  return new Intl.DateTimeFormat(speech.locale, { timeZone: state.timezone, ...options });
}

function tidy(text) {
  return text.replace(/\s+/g, " ").trim();
}

function translatePage() {
  document.documentElement.lang = speech.language;
  document.title = "admission · " + _("Dashboard");
  for (const node of document.querySelectorAll("[data-i18n], [data-i18n-attr]")) {
    if (!originals.has(node)) {
      const attributes = (node.dataset.i18nAttr || "").split(/\s+/).filter(Boolean);
      originals.set(node, {
        text: node.hasAttribute("data-i18n") ? tidy(node.textContent) : null,
        attributes: Object.fromEntries(attributes.map((name) => [name, node.getAttribute(name) || ""])),
      });
    }
    const original = originals.get(node);
    if (original.text) node.textContent = _(original.text);
    for (const [name, text] of Object.entries(original.attributes)) node.setAttribute(name, _(text));
  }
  const menu = $("language");
  menu.replaceChildren(...speech.languages.map(({ code, name }) => el("option", { value: code }, name)));
  menu.value = speech.language;
}

async function speak(language) {
  try {
    const response = await fetch(`/dashboard/messages/${encodeURIComponent(language)}`, { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const catalogue = await response.json();
    Object.assign(speech, catalogue, { plurals: new Intl.PluralRules(catalogue.locale) });
  } catch (error) {
    // Without its catalogue the page still works, in English.
    console.warn(`no ${language} words for the dashboard: ${error.message}`);
  }
  translatePage();
}

function chosenLanguage() {
  return localStorage.getItem(LANGUAGE_KEY) || document.documentElement.dataset.venueLanguage || "en";
}

async function switchLanguage(language) {
  localStorage.setItem(LANGUAGE_KEY, language);
  document.body.dataset.state = "starting";
  await speak(language);
  if ($("board").hidden) document.body.dataset.state = "login";
  else await refresh();
}
const EXTRA_LOADERS = []; // parts of the page in files of their own (payments.js)

// ------------------------------------------------------------------ small helpers

const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, text = null) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  if (text !== null) node.textContent = text;
  return node;
}

function svg(tag, attrs = {}, text = null) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  if (text !== null) node.textContent = text;
  return node;
}

function titled(node, text) {
  node.appendChild(svg("title", {}, text));
  return node;
}

function colourFor(name) {
  if (!state.colours.has(name)) state.colours.set(name, PALETTE[state.colours.size % PALETTE.length]);
  return state.colours.get(name);
}

// The smallest "round" maximum (4 grid steps of 1, 2 or 5 times a power of ten) >= value.
function niceCeiling(value) {
  const rough = Math.max(value, 4) / 4;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((candidate) => candidate >= rough);
  return step * 4;
}

// Durations in the words of the reports (admission/domain/wording.py: duration_words).
function duration(seconds) {
  // An outage of a few seconds must not read as "0 min".
  const whole = Math.round(seconds);
  if (whole < 60) return format(_("{seconds} s"), { seconds: whole });
  const minutes = Math.floor(whole / 60);
  if (whole % 60) return format(_("{minutes} min {seconds} s"), { minutes, seconds: whole % 60 });
  return format(_("{minutes} min"), { minutes });
}

function setFigure(id, value, text = number(value)) {
  const node = $(id);
  node.dataset.value = String(value);
  node.textContent = text;
}

function emptyChart(container, message) {
  container.replaceChildren(el("p", { class: "empty" }, message));
}

// ------------------------------------------------------------------ token and API

class AuthError extends Error {}

function takeTokenFromFragment() {
  const params = new URLSearchParams(window.location.hash.slice(1));
  const token = params.get("token");
  if (/^\d{4}-\d{2}-\d{2}$/.test(params.get("day") || "")) $("day").value = params.get("day");
  if (token) {
    localStorage.setItem(TOKEN_KEY, token);
    // Drop the token from the address bar and history; keep the chosen day.
    const day = $("day").value ? `#day=${$("day").value}` : "";
    history.replaceState(null, "", window.location.pathname + window.location.search + day);
  }
  return localStorage.getItem(TOKEN_KEY);
}

async function api(path, options = {}) {
  const response = await fetch(path, {
    ...options,
    headers: { Authorization: `Bearer ${state.token}`, Accept: "application/json", ...(options.headers || {}) },
  });
  if (response.status === 401 || response.status === 403) {
    const problem = await response.json().catch(() => ({}));
    // Refusals carry their explanation in the title; the detail is the bare HTTP phrase.
    throw new AuthError(problem.title || _("this token may not see reports"));
  }
  if (!response.ok) {
    const problem = await response.json().catch(() => ({}));
    throw new Error(problem.detail || `${path}: HTTP ${response.status}`);
  }
  return response.json();
}

function dayQuery() {
  const day = $("day").value;
  return day ? `from=${day}&to=${day}` : "";
}

// ------------------------------------------------------------------ loading

async function load() {
  const q = dayQuery();
  const [venue, me, summary, occupancy, passages, reasons, sources, outages, conflicts, notices, misses, fleet] =
    await Promise.all([
      api("/api/v1/venue"),
      api("/api/v1/devices/me"),
      api(`/api/v1/reports/summary?${q}`),
      api(`/api/v1/reports/occupancy?granularity=15min&${q}`),
      api(`/api/v1/reports/passages?granularity=15min&${q}`),
      api(`/api/v1/reports/reasons?${q}`),
      api(`/api/v1/reports/sources?${q}`),
      api(`/api/v1/reports/outages?${q || "from=today&to=today"}`),
      api("/api/v1/reports/conflicts?status=open"),
      api("/api/v1/notices?active=true"),
      api(`/api/v1/reports/lookup-misses?${q}`),
      api("/api/v1/fleet"),
    ]);
  state.role = me.role;
  state.timezone = summary.timezone;
  $("venue-name").textContent = venue.name;
  if (!$("day").value) $("day").value = summary.start.slice(0, 10);
  const clock = timeFormat({ hour: "2-digit", minute: "2-digit" });
  const axis = dayAxis(summary, clock);
  renderNotices(notices);
  renderTiles(summary, conflicts);
  renderOccupancy(occupancy, axis);
  renderPassages(passages, axis);
  renderRejects(reasons);
  renderSources(sources);
  renderOutages(outages, axis, clock);
  renderConflicts(conflicts);
  renderLookupMisses(misses, clock);
  renderFleet(fleet);
  // Parts of the page in files of their own (payments.js) add their loaders here.
  await Promise.all(EXTRA_LOADERS.map((loader) => loader(summary.start.slice(0, 10), summary.timezone)));
  $("updated").textContent = format(_("updated {time}"), { time: clock.format(new Date()) });
}

async function refresh() {
  try {
    await load();
    $("error").textContent = "";
    document.body.dataset.state = "ready";
  } catch (error) {
    if (error instanceof AuthError) {
      showLogin(error.message);
      return;
    }
    $("error").textContent = format(_("Could not load the figures: {error}"), { error: error.message });
    document.body.dataset.state = "error";
  }
}

function schedule() {
  clearInterval(state.timer);
  state.timer = setInterval(() => {
    if (!document.hidden) refresh();
  }, REFRESH_MS);
}

function showLogin(message = "") {
  clearInterval(state.timer);
  $("board").hidden = true;
  $("controls").hidden = true;
  $("login").hidden = false;
  $("login-error").textContent = message;
  document.body.dataset.state = "login";
}

function showBoard() {
  $("login").hidden = true;
  $("controls").hidden = false;
  $("board").hidden = false;
  refresh();
  schedule();
}

// ------------------------------------------------------------------ time axis

function dayAxis(report, clock) {
  const start = Date.parse(report.start);
  const end = Date.parse(report.end);
  return {
    start, end, clock,
    width: 1000, left: 44, right: 30,
    x(ms) {
      const span = this.width - this.left - this.right;
      return this.left + ((Math.min(Math.max(ms, start), end) - start) / (end - start)) * span;
    },
  };
}

function drawTimeAxis(root, axis, top, bottom) {
  root.appendChild(svg("line", { class: "axis", x1: axis.left, x2: axis.width - axis.right, y1: bottom, y2: bottom }));
  const hours = (axis.end - axis.start) / 3600000;
  const step = hours > 30 ? 6 : 3;
  for (let ms = axis.start; ms <= axis.end; ms += step * 3600000) {
    const x = axis.x(ms);
    root.appendChild(svg("line", { class: "grid-line", x1: x, x2: x, y1: top, y2: bottom }));
    root.appendChild(svg("text", { x, y: bottom + 14, "text-anchor": "middle" }, axis.clock.format(new Date(ms))));
  }
  const now = Date.now();
  if (now > axis.start && now < axis.end) {
    const x = axis.x(now);
    root.appendChild(titled(svg("line", { class: "now", x1: x, x2: x, y1: top, y2: bottom }), _("now")));
  }
}

function drawValueAxis(root, axis, maximum, top, bottom, y) {
  for (let i = 0; i <= 4; i += 1) {
    const value = (maximum / 4) * i;
    const at = y(value);
    if (at < top - 1 || at > bottom + 1) continue;
    if (i > 0) root.appendChild(svg("line", { class: "grid-line", x1: axis.left, x2: axis.width - axis.right, y1: at, y2: at }));
    root.appendChild(svg("text", { x: axis.left - 6, y: at + 4, "text-anchor": "end" }, number(Math.round(value))));
  }
}

function legend(container, names) {
  container.replaceChildren(...names.map((name) => {
    const item = el("span", {}, name);
    item.style.setProperty("--swatch", colourFor(name));
    return item;
  }));
}

// ------------------------------------------------------------------ renderers

function renderNotices(notices) {
  $("notices").replaceChildren(...notices.map((notice) => {
    const box = el("div", { class: "notice", "data-notice": String(notice.id) }, notice.message);
    const until = timeFormat({ dateStyle: "medium", timeStyle: "short" });
    if (notice.ends_at) box.appendChild(el("small", {}, format(_("until {time}"), { time: until.format(new Date(notice.ends_at)) })));
    return box;
  }));
}

function renderTiles(summary, conflicts) {
  const zones = Object.entries(summary.occupancy_now);
  const inside = zones.reduce((total, [, count]) => total + count, 0);
  setFigure("tile-inside", inside);
  $("occupancy-now").replaceChildren(...zones.map(([zone, count]) => {
    const item = el("li", { "data-zone": zone, "data-value": String(count) });
    item.append(`${zone} `, el("b", {}, number(count)));
    return item;
  }));
  setFigure("tile-entries", summary.entries);
  setFigure("tile-exits", summary.exits);
  setFigure("tile-refused", summary.refused);
  setFigure("tile-misreads", summary.misreads);
  setFigure("tile-offline", summary.offline_share, percent(summary.offline_share));
  setFigure("tile-conflicts", conflicts.rows.length);
  setFigure("tile-outages", summary.outages);
}

function renderOccupancy(report, axis) {
  const container = $("chart-occupancy");
  const byZone = new Map();
  for (const row of report.rows) {
    if (!byZone.has(row.zone)) byZone.set(row.zone, []);
    byZone.get(row.zone).push(row);
  }
  if (byZone.size === 0) {
    emptyChart(container, _("No zones yet."));
    return;
  }
  const top = 10, bottom = 230;
  const maximum = niceCeiling(Math.max(1, ...report.rows.map((r) => r.inside)));
  const y = (value) => bottom - (value / maximum) * (bottom - top);
  const root = svg("svg", { id: "svg-occupancy", viewBox: `0 0 ${axis.width} 250`, role: "img",
    "aria-label": _("Occupancy over the day") });
  drawValueAxis(root, axis, maximum, top, bottom, y);
  drawTimeAxis(root, axis, top, bottom);
  const now = Date.now();
  for (const [zone, rows] of byZone) {
    const colour = colourFor(zone);
    const first = rows[0];
    const points = [[axis.x(Date.parse(first.bucket)), y(Math.max(first.inside - first.entered + first.left, 0))]];
    for (const row of rows) {
      const bucketEnd = Math.min(Date.parse(row.bucket) + 15 * 60000, now, axis.end);
      points.push([axis.x(bucketEnd), y(row.inside)]);
    }
    const line = points.map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`).join(" ");
    const last = points[points.length - 1];
    root.appendChild(svg("polygon", {
      points: `${points[0][0].toFixed(1)},${bottom} ${line} ${last[0].toFixed(1)},${bottom}`,
      fill: colour, "fill-opacity": 0.08,
    }));
    root.appendChild(titled(svg("polyline", {
      class: "series", "data-zone": zone, points: line, fill: "none", stroke: colour, "stroke-width": 2,
    }), format(_("{zone}: peak {peak}, now {now}"), { zone, peak: number(report.peak[zone] ?? 0), now: number(report.now[zone] ?? 0) })));
    root.appendChild(svg("text", { class: "value", x: last[0] + 4, y: last[1] - 4 }, number(rows[rows.length - 1].inside)));
  }
  container.replaceChildren(root);
  legend($("legend-occupancy"), [...byZone.keys()].map((zone) => zone));
}

function renderPassages(report, axis) {
  const container = $("chart-passages");
  if (report.rows.length === 0) {
    emptyChart(container, _("No passages on this day."));
    $("legend-passages").replaceChildren();
    return;
  }
  const gates = [...new Set(report.rows.map((r) => r.gate))].sort();
  const buckets = new Map();
  for (const row of report.rows) {
    if (!buckets.has(row.bucket)) buckets.set(row.bucket, []);
    buckets.get(row.bucket).push(row);
  }
  const totals = [...buckets.values()].map((rows) => rows.reduce((n, r) => n + r.entries, 0));
  const exitTotals = [...buckets.values()].map((rows) => rows.reduce((n, r) => n + r.exits, 0));
  const maximum = niceCeiling(Math.max(1, ...totals));
  const exitMaximum = niceCeiling(Math.max(1, ...exitTotals));
  const top = 10, middle = 190, bottom = 250;
  const up = (value) => (value / maximum) * (middle - top);
  const down = (value) => (value / exitMaximum) * (bottom - middle - 8);
  const root = svg("svg", { id: "svg-passages", viewBox: `0 0 ${axis.width} 275`, role: "img",
    "aria-label": _("Entries and exits per gate per 15 minutes") });
  drawValueAxis(root, axis, maximum, top, middle, (v) => middle - up(v));
  drawTimeAxis(root, axis, top, bottom);
  root.appendChild(svg("line", { class: "axis", x1: axis.left, x2: axis.width - axis.right, y1: middle, y2: middle }));
  // Inside the plot, from its left edge: "exits" is a long word in some languages.
  root.appendChild(svg("text", { x: axis.left + 4, y: bottom - 4, "text-anchor": "start" }, _("exits")));
  for (const [bucket, rows] of buckets) {
    const from = Date.parse(bucket);
    const x = axis.x(from) + 0.5;
    const width = Math.max(axis.x(from + 15 * 60000) - axis.x(from) - 1, 1);
    let above = middle, below = middle;
    for (const gate of gates) {
      const row = rows.find((r) => r.gate === gate);
      if (!row) continue;
      const time = axis.clock.format(new Date(from));
      if (row.entries > 0) {
        const height = up(row.entries);
        above -= height;
        root.appendChild(titled(svg("rect", {
          class: "bar", "data-kind": "entries", "data-gate": gate, "data-bucket": bucket, "data-value": row.entries,
          x, y: above, width, height, fill: colourFor(gate),
        }), format(_("{time} {gate}: {entries} entries, {exits} exits, {refused} refused, {misreads} misreads"), {
          time, gate, entries: number(row.entries), exits: number(row.exits), refused: number(row.refused),
          misreads: number(row.misreads),
        })));
      }
      if (row.exits > 0) {
        const height = down(row.exits);
        root.appendChild(titled(svg("rect", {
          class: "bar", "data-kind": "exits", "data-gate": gate, "data-bucket": bucket, "data-value": row.exits,
          x, y: below, width, height, fill: colourFor(gate), "fill-opacity": 0.45,
        }), format(_("{time} {gate}: {exits} exits"), { time, gate, exits: number(row.exits) })));
        below += height;
      }
    }
  }
  container.replaceChildren(root);
  legend($("legend-passages"), gates);
}

function horizontalBars(id, items, colour) {
  const rowHeight = 26, labelWidth = 190, width = 480;
  const maximum = Math.max(1, ...items.map((item) => item.value));
  const root = svg("svg", { id, viewBox: `0 0 ${width} ${Math.max(items.length, 1) * rowHeight + 6}`, role: "img" });
  items.forEach((item, i) => {
    const y = i * rowHeight + 4;
    const length = (item.value / maximum) * (width - labelWidth - 95);
    root.appendChild(svg("text", { x: labelWidth - 8, y: y + 15, "text-anchor": "end" }, item.label));
    root.appendChild(titled(svg("rect", {
      class: "bar", ...item.data, "data-value": item.value, x: labelWidth, y, width: Math.max(length, 1),
      height: rowHeight - 8, rx: 3, fill: item.colour || colour,
    }), `${item.label}: ${number(item.value)}`));
    root.appendChild(svg("text", { class: "value", x: labelWidth + length + 6, y: y + 15 }, item.text ?? number(item.value)));
  });
  return root;
}

function reasonLabel(reason) {
  return REASON_LABELS[reason] ? _(REASON_LABELS[reason]) : reason.replaceAll("_", " ");
}

function renderRejects(report) {
  const rejects = report.rows.filter((row) => row.verdict === "reject");
  if (rejects.length === 0) {
    emptyChart($("chart-rejects"), _("No rejected scans."));
    return;
  }
  const items = rejects.map((row) => ({
    label: reasonLabel(row.reason), value: row.scans, data: { "data-reason": row.reason },
  }));
  $("chart-rejects").replaceChildren(horizontalBars("svg-rejects", items, "#c62828"));
}

function renderSources(report) {
  const total = report.rows.reduce((n, row) => n + row.scans, 0);
  if (total === 0) {
    emptyChart($("chart-sources"), _("No scans yet."));
    return;
  }
  const items = report.rows.map((row, i) => ({
    label: SOURCE_LABELS[row.source] ? _(SOURCE_LABELS[row.source]) : row.label, value: row.scans,
    colour: PALETTE[(i + 4) % PALETTE.length], text: `${number(row.scans)} (${percent(row.share)})`,
    data: { "data-source": row.source },
  }));
  $("chart-sources").replaceChildren(horizontalBars("svg-sources", items, "#1f6feb"));
}

function renderOutages(report, axis, clock) {
  const s = report.summary;
  const said = [
    format(ngettext("{count} outage", "{count} outages", s.outages), { count: number(s.outages) }),
    format(_("{duration} in total"), { duration: duration(s.total_duration_seconds) }),
    format(_("{passages} passages and {sales} sales recorded offline"), {
      passages: number(s.passages_offline), sales: number(s.sales_offline),
    }),
  ];
  if (s.ongoing) said.push(format(_("{count} ongoing"), { count: number(s.ongoing) }));
  $("outage-summary").textContent = s.outages === 0 ? _("(none on this day)") : `(${said.join(", ")})`;
  $("outage-summary").dataset.value = String(s.outages);
  const container = $("chart-outages");
  if (report.rows.length === 0) {
    emptyChart(container, _("No outages: every gate and box office stayed online."));
    return;
  }
  const devices = [...new Set(report.rows.map((row) => row.device))].sort();
  const lane = 26, top = 6;
  const bottom = top + devices.length * lane;
  const timeline = { ...axis, left: 130 };
  const root = svg("svg", { id: "svg-outages", viewBox: `0 0 ${axis.width} ${bottom + 22}`, role: "img",
    "aria-label": _("Outage timeline") });
  drawTimeAxis(root, timeline, top, bottom);
  devices.forEach((device, i) => {
    root.appendChild(svg("text", { x: timeline.left - 8, y: top + i * lane + 17, "text-anchor": "end" }, device));
  });
  for (const row of report.rows) {
    const from = Date.parse(row.started_at);
    const to = row.ended_at ? Date.parse(row.ended_at) : Date.now();
    const x = timeline.x(from);
    const width = Math.max(timeline.x(to) - x, 3);
    const registered = row.registered_at
      ? format(_("registered {time}"), { time: clock.format(new Date(row.registered_at)) })
      : _("not yet registered");
    root.appendChild(titled(svg("rect", {
      class: "bar outage", "data-outage": row.id, x, y: top + devices.indexOf(row.device) * lane + 4, width,
      height: lane - 8, rx: 3, fill: row.ended_at ? "#ef6c00" : "#c62828",
    }), format(_("{device}: {start}–{end}, {passages} passages, {sales} sales offline, {registered}"), {
      device: row.device, start: clock.format(new Date(from)), end: row.ended_at ? clock.format(new Date(to)) : _("ongoing"),
      passages: number(row.passages_offline), sales: number(row.sales_offline), registered,
    })));
  }
  container.replaceChildren(root);
}

function renderConflicts(report) {
  const moment = timeFormat({ dateStyle: "medium", timeStyle: "short" });
  const body = $("conflicts").tBodies[0];
  $("no-conflicts").hidden = report.rows.length > 0;
  body.replaceChildren(...report.rows.map((row) => {
    const tr = el("tr", { "data-nonce": row.nonce });
    tr.append(
      el("td", { class: "moment" }, moment.format(new Date(row.scanned_at))),
      el("td", {}, row.gate),
      el("td", {}, row.device || ""),
      el("td", {}, row.ticket_number || row.ticket_serial || ""),
      // In the reader's words; the service's own record (which gate, what time) on hover.
      el("td", { title: row.message }, format(_("Admitted offline, but: {problem}"), { problem: reasonLabel(row.reason) })),
    );
    const action = el("td");
    if (state.role === "admin") {
      const button = el("button", { type: "button", class: "small" }, _("Mark reviewed"));
      button.addEventListener("click", () => review(row.nonce));
      action.appendChild(button);
    }
    tr.appendChild(action);
    return tr;
  }));
}

function renderLookupMisses(report, clock) {
  const total = report.rows.reduce((sum, row) => sum + row.misses, 0);
  setFigure("tile-lookup-misses", total);
  $("no-lookup-misses").hidden = report.rows.length > 0;
  $("lookup-misses").tBodies[0].replaceChildren(...report.rows.map((row) => {
    const tr = el("tr", { "data-device": row.device, "data-address": row.address });
    tr.append(
      el("td", {}, row.device),
      el("td", {}, row.address),
      el("td", { "data-value": String(row.misses) }, number(row.misses)),
      el("td", {}, clock.format(new Date(row.first_at))),
      el("td", {}, clock.format(new Date(row.last_at))),
      el("td", {}, row.last_tried),
    );
    return tr;
  }));
}

// Gates and tills: what each last reported of itself, and what needs a look (the service flags
// a clock off by more than its limit and a device silent for too long, in the caller's words).
// The words of admission/domain/wording.py (clock_offset_words), as the `admission devices` table.
function offsetText(seconds) {
  const sign = seconds >= 0 ? "+" : "-";
  const whole = Math.round(Math.abs(seconds));
  if (whole < 3600) return sign + duration(whole);
  if (whole < 86400) {
    return sign + format(_("{hours} h {minutes} min"), { hours: Math.floor(whole / 3600), minutes: Math.floor((whole % 3600) / 60) });
  }
  const days = Math.floor(whole / 86400);
  return sign + format(ngettext("{count} day", "{count} days", days), { count: number(days) });
}

// What needs a look, from the flags the service set (its words are English: these are the reader's).
function warningsOf(device) {
  const words = [];
  if (device.flags.includes("clock_skew") && device.clock_offset_seconds !== null) {
    words.push(format(_("Clock off by {offset}"), { offset: offsetText(device.clock_offset_seconds) }));
  }
  if (device.flags.includes("silent")) {
    if (!device.last_seen_at) words.push(_("Never reported"));
    else {
      const minutes = Math.floor((Date.now() - Date.parse(device.last_seen_at)) / 60000);
      words.push(format(_("Silent for {minutes} min"), { minutes: number(minutes) }));
    }
  }
  return words;
}

function renderFleet(fleet) {
  const moment = timeFormat({
    timeZone: fleet.timezone, month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
  });
  const when = (value) => (value ? moment.format(new Date(value)) : _("never"));
  const flagged = fleet.devices.filter((device) => device.flags.length > 0).length;
  const counts = [
    format(ngettext("{count} device", "{count} devices", fleet.devices.length), { count: number(fleet.devices.length) }),
    format(_("{count} flagged"), { count: number(flagged) }),
  ];
  const limits = [
    format(_("clock limit {seconds} s"), { seconds: number(fleet.clock_skew_limit_seconds) }),
    format(_("silent after {duration}"), { duration: duration(fleet.silent_after_seconds) }),
  ];
  $("fleet-summary").textContent = `(${counts.join(", ")}; ${limits.join(", ")})`;
  $("no-devices").hidden = fleet.devices.length > 0;
  $("fleet").tBodies[0].replaceChildren(...fleet.devices.map((device) => {
    const tr = el("tr", { "data-device": device.name, "data-flags": device.flags.join(" ") });
    if (device.flags.length) tr.classList.add("flagged");
    const online = device.revoked ? "revoked" : device.online ? "yes" : "no";
    tr.append(
      el("td", {}, device.name),
      el("td", { "data-role": device.role }, ROLE_LABELS[device.role] ? _(ROLE_LABELS[device.role]) : device.role),
      el("td", {}, device.gate || ""),
      el("td", {}, device.version || ""),
      el("td", { class: "online-" + online }, _(ONLINE_LABELS[online])),
      el("td", {}, when(device.last_seen_at)),
      el("td", {}, device.last_seen_at ? when(device.last_sync_at) : ""),
      el("td", { class: "number" }, device.queue === null ? "" : number(device.queue)),
      el("td", { class: "number" }, device.clock_offset_seconds === null ? "" : offsetText(device.clock_offset_seconds)),
      el("td", { class: "flags" }, warningsOf(device).join("; ")),
    );
    return tr;
  }));
}

async function review(nonce) {
  const note = window.prompt(_("What was done about it? (kept with the conflict)"), "");
  if (note === null) return;
  try {
    await api(`/api/v1/reports/conflicts/${encodeURIComponent(nonce)}/review`, {
      method: "POST", body: JSON.stringify({ note }), headers: { "Content-Type": "application/json" },
    });
  } catch (error) {
    $("error").textContent = format(_("Could not mark it reviewed: {error}"), { error: error.message });
  }
  refresh();
}

// ------------------------------------------------------------------ start

async function start() {
  state.token = takeTokenFromFragment();
  $("language").addEventListener("change", (event) => switchLanguage(event.target.value));
  await speak(chosenLanguage());
  $("login-form").addEventListener("submit", (event) => {
    event.preventDefault();
    state.token = $("token").value.trim();
    localStorage.setItem(TOKEN_KEY, state.token);
    $("token").value = "";
    showBoard();
  });
  $("sign-out").addEventListener("click", () => {
    localStorage.removeItem(TOKEN_KEY);
    state.token = null;
    showLogin();
  });
  $("refresh").addEventListener("click", refresh);
  $("day").addEventListener("change", refresh);
  if (state.token) showBoard();
  else showLogin();
}

document.addEventListener("DOMContentLoaded", start);
