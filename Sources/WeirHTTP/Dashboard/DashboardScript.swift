/// The dashboard's script (see `DashboardPage`): job list and cluster view polled from the API,
/// the chosen job's windows pushed by `GET /v1/jobs/{job}/rollups/stream` (Server-Sent Events),
/// and the "why is there no output?" findings from `GET /v1/jobs/{job}/diagnosis`. Values are
/// put into the page as text nodes only (group values are user data), and every cell carries
/// its raw value in a `data-*` attribute so tests can compare the page with the API.
enum DashboardScript {
    static let js = #"""
"use strict";
const state = { job: null, column: null, source: null, windows: new Map(), facts: null, columns: [], groupBy: [] };
const CHART_WINDOWS = 30;

// With --auth-tokens the API needs a read token: from ?access_token= or #token= in the address,
// or typed in once; kept for this browser tab only.
const hashParams = new URLSearchParams(location.hash.slice(1));
const givenToken = new URLSearchParams(location.search).get("access_token") || hashParams.get("token");
if (givenToken) sessionStorage.setItem("weir-token", givenToken);
function token() { return sessionStorage.getItem("weir-token"); }
function withToken(url) { const t = token(); return t ? url + (url.includes("?") ? "&" : "?") + "access_token=" + encodeURIComponent(t) : url; }
function askForToken(message) {
  if (document.getElementById("token-form")) return;
  const input = el("input", { type: "password", placeholder: "read token", id: "token-input" });
  const form = el("form", { id: "token-form", class: "card" }, el("b", {}, message + " "), input, el("button", { type: "submit" }, "use token"));
  form.onsubmit = ev => { ev.preventDefault(); sessionStorage.setItem("weir-token", input.value); location.reload(); };
  document.body.prepend(form);
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v; else if (k === "onclick") node.onclick = v; else node.setAttribute(k, String(v));
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(c == null ? "" : String(c)));
  return node;
}
function iso(ms) { return ms == null ? "—" : new Date(ms).toISOString().replace(".000Z", "Z"); }
function fmt(v) {
  if (v == null) return "—";
  if (typeof v === "number") return Number.isInteger(v) ? v.toLocaleString("en-US") : v.toLocaleString("en-US", { maximumFractionDigits: 3 });
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}
function duration(ms) {
  if (ms == null) return "—";
  if (ms < 1000) return ms + " ms";
  if (ms < 60000) return (ms / 1000).toFixed(1) + " s";
  return Math.floor(ms / 60000) + " min " + Math.round((ms % 60000) / 1000) + " s";
}
async function getJSON(path) {
  const r = await fetch(withToken(path), { headers: { "Accept": "application/json" } });
  if (r.status === 401 || r.status === 403) askForToken("This coordinator needs a read token.");
  if (!r.ok) throw new Error(path + ": HTTP " + r.status);
  return r.json();
}
function setConn(live) {
  const b = document.getElementById("conn");
  b.textContent = live ? "live" : "offline";
  b.className = live ? "badge live" : "badge";
}

// ---- jobs ----
async function refreshJobs() {
  try {
    const data = await getJSON("/v1/jobs");
    const list = document.getElementById("jobs");
    list.replaceChildren(...data.jobs.map(j => el("li", { "data-job": j.name, class: j.name === state.job ? "selected" : "", onclick: () => selectJob(j.name) },
      j.name, el("div", { class: "muted" }, "stream " + j.stream))));
    const wanted = hashParams.get("job") || "";
    if (!state.job && data.jobs.length) selectJob(data.jobs.some(j => j.name === wanted) ? wanted : data.jobs[0].name);
    if (!data.jobs.length) document.getElementById("job-name").textContent = "No jobs yet: weir submit jobs/clicks-per-page.yaml";
  } catch (e) { setConn(false); }
}

function selectJob(name) {
  state.job = name;
  state.windows = new Map();
  state.facts = null;
  location.hash = "job=" + encodeURIComponent(name);
  document.getElementById("job-name").textContent = name;
  for (const li of document.querySelectorAll("#jobs li")) li.className = li.dataset.job === name ? "selected" : "";
  connect();
  refreshDiagnosis();
}

// ---- push: windows and facts ----
function connect() {
  if (state.source) state.source.close();
  let url = "/v1/jobs/" + encodeURIComponent(state.job) + "/rollups/stream?last=10m&top=10";
  if (state.column && state.column !== "groups") url += "&by=" + encodeURIComponent(state.column);
  const source = new EventSource(withToken(url));
  state.source = source;
  source.onopen = () => setConn(true);
  source.onerror = () => setConn(false);
  source.addEventListener("facts", ev => { state.facts = JSON.parse(ev.data); renderFacts(); });
  const onWindow = ev => {
    const w = JSON.parse(ev.data);
    state.windows.set(w.start, w);
    const keys = [...state.windows.keys()].sort((a, b) => a - b);
    while (keys.length > 200) state.windows.delete(keys.shift());
    if (w.rows.length) {
      state.groupBy = Object.keys(w.rows[0].group);
      state.columns = Object.keys(w.rows[0].values);
    }
    scheduleRender();
  };
  source.addEventListener("update", onWindow);
  source.addEventListener("final", onWindow);
  source.addEventListener("error", ev => { if (ev.data) { const e = JSON.parse(ev.data); document.getElementById("job-name").textContent = state.job + " — " + e.error.message; } });
}

let renderPending = false;
function scheduleRender() {
  if (renderPending) return;
  renderPending = true;
  const render = () => { if (!renderPending) return; renderPending = false; renderColumns(); renderChart(); renderTopN(); renderFacts(); };
  requestAnimationFrame(render);
  setTimeout(render, 250);  // background tabs get no animation frames
}

function chartable() {
  const latest = [...state.windows.values()].pop();
  const names = latest ? Object.keys(latest.totals) : [];
  return names.concat(["groups"]);
}

function renderColumns() {
  const select = document.getElementById("column");
  const names = chartable();
  if (!state.column || !names.includes(state.column)) state.column = names[0];
  if ([...select.options].map(o => o.value).join() !== names.join()) {
    select.replaceChildren(...names.map(n => el("option", { value: n }, n === "groups" ? "groups (count)" : n + " (total)")));
  }
  select.value = state.column;
}
document.getElementById("column").onchange = ev => { state.column = ev.target.value; connect(); scheduleRender(); };

function windowValue(w) { return state.column === "groups" ? w.groups : w.totals[state.column]; }

function renderChart() {
  const windows = [...state.windows.values()].sort((a, b) => a.start - b.start).slice(-CHART_WINDOWS);
  const box = document.getElementById("chart");
  document.getElementById("chart-caption").textContent = state.column ? "— " + (state.column === "groups" ? "groups per window" : state.column + " summed over all groups") : "";
  if (!windows.length) { box.replaceChildren(el("p", { class: "muted" }, "No windows yet.")); return; }
  const W = 900, H = 220, pad = 40, bw = (W - pad - 10) / Math.max(windows.length, 12);
  const values = windows.map(w => Number(windowValue(w) ?? 0));
  const max = Math.max(1, ...values);
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${W} ${H + 20}`);
  svg.setAttribute("width", "100%");
  const text = (x, y, s, anchor) => { const t = document.createElementNS(ns, "text"); t.setAttribute("x", x); t.setAttribute("y", y); if (anchor) t.setAttribute("text-anchor", anchor); t.textContent = s; svg.append(t); };
  text(pad - 4, 12, fmt(max), "end");
  text(pad - 4, H, "0", "end");
  windows.forEach((w, i) => {
    const v = values[i], h = (v / max) * (H - 20);
    const r = document.createElementNS(ns, "rect");
    r.setAttribute("x", pad + i * bw + 1); r.setAttribute("y", H - h); r.setAttribute("width", Math.max(1, bw - 2)); r.setAttribute("height", h);
    r.setAttribute("class", w.final ? "final" : "open");
    r.setAttribute("data-start", w.start); r.setAttribute("data-value", v); r.setAttribute("data-final", w.final);
    const title = document.createElementNS(ns, "title");
    title.textContent = `${iso(w.start)} … ${iso(w.end)}: ${fmt(v)}${w.final ? " (final)" : " (open)"}`;
    r.append(title);
    svg.append(r);
  });
  text(pad, H + 14, iso(windows[0].start));
  text(W - 10, H + 14, iso(windows[windows.length - 1].end), "end");
  box.replaceChildren(svg);
}

function renderTopN() {
  const table = document.getElementById("topn");
  const finals = [...state.windows.values()].filter(w => w.final).sort((a, b) => a.start - b.start);
  const latest = finals.pop();
  const caption = document.getElementById("topn-caption");
  if (!latest) {
    caption.textContent = "";
    table.tHead.replaceChildren();
    table.tBodies[0].replaceChildren(el("tr", {}, el("td", { class: "muted" }, "No final window yet.")));
    return;
  }
  table.dataset.start = latest.start;
  caption.textContent = `${iso(latest.start)} … ${iso(latest.end)}, ${fmt(latest.groups)} groups`;
  const groupBy = latest.rows.length ? Object.keys(latest.rows[0].group) : state.groupBy;
  const columns = latest.rows.length ? Object.keys(latest.rows[0].values) : state.columns;
  table.tHead.replaceChildren(el("tr", {}, ...groupBy.map(g => el("th", {}, g)), ...columns.map(c => el("th", {}, c))));
  table.tBodies[0].replaceChildren(...latest.rows.map(r => el("tr", {},
    ...groupBy.map(g => el("td", { "data-field": g, "data-value": JSON.stringify(r.group[g]) }, fmt(r.group[g]))),
    ...columns.map(c => el("td", { class: "num", "data-field": c, "data-value": JSON.stringify(r.values[c]) }, fmt(r.values[c]))))));
}

function renderFacts() {
  const f = state.facts;
  if (!f) return;
  const newest = [...state.windows.values()].sort((a, b) => a.start - b.start).pop();
  const fact = (name, label, value, raw) => el("span", { class: "fact", "data-fact": name, "data-value": raw === undefined ? JSON.stringify(value) : raw }, el("b", {}, label), fmt(value));
  document.getElementById("facts").replaceChildren(
    fact("watermark", "watermark", iso(f.watermark), JSON.stringify(f.watermark)),
    fact("complete", "all partitions answered", f.complete ? "yes" : "no — missing " + f.partitions_missing.join(", "), JSON.stringify(f.complete)),
    fact("newest_final", "newest window", newest ? (newest.final ? "final" : "open") : "—", newest ? JSON.stringify(newest.final) : "null"),
    fact("accepted", "events added", f.events.accepted),
    fact("late", "late", f.events.late),
    fact("rejected", "rejected", f.events.rejected),
    fact("filtered", "filtered", f.events.filtered),
    fact("behind", "not yet processed", f.events.behind),
    fact("uncommitted", "not yet checkpointed", f.events.uncommitted));
}

// ---- why is there no output ----
async function refreshDiagnosis() {
  if (!state.job) return;
  try {
    const d = await getJSON("/v1/jobs/" + encodeURIComponent(state.job) + "/diagnosis");
    if (d.job !== state.job) return;
    document.getElementById("why").replaceChildren(...d.findings.map(f => el("li", { class: f.level, "data-code": f.code }, f.message)));
  } catch (e) { /* the job may just have been cancelled; the job list will tell */ }
}

// ---- cluster ----
async function refreshCluster() {
  try {
    const c = await getJSON("/v1/cluster");
    setConn(true);
    const lag = c.partitions.reduce((s, p) => s + p.lag, 0);
    document.getElementById("summary").textContent =
      `${c.workers.length} workers · ${c.partitions.length} partitions · ${fmt(c.events.accepted)} events accepted · lag ${fmt(lag)}`;
    const fact = (name, label, value) => el("span", { class: "fact", "data-fact": name, "data-value": JSON.stringify(value) }, el("b", {}, label), fmt(value));
    const last = xs => xs.length ? xs[xs.length - 1] : null;
    document.getElementById("cluster-facts").replaceChildren(
      fact("accepted", "events accepted", c.events.accepted), fact("rejected", "rejected", c.events.rejected),
      fact("checkpoints", "checkpoints committed", c.checkpoints.committed), fact("stale", "stale writes refused", c.checkpoints.stale_writes_refused),
      fact("failover", "last failover (ms)", last(c.failovers_ms)), fact("handoff", "last handoff (ms)", last(c.handoffs_ms)));
    document.querySelector("#cluster-workers tbody").replaceChildren(...c.workers.map(w => el("tr", { "data-worker": w.name },
      el("td", {}, w.name + (w.leaving ? " (leaving)" : "")),
      el("td", { class: w.healthy ? "" : "unhealthy", "data-field": "healthy", "data-value": w.healthy }, w.healthy ? "healthy" : "UNHEALTHY: " + w.problem),
      el("td", { "data-field": "partitions", "data-value": w.partitions.length }, w.partitions.length + " (" + w.partitions.join(", ") + ")"))));
    document.querySelector("#cluster-partitions tbody").replaceChildren(...c.partitions.map(p => el("tr", { "data-partition": p.partition },
      el("td", {}, p.partition),
      el("td", { "data-field": "holder", "data-value": p.holder ?? "" }, (p.holder ?? "— none —") + (p.revoking ? " (moving)" : "")),
      el("td", { class: "num", "data-field": "epoch", "data-value": p.epoch }, p.epoch),
      el("td", { "data-field": "standby", "data-value": p.standby ?? "" }, p.standby ?? "—"),
      el("td", { class: "num", "data-field": "log_end", "data-value": p.log_end }, fmt(p.log_end)),
      el("td", { class: "num", "data-field": "lag", "data-value": p.lag }, fmt(p.lag)),
      el("td", { class: "num", "data-field": "checkpoint", "data-value": p.checkpoint.seq }, p.checkpoint.seq ? "#" + p.checkpoint.seq : "none"),
      el("td", { class: "num", "data-field": "checkpoint_age", "data-value": p.checkpoint.age_ms ?? "" }, duration(p.checkpoint.age_ms)),
      el("td", { "data-field": "idle", "data-value": p.idle }, p.idle ? "idle " + duration(p.idle_ms) : p.idle_ms == null ? (p.log_end ? "no events lately" : "no events") : "active"))));
  } catch (e) { setConn(false); }
}

refreshJobs();
refreshCluster();
setInterval(refreshJobs, 5000);
setInterval(refreshCluster, 2000);
setInterval(refreshDiagnosis, 2000);
setInterval(renderFacts, 2000);
"""#
}
