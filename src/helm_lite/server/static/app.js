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
// leaderboard

function leaderboardTable(suite, board) {
  const head = el(
    "tr",
    {},
    el("th", { class: "model-col" }, "Model"),
    el("th", { class: "num", title: "How many models this model outperforms on average (over columns)." }, "Mean win rate"),
    board.columns.map((c) =>
      el(
        "th",
        { class: "num", title: `${c.metric} on split ${c.split}${c.lower_is_better ? " (lower is better)" : ""}` },
        el("a", { href: withQuery(routeHref(suite, "runs"), { group: c.group }) }, c.group),
        el("div", { class: "metric-name" }, `${c.metric} (${c.split})${c.lower_is_better ? " ↓" : ""}`)
      )
    )
  );
  const best = board.columns.map((c, j) => {
    const values = board.rows.map((r) => (r.cells[j] ? r.cells[j].value : null)).filter((v) => v !== null);
    if (values.length < 2 || c.lower_is_better === null) return null;
    return c.lower_is_better ? Math.min(...values) : Math.max(...values);
  });
  // Rows are (deployment, model) as in helm-summarize; the deployment is shown only to tell rows apart.
  const twins = (model) => board.rows.filter((r) => r.model === model).length > 1;
  const body = board.rows.map((row) =>
    el(
      "tr",
      {},
      el(
        "th",
        { class: "model-col", scope: "row" },
        el("a", { href: withQuery(routeHref(suite, "runs"), { model: row.model }) }, row.model),
        twins(row.model) ? el("div", { class: "metric-name" }, row.model_deployment) : null
      ),
      el("td", { class: "num win-rate", "data-value": row.win_rate }, fmt3(row.win_rate)),
      row.cells.map((cell, j) => {
        if (!cell) return el("td", { class: "num empty", title: "No matching runs" }, "–");
        const runs = cell.runs;
        const title = runs.map((r) => `${r.name}: ${r.value}`).join("\n");
        const href =
          runs.length === 1
            ? runHref(suite, runs[0].name)
            : withQuery(routeHref(suite, "runs"), { model: row.model, group: board.columns[j].group });
        return el(
          "td",
          { class: `num metric${cell.value === best[j] ? " best" : ""}`, title, "data-value": cell.value },
          el("a", { href }, fmt3(cell.value)),
          runs.length > 1 ? el("span", { class: "runs-count" }, ` (${runs.length} runs)`) : null
        );
      })
    )
  );
  return el("div", { class: "table-wrap" }, el("table", { class: "grid leaderboard", id: "leaderboard" }, el("thead", {}, head), el("tbody", {}, body)));
}

function csvTable(csv) {
  return el(
    "div",
    { class: "table-wrap" },
    el(
      "table",
      { class: "grid", id: "summarize-leaderboard" },
      el("thead", {}, el("tr", {}, csv.header.map((h, i) => el("th", { class: i ? "num" : "model-col" }, h)))),
      el(
        "tbody",
        {},
        csv.rows.map((row) =>
          el(
            "tr",
            {},
            row.map((v, i) => {
              const n = Number(v);
              const numeric = i > 0 && v.trim() !== "" && Number.isFinite(n);
              return el(i ? "td" : "th", { class: i ? "num" : "model-col", title: numeric ? v : null }, numeric ? fmt3(n) : v);
            })
          )
        )
      )
    )
  );
}

async function renderLeaderboard(suite) {
  const alive = beginView(`Leaderboard ${suite}`);
  renderNav(suite, "leaderboard");
  try {
    const [overview, board] = await Promise.all([loadOverview(suite), api(`/api/suites/${enc(suite)}/leaderboard`)]);
    if (!alive()) return;
    renderNav(suite, "leaderboard");
    const parts = [el("h1", {}, "Leaderboard ", el("span", { class: "muted" }, `suite ${suite}`))];
    for (const p of overview.problems || []) parts.push(notice("warn", p));
    if (overview.leaderboard_csv) {
      parts.push(
        el("h2", {}, "helm-summarize leaderboard"),
        el("p", { class: "muted" }, "From leaderboard.csv written by helm-summarize."),
        csvTable(overview.leaderboard_csv)
      );
    }
    parts.push(
      el("h2", {}, "Main metric per run group"),
      el(
        "p",
        { class: "muted" },
        "Computed from each run's stats.json: the first of exact_match, quasi_exact_match, exact_match_indicator, " +
          "final_number_exact_match, math_equiv_chain_of_thought, f1_score, bleu_4, perplexity on split test " +
          "(else valid). Several runs in one cell are averaged. Hover a cell for its runs; click to open."
      )
    );
    if (!board.rows.length) parts.push(notice("info", "No finished runs with a main metric in this suite yet."));
    else parts.push(leaderboardTable(suite, board));
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
            el("td", {}, el("a", { href: runHref(suite, r.name), class: "run-link" }, r.name), r.problems.map((p) => el("div", { class: "problem" }, p))),
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
    return el(tag, { class: `${typeof value === "number" ? "num" : ""}${bold ? " best" : ""}${first ? " model-col" : ""}`, title: c && c.description ? c.description : null }, href ? el("a", { href }, text) : text);
  };
  return el(
    "section",
    { class: "helm-table" },
    table.title ? el("h3", {}, table.title) : null,
    el(
      "div",
      { class: "table-wrap" },
      el(
        "table",
        { class: "grid" },
        el("thead", {}, el("tr", {}, (table.header || []).map((h, i) => cell(h, "th", i === 0)))),
        el("tbody", {}, (table.rows || []).map((row) => el("tr", {}, row.map((c, i) => cell(c, i ? "td" : "th", i === 0)))))
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
      app.suites = (await api("/api/suites")).suites;
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
    location.replace(routeHref(app.suites[0]));
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
  if (!page) return renderLeaderboard(suite);
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
