// The Expt dashboard: one page application over the JSON API. Pages are drawn with DOM calls (never innerHTML
// with data, so names and logs cannot inject markup); charts are uPlot canvases and small SVGs.
"use strict";

const STATUSES = ["pending", "running", "completed", "failed", "timeout", "cancelled"];
const COLORS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#ca8a04", "#db2777", "#4b5563", "#65a30d"];
const main = () => document.getElementById("main");
let session = { actions: false, csrf: null };
let current = { refresh: null, live: null };
// What an action answered, shown on the page drawn after it (the action changes what the page shows), and on
// redraws of that page for a few seconds: the live feed may redraw it again at once, for the same change.
let flash = null;
function setFlash(message) { flash = { message, path: location.pathname, until: Date.now() + 10_000 }; }
function takeFlash() { return flash && flash.path === location.pathname && Date.now() < flash.until ? h("div", { class: "notice" }, flash.message) : null; }
// Which drawing of the page is the newest: a page still waiting for an answer when a newer one started stops there.
let generation = 0;

// ---------- helpers ----------
// Replaces an element's children, skipping null/false (the DOM would print them as text).
function put(el, ...children) {
  el.replaceChildren(...children.flat(Infinity).filter(c => c !== null && c !== undefined && c !== false).map(c => c instanceof Node ? c : document.createTextNode(String(c))));
}
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k === "style") el.style.cssText = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}
const svgNs = "http://www.w3.org/2000/svg";
function s(tag, attrs, ...children) {
  const el = document.createElementNS(svgNs, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== null && v !== undefined) el.setAttribute(k, v);
  for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}
async function api(path, options) {
  const r = await fetch(path, Object.assign({ headers: { Accept: "application/json" } }, options || {}));
  const body = r.headers.get("content-type")?.includes("json") ? await r.json() : await r.text();
  if (!r.ok) throw new Error(body && body.error ? body.error : `${r.status} ${r.statusText}`);
  return body;
}
async function post(path) {
  return api(path, { method: "POST", headers: { "X-Expt-Csrf": session.csrf || "", Accept: "application/json" } });
}
function fmt(v) {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") {
    if (Number.isInteger(v)) return String(v);
    const a = Math.abs(v);
    return a !== 0 && (a < 1e-3 || a >= 1e6) ? v.toExponential(3) : String(+v.toPrecision(5));
  }
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}
function secs(v) {
  if (v === null || v === undefined) return "";
  if (v < 1) return `${Math.round(v * 1000)}ms`;
  if (v < 90) return `${v.toFixed(v < 10 ? 2 : 1)}s`;
  if (v < 5400) return `${(v / 60).toFixed(1)}m`;
  return `${(v / 3600).toFixed(1)}h`;
}
function when(t) { return t ? new Date(t).toLocaleString() : ""; }
function badge(status) { return h("span", { class: `badge ${status}` }, status); }
function statusBar(counts, total) {
  return h("div", { class: "bar", title: STATUSES.filter(x => counts[x]).map(x => `${counts[x]} ${x}`).join(", ") },
    STATUSES.filter(x => counts[x]).map(x => h("span", { class: x, style: `width:${(100 * counts[x] / Math.max(1, total)).toFixed(2)}%` })));
}
function countsText(counts) { return STATUSES.filter(x => counts[x]).map(x => `${counts[x]} ${x}`).join(" · "); }
function crumbs(...items) {
  const nav = document.getElementById("crumbs");
  put(nav, ...items.map(([text, href]) => href ? h("a", { href }, text) : h("span", {}, text)));
}
function link(href, text) { return h("a", { href, onclick: e => { if (e.ctrlKey || e.metaKey) return; e.preventDefault(); go(href); } }, text); }
function go(href) { history.pushState(null, "", href); route(); }
function params() { return new URLSearchParams(location.search); }
function setParams(changes, replace = true) {
  const p = params();
  for (const [k, v] of Object.entries(changes)) { if (v === null || v === undefined || v === "") p.delete(k); else p.set(k, v); }
  const url = location.pathname + (p.toString() ? "?" + p : "");
  replace ? history.replaceState(null, "", url) : history.pushState(null, "", url);
}
function fail(el, e) { put(el, h("div", { class: "error" }, e.message || String(e))); }
function select(options, value, onchange, attrs) {
  return h("select", Object.assign({ onchange: e => onchange(e.target.value) }, attrs || {}),
    options.map(o => Array.isArray(o) ? h("option", { value: o[0], selected: o[0] === value }, o[1]) : h("option", { value: o, selected: o === value }, o)));
}
function card(title, ...body) { return h("section", { class: "card" }, title ? h("h2", {}, title) : null, body); }

// ---------- live updates ----------
function live(study) {
  if (current.live) current.live.close();
  const el = document.getElementById("live");
  const source = new EventSource("/api/live" + (study ? "?study=" + encodeURIComponent(study) : ""));
  let timer = null;
  source.onopen = () => { el.className = "live on"; el.textContent = "live"; };
  source.onerror = () => { el.className = "live"; el.textContent = "reconnecting…"; };
  source.addEventListener("change", () => {
    // Coalesce bursts: at most one refresh a second.
    if (timer) return;
    timer = setTimeout(() => { timer = null; if (current.refresh) current.refresh(); }, 1000);
  });
  current.live = source;
}

// ---------- charts ----------
// Lines on a shared x axis: each series {label, x, y, band?: {lo, hi}} (x may differ between series: joined).
function lineChart(el, title, series, opts) {
  put(el);
  if (!series.length || series.every(x => !x.x.length)) { el.append(h("p", { class: "muted" }, "no points")); return null; }
  const tables = [], specs = [{}], bands = [];
  let column = 1;
  series.forEach((x, i) => {
    const color = COLORS[i % COLORS.length];
    const ys = [x.y];
    specs.push({ label: x.label, stroke: color, width: 1.5, spanGaps: true, points: { show: false } });
    if (x.band) {
      ys.push(x.band.lo, x.band.hi);
      specs.push({ label: "−std", stroke: color + "33", width: 1, spanGaps: true, points: { show: false } });
      specs.push({ label: "+std", stroke: color + "33", width: 1, spanGaps: true, points: { show: false } });
      bands.push({ series: [column + 2, column + 1], fill: color + "22" });
    }
    tables.push([x.x, ...ys]);
    column += ys.length;
  });
  const data = tables.length === 1 ? tables[0] : uPlot.join(tables);
  const width = Math.max(320, el.clientWidth || el.parentElement.clientWidth - 10);
  const chart = new uPlot({
    title, width, height: (opts && opts.height) || 300, series: specs, bands,
    scales: { x: { time: false } }, legend: { show: !bands.length && series.length <= 12 },
    axes: [{ label: (opts && opts.xLabel) || "step" }, {}],
    cursor: { drag: { x: true, y: false } },
  }, data, el);
  if (bands.length && series.length <= 24) {
    // uPlot's legend would list each band's edges too: a plain one, a swatch per group.
    el.append(h("div", { class: "legend" }, series.map((x, i) => h("span", {}, h("i", { style: `background:${COLORS[i % COLORS.length]}` }), x.label))));
  }
  return chart;
}

function axisTicks(min, max, n) {
  if (!(isFinite(min) && isFinite(max))) return [];
  if (min === max) return [min];
  const step = Math.pow(10, Math.floor(Math.log10((max - min) / n)));
  const err = (max - min) / n / step;
  const nice = step * (err >= 7.5 ? 10 : err >= 3.5 ? 5 : err >= 1.5 ? 2 : 1);
  const out = [];
  for (let v = Math.ceil(min / nice) * nice; v <= max + nice * 1e-9; v += nice) out.push(+v.toPrecision(12));
  return out;
}

// Parameters swept over orders of magnitude (learning rates...) read best on a log axis.
function logScale(min, max) { return min > 0 && max / min >= 50; }

// A final metric against one parameter: one dot per trial (categories spread a little so replicates show).
function scatterChart(el, d) {
  put(el);
  if (!d.points.length) { el.append(h("p", { class: "muted" }, "no completed trials with this metric yet")); return; }
  const W = Math.max(360, el.clientWidth || 600), H = 300, L = 60, R = 16, T = 12, B = 40;
  const xs = d.points.map(p => p.x), ys = d.points.map(p => p.y).filter(v => v !== null);
  const cat = d.categories;
  const log = !cat && logScale(Math.min(...xs), Math.max(...xs));
  const tx = v => log ? Math.log10(v) : v;
  let x0 = cat ? -0.5 : tx(Math.min(...xs)), x1 = cat ? cat.length - 0.5 : tx(Math.max(...xs));
  if (log) { x0 -= 0.15; x1 += 0.15; }
  let y0 = Math.min(...ys), y1 = Math.max(...ys);
  if (x0 === x1) { x0 -= 1; x1 += 1; } if (y0 === y1) { y0 -= 1; y1 += 1; }
  const px = v => L + (v - x0) / (x1 - x0) * (W - L - R), py = v => T + (1 - (v - y0) / (y1 - y0)) * (H - T - B);
  const svg = s("svg", { width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": `${d.metric} against ${d.param}` });
  svg.append(s("line", { x1: L, y1: H - B, x2: W - R, y2: H - B, stroke: "#999" }), s("line", { x1: L, y1: T, x2: L, y2: H - B, stroke: "#999" }));
  for (const t of axisTicks(y0, y1, 5)) svg.append(s("text", { x: L - 6, y: py(t) + 4, "text-anchor": "end", "font-size": 11 }, fmt(t)), s("line", { x1: L, x2: W - R, y1: py(t), y2: py(t), stroke: "#eee" }));
  const xt = cat ? cat.map((c, i) => [i, c])
    : log ? axisTicks(Math.ceil(x0), Math.floor(x1), 8).filter(Number.isInteger).map(t => [t, fmt(Math.pow(10, t))])
    : axisTicks(x0, x1, 6).map(t => [t, fmt(t)]);
  for (const [v, label] of xt) svg.append(s("text", { x: px(v), y: H - B + 16, "text-anchor": "middle", "font-size": 11 }, label));
  svg.append(s("text", { x: (L + W - R) / 2, y: H - 4, "text-anchor": "middle", "font-size": 12, fill: "#555" }, d.param + (log ? " (log scale)" : "")));
  const g = s("g", { fill: COLORS[0], "fill-opacity": 0.55 });
  d.points.forEach((p, i) => {
    if (p.y === null || p.x === null) return;
    const jitter = cat ? ((i * 0.6180339887) % 1 - 0.5) * 0.3 : 0;
    const c = s("circle", { cx: px(tx(p.x) + jitter).toFixed(1), cy: py(p.y).toFixed(1), r: 3 });
    c.append(s("title", {}, `${p.id}: ${d.metric} = ${fmt(p.y)}`));
    c.addEventListener("click", () => go("/trials/" + p.id));
    g.append(c);
  });
  svg.append(g);
  el.append(svg);
}

// Parallel coordinates: one vertical axis per varying parameter and the metric; a line per trial, coloured from
// best (blue) to worst (red).
function parallelChart(el, d) {
  put(el);
  if (!d.lines.length || d.axes.length < 2) { el.append(h("p", { class: "muted" }, "needs completed trials and at least one varying parameter")); return; }
  const W = Math.max(420, el.clientWidth || 700), H = 320, T = 24, B = 30, L = 50, R = 60;
  const n = d.axes.length, gap = (W - L - R) / (n - 1);
  const svg = s("svg", { width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "parallel coordinates" });
  // The metric's axis stays linear (its colour scale is); parameter axes follow the scatter chart's log rule.
  d.axes.forEach((a, i) => { a.log = i < n - 1 && !a.categories && logScale(a.min, a.max); });
  const pos = (a, v) => {
    if (v === null || v === undefined) return null;
    const f = a.log ? Math.log10 : x => x;
    const lo = a.categories ? -0.5 : f(a.min), hi = a.categories ? a.categories.length - 0.5 : f(a.max);
    return T + (1 - (hi === lo ? 0.5 : (f(v) - lo) / (hi - lo))) * (H - T - B);
  };
  const m = d.axes[n - 1];
  const g = s("g", { fill: "none", "stroke-opacity": Math.max(0.08, Math.min(0.6, 40 / d.lines.length)), "stroke-width": 1.2 });
  for (const line of d.lines) {
    const v = line.v[n - 1];
    let t = m.max === m.min ? 0.5 : (v - m.min) / (m.max - m.min);
    if (d.goal === "max") t = 1 - t;
    const color = `hsl(${Math.round(220 - 220 * t)},75%,45%)`;
    const pts = line.v.map((v, i) => { const y = pos(d.axes[i], v); return y === null ? null : `${(L + i * gap).toFixed(1)},${y.toFixed(1)}`; }).filter(Boolean);
    const p = s("polyline", { points: pts.join(" "), stroke: color });
    p.append(s("title", {}, line.id));
    g.append(p);
  }
  svg.append(g);
  d.axes.forEach((a, i) => {
    const x = L + i * gap;
    svg.append(s("line", { x1: x, x2: x, y1: T, y2: H - B, stroke: "#333" }));
    svg.append(s("text", { x, y: H - 8, "text-anchor": "middle", "font-size": 12, "font-weight": i === n - 1 ? 700 : 400 }, a.name + (a.log ? " (log)" : "")));
    const ticks = a.categories ? a.categories.map((c, j) => [j, c])
      : a.log ? axisTicks(Math.ceil(Math.log10(a.min)), Math.floor(Math.log10(a.max)), 6).filter(Number.isInteger).map(t => [Math.pow(10, t), fmt(Math.pow(10, t))])
      : axisTicks(a.min, a.max, 4).map(t => [t, fmt(t)]);
    // Labels sit on the lines: a white outline keeps them legible.
    for (const [v, label] of ticks.slice(0, 12)) svg.append(s("text", { x: x + 5, y: pos(a, v) + 4, "font-size": 11, fill: "#222", stroke: "#fff", "stroke-width": 3, "paint-order": "stroke" }, label));
  });
  el.append(svg);
}

// ---------- pages ----------
async function studiesPage() {
  crumbs(["studies"]);
  document.title = "Expt: studies";
  live(null);
  const root = main();
  const render = async () => {
    const studies = await api("/api/studies");
    if (!studies.length) {
      put(root, card("No studies yet", h("p", {}, "Run one: ", h("code", {}, "expt run examples/quickstart/expt.yaml"), ", then reload.")));
      return;
    }
    const rows = studies.map(st => {
      const best = h("td", { class: "n muted" }, "…");
      api(`/api/studies/${encodeURIComponent(st.name)}/best`).then(b => {
        put(best, b.metric && b.value !== null && b.value !== undefined ? `${b.metric} ${b.goal} ${fmt(b.value)}` : "");
        best.title = b.params || "";
      }).catch(() => put(best, ""));
      return h("tr", { class: "click", onclick: e => { if (!e.target.closest("a")) go("/studies/" + encodeURIComponent(st.name)); } },
        h("td", {}, link("/studies/" + encodeURIComponent(st.name), st.name), st.description ? h("div", { class: "muted" }, st.description) : null),
        h("td", {}, st.tags.join(", ")),
        h("td", {}, statusBar(st.counts, st.total), h("div", { class: "muted" }, countsText(st.counts))),
        h("td", { class: "n" }, st.total),
        h("td", {}, when(st.created)),
        h("td", { class: "n" }, secs(st.duration)),
        best);
    });
    put(root, h("h1", {}, "Studies"), card(null, h("div", { class: "scroll" }, h("table", { id: "studies" },
      h("tr", {}, ["study", "tags", "progress", "trials", "created", "duration", "best"].map(x => h("th", {}, x))), rows))));
  };
  current.refresh = () => render().catch(e => fail(root, e));
  await render();
}

// The study's first declared objective, else its first result: what the summary ranks by default, as the CLI does.
function primaryMetric(study) {
  const declared = (study.objectives || []).map(o => o.metric).find(m => study.metrics.includes(m));
  return declared || study.metrics[0] || "";
}

async function studyPage(name) {
  const root = main(), mine = generation;
  const enc = encodeURIComponent(name);
  let study = await api(`/api/studies/${enc}`);
  if (mine !== generation) return;
  crumbs(["studies", "/"], [name]);
  document.title = `Expt: ${name}`;
  live(name);
  const p = params();
  const state = {
    status: p.get("status") || "", where: p.get("where") || "", q: p.get("q") || "", sort: p.get("sort") || "seq", desc: p.get("desc") === "1",
    page: +(p.get("page") || 1), size: +(p.get("size") || 50), metric: p.get("metric") || primaryMetric(study), by: p.get("by") || "",
    goal: p.get("goal") || "", mode: p.get("mode") || "mean", step: p.get("step") || "", param: p.get("param") || study.varying[0] || study.params[0] || "",
  };
  let pageIds = [];
  const save = () => setParams({ status: state.status, where: state.where, q: state.q, sort: state.sort === "seq" ? "" : state.sort, desc: state.desc ? "1" : "",
    page: state.page > 1 ? state.page : "", size: state.size !== 50 ? state.size : "", metric: state.metric, by: state.by, goal: state.goal, mode: state.mode === "mean" ? "" : state.mode, step: state.step, param: state.param });

  const head = h("div");
  const summaryEl = h("div"), curvesEl = h("div", { class: "chart", id: "curves" }), scatterEl = h("div", { class: "chart", id: "scatter" }), parallelEl = h("div", { class: "chart", id: "parallel" });
  const tableEl = h("div"), notice = h("div"), imagesEl = h("div", { id: "images" }), resourcesEl = h("div"), adaptiveEl = h("div", { id: "adaptive" });
  const adaptiveMode = study.spec && study.spec.adaptive ? study.spec.adaptive.mode : null;

  // An adaptive study: a race's survivors and eliminated points (when and why), or where sequential stopping stands.
  async function renderAdaptive() {
    if (!adaptiveMode) return;
    const a = await api(`/api/studies/${enc}/adaptive`);
    if (!a.mode) return;
    const p = v => v === null || v === undefined ? "" : (v < 1e-4 ? v.toExponential(1) : (+v.toPrecision(3)).toString());
    put(adaptiveEl, h("p", { id: "adaptive-headline" }, a.headline),
      h("div", { class: "scroll", style: "max-height:420px" }, h("table", { id: "adaptive-points" },
        h("tr", {}, ["point", "state", "completed", "trials", `mean ${a.metric || ""}`, "round", "p", "why"].map(x => h("th", {}, x))),
        a.points.map(x => h("tr", { class: `adaptive-${x.state}${x.best ? " best" : ""}` },
          h("td", {}, x.label), h("td", {}, x.status), h("td", { class: "n" }, x.completed), h("td", { class: "n" }, x.trials),
          h("td", { class: "n" }, x.mean === null ? "" : fmt(x.mean)), h("td", { class: "n" }, x.round ?? ""), h("td", { class: "n" }, p(x.p_value)),
          h("td", { class: "muted" }, x.reason || ""))))));
  }
  const curveControls = h("div", { class: "row" }), scatterControls = h("div", { class: "row" }), summaryControls = h("div", { class: "row" });

  function renderHead() {
    const actions = session.actions ? h("div", { class: "row" },
      h("button", { onclick: async () => { const r = await post(`/api/studies/${enc}/retry`); put(notice, h("div", { class: "notice" }, r.message)); refresh(); } }, "Retry failed"),
      h("button", { class: "danger", onclick: async () => { if (!confirm(`Cancel the unfinished trials of ${name}?`)) return; const r = await post(`/api/studies/${enc}/cancel`); put(notice, h("div", { class: "notice" }, r.message)); refresh(); } }, "Cancel study")) : null;
    put(head, 
      h("h1", {}, name), study.description ? h("p", { class: "muted" }, study.description) : null,
      h("div", { class: "row" }, h("div", { style: "width:340px" }, statusBar(study.counts, study.total)), h("span", { id: "counts" }, `${study.total} trials: ${countsText(study.counts)}`),
        study.tags.length ? h("span", { class: "muted" }, "tags: " + study.tags.join(", ")) : null, h("span", { class: "muted" }, `seed ${study.seed} · created ${when(study.created)}`)),
      actions, notice);
  }

  async function renderSummary() {
    if (!study.metrics.length) { put(summaryEl, h("p", { class: "muted" }, "no numeric results yet")); put(summaryControls); return; }
    const d = await api(`/api/studies/${enc}/summary?metric=${encodeURIComponent(state.metric)}&by=${encodeURIComponent(state.by)}&goal=${state.goal}`);
    const byBoxes = study.params.map(x => h("label", {}, h("input", { type: "checkbox", checked: state.by.split(",").includes(x), onchange: e => {
      const set = new Set(state.by.split(",").filter(Boolean)); e.target.checked ? set.add(x) : set.delete(x); state.by = [...set].join(","); save(); renderSummary(); renderCurves(); renderImages(); renderResources(); } }), " ", x));
    put(summaryControls, h("label", {}, "metric ", select(study.metrics, state.metric, v => { state.metric = v; state.goal = ""; save(); renderSummary(); renderScatter(); renderParallel(); })),
      h("span", { class: "toggle" }, ["min", "max"].map(g => h("button", { class: d.goal === g ? "on" : "", onclick: () => { state.goal = g; save(); renderSummary(); } }, g === "min" ? "lower is better" : "higher is better"))),
      h("span", { class: "chips" }, "group by: ", byBoxes.length ? byBoxes : h("span", { class: "muted" }, "(no parameters)")));
    const chosen = new Set();
    const compare = h("button", { disabled: true, onclick: () => go(`/compare?study=${enc}&` + [...chosen].map(g => "g=" + encodeURIComponent(g)).join("&")) }, "Compare selected groups");
    const rows = d.groups.map(g => h("tr", {},
      h("td", {}, h("input", { type: "checkbox", onchange: e => { e.target.checked ? chosen.add(g.where) : chosen.delete(g.where); compare.disabled = chosen.size < 2; } })),
      h("td", { class: "n" }, g.rank ?? ""),
      h("td", {}, h("a", { href: "#", onclick: e => { e.preventDefault(); state.where = g.where; state.page = 1; save(); renderTable(); tableEl.scrollIntoView(); } }, g.label || "(all)")),
      h("td", { class: "n" }, g.n), h("td", { class: "n" }, fmt(g.mean)), h("td", { class: "n" }, g.ci_low === null ? "" : `[${fmt(g.ci_low)}, ${fmt(g.ci_high)}]`),
      h("td", { class: "n" }, fmt(g.std)), h("td", { class: "n" }, fmt(g.min)), h("td", { class: "n" }, fmt(g.median)), h("td", { class: "n" }, fmt(g.max)),
      h("td", { class: g.failed ? "n errtext" : "n" }, g.failed || "")));
    put(summaryEl, h("div", { class: "scroll", style: "max-height:420px" }, h("table", { id: "summary" },
      h("tr", {}, ["", "rank", "group", "n", "mean", "95% CI", "std", "min", "median", "max", "failed"].map(x => h("th", {}, x))), rows)), h("div", { class: "pager" }, compare));
    if (!performance.getEntriesByName("expt:summary").length) performance.mark("expt:summary");
  }

  async function renderCurves() {
    const q = state.mode === "trials" ? `mode=trials&ids=${pageIds.slice(0, 50).join(",")}` : `mode=mean&by=${encodeURIComponent(state.by)}`;
    const d = await api(`/api/studies/${enc}/curves?metric=${encodeURIComponent(state.step)}&${q}`);
    if (!d.names.length) { put(curveControls); put(curvesEl, h("p", { class: "muted" }, "no step metrics logged")); return; }
    put(curveControls, h("label", {}, "metric ", select(d.names, d.metric, v => { state.step = v; save(); renderCurves(); })),
      h("span", { class: "toggle" }, [["mean", "mean ± std per group"], ["trials", "one line per trial (this page)"]].map(([m, label]) =>
        h("button", { class: state.mode === m ? "on" : "", onclick: () => { state.mode = m; save(); renderCurves(); } }, label))),
      d.mode === "mean" ? h("span", { class: "muted" }, `${d.used} of ${d.completed} completed trials`) : null);
    const series = d.mode === "trials"
      ? d.series.map(x => ({ label: x.label, x: x.x, y: x.y }))
      : d.series.map(x => ({ label: x.label || "all", x: x.x, y: x.mean, band: { lo: x.mean.map((m, i) => m === null || x.std[i] === null ? null : m - x.std[i]), hi: x.mean.map((m, i) => m === null || x.std[i] === null ? null : m + x.std[i]) } }));
    lineChart(curvesEl, null, series);
  }

  async function renderScatter() {
    if (!study.metrics.length || !study.params.length) { put(scatterControls); put(scatterEl, h("p", { class: "muted" }, "needs a numeric result and a parameter")); return; }
    put(scatterControls, h("label", {}, "parameter ", select(study.params, state.param, v => { state.param = v; save(); renderScatter(); })), h("span", { class: "muted" }, `metric: ${state.metric}`));
    scatterChart(scatterEl, await api(`/api/studies/${enc}/scatter?metric=${encodeURIComponent(state.metric)}&param=${encodeURIComponent(state.param)}`));
  }

  // What the trials used, per group of the summary: peak memory of their process trees and CPU efficiency
  // (CPU time / (wall × cores)); GPU memory and utilisation when they had GPUs.
  async function renderResources() {
    if (!study.metrics.includes("usage.peak_memory_mb")) { put(resourcesEl, h("p", { class: "muted" }, "no usage measured (command trials record it)")); return; }
    const names = ["usage.peak_memory_mb", "usage.cpu_efficiency", "usage.gpu_peak_memory_mb", "usage.gpu_utilization", "usage.energy_wh", "usage.co2_g"].filter(m => study.metrics.includes(m));
    const views = await Promise.all(names.map(m => api(`/api/studies/${enc}/summary?metric=${encodeURIComponent(m)}&by=${encodeURIComponent(state.by)}&goal=min`)));
    const byName = Object.fromEntries(names.map((m, i) => [m, Object.fromEntries(views[i].groups.map(g => [g.label, g]))]));
    const labels = views[0].groups.map(g => g.label);
    const pct = v => v === null || v === undefined ? "" : `${Math.round(v * 100)}%`;
    const mb = v => v === null || v === undefined ? "" : `${fmt(v)} MiB`;
    const cell = (m, label, key, f) => h("td", { class: "n" }, byName[m] && byName[m][label] ? f(byName[m][label][key]) : "");
    // Energy and CO2 per group in total (mean × n): estimates, with the method said under the table.
    const total = (m, label, f) => h("td", { class: "n" }, byName[m] && byName[m][label] && byName[m][label].mean !== null ? f(byName[m][label].mean * byName[m][label].n) : "");
    const wh = v => v >= 1 ? `${fmt(v)} Wh` : `${fmt(v * 1000)} mWh`;
    put(resourcesEl, h("div", { class: "scroll", style: "max-height:420px" }, h("table", { id: "resources" },
      h("tr", {}, ["group", "n", "peak memory (mean)", "peak memory (max)", "CPU efficiency (mean)", "GPU memory (max)", "GPU busy (mean)", "energy (total, est.)", "CO2 (total, est.)"].map(x => h("th", {}, x))),
      labels.map(label => h("tr", {}, h("td", {}, label || "(all)"), cell("usage.peak_memory_mb", label, "n", v => v),
        cell("usage.peak_memory_mb", label, "mean", mb), cell("usage.peak_memory_mb", label, "max", mb),
        cell("usage.cpu_efficiency", label, "mean", pct), cell("usage.gpu_peak_memory_mb", label, "max", mb),
        cell("usage.gpu_utilization", label, "mean", v => v === null || v === undefined ? "" : `${Math.round(v)}%`),
        total("usage.energy_wh", label, wh), total("usage.co2_g", label, v => `${fmt(v)} g`))))),
      study.energy_method ? h("p", { class: "muted", id: "energy-method" }, `energy and CO2 are estimated, not measured: ${study.energy_method}`) : null);
  }

  async function renderImages() {
    const d = await api(`/api/studies/${enc}/images?by=${encodeURIComponent(state.by)}`);
    if (!d.groups.length) { put(imagesEl, h("p", { class: "muted" }, "no image artifacts")); return; }
    put(imagesEl, d.groups.map(g => h("div", { class: "image-group" },
      h("h3", {}, g.label || "all trials", " ", h("span", { class: "muted" }, `(${g.total} image${g.total === 1 ? "" : "s"}${g.total > g.images.length ? `, first ${g.images.length} shown` : ""})`)),
      h("div", { class: "image-grid" }, g.images.map(i => h("figure", {},
        h("a", { href: i.url, target: "_blank", rel: "noopener" }, h("img", { src: i.url, alt: `${i.trial}/${i.path}`, loading: "lazy" })),
        h("figcaption", {}, link("/trials/" + i.trial, i.trial), ` #${i.replicate} ${i.path}`)))))),
      d.trials < d.completed ? h("p", { class: "muted" }, `images of the first ${d.trials} of ${d.completed} completed trials`) : null);
  }

  async function renderParallel() {
    if (!study.metrics.length) { put(parallelEl, h("p", { class: "muted" }, "no numeric results yet")); return; }
    parallelChart(parallelEl, await api(`/api/studies/${enc}/parallel?metric=${encodeURIComponent(state.metric)}`));
  }

  async function renderTable() {
    const qs = `status=${state.status}&where=${encodeURIComponent(state.where)}&q=${encodeURIComponent(state.q)}&sort=${encodeURIComponent(state.sort)}&desc=${state.desc}&page=${state.page}&size=${state.size}`;
    let d;
    try { d = await api(`/api/studies/${enc}/trials?${qs}`); } catch (e) { put(tableEl.querySelector(".table-body"), h("div", { class: "error" }, e.message)); return; }
    state.page = d.page;
    pageIds = d.rows.map(r => r.id);
    const chosen = new Set();
    const compare = h("button", { disabled: true, onclick: () => go("/compare?ids=" + [...chosen].join(",")) }, "Compare selected");
    const sortable = (key, label) => h("th", { class: "sort" + (state.sort === key ? (state.desc ? " desc" : " asc") : ""), onclick: () => {
      if (state.sort === key) state.desc = !state.desc; else { state.sort = key; state.desc = false; } state.page = 1; save(); renderTable(); } }, label);
    const header = h("tr", {}, h("th", {}, ""), sortable("id", "id"), sortable("status", "status"), study.params.map(x => sortable("p." + x, x)), sortable("replicate", "rep"),
      study.results.slice(0, 12).map(x => sortable("r." + x, x)), sortable("duration", "duration"), sortable("attempts", "attempts"), h("th", {}, "error"));
    const rows = d.rows.map(r => h("tr", { class: "click", "data-status": r.status },
      h("td", {}, h("input", { type: "checkbox", onclick: e => e.stopPropagation(), onchange: e => { e.target.checked ? chosen.add(r.id) : chosen.delete(r.id); compare.disabled = chosen.size < 2; } })),
      h("td", {}, link("/trials/" + r.id, r.id)), h("td", {}, badge(r.status)),
      study.params.map(x => h("td", {}, fmt(r.params[x]))), h("td", { class: "n" }, r.replicate),
      study.results.slice(0, 12).map(x => h("td", { class: "n" }, fmt(r.results[x]))),
      h("td", { class: "n" }, secs(r.duration)), h("td", { class: "n" }, r.attempts), h("td", { class: "errtext" }, r.error || "")));
    // A click anywhere on a row opens its trial; the id's own link (and the checkbox) already handle theirs.
    rows.forEach((tr, i) => tr.addEventListener("click", e => { if (!e.target.closest("a, input")) go("/trials/" + d.rows[i].id); }));
    const pager = h("div", { class: "pager" },
      h("button", { disabled: d.page <= 1, onclick: () => { state.page = 1; save(); renderTable(); } }, "«"),
      h("button", { disabled: d.page <= 1, onclick: () => { state.page--; save(); renderTable(); } }, "‹ prev"),
      h("span", { id: "page" }, `page ${d.page} of ${d.pages} · ${d.matched.toLocaleString()} of ${d.total.toLocaleString()} trials`),
      h("button", { disabled: d.page >= d.pages, onclick: () => { state.page++; save(); renderTable(); } }, "next ›"),
      h("button", { disabled: d.page >= d.pages, onclick: () => { state.page = d.pages; save(); renderTable(); } }, "»"),
      select([25, 50, 100, 250, 500].map(n => [String(n), `${n} / page`]), String(state.size), v => { state.size = +v; state.page = 1; save(); renderTable(); }), compare);
    put(tableEl.querySelector(".table-body"), h("div", { class: "scroll" }, h("table", { id: "trials" }, header, rows)), pager);
    if (!performance.getEntriesByName("expt:rows").length) performance.mark("expt:rows"); // for benchmarks: rows on screen
    if (state.mode === "trials") renderCurves().catch(e => fail(curvesEl, e));
  }

  function tableShell() {
    const whereInput = h("input", { type: "text", id: "where", placeholder: "where: lr > 0.01 and status == 'completed'", value: state.where });
    const qInput = h("input", { type: "search", id: "search", placeholder: "search id, params, error", value: state.q });
    const apply = () => { state.where = whereInput.value; state.q = qInput.value; state.page = 1; save(); renderTable(); };
    whereInput.addEventListener("keydown", e => { if (e.key === "Enter") apply(); });
    qInput.addEventListener("keydown", e => { if (e.key === "Enter") apply(); });
    const chips = h("span", { class: "chips" }, STATUSES.map(st => h("label", {}, h("input", { type: "checkbox", value: st, checked: state.status.split(",").includes(st), onchange: () => {
      state.status = [...tableEl.querySelectorAll(".chips input:checked")].map(x => x.value).join(","); state.page = 1; save(); renderTable(); } }), " ", st)));
    put(tableEl, h("div", { class: "row" }, chips, whereInput, qInput, h("button", { onclick: apply }, "Filter"),
      h("button", { onclick: () => { whereInput.value = ""; qInput.value = ""; state.status = ""; tableEl.querySelectorAll(".chips input").forEach(c => c.checked = false); apply(); } }, "Clear")),
      h("div", { class: "table-body" }));
  }

  renderHead();
  tableShell();
  put(root, head,
    card("Trials", tableEl),
    adaptiveMode ? card(adaptiveMode === "race" ? "Race" : "Sequential stopping", adaptiveEl) : null,
    card("Summary across replications", summaryControls, summaryEl),
    h("div", { class: "grid2" }, card("Step metrics", curveControls, curvesEl), card("Final metric against a parameter", scatterControls, scatterEl)),
    card("Parallel coordinates", h("p", { class: "muted" }, "one line per completed trial, through its parameters to the metric (blue best)"), parallelEl),
    card("Resources per group", h("p", { class: "muted" }, "what the trials used, grouped as the summary is: peak memory of each trial's processes, CPU time / (wall × cores)"), resourcesEl),
    card("Images per group", h("p", { class: "muted" }, "image artifacts of the completed trials, grouped as the summary is"), imagesEl));
  // The table first (it is what the page is for), then the views that aggregate the whole study.
  const all = async () => { await renderTable().catch(e => fail(tableEl, e)); await Promise.all([
    renderSummary().catch(e => fail(summaryEl, e)),
    (state.mode === "trials" ? Promise.resolve() : renderCurves()).catch(e => fail(curvesEl, e)),
    renderScatter().catch(e => fail(scatterEl, e)),
    renderParallel().catch(e => fail(parallelEl, e)),
    renderImages().catch(e => fail(imagesEl, e)),
    renderResources().catch(e => fail(resourcesEl, e)),
    renderAdaptive().catch(e => fail(adaptiveEl, e)),
  ]); };
  async function refresh() {
    study = await api(`/api/studies/${enc}`);
    if (!state.metric && study.metrics.length) state.metric = primaryMetric(study);
    renderHead();
    await all();
  }
  current.refresh = () => refresh().catch(() => {});
  await all();
}

async function trialPage(id) {
  const root = main(), mine = generation;
  // The histories are the slowest part: ask for them at once, alongside the trial itself.
  let firstMetrics = api(`/api/trials/${encodeURIComponent(id)}/metrics`);
  firstMetrics.catch(() => {});
  const t = await api(`/api/trials/${encodeURIComponent(id)}`);
  if (mine !== generation) return;
  crumbs(["studies", "/"], [t.study, "/studies/" + encodeURIComponent(t.study)], [t.id]);
  document.title = `Expt: trial ${t.id}`;
  live(t.study);
  const notice = h("div", {}, takeFlash());
  const actions = session.actions ? h("div", { class: "row" },
    h("button", { onclick: async () => { setFlash((await post(`/api/trials/${t.id}/retry`)).message); route(); } }, "Retry"),
    h("button", { class: "danger", onclick: async () => { setFlash((await post(`/api/trials/${t.id}/cancel`)).message); route(); } }, "Cancel")) : null;
  const kv = rows => h("table", { class: "kv" }, rows.filter(([, v]) => v !== null && v !== undefined && v !== "").map(([k, v]) => h("tr", {}, h("td", {}, k), h("td", {}, v))));
  const facts = kv([["status", badge(t.status)], ["study", link("/studies/" + encodeURIComponent(t.study), t.study)], ["replicate", t.replicate], ["seed", t.seed],
    ["attempts", `${t.attempts} of ${t.max_attempts}`], ["started", when(t.started)], ["finished", when(t.finished)], ["duration", secs(t.duration)],
    ["host", t.host ? `${t.host}${t.pid ? " (pid " + t.pid + ")" : ""}` : null], ["exit code", t.exit_code], ["worker", t.lease_owner]]);
  const paramsTable = kv(Object.entries(t.params).map(([k, v]) => [k, fmt(v)]));
  const results = t.results && typeof t.results === "object" ? kv(Object.entries(t.results).map(([k, v]) => [k, fmt(v)])) : h("p", { class: "muted" }, "no results");
  const charts = h("div", { class: "grid2", id: "metrics" });
  const images = t.files.filter(f => f.image), others = t.files.filter(f => !f.image);
  const fileUrl = f => `/api/trials/${t.id}/files/${f.path.split("/").map(encodeURIComponent).join("/")}`;
  const artifacts = card(`Files (${t.files.length})`,
    images.length ? h("div", { class: "artifacts" }, images.map(f => h("figure", {}, h("a", { href: fileUrl(f), target: "_blank" }, h("img", { src: fileUrl(f), alt: f.path, loading: "lazy" })), h("figcaption", {}, f.path)))) : null,
    others.length ? h("table", {}, others.map(f => h("tr", {}, h("td", {}, h("a", { href: fileUrl(f), target: "_blank" }, f.path)), h("td", { class: "n" }, f.size.toLocaleString() + " B"), h("td", {}, h("a", { href: fileUrl(f) + "?download=1" }, "download"))))) : null,
    !t.files.length ? h("p", { class: "muted" }, "no files on this machine") : null);

  // Logs with search: matching lines marked, error-looking lines in red.
  const logBox = h("pre", { class: "log", id: "log" }), search = h("input", { type: "search", id: "log-search", placeholder: "search the log" }), hits = h("span", { class: "muted" });
  let stream = t.status === "failed" || t.status === "timeout" ? "stderr" : "stdout", text = "";
  const tabs = h("span", { class: "toggle" });
  const drawLog = () => {
    const q = search.value.toLowerCase();
    let count = 0;
    const lines = text.split("\n").map(line => {
      const bad = /error|exception|traceback|fatal|panic/i.test(line);
      if (q && line.toLowerCase().includes(q)) {
        count++;
        const parts = [], lower = line.toLowerCase();
        let i = 0, j;
        while ((j = lower.indexOf(q, i)) >= 0) { parts.push(line.slice(i, j), h("span", { class: "hit" }, line.slice(j, j + q.length))); i = j + q.length; }
        parts.push(line.slice(i), "\n");
        return h("span", { class: bad ? "bad" : null }, parts);
      }
      return bad ? h("span", { class: "bad" }, line + "\n") : line + "\n";
    });
    put(logBox, ...(text ? lines : [h("span", { class: "muted" }, `(${stream} is empty)`)]));
    hits.textContent = q ? `${count} matching line${count === 1 ? "" : "s"}` : "";
    const first = logBox.querySelector(".hit");
    if (first) logBox.scrollTop = first.offsetTop - logBox.offsetTop - 40;
  };
  const loadLog = async () => {
    put(tabs, ...["stdout", "stderr"].map(x => h("button", { class: x === stream ? "on" : "", onclick: () => { stream = x; loadLog(); } }, x)));
    text = await api(`/api/trials/${t.id}/log/${stream}`);
    drawLog();
  };
  search.addEventListener("input", drawLog);

  put(root, h("h1", {}, `Trial ${t.id} `, badge(t.status)), actions, notice,
    t.error ? card("Error", h("div", { class: "error", id: "error" }, t.error)) : null,
    h("div", { class: "grid2" }, card("Trial", facts), card("Parameters", paramsTable, h("h2", { style: "margin-top:14px" }, "Results"), results)),
    card("Step metrics", charts),
    artifacts,
    card("Output", h("div", { class: "row" }, tabs, search, hits), logBox),
    card("Provenance", h("details", {}, h("summary", {}, "where and how this trial ran"), h("pre", { class: "json" }, JSON.stringify(t.provenance, null, 2)))));

  const drawCharts = async () => {
    const m = await (firstMetrics || api(`/api/trials/${t.id}/metrics`));
    firstMetrics = null;
    if (!m.series.length) { put(charts, h("p", { class: "muted" }, "no step metrics")); return; }
    put(charts, ...m.series.map(x => {
      const el = h("div", { class: "chart" });
      const box = h("div", {}, h("div", { class: "muted" }, `${x.name} · ${x.n.toLocaleString()} points${x.n > x.x.length ? ` (drawn: ${x.x.length}, min/max per bucket)` : ""}`), el);
      return box;
    }));
    m.series.forEach((x, i) => lineChart(charts.children[i].lastChild, x.name, [{ label: x.name, x: x.x, y: x.y }], { height: 260 }));
    if (!performance.getEntriesByName("expt:metrics").length) performance.mark("expt:metrics"); // charts drawn
  };
  await Promise.all([drawCharts().catch(e => fail(charts, e)), loadLog().catch(e => fail(logBox, e))]);
  if (mine !== generation) return;
  current.refresh = async () => {
    const now = await api(`/api/trials/${encodeURIComponent(id)}`);
    if (mine !== generation) return;
    if (now.status !== t.status) route(); else if (now.status === "running") drawCharts();
  };
}

async function comparePage() {
  const root = main();
  const p = params();
  live(null);
  current.refresh = null;
  if (p.get("study")) {
    const study = p.get("study"), groups = p.getAll("g");
    crumbs(["studies", "/"], [study, "/studies/" + encodeURIComponent(study)], ["compare groups"]);
    document.title = `Expt: compare groups of ${study}`;
    const d = await api(`/api/studies/${encodeURIComponent(study)}/groups?` + groups.map(g => "g=" + encodeURIComponent(g)).join("&"));
    const table = h("table", { id: "compare" }, h("tr", {}, h("th", {}, "metric"), d.groups.map((g, i) => h("th", {}, `${String.fromCharCode(65 + i)}: ${g.where} (${g.trials})`)),
      d.comparison ? [h("th", {}, "A − B [95% CI]"), h("th", {}, "Welch p"), h("th", {}, "Mann-Whitney p")] : null),
      d.metrics.map(m => h("tr", {}, h("td", {}, m), d.groups.map(g => { const x = g.stats[m]; return h("td", { class: "n" }, x.n ? `${fmt(x.mean)} ± ${fmt(x.std)} (n=${x.n})` : "–"); }),
        d.comparison ? [h("td", { class: "n" }, `${fmt(d.comparison[m].difference)} [${fmt(d.comparison[m].ci_low)}, ${fmt(d.comparison[m].ci_high)}]`),
          h("td", { class: "n" }, fmt(d.comparison[m].welch_p)), h("td", { class: "n" }, fmt(d.comparison[m].mann_whitney_p))] : null)));
    put(root, h("h1", {}, "Compare groups"), card(null, h("div", { class: "scroll" }, table)));
    return;
  }
  const ids = (p.get("ids") || "").split(",").filter(Boolean);
  crumbs(["studies", "/"], ["compare trials"]);
  document.title = "Expt: compare trials";
  const d = await api(`/api/compare?ids=${ids.join(",")}`);
  const row = (label, values) => {
    const texts = values.map(fmt);
    return h("tr", { class: new Set(texts).size > 1 ? "diff" : null }, h("td", {}, label), texts.map(x => h("td", { class: "n" }, x)));
  };
  const table = h("table", { id: "compare" },
    h("tr", {}, h("th", {}, ""), d.trials.map(x => h("th", {}, link("/trials/" + x.row.id, x.row.id), " ", badge(x.row.status)))),
    row("study", d.trials.map(x => x.study)),
    d.params.map(k => row(k, d.trials.map(x => x.row.params[k]))),
    d.results.map(k => row(k, d.trials.map(x => x.row.results[k]))),
    row("duration (s)", d.trials.map(x => x.row.duration)));
  const charts = h("div", { class: "grid2" });
  put(root, h("h1", {}, `Compare ${d.trials.length} trials`), h("p", { class: "muted" }, "rows that differ are highlighted"), card(null, h("div", { class: "scroll" }, table)), card("Step metrics", charts));
  const metrics = await Promise.all(d.trials.map(x => api(`/api/trials/${x.row.id}/metrics`)));
  const names = [...new Set(metrics.flatMap(m => m.series.map(x => x.name)))];
  if (!names.length) { charts.append(h("p", { class: "muted" }, "no step metrics")); return; }
  for (const name of names) {
    const el = h("div", { class: "chart" });
    charts.append(h("div", {}, el));
    lineChart(el, name, metrics.map((m, i) => { const x = m.series.find(v => v.name === name); return x ? { label: d.trials[i].row.id, x: x.x, y: x.y } : null; }).filter(Boolean));
  }
}

// ---------- router ----------
async function route() {
  current.refresh = null;
  generation++;
  const path = decodeURIComponent(location.pathname);
  try {
    if (path === "/" || path === "") await studiesPage();
    else if (path.startsWith("/studies/")) await studyPage(path.slice("/studies/".length));
    else if (path.startsWith("/trials/")) await trialPage(path.slice("/trials/".length));
    else if (path === "/compare") await comparePage();
    else put(main(), h("p", {}, "No such page. ", link("/", "Studies")));
  } catch (e) {
    fail(main(), e);
  }
  document.body.dataset.ready = "1";
}

window.addEventListener("popstate", route);
document.addEventListener("DOMContentLoaded", async () => {
  try { session = await api("/api/session"); } catch { /* read-only */ }
  route();
});
