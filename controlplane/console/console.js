/* Switchyard console: a single page over the admin REST API (docs/controlplane.md).
 * Every value from the API reaches the page as text (el() sets textContent, never HTML), so a
 * name such as <img src=x onerror=alert(1)> is shown, not run. The management key lives in
 * this tab's sessionStorage only. */
"use strict";

const KEY_SLOT = "switchyard.mgmt_key";
const API = "/api/v1";
const PAGE = 50;
const DAY_MS = 86400000;

const state = { key: null, me: null, orgs: [], keyNames: new Map(), charts: [], routes: 0 };

/* ---- DOM helpers --------------------------------------------------------------------- */

/* An element with attributes (on* handlers are refused: listeners only) and children (strings
 * become text nodes). */
function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) throw new Error("no inline handlers");
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else e.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of kids.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}
const $ = (id) => document.getElementById(id);
function on(e, ev, fn) { e.addEventListener(ev, fn); return e; }
function button(label, fn, cls) { return on(el("button", { type: "button", class: cls }, label), "click", fn); }

function toast(msg) {
  const t = $("toast");
  t.textContent = msg;
  t.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { t.hidden = true; }, 3000);
}

/* ---- formatting: every number with its unit, times local with UTC on hover ------------- */

const nf = new Intl.NumberFormat();
function usd(v) {
  const n = Number(v || 0);
  const d = n !== 0 && Math.abs(n) < 0.01 ? 6 : 2;
  return "$" + n.toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: d });
}
/* Axis ticks: three significant digits, so neighbouring ticks never read the same. */
function usdAxis(v) { return "$" + Number(v).toLocaleString(undefined, { maximumSignificantDigits: 3 }); }
function tok(n) { return nf.format(n || 0) + " tok"; }
function req(n) { return nf.format(n || 0) + (n === 1 ? " request" : " requests"); }
function ms(n) { return n === null || n === undefined ? "–" : nf.format(Math.round(n)) + " ms"; }
function pct(x) { return x === null || x === undefined ? "–" : (x * 100).toFixed(1) + " %"; }
function time(iso) {
  if (!iso) return el("span", { class: "muted" }, "–");
  const d = new Date(iso);
  return el("time", { datetime: iso, title: d.toISOString().replace(".000Z", "Z") + " (UTC)" },
    d.toLocaleString());
}
function keyName(hash) {
  if (!hash) return "–";
  return state.keyNames.get(hash) || hash.slice(0, 12) + "…";
}

/* ---- the API ------------------------------------------------------------------------------ */

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function api(method, path, body, key) {
  const opts = { method, headers: { Authorization: "Bearer " + (key || state.key) } };
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  const r = await fetch(API + path, opts);
  const text = await r.text();
  if (!r.ok) {
    let msg = text;
    try { msg = JSON.parse(text).error.message; } catch (e) { /* not JSON: show as is */ }
    if (r.status === 401 && !key) signOut("Your management key is no longer accepted: " + msg);
    throw new ApiError(r.status, msg);
  }
  return (r.headers.get("Content-Type") || "").startsWith("text/csv") ? text : JSON.parse(text);
}
const get = (p) => api("GET", p);
function qs(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== "" && v !== null && v !== undefined) u.set(k, v);
  const s = u.toString();
  return s ? "?" + s : "";
}

function isGlobal() { return state.me && !state.me.org_id; }

/* Run an action, showing its error next to the control (or as a toast). */
async function attempt(fn, where) {
  try {
    if (where) where.textContent = "";
    return await fn();
  } catch (e) {
    if (where) where.textContent = e.message;
    else toast(e.message);
    return undefined;
  }
}

/* ---- sign-in ------------------------------------------------------------------------------- */

async function signIn(key) {
  const me = await api("GET", "/management-key", undefined, key);
  state.key = key;
  state.me = me.data;
  sessionStorage.setItem(KEY_SLOT, key);
  $("signin").hidden = true;
  $("nav").hidden = false;
  $("signout").hidden = false;
  $("who").textContent = (state.me.name || "management key") + " · " +
    (state.me.org_id ? "org " + state.me.org_id : "global");
  await loadNames();
  route();
}

function signOut(msg) {
  sessionStorage.removeItem(KEY_SLOT);
  state.key = state.me = null;
  destroyCharts();
  $("page").hidden = true;
  $("page").replaceChildren();
  $("nav").hidden = true;
  $("signout").hidden = true;
  $("who").textContent = "";
  $("signin").hidden = false;
  $("signin-error").textContent = msg || "";
}

async function loadNames() {
  const [orgs, keys] = await Promise.all([get("/orgs"), get("/keys?include_disabled=true")]);
  state.orgs = orgs.data;
  state.keyNames = new Map(keys.data.map((k) => [k.hash, k.name]));
}
function orgName(id) {
  const o = state.orgs.find((x) => x.id === id);
  return o ? o.name : id || "–";
}

/* ---- pages ------------------------------------------------------------------------------------ */

const pages = { overview, activity, keys, orgs, providers };

function destroyCharts() {
  for (const c of state.charts) c.destroy();
  state.charts = [];
}

async function route() {
  if (!state.key) return;
  const name = (location.hash || "#overview").slice(1).split("?")[0];
  const page = pages[name] ? name : "overview";
  for (const a of document.querySelectorAll("nav a"))
    a.classList.toggle("active", a.dataset.page === page);
  destroyCharts();
  const root = $("page");
  const seq = ++state.routes; /* a later route() wins over one still loading */
  root.hidden = false;
  root.replaceChildren(el("p", { class: "muted" }, "Loading…"));
  root.dataset.page = page;
  root.dataset.ready = "";
  try {
    const body = await pages[page]();
    if (seq !== state.routes) return;
    root.replaceChildren(...body);
    if (body.after) await body.after();
  } catch (e) {
    if (seq !== state.routes) return;
    root.replaceChildren(el("p", { class: "error" }, e.message));
  }
  root.dataset.ready = "1";
  performance.mark("switchyard-ready-" + page);
}

function card(title, ...kids) { return el("section", { class: "card" }, title ? el("h2", {}, title) : null, ...kids); }
function table(headers, rows, opts) {
  const o = opts || {};
  const thead = el("thead", {}, el("tr", {}, headers.map((h) =>
    el("th", { class: h.num ? "num" : null }, h.label || h))));
  const tbody = el("tbody", {});
  for (const r of rows) tbody.append(r);
  const t = el("table", { id: o.id }, thead, tbody);
  return el("div", { class: "scroll" }, rows.length ? t : el("p", { class: "muted" }, o.empty || "Nothing yet."));
}
function td(v, num) { return el("td", { class: num ? "num" : null }, v); }
function orgSelect(id, withAll) {
  const s = el("select", { id });
  if (withAll) s.append(el("option", { value: "" }, "All orgs"));
  for (const o of state.orgs) s.append(el("option", { value: o.id }, o.name + " (" + o.id + ")"));
  return s;
}

/* ---- overview ---------------------------------------------------------------------------------- */

function utcDay(d) { return d.toISOString().slice(0, 10); }

function windowTotals(days, n) {
  const first = utcDay(new Date(Date.now() - (n - 1) * DAY_MS));
  const t = { usage: 0, requests: 0, tokens: 0 };
  for (const d of days) {
    if (d.date < first) continue;
    t.usage += d.usage;
    t.requests += d.requests;
    t.tokens += d.prompt_tokens + d.completion_tokens;
  }
  return t;
}

function palette(i) { return "hsl(" + ((i * 137) % 360) + " 65% 52%)"; }

function stackedChart(canvas, days, field, unit) {
  const labels = [];
  for (let i = 29; i >= 0; i--) labels.push(utcDay(new Date(Date.now() - i * DAY_MS)));
  const models = [...new Set(days.map((d) => d.model))].sort();
  const datasets = models.map((m, i) => ({
    label: m, backgroundColor: palette(i), stack: "s",
    data: labels.map((day) => {
      const row = days.find((d) => d.date === day && d.model === m);
      return row ? field(row) : 0;
    }),
  }));
  const fg = getComputedStyle(document.documentElement).getPropertyValue("--muted").trim();
  const chart = new Chart(canvas, {
    type: "bar",
    data: { labels: labels.map((l) => l.slice(5)), datasets },
    options: {
      animation: false, maintainAspectRatio: false, responsive: true,
      scales: { x: { stacked: true, ticks: { color: fg } },
                y: { stacked: true, ticks: { color: fg, callback: (v) => unit(v) } } },
      plugins: { legend: { labels: { color: fg } },
                 tooltip: { callbacks: { label: (c) => c.dataset.label + ": " + unit(c.raw) } } },
    },
  });
  state.charts.push(chart);
}

function budgetBar(label, used, limit, extra) {
  const frac = limit > 0 ? Math.min(used / limit, 1) : 0;
  return el("div", { class: "barrow" },
    el("div", { class: "row" }, el("span", {}, label), el("span", { class: "spacer" }),
      el("span", { class: "muted" }, usd(used) + " of " + usd(limit) + (extra || ""))),
    el("div", { class: "bar", role: "meter", "aria-valuenow": used, "aria-valuemax": limit },
      el("span", { class: frac >= 1 ? "over" : null, "data-w": frac })));
}

/* Widths are set from script (CSSOM), which the CSP allows; style attributes it does not. */
function applyBars(root) {
  for (const s of root.querySelectorAll(".bar > span[data-w]"))
    s.style.width = (Number(s.dataset.w) * 100).toFixed(1) + "%";
}

/* The first 20 orgs' credits and budgets, fetched side by side. */
async function moneyCards(orgIds) {
  return Promise.all(orgIds.slice(0, 20).map(async (id) => {
    const [c, b] = await Promise.all([get("/orgs/" + id + "/credits"), get("/orgs/" + id + "/budgets")]);
    const cr = c.data;
    const bars = [budgetBar("Credits used (spent + reserved)", cr.total_usage, cr.total_credits,
      " · " + usd(cr.balance) + " left")];
    for (const bu of b.data)
      bars.push(budgetBar(bu.period + " budget", bu.spent_usd + bu.pending_usd, bu.limit_usd));
    return el("div", { class: "org-money", "data-org": id }, el("h3", {}, orgName(id)), bars);
  }));
}

async function overview() {
  const org = isGlobal() ? (sessionStorage.getItem("switchyard.org") || "") : state.me.org_id;
  const rep = (await get("/reports/usage" + qs({ org_id: org }))).data;
  const stats = [];
  for (const [label, n] of [["Today (UTC)", 1], ["7 days", 7], ["30 days", 30]]) {
    const t = windowTotals(rep.days, n);
    stats.push(el("div", { class: "stat card", "data-window": n },
      el("div", { class: "l" }, label),
      el("div", { class: "v spend" }, usd(t.usage)),
      el("div", { class: "requests" }, req(t.requests)),
      el("div", { class: "tokens muted" }, tok(t.tokens))));
  }
  const spendCanvas = el("canvas", { id: "chart-spend", "aria-label": "Spend per day by model" });
  const tokCanvas = el("canvas", { id: "chart-tokens", "aria-label": "Tokens per day by model" });
  const top = (rows, name) => table(
    [name, { label: "Spend", num: 1 }, { label: "Requests", num: 1 }, { label: "Tokens", num: 1 }],
    rows.slice(0, 10).map((r) => el("tr", {}, td(r.label), td(usd(r.usage), 1),
      td(req(r.requests), 1), td(tok(r.prompt_tokens + r.completion_tokens), 1))));
  const endpoints = table(
    ["Model", "Provider", { label: "Requests", num: 1 }, { label: "Error rate", num: 1 },
     { label: "p50 latency", num: 1 }, { label: "p95 latency", num: 1 }],
    rep.endpoints.map((e) => el("tr", {}, td(e.model), td(e.provider || "–"), td(req(e.requests), 1),
      td(el("span", { class: e.error_rate > 0.05 ? "error" : null }, pct(e.error_rate)), 1),
      td(ms(e.latency_ms && e.latency_ms.p50), 1), td(ms(e.latency_ms && e.latency_ms.p95), 1))),
    { id: "endpoints" });
  const orgIds = org ? [org] : state.orgs.map((o) => o.id);
  const money = await moneyCards(orgIds);
  const picker = isGlobal() ? orgSelect("overview-org", true) : null;
  if (picker) {
    picker.value = org;
    on(picker, "change", () => { sessionStorage.setItem("switchyard.org", picker.value); route(); });
  }
  const parts = [
    el("div", { class: "row" }, el("h1", {}, "Overview"), el("span", { class: "spacer" }),
      picker ? el("label", {}, "Org", picker) : null),
    el("div", { class: "stats", id: "totals" }, stats),
    el("div", { class: "grid" },
      card("Spend per day by model", el("div", { class: "chart" }, spendCanvas)),
      card("Tokens per day by model", el("div", { class: "chart" }, tokCanvas))),
    el("div", { class: "grid" },
      card("Top models (30 days)", top(rep.models.map((m) => ({ ...m, label: m.model })), "Model")),
      card("Top keys (30 days)", top(rep.keys.map((k) => ({ ...k, label: k.name || keyName(k.key_hash) })), "Key")),
      card("Top apps (30 days)", top(rep.apps.map((a) => ({ ...a, label: a.app || "(no X-Title / Referer)" })), "App"))),
    el("div", { class: "grid" },
      card("Credits and budgets", money.length ? money : el("p", { class: "muted" }, "No orgs.")),
      card("Provider endpoints (30 days)", endpoints)),
  ];
  parts.after = () => {
    applyBars($("page"));
    stackedChart(spendCanvas, rep.days, (r) => r.usage, usdAxis);
    stackedChart(tokCanvas, rep.days, (r) => r.prompt_tokens + r.completion_tokens, tok);
  };
  return parts;
}

/* ---- activity --------------------------------------------------------------------------------- */

function localInput(id, label, value) {
  return el("label", {}, label, el("input", { id, type: "datetime-local", value }));
}
function toIso(v) { return v ? new Date(v).toISOString() : ""; }
function isoLocal(d) {
  const p = (n) => String(n).padStart(2, "0");
  return d.getFullYear() + "-" + p(d.getMonth() + 1) + "-" + p(d.getDate()) + "T" + p(d.getHours()) + ":" + p(d.getMinutes());
}

async function activity() {
  const models = (await get("/models")).data.map((m) => m.id);
  const providers = (await get("/providers")).data.map((p) => p.slug);
  const sel = (id, label, opts) => el("label", {}, label, el("select", { id },
    el("option", { value: "" }, "any"), opts.map(([v, t]) => el("option", { value: v }, t))));
  const form = el("form", { class: "row", id: "activity-filter" },
    localInput("f-from", "From", isoLocal(new Date(Date.now() - 30 * DAY_MS))),
    localInput("f-to", "To", ""),
    sel("f-key", "Key", [...state.keyNames]),
    sel("f-model", "Model", models.map((m) => [m, m])),
    sel("f-provider", "Provider", providers.map((p) => [p, p])),
    sel("f-status", "Status", [["success", "success"], ["error", "error"]]),
    el("button", { type: "submit" }, "Apply"),
    el("button", { type: "button", id: "export-csv", class: "plain" }, "Export CSV"));
  const list = el("div", { id: "gen-list" });
  const pager = el("div", { class: "row", id: "pager" });
  const detail = el("div", { id: "gen-detail" });
  const err = el("p", { class: "error" });
  let offset = 0;
  const filter = () => ({
    from: toIso($("f-from").value), to: toIso($("f-to").value), key_hash: $("f-key").value,
    model: $("f-model").value, provider: $("f-provider").value, status: $("f-status").value,
  });
  async function load() {
    const r = await attempt(() => get("/generations" + qs({ ...filter(), limit: PAGE, offset })), err);
    if (!r) return;
    list.replaceChildren(table(
      ["Time", "Model", "Provider", "Key", { label: "Tokens in / out", num: 1 }, { label: "Cost", num: 1 },
       { label: "Latency", num: 1 }, "Status"],
      r.data.map((g) => on(el("tr", { class: "click", "data-id": g.id }, td(time(g.created_at)), td(g.model || "–"),
        td(g.provider || "–"), td(keyName(g.key_hash)),
        td(nf.format(g.prompt_tokens) + " / " + tok(g.completion_tokens), 1), td(usd(g.usage), 1),
        td(ms(g.latency_ms), 1),
        td(el("span", { class: "pill " + (g.status >= 400 ? "bad" : "good") }, String(g.status)))),
      "click", () => showDetail(g.id))),
      { id: "generations", empty: "No generations match." }));
    const last = Math.min(offset + PAGE, r.total);
    pager.replaceChildren(
      el("span", { class: "muted", id: "page-info" }, r.total ? (offset + 1) + "–" + last + " of " + nf.format(r.total) + " generations" : "0 generations"),
      button("‹ Newer", () => { offset = Math.max(0, offset - PAGE); load(); }, "plain"),
      button("Older ›", () => { offset += PAGE; load(); }, "plain"));
    pager.children[1].disabled = offset === 0;
    pager.children[2].disabled = last >= r.total;
  }
  async function showDetail(id) {
    const g = (await attempt(() => get("/generations/" + encodeURIComponent(id)), err));
    if (!g) return;
    const d = g.data;
    const rows = [["Generation", d.id], ["Time", time(d.created_at)], ["Org", orgName(d.org_id)],
      ["Key", keyName(d.key_hash)], ["Model", d.model], ["Provider", d.provider_name || d.provider],
      ["Status", String(d.status)], ["Finish reason", d.finish_reason || "–"],
      ["Native finish reason", d.native_finish_reason || "–"], ["Error class", d.error_class || "–"],
      ["Prompt tokens", tok(d.prompt_tokens)], ["Completion tokens", tok(d.completion_tokens)],
      ["Reasoning tokens", tok(d.reasoning_tokens)], ["Cached tokens", tok(d.cached_tokens)],
      ["Cost", usd(d.usage)], ["Latency", ms(d.latency_ms)], ["Time to first token", ms(d.ttft_ms)],
      ["Generation time", ms(d.generation_time_ms)], ["Streamed", d.streamed ? "yes" : "no"],
      ["Cancelled", d.cancelled ? "yes" : "no"], ["App", d.app_title || d.http_referer || "–"]];
    detail.replaceChildren(card("Generation detail",
      el("dl", {}, rows.map(([k, v]) => [el("dt", {}, k), el("dd", {}, v || "–")])),
      el("h3", {}, "Attempts"),
      table(["Provider", "Model", "Status", { label: "Latency", num: 1 }, "Error"],
        (d.attempts || []).map((a) => el("tr", {}, td(a.provider || "–"), td(a.model || "–"),
          td(String(a.status)), td(ms(a.latency_ms), 1), td(a.error_class || "–")))),
      button("Close", () => detail.replaceChildren(), "plain")));
  }
  on(form, "submit", (e) => { e.preventDefault(); offset = 0; load(); });
  on(form.querySelector("#export-csv"), "click", async () => {
    const csv = await attempt(() => get("/generations.csv" + qs(filter())), err);
    if (csv === undefined) return;
    const a = el("a", { href: URL.createObjectURL(new Blob([csv], { type: "text/csv" })),
      download: "switchyard-generations.csv" });
    document.body.append(a);
    a.click();
    a.remove();
  });
  const parts = [el("h1", {}, "Activity"), card(null, form, err, pager, list), detail];
  parts.after = load;
  return parts;
}

/* ---- keys -------------------------------------------------------------------------------------- */

/* A modal form: save(form) runs on each submit; the dialog closes when it succeeds and shows
 * its error otherwise. Resolves with save's result, or null when cancelled. */
function modal(title, fields, submitLabel, save, danger) {
  return new Promise((resolve) => {
    const err = el("p", { class: "error", id: "modal-error" });
    const form = el("form", {}, el("h2", {}, title), fields, err,
      el("div", { class: "row" },
        el("button", { type: "submit", class: danger ? "danger" : null, id: "modal-ok" }, submitLabel),
        el("button", { type: "button", class: "plain", id: "modal-cancel" }, "Cancel")));
    const d = el("dialog", { id: "modal" }, form);
    let result = null;
    document.body.append(d);
    on(form.querySelector("#modal-cancel"), "click", () => d.close());
    on(d, "close", () => { d.remove(); resolve(result); });
    on(form, "submit", async (e) => {
      e.preventDefault();
      const r = await attempt(() => save(form), err);
      if (r !== undefined) { result = r; d.close(); }
    });
    d.showModal();
  });
}

function numOrNull(v) { return v === "" ? null : Number(v); }

function keyFields(k) {
  const v = k || {};
  const resetSel = el("select", { name: "limit_reset" }, ["", "daily", "weekly", "monthly"].map((x) =>
    el("option", { value: x, selected: (v.limit_reset || "") === x }, x || "never")));
  return [
    el("label", {}, "Name", el("input", { name: "name", required: true, value: v.name || "" })),
    k ? null : el("label", {}, "Org", isGlobal() ? Object.assign(orgSelect("key-org"), { name: "org_id" })
      : el("input", { name: "org_id", value: state.me.org_id, readonly: true })),
    el("label", {}, "Spend limit (USD, empty = none)", el("input", { name: "limit", type: "number", min: 0, step: "any", value: v.limit ?? "" })),
    el("label", {}, "Limit resets", resetSel),
    el("label", {}, "Requests per minute (empty = none)", el("input", { name: "rpm", type: "number", min: 1, value: v.rpm ?? "" })),
    el("label", {}, "Requests per day (empty = none)", el("input", { name: "rpd", type: "number", min: 1, value: v.rpd ?? "" })),
    el("label", {}, "Expires (local time, empty = never)", el("input", { name: "expires_at", type: "datetime-local",
      value: v.expires_at ? isoLocal(new Date(v.expires_at)) : "" })),
  ];
}

function keyBody(form, create) {
  const f = (n) => form.elements[n] ? form.elements[n].value : "";
  const b = { name: f("name"), limit: numOrNull(f("limit")), limit_reset: f("limit_reset") || null,
    rpm: numOrNull(f("rpm")), rpd: numOrNull(f("rpd")), expires_at: f("expires_at") ? toIso(f("expires_at")) : null };
  if (create) {
    b.org_id = f("org_id");
    for (const k of Object.keys(b)) if (b[k] === null) delete b[k];
  }
  return b;
}

async function keys() {
  const r = await get("/keys?include_disabled=true");
  state.keyNames = new Map(r.data.map((k) => [k.hash, k.name]));
  const created = el("div", { id: "key-created" });
  const rows = r.data.map((k) => el("tr", { "data-hash": k.hash },
    td(k.name), td(el("code", {}, k.label)), td(orgName(k.org_id)),
    td(el("span", { class: "pill " + (k.disabled ? "bad" : "good") }, k.disabled ? "disabled" : "active")),
    td(usd(k.usage_daily) + " / " + usd(k.usage_monthly) + " / " + usd(k.usage), 1),
    td(k.limit === null ? "none" : usd(k.limit) + (k.limit_reset ? " " + k.limit_reset : "") + " · " + usd(k.limit_remaining) + " left", 1),
    td((k.rpm ? nf.format(k.rpm) + "/min" : "–") + " · " + (k.rpd ? nf.format(k.rpd) + "/day" : "–")),
    td(time(k.expires_at)), td(time(k.created_at)),
    td(el("span", { class: "row" },
      button("Edit", () => editKey(k), "plain"),
      button(k.disabled ? "Enable" : "Disable", () => toggleKey(k), "plain"),
      button("Delete", () => deleteKey(k), "danger")))));
  return [
    el("div", { class: "row" }, el("h1", {}, "Keys"), el("span", { class: "spacer" }),
      button("Create key", createKey, null)),
    created,
    card(null, table(["Name", "Key", "Org", "State", { label: "Spend today / month / total", num: 1 },
      { label: "Limit", num: 1 }, "Rate limits", "Expires", "Created", ""], rows, { id: "keys-table", empty: "No keys." })),
  ];
}

async function createKey() {
  const r = await modal("Create an API key", keyFields(null), "Create",
    (form) => api("POST", "/keys", keyBody(form, true)));
  if (r) await showCreated(r);
}

async function showCreated(r) {
  await route();
  const secret = el("code", { id: "new-key" }, r.key);
  const copy = button("Copy", async () => {
    if (await attempt(() => navigator.clipboard.writeText(r.key).then(() => true))) toast("Copied");
  });
  $("key-created").replaceChildren(card("Key created: " + r.data.name,
    el("p", { class: "warn" }, "Copy it now: it is shown only once."),
    el("div", { class: "secret" }, secret, copy)));
}

async function editKey(k) {
  if (await modal("Edit key " + k.name, keyFields(k), "Save",
    (form) => api("PATCH", "/keys/" + k.hash, keyBody(form, false)))) {
    toast("Saved");
    route();
  }
}

async function toggleKey(k) {
  const r = await attempt(() => api("PATCH", "/keys/" + k.hash, { disabled: !k.disabled }));
  if (r) { toast(k.disabled ? "Enabled" : "Disabled"); route(); }
}

async function deleteKey(k) {
  if (await modal("Delete key " + k.name + "?",
    el("p", {}, "Requests with this key will be refused. This cannot be undone."), "Delete",
    () => api("DELETE", "/keys/" + k.hash), true)) {
    toast("Deleted");
    route();
  }
}

/* ---- orgs, credits, budgets ------------------------------------------------------------------- */

async function orgs() {
  await loadNames();
  const out = [el("div", { class: "row" }, el("h1", {}, "Orgs, credits and budgets"), el("span", { class: "spacer" }),
    isGlobal() ? button("Create org", createOrg) : null)];
  const money = await Promise.all(state.orgs.map((o) => Promise.all([get("/orgs/" + o.id + "/credits"),
    get("/orgs/" + o.id + "/ledger"), get("/orgs/" + o.id + "/budgets")])));
  state.orgs.forEach((o, i) => {
    const [c, l, b] = money[i];
    const cr = c.data;
    const err = el("p", { class: "error" });
    const topup = el("form", { class: "row topup" },
      el("label", {}, "Amount (USD; negative = refund)", el("input", { name: "amount", type: "number", step: "any", required: true })),
      el("label", {}, "Note", el("input", { name: "note" })),
      el("button", { type: "submit" }, "Post"));
    on(topup, "submit", async (e) => {
      e.preventDefault();
      const body = { amount: Number(topup.elements.amount.value) };
      if (topup.elements.note.value) body.note = topup.elements.note.value;
      if (await attempt(() => api("POST", "/orgs/" + o.id + "/credits", body), err)) { toast("Posted"); route(); }
    });
    const budgetForm = el("form", { class: "row" },
      el("label", {}, "Period", el("select", { name: "period" }, ["daily", "weekly", "monthly", "lifetime"].map((p) => el("option", { value: p }, p)))),
      el("label", {}, "Limit (USD)", el("input", { name: "limit", type: "number", min: 0, step: "any", required: true })),
      el("button", { type: "submit", class: "plain" }, "Set budget"));
    on(budgetForm, "submit", async (e) => {
      e.preventDefault();
      const p = budgetForm.elements.period.value;
      if (await attempt(() => api("PUT", "/orgs/" + o.id + "/budgets/" + p, { limit_usd: Number(budgetForm.elements.limit.value) }), err)) { toast("Budget set"); route(); }
    });
    out.push(el("section", { class: "card org", "data-org": o.id },
      el("h2", {}, o.name), el("p", { class: "muted" }, o.id + " · " + cr.billing + " · created ", time(o.created_at)),
      el("dl", { class: "credits" },
        el("dt", {}, "Credits"), el("dd", { class: "total-credits" }, usd(cr.total_credits)),
        el("dt", {}, "Used"), el("dd", {}, usd(cr.total_usage) + " (" + usd(cr.debits_pending) + " reserved)"),
        el("dt", {}, "Balance"), el("dd", { class: "balance" }, usd(cr.balance))),
      budgetBar("Credits used (spent + reserved)", cr.total_usage, cr.total_credits),
      b.data.map((bu) => budgetBar(bu.period + " budget", bu.spent_usd + bu.pending_usd, bu.limit_usd,
        bu.resets_at ? " · resets " + new Date(bu.resets_at).toLocaleString() : "")),
      /* money is the operator's: an org's own key reads it but does not post it */
      isGlobal() ? [topup, budgetForm, err] : null,
      el("details", {}, el("summary", {}, "Ledger (" + l.data.length + " entries)"),
        table(["Time", { label: "Amount", num: 1 }, { label: "Credits after", num: 1 }, "Note"],
          l.data.slice().reverse().map((e) => el("tr", {}, td(time(e.created_at)), td(usd(e.amount), 1),
            td(usd(e.credits_after), 1), td(e.note || "")))))));
  });
  out.after = () => applyBars($("page"));
  return out;
}

async function createOrg() {
  if (await modal("Create an org", [el("label", {}, "Name", el("input", { name: "name", required: true }))],
    "Create", (form) => api("POST", "/orgs", { name: form.elements.name.value }))) route();
}

/* ---- providers and models ------------------------------------------------------------------------ */

function perMillion(p) { return p === undefined || p === null ? "–" : "$" + (Number(p) * 1e6).toLocaleString(undefined, { maximumFractionDigits: 4 }) + "/M tok"; }

async function providers() {
  const [p, m, s] = await Promise.all([get("/providers"), get("/models"), get("/endpoint-stats")]);
  const health = new Map();
  for (const st of s.data) for (const e of st.endpoints) health.set(st.model + " " + e.provider, e);
  const provRows = p.data.map((v) => {
    const cred = isGlobal() ? button(v.has_api_key ? "Replace credential" : "Set credential", async () => {
      if (await modal("Credential for " + v.slug, [el("p", { class: "muted" }, "Write-only: it is sealed under the KEK and never shown again."),
        el("label", {}, "API key", el("input", { name: "api_key", type: "password", autocomplete: "off", required: true }))], "Save",
        (form) => api("PATCH", "/providers/" + v.slug, { api_key: form.elements.api_key.value }))) {
        toast("Credential saved");
        route();
      }
    }, "plain") : null;
    return el("tr", {}, td(v.slug), td(v.name || ""), td(v.adapter), td(el("code", {}, v.base_url)),
      td(el("span", { class: "pill " + (v.has_api_key ? "good" : "bad") }, v.has_api_key ? "credential set" : "no credential")),
      td(v.data_collection || "allow"), td(cred));
  });
  const modelRows = [];
  for (const mo of m.data) {
    for (const e of mo.endpoints) {
      const h = health.get(mo.id + " " + e.provider);
      modelRows.push(el("tr", {}, td(mo.id), td(e.provider + (e.tag ? " (" + e.tag + ")" : "")), td(e.provider_model_id),
        td(perMillion(e.pricing.prompt), 1), td(perMillion(e.pricing.completion), 1),
        td(h && h.uptime_30m !== null ? h.uptime_30m.toFixed(1) + " %" : "–", 1),
        td(ms(h && h.latency_ms ? h.latency_ms.p50 : null), 1),
        td(h ? el("span", { class: "pill " + (h.degraded ? "bad" : "good") }, h.degraded ? "ejected" : "serving") : el("span", { class: "muted" }, "no data"))));
    }
  }
  return [el("h1", {}, "Providers and models"),
    card("Providers", table(["Slug", "Name", "Adapter", "Base URL", "Credential", "Data collection", ""], provRows, { id: "providers-table" })),
    card("Models and endpoints (health over the last 30 minutes)",
      table(["Model", "Provider", "Provider model", { label: "Prompt", num: 1 }, { label: "Completion", num: 1 },
        { label: "Uptime", num: 1 }, { label: "p50 first token", num: 1 }, "Routing"], modelRows, { id: "models-table" }))];
}

/* ---- start -------------------------------------------------------------------------------------- */

function setTheme(t) {
  if (t) document.documentElement.dataset.theme = t;
  else delete document.documentElement.dataset.theme;
}

document.addEventListener("DOMContentLoaded", () => {
  setTheme(localStorage.getItem("switchyard.theme"));
  on($("theme"), "click", () => {
    const dark = document.documentElement.dataset.theme === "dark" ||
      (!document.documentElement.dataset.theme && matchMedia("(prefers-color-scheme: dark)").matches);
    const t = dark ? "light" : "dark";
    localStorage.setItem("switchyard.theme", t);
    setTheme(t);
    route();
  });
  on($("signout"), "click", () => signOut(""));
  on($("signin-form"), "submit", async (e) => {
    e.preventDefault();
    const key = $("signin-key").value.trim();
    $("signin-error").textContent = "";
    try {
      await signIn(key);
      $("signin-key").value = "";
    } catch (err) {
      $("signin-error").textContent = err.status === 401
        ? "This key was not accepted. Use a management key (sk-sy-mgmt-v1-…), not an API key. (" + err.message + ")"
        : "Sign-in failed: " + err.message;
    }
  });
  window.addEventListener("hashchange", route);
  const saved = sessionStorage.getItem(KEY_SLOT);
  if (saved) signIn(saved).catch((e) => signOut("Sign in again: " + e.message));
});
