// helm-server front end: vanilla JS, hash routes, every text inserted with textContent (never innerHTML).
"use strict";

const FETCH_TIMEOUT_MS = 30000;
const PAGE_SIZE = 50;
const STATUS_LABELS = {
  correct: "✓ correct",
  incorrect: "✗ incorrect",
  partial: "◐ partial",
  unscored: "· unscored",
};

const app = { suites: [], overviews: {}, overviewLoads: {}, view: 0 };

// ---------------------------------------------------------------------------------------------------
// helpers

class ApiError extends Error {}

/** GET a JSON API path; any failure (network, timeout, HTTP error, bad JSON) becomes an ApiError. */
async function api(path) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), FETCH_TIMEOUT_MS);
  let response;
  let text;
  try {
    response = await fetch(path, { signal: controller.signal, headers: { Accept: "application/json" } });
    text = await response.text();
  } catch (e) {
    const why = e && e.name === "AbortError" ? "timed out" : `failed (${e && e.message ? e.message : e})`;
    throw new ApiError(`Request to ${path} ${why}. Is helm-server still running?`);
  } finally {
    clearTimeout(timer);
  }
  let body = null;
  try {
    body = JSON.parse(text);
  } catch (e) {
    body = null;
  }
  if (!response.ok) {
    const detail = body && typeof body.error === "string" ? body.error : text.slice(0, 200) || response.statusText;
    throw new ApiError(`Server error ${response.status}: ${detail}`);
  }
  if (body === null) throw new ApiError(`The server sent invalid JSON for ${path}.`);
  return body;
}

/** Build an element: el("a", {href: "#/", class: "x"}, "text", child…). */
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** Replace a node's children; arrays are flattened and null/false dropped (as in `el`). */
function fill(node, ...children) {
  node.replaceChildren(
    ...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false).map((c) => (c instanceof Node ? c : String(c)))
  );
}

function enc(s) {
  return encodeURIComponent(s);
}

function fmt3(v) {
  return typeof v === "number" && Number.isFinite(v) ? v.toFixed(3) : "–";
}

function fmtNum(v) {
  if (typeof v !== "number" || !Number.isFinite(v)) return "–";
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) < 0.001 ? v.toExponential(2) : v.toFixed(3);
}

function notice(kind, message) {
  return el("div", { class: `notice ${kind}`, role: kind === "error" ? "alert" : null }, message);
}

function routeHref(suite, ...parts) {
  const tail = parts.filter((p) => p !== null && p !== undefined);
  return `#/s/${enc(suite)}${tail.length ? "/" + tail.map(enc).join("/") : ""}`;
}

function withQuery(href, params) {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== "") query.set(k, v);
  const qs = query.toString();
  return qs ? `${href}?${qs}` : href;
}

function runHref(suite, run) {
  return routeHref(suite, "run", run);
}

function statLabel(s) {
  let label = s.name;
  if (s.split) label += ` · ${s.split}`;
  if (s.sub_split) label += ` · ${s.sub_split}`;
  if (s.perturbation) label += ` · ${s.perturbation}`;
  return label;
}

function pre(text, cls) {
  return el("pre", { class: cls }, text === null || text === undefined ? "" : String(text));
}

// ---------------------------------------------------------------------------------------------------
// page frame

const main = () => document.getElementById("main");

/** Start rendering a view; returns a check that is false once the user has navigated elsewhere. */
function beginView(title) {
  const id = ++app.view;
  document.title = title ? `${title} · helm_lite` : "helm_lite results";
  const root = main();
  fill(root, el("p", { class: "loading" }, "Loading…"));
  return () => id === app.view;
}

function setMain(...nodes) {
  fill(main(), ...nodes);
}

function showError(message, ...extra) {
  setMain(notice("error", message), ...extra);
}

function renderNav(suite, active) {
  const nav = document.getElementById("nav");
  fill(nav);
  if (!suite) return;
  const overview = app.overviews[suite];
  if (!overview) {
    // Plots and Groups appear once the overview (what helm-summarize left) is known.
    const view = app.view;
    loadOverview(suite)
      .then(() => {
        if (view === app.view) renderNav(suite, active);
      })
      .catch(() => {});
  }
  const items = [
    ["leaderboard", "Leaderboard", routeHref(suite)],
    ["runs", "Runs", routeHref(suite, "runs")],
  ];
  if (overview && overview.plots && overview.plots.length) items.push(["plots", "Plots", routeHref(suite, "plots")]);
  if (overview && overview.groups) items.push(["groups", "Groups", routeHref(suite, "groups")]);
  for (const [key, label, href] of items) {
    nav.append(el("a", { href, class: key === active ? "active" : null, "data-nav": key }, label));
  }
  const picker = document.getElementById("suite-picker");
  const select = document.getElementById("suite-select");
  picker.hidden = app.suites.length < 2;
  if (!picker.hidden && select.options.length !== app.suites.length) {
    fill(select, ...app.suites.map((s) => el("option", { value: s }, s)));
    select.addEventListener("change", () => {
      location.hash = routeHref(select.value);
    });
  }
  select.value = suite;
}

/** The suite overview, fetched once per page load (concurrent callers share one request). */
function loadOverview(suite) {
  if (!app.overviewLoads[suite]) {
    app.overviewLoads[suite] = api(`/api/suites/${enc(suite)}`).then(
      (overview) => (app.overviews[suite] = overview),
      (error) => {
        delete app.overviewLoads[suite];
        throw error;
      }
    );
  }
  return app.overviewLoads[suite];
}

// ---------------------------------------------------------------------------------------------------
// markdown (schema descriptions): a tiny safe renderer that builds DOM nodes, never HTML

const MD_TOKEN = /\[([^\]\n]+)\]\(([^)\s]+)\)|\*\*([^*\n]+)\*\*|\*([^*\n]+)\*|`([^`\n]+)`/g;

/** Only http(s) and relative links: no javascript:, data: or other schemes. */
function safeUrl(url) {
  if (/^https?:\/\//i.test(url)) return url;
  if (/^[a-z][a-z0-9+.-]*:/i.test(url) || url.startsWith("//")) return null;
  return url;
}

/** `[text](url)`, `**strong**`, `*em*` and `` `code` `` as elements; everything else stays text. */
function markdown(text) {
  const out = [];
  if (typeof text !== "string") return out;
  let last = 0;
  for (const m of text.matchAll(MD_TOKEN)) {
    if (m.index > last) out.push(text.slice(last, m.index));
    if (m[1] !== undefined) {
      const url = safeUrl(m[2]);
      out.push(url ? el("a", { href: url, target: url.startsWith("#") ? null : "_blank", rel: "noopener noreferrer" }, m[1]) : m[0]);
    } else if (m[3] !== undefined) out.push(el("strong", {}, m[3]));
    else if (m[4] !== undefined) out.push(el("em", {}, m[4]));
    else out.push(el("code", {}, m[5]));
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

/** The text a reader sees, for title attributes (which cannot hold links). */
function markdownText(text) {
  return typeof text === "string" ? text.replace(MD_TOKEN, (all, t, u, b, i, c) => t || b || i || c || all) : "";
}

// ---------------------------------------------------------------------------------------------------
// sortable tables: click a header to sort its column (numbers by data-value), again to reverse

function sortValue(cell) {
  const raw = cell ? cell.getAttribute("data-value") : null;
  if (raw !== null && raw !== "" && raw !== "null") return { num: Number(raw) };
  const text = cell ? cell.textContent.trim() : "";
  const n = Number(text);
  return text !== "" && text !== "–" && Number.isFinite(n) ? { num: n } : { text };
}

function makeSortable(table) {
  const headers = Array.from(table.tHead ? table.tHead.rows[0].cells : []);
  headers.forEach((th, index) => {
    th.classList.add("sortable");
    th.setAttribute("aria-sort", "none");
    const arrow = el("span", { class: "sort-arrow", "aria-hidden": "true" }, "");
    th.append(arrow);
    th.addEventListener("click", (ev) => {
      if (ev.target.closest("a")) return; // links in headers still navigate
      const ascending = th.getAttribute("aria-sort") !== "ascending";
      headers.forEach((h) => {
        h.setAttribute("aria-sort", "none");
        h.querySelector(".sort-arrow").textContent = "";
      });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      arrow.textContent = ascending ? " ▲" : " ▼";
      const body = table.tBodies[0];
      const rows = Array.from(body.rows);
      const keyed = rows.map((row, i) => ({ row, i, v: sortValue(row.cells[index]) }));
      keyed.sort((x, y) => {
        // Missing values last in both directions; numbers before text.
        const xm = x.v.num === undefined && !x.v.text;
        const ym = y.v.num === undefined && !y.v.text;
        if (xm !== ym) return xm ? 1 : -1;
        let c;
        if (x.v.num !== undefined && y.v.num !== undefined) c = x.v.num - y.v.num;
        else if (x.v.num !== undefined) c = -1;
        else if (y.v.num !== undefined) c = 1;
        else c = x.v.text.localeCompare(y.v.text);
        return (ascending ? c : -c) || x.i - y.i;
      });
      body.append(...keyed.map((k) => k.row));
    });
  });
  return table;
}

// ---------------------------------------------------------------------------------------------------
// leaderboard

/** `0.412 ± 0.031` when the cell has a standard error (else the plain value). */
function cellText(cell) {
  const base = fmt3(cell.value);
  return typeof cell.stderr === "number" && Number.isFinite(cell.stderr) ? `${base} ± ${fmt3(cell.stderr)}` : base;
}

function cellTitle(cell, column) {
  const lines = [];
  if (Array.isArray(cell.interval) && cell.interval.length === 2) lines.push(`interval: [${fmt3(cell.interval[0])}, ${fmt3(cell.interval[1])}]`);
  lines.push(...(cell.runs || []).map((r) => `${r.name}: ${r.value}`));
  if (column.lower_is_better) lines.push("lower is better");
  return lines.join("\n");
}

function rankText(row, board) {
  if (typeof row.rank !== "number") return null;
  const tied = Array.isArray(row.tied_with) ? row.tied_with : [];
  if (!tied.length) return String(row.rank);
  const names = tied.map((d) => {
    const other = board.rows.find((r) => r.model_deployment === d || r.model === d);
    return other ? other.model_display_name || other.model : d;
  });
  return `${row.rank} (tied with ${names.join(", ")})`;
}

function leaderboardTable(suite, board) {
  const hasRank = board.rows.some((r) => typeof r.rank === "number");
  const head = el(
    "tr",
    {},
    hasRank ? el("th", { class: "num rank-col", title: "Rank by mean win rate; models whose intervals overlap are tied." }, "Rank") : null,
    el("th", { class: "model-col" }, "Model"),
    el("th", { class: "num", title: "How many models this model outperforms on average (over columns)." }, "Mean win rate"),
    board.columns.map((c) =>
      el(
        "th",
        {
          class: "num",
          title: [
            markdownText(c.group_description),
            `${c.metric_display_name || c.metric} on split ${c.split}${c.lower_is_better ? " (lower is better)" : ""}`,
            c.judges && c.judges.length ? `Judged by ${c.judges.join(", ")}` : "",
          ]
            .filter(Boolean)
            .join("\n\n"),
          "data-group": c.group,
        },
        el("a", { href: withQuery(routeHref(suite, "runs"), { group: c.group }) }, c.group_display_name || c.group),
        el("div", { class: "metric-name" }, `${c.metric_display_name || c.metric}${c.lower_is_better ? " ↓" : ""}`),
        c.judges && c.judges.length ? el("div", { class: "metric-name judged-by" }, `judged by ${c.judges.join(", ")}`) : null
      )
    )
  );
  const best = board.columns.map((c, j) => {
    const values = board.rows.map((r) => (r.cells[j] ? r.cells[j].value : null)).filter((v) => v !== null);
    if (values.length < 2 || c.lower_is_better === null || c.lower_is_better === undefined) return null;
    return c.lower_is_better ? Math.min(...values) : Math.max(...values);
  });
  // Rows are (deployment, model) as in helm-summarize; the deployment is shown only to tell rows apart.
  const twins = (model) => board.rows.filter((r) => r.model === model).length > 1;
  const body = board.rows.map((row) =>
    el(
      "tr",
      { "data-deployment": row.model_deployment },
      hasRank ? el("td", { class: "num rank", "data-value": row.rank }, rankText(row, board) || "–") : null,
      el(
        "th",
        { class: "model-col", scope: "row", title: row.model },
        el("a", { href: withQuery(routeHref(suite, "runs"), { model: row.model }) }, row.model_display_name || row.model),
        twins(row.model) ? el("div", { class: "metric-name" }, row.model_deployment) : null
      ),
      el(
        "td",
        {
          class: "num win-rate",
          "data-value": row.win_rate,
          title: Array.isArray(row.win_rate_interval) ? `interval: [${fmt3(row.win_rate_interval[0])}, ${fmt3(row.win_rate_interval[1])}]` : null,
        },
        fmt3(row.win_rate)
      ),
      row.cells.map((cell, j) => {
        if (!cell) return el("td", { class: "num empty", title: "No matching runs" }, "–");
        const runs = cell.runs || [];
        const href =
          runs.length === 1
            ? runHref(suite, runs[0].name)
            : withQuery(routeHref(suite, "runs"), { model: row.model, group: board.columns[j].group });
        return el(
          "td",
          { class: `num metric${cell.value === best[j] ? " best" : ""}`, title: cellTitle(cell, board.columns[j]), "data-value": cell.value },
          el("a", { href }, cellText(cell)),
          runs.length > 1 ? el("span", { class: "runs-count" }, ` (${runs.length} runs)`) : null
        );
      })
    )
  );
  return el("div", { class: "table-wrap" }, makeSortable(el("table", { class: "grid leaderboard", id: "leaderboard" }, el("thead", {}, head), el("tbody", {}, body))));
}

function summarizeNotice(state) {
  if (!state) return null;
  if (state.state === "stale") return notice("warn", "helm-summarize output is older than the newest run; showing a fresh table computed from the runs (run helm-summarize again to update its files).");
  if (state.state === "absent") return notice("info", "No helm-summarize output for this suite; showing a fresh table computed from the runs with helm-summarize's code.");
  return el("p", { class: "muted", id: "summarize-current" }, "Computed from the runs with helm-summarize's code; the same numbers as its leaderboard.csv, which is up to date.");
}

function columnLegend(board) {
  const seen = new Set();
  const items = [];
  for (const c of board.columns) {
    if (seen.has(c.group) || !c.group_description) continue;
    seen.add(c.group);
    items.push(el("li", {}, el("strong", {}, c.group_display_name || c.group), ": ", markdown(c.group_description)));
  }
  return items.length ? el("details", { class: "legend", id: "column-legend" }, el("summary", {}, "About these columns"), el("ul", { class: "md" }, items)) : null;
}

async function renderLeaderboard(suite, params) {
  const alive = beginView(`Leaderboard ${suite}`);
  renderNav(suite, "leaderboard");
  const group = params.get("metric_group") || "main";
  try {
    const [overview, board] = await Promise.all([
      loadOverview(suite),
      // The plain table first: intervals and ranks read every instance, so they follow when ready.
      api(withQuery(`/api/suites/${enc(suite)}/leaderboard`, group === "main" ? { uncertainty: 0 } : { metric_group: group })),
    ]);
    if (!alive()) return;
    renderNav(suite, "leaderboard");
    const picker = el(
      "select",
      {
        id: "metric-group",
        onchange: (ev) => {
          location.hash = withQuery(routeHref(suite), { metric_group: ev.target.value === "main" ? null : ev.target.value });
        },
      },
      board.metric_groups.map((g) => el("option", { value: g.name, selected: g.name === board.metric_group, title: markdownText(g.description) }, g.display_name || g.name))
    );
    const current = board.metric_groups.find((g) => g.name === board.metric_group);
    const parts = [
      el("h1", {}, "Leaderboard ", el("span", { class: "muted" }, `suite ${suite}`)),
      summarizeNotice(board.summarize),
      (overview.problems || []).map((p) => notice("warn", p)),
      el(
        "div",
        { class: "filters" },
        el("label", {}, "Metrics ", picker),
        current && current.description ? el("span", { class: "muted md" }, markdown(current.description)) : null,
        board.rows.length > 1 ? el("a", { class: "button", href: routeHref(suite, "compare"), id: "h2h-link" }, "Head to head →") : null
      ),
    ];
    const slot = el("div", { id: "board-slot" });
    if (!board.rows.length) parts.push(notice("info", "No finished runs with a main metric in this suite yet."));
    else {
      fill(slot, leaderboardTable(suite, board));
      parts.push(slot);
      if (board.metric_group === "main" && !board.uncertainty) {
        const status = el("p", { class: "muted", id: "uncertainty-status" }, "Computing intervals and ranks…");
        parts.push(status);
        api(`/api/suites/${enc(suite)}/leaderboard`).then(
          (full) => {
            if (!alive()) return;
            fill(slot, leaderboardTable(suite, full));
            status.remove();
          },
          (e) => {
            if (alive()) status.replaceWith(notice("warn", `Intervals and ranks are not available: ${e.message}`));
          }
        );
      }
      parts.push(el("p", { class: "muted" }, "Click a column header to sort. Hover a cell for its runs (and interval); click it to open the run. ↓: lower is better."));
    }
    parts.push(columnLegend(board));
    if (board.skipped.length) {
      parts.push(
        el(
          "details",
          { class: "skipped" },
          el("summary", {}, `${board.skipped.length} run(s) left out of the leaderboard`),
          el("ul", {}, board.skipped.map((s) => el("li", {}, el("a", { href: runHref(suite, s.run) }, s.run), `: ${s.reason}`)))
        )
      );
    }
    if (overview.plots && overview.plots.length) {
      parts.push(el("p", {}, el("a", { href: routeHref(suite, "plots") }, `${overview.plots.length} plot(s) from helm-summarize →`)));
    }
    setMain(...parts);
  } catch (e) {
    if (alive()) showError(`Could not load the leaderboard: ${e.message}`);
  }
}

// ---------------------------------------------------------------------------------------------------
// head to head: two models, the instances where one is right and the other wrong

function instanceHref(suite, run, id) {
  return routeHref(suite, "run", run, "instance", id);
}

async function renderCompare(suite, params) {
  const alive = beginView(`Head to head ${suite}`);
  renderNav(suite, "leaderboard");
  try {
    const board = await api(`/api/suites/${enc(suite)}/leaderboard`);
    if (!alive()) return;
    const rows = board.rows;
    const a = params.get("a") || (rows[0] && rows[0].model_deployment);
    const b = params.get("b") || (rows[1] && rows[1].model_deployment);
    const choose = (id, value) =>
      el(
        "select",
        {
          id,
          onchange: () => {
            location.hash = withQuery(routeHref(suite, "compare"), { a: document.getElementById("h2h-a").value, b: document.getElementById("h2h-b").value });
          },
        },
        rows.map((r) => el("option", { value: r.model_deployment, selected: r.model_deployment === value }, `${r.model_display_name || r.model} (${r.model_deployment})`))
      );
    const parts = [
      el("nav", { class: "crumbs" }, el("a", { href: routeHref(suite) }, "Leaderboard"), " › head to head"),
      el("h1", {}, "Head to head"),
      el("div", { class: "filters" }, el("label", {}, "A ", choose("h2h-a", a)), el("label", {}, "B ", choose("h2h-b", b))),
    ];
    if (!a || !b || a === b) {
      parts.push(notice("info", "Pick two different models."));
      setMain(...parts);
      return;
    }
    const data = await api(withQuery(`/api/suites/${enc(suite)}/head_to_head`, { a, b }));
    if (!alive()) return;
    const list = (items, count, who) =>
      items.length
        ? el(
            "ul",
            { class: "h2h-list" },
            items.map((it) =>
              el(
                "li",
                {},
                el("span", { class: "instance-link" }, it.instance_id),
                it.train_trial_index ? el("span", { class: "muted" }, ` trial ${it.train_trial_index}`) : null,
                " ",
                it.run_a ? el("a", { href: instanceHref(suite, it.run_a, it.instance_id), class: "h2h-a" }, "A's answer") : null,
                it.run_a && it.run_b ? " · " : null,
                it.run_b ? el("a", { href: instanceHref(suite, it.run_b, it.instance_id), class: "h2h-b" }, "B's answer") : null
              )
            ),
            count > items.length ? el("li", { class: "muted" }, `… and ${count - items.length} more`) : null
          )
        : el("p", { class: "muted" }, `No instance where only ${who} is right.`);
    for (const c of data.columns) {
      const section = el("section", { class: "h2h-column", "data-group": c.group }, el("h2", {}, `${c.group_display_name} `, el("span", { class: "muted" }, c.title)));
      if (!c.comparable) section.append(notice("info", "This metric has no right or wrong answer (lower is better, or no direction)."));
      else if (!c.pairs) section.append(notice("info", "No task that both models ran in this column."));
      else {
        section.append(
          el(
            "p",
            { class: "muted h2h-summary" },
            `${c.compared} instances compared: only A right ${c.a_only_count}, only B right ${c.b_only_count}.`,
            typeof c.difference === "number"
              ? ` A − B = ${c.difference >= 0 ? "+" : ""}${fmt3(c.difference)}` +
                  (Array.isArray(c.interval) ? ` (95% interval ${fmt3(c.interval[0])} to ${fmt3(c.interval[1])})` : "") +
                  "."
              : ""
          ),
          el("div", { class: "inst-cols" },
            el("div", { class: "h2h-side", "data-side": "a" }, el("h3", {}, `Only ${data.a_display_name} (A) right: ${c.a_only_count}`), list(c.a_only, c.a_only_count, "A")),
            el("div", { class: "h2h-side", "data-side": "b" }, el("h3", {}, `Only ${data.b_display_name} (B) right: ${c.b_only_count}`), list(c.b_only, c.b_only_count, "B"))
          )
        );
      }
      parts.push(section);
    }
    setMain(...parts);
  } catch (e) {
    if (alive()) showError(`Could not compare: ${e.message}`);
  }
}

// ---------------------------------------------------------------------------------------------------
// runs list

async function renderRuns(suite, params) {
  const alive = beginView(`Runs ${suite}`);
  renderNav(suite, "runs");
  const filters = { model: params.get("model"), scenario: params.get("scenario"), group: params.get("group") };
  const search = params.get("q") || "";
  try {
    await loadOverview(suite).catch(() => null);
    const data = await api(withQuery(`/api/suites/${enc(suite)}/runs`, filters));
    if (!alive()) return;
    renderNav(suite, "runs");
    const setFilter = (key, value) => {
      location.hash = withQuery(routeHref(suite, "runs"), { ...filters, q: search, [key]: value });
    };
    const select = (key, label, options) =>
      el(
        "label",
        {},
        `${label} `,
        el(
          "select",
          { id: `filter-${key}`, onchange: (ev) => setFilter(key, ev.target.value) },
          el("option", { value: "" }, "all"),
          options.map((o) => el("option", { value: o, selected: o === filters[key] }, o))
        )
      );
    const searchBox = el("input", { type: "search", id: "filter-q", placeholder: "run name contains…", value: search });
    const rows = el("tbody");
    const count = el("span", { class: "muted" });
    const draw = () => {
      const needle = searchBox.value.trim().toLowerCase();
      const shown = data.runs.filter((r) => !needle || r.name.toLowerCase().includes(needle));
      count.textContent = `${shown.length} of ${data.total} runs`;
      fill(rows, 
        ...shown.map((r) =>
          el(
            "tr",
            { class: `run-row status-${r.status}` },
            el("td", { class: "run-name" }, el("a", { href: runHref(suite, r.name), class: "run-link" }, r.name), r.problems.map((p) => el("div", { class: "problem" }, p))),
            el("td", {}, r.model || "–"),
            el("td", {}, r.scenario),
            el("td", {}, r.groups.join(", ")),
            el("td", {}, r.method || "–"),
            el("td", { class: "num", "data-value": r.main ? r.main.value : null }, r.main ? `${r.main.name}: ${fmt3(r.main.value)}` : "–"),
            el("td", { class: "num" }, fmtNum(r.num_instances)),
            el("td", {}, el("span", { class: `badge ${r.status}` }, r.status))
          )
        )
      );
    };
    searchBox.addEventListener("input", draw);
    draw();
    setMain(
      el("h1", {}, "Runs ", el("span", { class: "muted" }, `suite ${suite}`)),
      el(
        "div",
        { class: "filters" },
        select("model", "Model", data.models),
        select("scenario", "Scenario", data.scenarios),
        select("group", "Group", data.groups),
        searchBox,
        count
      ),
      data.total === 0 ? notice("info", "No runs in this suite yet.") : null,
      el(
        "div",
        { class: "table-wrap" },
        makeSortable(
          el(
            "table",
            { class: "grid runs", id: "runs" },
            el(
              "thead",
              {},
              el("tr", {}, ["Run", "Model", "Scenario", "Groups", "Method", "Main metric", "# instances", "Status"].map((h) => el("th", {}, h)))
            ),
            rows
          )
        )
      )
    );
  } catch (e) {
    if (alive()) showError(`Could not load the runs: ${e.message}`);
  }
}

// ---------------------------------------------------------------------------------------------------
// run and instances

function keyValueTable(obj) {
  return el(
    "table",
    { class: "kv" },
    el(
      "tbody",
      {},
      Object.entries(obj || {}).map(([k, v]) =>
        el("tr", {}, el("th", {}, k), el("td", {}, typeof v === "string" ? pre(v, "inline") : pre(JSON.stringify(v), "inline")))
      )
    )
  );
}

function statsTable(stats, id, mainName) {
  return el(
    "table",
    { class: "grid stats", id },
    el(
      "thead",
      {},
      el(
        "tr",
        {},
        ["Metric", "Split", "Perturbation"].map((h) => el("th", {}, h)),
        ["Count", "Mean", "Min", "Max"].map((h) => el("th", { class: "num" }, h))
      )
    ),
    el(
      "tbody",
      {},
      stats.map((s) =>
        el(
          "tr",
          { class: mainName && s.name === mainName && !s.perturbation ? "main-stat" : null },
          el("td", {}, s.name),
          el("td", {}, [s.split, s.sub_split].filter(Boolean).join(" · ") || "–"),
          el("td", {}, s.perturbation || ""),
          el("td", { class: "num" }, fmtNum(s.count)),
          el("td", { class: "num", "data-value": s.mean, title: s.mean === null ? null : String(s.mean) }, fmtNum(s.mean)),
          el("td", { class: "num" }, fmtNum(s.min)),
          el("td", { class: "num" }, fmtNum(s.max))
        )
      )
    )
  );
}

/** The letter the prompt used for a reference (multiple_choice_joint), else its 0-based index. */
function referenceLabel(inst, ref, index) {
  const mapping = inst.requests.length ? inst.requests[0].output_mapping : null;
  if (mapping) {
    for (const [letter, text] of Object.entries(mapping)) if (text === ref.text) return `${letter}.`;
  }
  return `[${index}]`;
}

function instanceCard(suite, run, inst, main, expanded) {
  const mainText = main && inst.main_value !== null ? `${main.name} = ${fmtNum(inst.main_value)}` : null;
  const labelOf = (req, i) => {
    const label = [];
    if (inst.requests.length > 1) label.push(`Request ${i + 1}`);
    if (req.reference_index !== null && req.reference_index !== undefined) label.push(`reference ${req.reference_index}`);
    if (req.request_mode) label.push(req.request_mode);
    return label.join(" · ");
  };
  const answers = inst.requests.map((req, i) => {
    const completions = req.completions.map((c) => {
      const mapped = req.output_mapping && c.text !== null ? req.output_mapping[c.text.trim()] : undefined;
      return el(
        "div",
        { class: "completion" },
        pre(c.text, "completion-text"),
        mapped !== undefined ? el("span", { class: "mapped" }, `→ ${mapped}`) : null,
        c.logprob !== null ? el("span", { class: "muted logprob" }, `logprob ${fmtNum(c.logprob)}`) : null
      );
    });
    return el(
      "div",
      { class: "field request" },
      el("h4", {}, req.completions.length > 1 ? "Completions" : "Completion", inst.requests.length > 1 ? ` · ${labelOf(req, i)}` : ""),
      req.success === false ? notice("error", `Request failed: ${req.error || "unknown error"}`) : null,
      completions.length ? completions : el("span", { class: "muted" }, "none")
    );
  });
  const prompts = inst.requests.map((req, i) => {
    const info = [`${(req.prompt || "").length} characters`];
    if (req.num_train_instances !== null && req.num_train_instances !== undefined) info.push(`${req.num_train_instances} in-context examples`);
    if (req.prompt_truncated) info.push("truncated");
    const which = inst.requests.length > 1 ? ` (${labelOf(req, i)})` : "";
    return el("details", { class: "prompt", open: expanded }, el("summary", {}, `Prompt sent${which}: ${info.join(", ")}`), pre(req.prompt, "prompt-text"));
  });
  // Model judges (annotators): their prompt, raw answer and parsed score per judge, as recorded.
  const judgements = inst.requests.flatMap((req) =>
    Object.entries(req.annotations || {}).map(([name, note]) =>
      el("details", { class: "annotation", open: expanded }, el("summary", {}, `Judged by ${name}`), pre(JSON.stringify(note, null, 2), "annotation-text"))
    )
  );
  return el(
    "article",
    { class: `instance status-${inst.status}`, "data-instance-id": inst.id, "data-status": inst.status },
    el(
      "header",
      {},
      el("span", { class: `badge ${inst.status}` }, STATUS_LABELS[inst.status] || inst.status),
      el("a", { class: "instance-link", href: routeHref(suite, "run", run, "instance", inst.id) }, inst.id),
      el("span", { class: "muted" }, [inst.split, inst.sub_split, inst.perturbation, `trial ${inst.train_trial_index}`].filter(Boolean).join(" · ")),
      mainText ? el("span", { class: "main-value" }, mainText) : null
    ),
    el(
      "div",
      { class: "inst-cols" },
      el("div", { class: "field" }, el("h4", {}, "Input"), pre(inst.input, "input-text")),
      el(
        "div",
        {},
        el(
          "div",
          { class: "field" },
          el("h4", {}, "References"),
          inst.references.length
            ? el(
                "ul",
                { class: "refs" },
                inst.references.map((r, i) =>
                  el(
                    "li",
                    { class: r.correct ? "ref correct" : "ref" },
                    el("span", { class: "ref-label" }, referenceLabel(inst, r, i)),
                    pre(r.text, "ref-text"),
                    r.correct ? el("span", { class: "tick", title: "correct reference" }, " ✓ correct") : null
                  )
                )
              )
            : el("span", { class: "muted" }, "none")
        ),
        answers
      )
    ),
    prompts,
    judgements,
    el(
      "details",
      { class: "inst-stats", open: expanded },
      el("summary", {}, `Per-instance stats (${inst.stats.length})`),
      inst.stats.length ? statsTable(inst.stats, null, main ? main.name : null) : el("p", { class: "muted" }, "No per-instance stats.")
    )
  );
}

function pager(suite, run, params, data) {
  const page = Math.floor(data.offset / data.limit);
  const pages = Math.max(1, Math.ceil(data.total / data.limit));
  const go = (p) => withQuery(runHref(suite, run), { page: p ? p + 1 : null, status: params.get("status") });
  const first = data.total ? data.offset + 1 : 0;
  const last = Math.min(data.offset + data.limit, data.total);
  return el(
    "div",
    { class: "pager" },
    page > 0 ? el("a", { class: "button", href: go(page - 1), "data-pager": "prev" }, "← Previous") : el("span", { class: "button disabled" }, "← Previous"),
    el("span", { class: "page-info" }, `${first}–${last} of ${data.total} · page ${page + 1} of ${pages}`),
    page + 1 < pages ? el("a", { class: "button", href: go(page + 1), "data-pager": "next" }, "Next →") : el("span", { class: "button disabled" }, "Next →")
  );
}

async function renderInstances(container, suite, run, params) {
  const pageNumber = Math.max(1, parseInt(params.get("page") || "1", 10) || 1);
  const status = params.get("status") || "all";
  fill(container, el("p", { class: "loading" }, "Loading instances…"));
  try {
    const data = await api(
      withQuery(`/api/suites/${enc(suite)}/runs/${enc(run)}/instances`, { offset: (pageNumber - 1) * PAGE_SIZE, limit: PAGE_SIZE, status })
    );
    const counts = Object.entries(data.counts)
      .filter(([, n]) => n > 0)
      .map(([k, n]) => el("span", { class: `badge ${k}` }, `${n} ${k}`));
    const filter = el(
      "select",
      {
        id: "instance-filter",
        onchange: (ev) => {
          location.hash = withQuery(runHref(suite, run), { status: ev.target.value === "all" ? null : ev.target.value });
        },
      },
      ["all", "correct", "incorrect", "partial", "unscored"].map((s) => el("option", { value: s, selected: s === status }, s))
    );
    fill(container, 
      el("h2", {}, `Instances (${data.total_all})`),
      data.main ? el("p", { class: "muted" }, `Correctness from the per-instance ${data.main.name} (1 = correct, 0 = incorrect).`) : null,
      data.notes.map((n) => notice("warn", n)),
      el("div", { class: "filters" }, counts, el("label", {}, "Show ", filter)),
      pager(suite, run, params, data),
      data.instances.length ? data.instances.map((inst) => instanceCard(suite, run, inst, data.main, false)) : notice("info", "No instances on this page."),
      data.total > data.limit ? pager(suite, run, params, data) : null
    );
  } catch (e) {
    fill(container, el("h2", {}, "Instances"), notice("error", `Could not load the instances: ${e.message}`));
  }
}

function runHeader(suite, run, detail) {
  const spec = detail.run_spec || {};
  const facts = [
    ["Model", detail.model],
    ["Deployment", detail.model_deployment],
    ["Scenario", detail.scenario + (detail.scenario_info && detail.scenario_info.description ? ` — ${detail.scenario_info.description}` : "")],
    ["Groups", detail.groups.length ? detail.groups.map((g, i) => [i ? ", " : "", el("a", { href: withQuery(routeHref(suite, "runs"), { group: g }) }, g)]) : "–"],
    ["Method", detail.method],
    ["Main metric", detail.main ? `${detail.main.name} (${detail.main.split}) = ${fmt3(detail.main.value)}` : "–"],
    ["# instances", fmtNum(detail.num_instances)],
    ["Status", el("span", { class: `badge ${detail.status}` }, detail.status)],
  ];
  if (detail.run_info && typeof detail.run_info.wall_time_s === "number") facts.push(["Wall time", `${detail.run_info.wall_time_s} s`]);
  facts.push([
    "Files",
    detail.files.map((f, i) => [i ? " · " : "", el("a", { href: `/files/${enc(suite)}/${enc(run)}/${enc(f)}`, target: "_blank", rel: "noopener" }, f)]),
  ]);
  return [
    el("nav", { class: "crumbs" }, el("a", { href: routeHref(suite) }, suite), " › ", el("a", { href: routeHref(suite, "runs") }, "Runs"), " › ", run),
    el("h1", { class: "run-title" }, run),
    detail.problems.map((p) => notice("error", p)),
    el("dl", { class: "facts" }, facts.map(([k, v]) => [el("dt", {}, k), el("dd", {}, v === null || v === undefined ? "–" : v)])),
    spec.adapter_spec ? el("details", {}, el("summary", {}, "Adapter spec"), keyValueTable(spec.adapter_spec)) : null,
    detail.stats.length
      ? el("details", { id: "run-stats" }, el("summary", {}, `Stats (${detail.stats.length})`), el("div", { class: "table-wrap" }, statsTable(detail.stats, "stats", detail.main ? detail.main.name : null)))
      : null,
  ];
}

async function renderRun(suite, run, params) {
  const alive = beginView(run);
  renderNav(suite, "runs");
  try {
    const detail = await api(`/api/suites/${enc(suite)}/runs/${enc(run)}`);
    if (!alive()) return;
    const instances = el("section", { id: "instances" });
    setMain(...runHeader(suite, run, detail), instances);
    await renderInstances(instances, suite, run, params);
  } catch (e) {
    if (alive()) showError(`Could not load run ${run}: ${e.message}`, el("p", {}, el("a", { href: routeHref(suite, "runs") }, "← all runs")));
  }
}

async function renderInstance(suite, run, id) {
  const alive = beginView(`${id} · ${run}`);
  renderNav(suite, "runs");
  try {
    const data = await api(withQuery(`/api/suites/${enc(suite)}/runs/${enc(run)}/instances`, { id, limit: 500 }));
    if (!alive()) return;
    setMain(
      el(
        "nav",
        { class: "crumbs" },
        el("a", { href: routeHref(suite) }, suite),
        " › ",
        el("a", { href: routeHref(suite, "runs") }, "Runs"),
        " › ",
        el("a", { href: runHref(suite, run) }, run),
        " › ",
        id
      ),
      el("h1", {}, `Instance ${id}`),
      data.notes.map((n) => notice("warn", n)),
      data.instances.map((inst) => instanceCard(suite, run, inst, data.main, true))
    );
  } catch (e) {
    if (alive()) showError(`Could not load instance ${id}: ${e.message}`, el("p", {}, el("a", { href: runHref(suite, run) }, "← back to the run")));
  }
}

// ---------------------------------------------------------------------------------------------------
// plots and helm-summarize group tables

async function renderPlots(suite) {
  const alive = beginView(`Plots ${suite}`);
  renderNav(suite, "plots");
  try {
    const overview = await loadOverview(suite);
    if (!alive()) return;
    renderNav(suite, "plots");
    setMain(
      el("h1", {}, "Plots ", el("span", { class: "muted" }, `suite ${suite}`)),
      overview.plots.length
        ? el(
            "div",
            { class: "plots" },
            overview.plots.map((p) =>
              el("figure", {}, el("a", { href: `/files/${enc(suite)}/plots/${enc(p)}`, target: "_blank", rel: "noopener" }, el("img", { src: `/files/${enc(suite)}/plots/${enc(p)}`, alt: p, loading: "lazy" })), el("figcaption", {}, p))
            )
          )
        : notice("info", "No plots: run helm-summarize to make them.")
    );
  } catch (e) {
    if (alive()) showError(`Could not load the plots: ${e.message}`);
  }
}

/** Map a HELM frontend link (?group=…, ?runSpecs=[…]) to one of our routes, or null. */
function helmHref(suite, href) {
  if (typeof href !== "string" || !href.includes("?")) return null;
  const params = new URLSearchParams(href.slice(href.indexOf("?") + 1));
  if (params.has("runSpecs")) {
    try {
      const names = JSON.parse(params.get("runSpecs"));
      if (Array.isArray(names) && names.length === 1) return runHref(suite, names[0]);
    } catch (e) {
      return null;
    }
  }
  if (params.has("runSpec")) return runHref(suite, params.get("runSpec"));
  if (params.has("group")) return routeHref(suite, "group", params.get("group"));
  return null;
}

function helmTable(suite, table) {
  const cell = (c, tag, first) => {
    const value = c && c.display_value !== undefined ? c.display_value : c ? c.value : null;
    const text = typeof value === "number" ? fmtNum(value) : value === null || value === undefined ? "–" : String(value);
    const href = c ? helmHref(suite, c.href) : null;
    const bold = c && c.style && c.style["font-weight"] === "bold";
    const content = c && c.markdown && typeof value === "string" ? markdown(value) : text;
    return el(
      tag,
      {
        class: `${typeof value === "number" ? "num" : ""}${bold ? " best" : ""}${first ? " model-col" : ""}${c && c.markdown ? " md" : ""}`,
        title: c && c.description ? markdownText(c.description) : null,
        "data-value": typeof (c && c.value) === "number" ? c.value : null,
      },
      href ? el("a", { href }, text) : content
    );
  };
  return el(
    "section",
    { class: "helm-table" },
    table.title ? el("h3", {}, table.title) : null,
    table.description ? el("p", { class: "muted md" }, markdown(table.description)) : null,
    el(
      "div",
      { class: "table-wrap" },
      makeSortable(
        el(
          "table",
          { class: "grid" },
          el("thead", {}, el("tr", {}, (table.header || []).map((h, i) => cell(h, "th", i === 0)))),
          el("tbody", {}, (table.rows || []).map((row) => el("tr", {}, row.map((c, i) => cell(c, i ? "td" : "th", i === 0)))))
        )
      )
    )
  );
}

async function renderGroups(suite, group) {
  const alive = beginView(group ? `Group ${group}` : `Groups ${suite}`);
  renderNav(suite, "groups");
  try {
    const overview = await loadOverview(suite);
    const tables = group ? await api(`/api/suites/${enc(suite)}/groups/${enc(group)}`) : overview.groups;
    if (!alive()) return;
    renderNav(suite, "groups");
    if (!Array.isArray(tables)) throw new ApiError(group ? `groups/${group}.json is not a list of tables` : "no groups.json: run helm-summarize");
    setMain(
      group ? el("nav", { class: "crumbs" }, el("a", { href: routeHref(suite, "groups") }, "Groups"), " › ", group) : null,
      el("h1", {}, group ? `Group ${group}` : "Run groups", " ", el("span", { class: "muted" }, "from helm-summarize")),
      overview.summarize && overview.summarize.state === "stale"
        ? notice("warn", "helm-summarize output is older than the newest run: these tables leave out the newest runs (run helm-summarize again to update them).")
        : null,
      tables.map((t) => helmTable(suite, t))
    );
  } catch (e) {
    if (alive()) showError(`Could not load ${group ? `group ${group}` : "the groups"}: ${e.message}`);
  }
}

// ---------------------------------------------------------------------------------------------------
// routing: #/s/<suite>[/runs | /run/<run>[/instance/<id>] | /plots | /groups | /group/<g>][?query]

async function route() {
  const hash = location.hash.replace(/^#/, "") || "/";
  const q = hash.indexOf("?");
  const path = q >= 0 ? hash.slice(0, q) : hash;
  const params = new URLSearchParams(q >= 0 ? hash.slice(q + 1) : "");
  let parts;
  try {
    parts = path.split("/").filter((p) => p !== "").map(decodeURIComponent);
  } catch (e) {
    showError("This address is not valid.");
    return;
  }
  if (!app.suites.length) {
    beginView();
    try {
      const listed = await api("/api/suites");
      app.suites = listed.suites;
      app.defaultSuite = listed.default;
    } catch (e) {
      showError(`Could not reach the server: ${e.message}`);
      return;
    }
    if (!app.suites.length) {
      showError("The server serves no suites.");
      return;
    }
  }
  if (parts[0] !== "s" || parts.length < 2) {
    location.replace(routeHref(app.defaultSuite && app.suites.includes(app.defaultSuite) ? app.defaultSuite : app.suites[0]));
    return;
  }
  const suite = parts[1];
  const [page, a, b, c] = parts.slice(2);
  if (!app.suites.includes(suite)) {
    beginView();
    renderNav(null);
    showError(`Unknown suite ${suite}.`, el("p", {}, "Served suites: ", app.suites.map((s, i) => [i ? ", " : "", el("a", { href: routeHref(s) }, s)])));
    return;
  }
  if (!page) return renderLeaderboard(suite, params);
  if (page === "compare") return renderCompare(suite, params);
  if (page === "runs") return renderRuns(suite, params);
  if (page === "run" && a && b === "instance" && c) return renderInstance(suite, a, c);
  if (page === "run" && a) return renderRun(suite, a, params);
  if (page === "plots") return renderPlots(suite);
  if (page === "groups") return renderGroups(suite, null);
  if (page === "group" && a) return renderGroups(suite, a);
  beginView();
  renderNav(suite, null);
  showError("No such page.", el("p", {}, el("a", { href: routeHref(suite) }, "← leaderboard")));
}

window.addEventListener("hashchange", () => {
  route();
  window.scrollTo(0, 0);
});
window.addEventListener("DOMContentLoaded", route);
