// QA pages: dashboard, runs, run detail, serial history, audit, limit sets,
// users. Every number comes from the server (the CLI's queries); a page the
// role may not use shows the server's refusal, nothing is hidden.
import { api, ApiError, query } from "./api.js";
import { h, clear } from "./dom.js";
import { barChart, lineChart } from "./charts.js";
import { drawEndFaces, legend } from "./endface.js";
import { dateTime, gradeName, percent } from "./format.js";
import { t } from "./i18n.js";

const FILTERS = ["from", "to", "part", "station", "operator"];

// The plant's QA pages (serve --db postgresql://...): its limits and users
// change at the plant, not here.
function atPlant(ctx) {
  return ctx.session?.record?.source === "plant";
}

function errorBox(error) {
  if (error instanceof ApiError) {
    return h("div", { class: "bar bar-bad error-box", role: "alert" },
      h("strong", { text: `${error.status} · ${error.message}` }),
      error.detail ? h("span", { text: ` — ${error.detail}` }) : null,
      error.status === 403 ? h("p", { class: "error-hint", text: t("qa.forbidden_hint") }) : null);
  }
  return h("div", { class: "bar bar-bad error-box", role: "alert", text: String(error.message || error) });
}

function filtersOf(params) {
  const out = {};
  for (const key of FILTERS) if (params.get(key)) out[key] = params.get(key);
  return out;
}

function hashWith(path, params) {
  return `#${path}${query(params)}`;
}

// Downloads of the records behind the page, with its filters: the server
// answers exactly as `mpobench export` does.
function exportLinks(filters) {
  const link = (format, table) =>
    h("a", { class: "button button-small", href: `/api/export${query({ ...filters, format, table })}`, download: "", text: t(`export.${format}_${table}`) });
  return h("div", { class: "exports", id: "exports" },
    h("span", { class: "form-label", text: t("export.title") }),
    link("csv", "runs"), link("csv", "measurements"), link("xlsx", "runs"), link("json", "runs"));
}

function card(title, id, ...content) {
  return h("section", { class: "card", id }, h("h2", { class: "card-title", text: title }), ...content);
}

async function load(container, path, draw) {
  const slot = h("div", { class: "card-body", text: t("qa.loading") });
  container.append(slot);
  try {
    const data = await api.get(path);
    clear(slot);
    draw(slot, data);
  } catch (error) {
    clear(slot);
    slot.append(errorBox(error));
    if (!(error instanceof ApiError)) throw error;
  }
}

function filterForm(params, target) {
  const inputs = {};
  const field = (key, type) => {
    inputs[key] = h("input", { class: "field field-small", type, id: `filter-${key}`, value: params.get(key) || "" });
    return h("label", { class: "filter" }, h("span", { class: "form-label", text: t(`filter.${key}`) }), inputs[key]);
  };
  const form = h("form", { class: "filters", id: "filters" },
    field("from", "date"), field("to", "date"), field("part", "text"), field("station", "text"), field("operator", "text"),
    h("button", { class: "button", type: "submit", text: t("filter.apply") }));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const values = {};
    for (const key of FILTERS) values[key] = inputs[key].value.trim();
    window.location.hash = hashWith(target, values);
  });
  return form;
}

// ---- dashboard
function dashboard(root, params) {
  const filters = filtersOf(params);
  const runsWith = (extra) => { window.location.hash = hashWith("/runs", { ...filters, ...extra }); };
  root.append(h("h1", { class: "page-title", text: t("qa.dashboard") }), filterForm(params, "/qa"), exportLinks(filters));
  const grid = h("div", { class: "cards" });
  root.append(grid);

  const yieldCard = card(t("qa.yield_trend"), "chart-yield");
  const mixCard = card(t("qa.grade_mix"), "chart-grades");
  const paretoCard = card(t("qa.pareto"), "chart-pareto");
  const histCard = card(t("qa.histogram"), "chart-histogram");
  const spcCard = card(t("qa.spc"), "chart-spc");
  grid.append(yieldCard, mixCard, paretoCard, histCard, spcCard);

  load(yieldCard, `/api/yield${query({ ...filters, by: "day" })}`, (slot, data) => {
    const rows = data.rows || [];
    const total = data.total || {};
    slot.append(h("p", { class: "summary", id: "yield-summary", text: t("qa.yield_summary", {
      completed: total.completed ?? 0,
      first: percent(total.first_pass_yield),
      final: percent(total.final_yield),
      retests: total.retests ?? 0,
    }) }));
    if (!rows.length) {
      slot.append(h("p", { class: "muted", text: t("qa.no_data") }));
    } else {
      const toPct = (v) => (v === null || v === undefined ? null : v * 100);
      slot.append(lineChart({
        labels: rows.map((r) => r.group),
        series: [
          { name: t("qa.first_pass"), className: "series-1", values: rows.map((r) => toPct(r.first_pass_yield)) },
          { name: t("qa.final"), className: "series-2", symbol: "square", values: rows.map((r) => toPct(r.final_yield)) },
        ],
        min: 0,
        max: 100,
        format: (v) => `${v.toFixed(0)} %`,
        ariaLabel: t("qa.yield_trend"),
        onPoint: (i) => runsWith({ from: rows[i].group, to: rows[i].group }),
      }));
      slot.append(h("ul", { class: "chart-legend" },
        h("li", { class: "key key-1", text: `● ${t("qa.first_pass")}` }),
        h("li", { class: "key key-2", text: `■ ${t("qa.final")}` })));
    }
  });

  load(mixCard, `/api/yield${query({ ...filters, by: "day" })}`, (slot, data) => {
    const grades = data.total?.grades || {};
    const items = ["elite", "standard", "generic", "fail"].map((grade) => ({
      label: gradeName(grade), value: grades[grade] || 0, className: `bar-${grade}`, grade,
    }));
    slot.append(barChart({ items, ariaLabel: t("qa.grade_mix"), onBar: (item) => runsWith({ grade: item.grade }) }));
  });

  load(paretoCard, `/api/pareto${query(filters)}`, (slot, data) => {
    slot.append(h("p", { class: "summary", text: t("qa.pareto_summary", { failed: data.failed_runs ?? 0, completed: data.completed_runs ?? 0 }) }));
    const rows = (data.by_cause || []).slice(0, 10);
    if (!rows.length) {
      slot.append(h("p", { class: "muted", text: t("qa.no_failures") }));
      return;
    }
    slot.append(barChart({
      items: rows.map((r) => ({ label: r.item, value: r.count, title: `${r.item}: ${r.count} (${percent(r.share)}, ${t("qa.cumulative")} ${percent(r.cumulative)})` })),
      ariaLabel: t("qa.pareto"),
      onBar: () => runsWith({ pass: "false" }),
    }));
  });

  load(histCard, `/api/histogram${query(filters)}`, (slot, data) => {
    const series = data.series || [];
    if (!series.length) slot.append(h("p", { class: "muted", text: t("qa.no_data") }));
    for (const one of series) {
      const bin = one.bin_db ?? data.bin_db;
      // Empty bins between the first and the last are drawn as zero.
      const counts = new Map((one.bins || []).map((b) => [Math.round(b.from_db / bin), b.count]));
      const keys = [...counts.keys()];
      const items = [];
      for (let k = Math.min(...keys); k <= Math.max(...keys); ++k) {
        items.push({ label: (k * bin).toFixed(2), value: counts.get(k) || 0, className: "bar-wl", title: `${(k * bin).toFixed(2)}–${((k + 1) * bin).toFixed(2)} dB: ${counts.get(k) || 0}` });
      }
      const title = t("qa.histogram_wl", { wl: one.wavelength_nm, bin, n: one.count ?? "" }) +
        (one.elite_max_db !== undefined && one.elite_max_db !== null ? ` · ${t("qa.elite_max", { max: one.elite_max_db })}` : "");
      slot.append(h("h3", { class: "chart-title", text: title }));
      if (items.length) slot.append(barChart({ items, ariaLabel: title }));
    }
  });

  load(spcCard, `/api/trend${query({ ...filters, period: "day" })}`, (slot, data) => {
    const series = data.series || [];
    if (!series.length) slot.append(h("p", { class: "muted", text: t("qa.no_data") }));
    for (const one of series) {
      const points = one.points || [];
      slot.append(h("h3", { class: "chart-title", text: t("qa.spc_wl", { wl: one.wavelength_nm }) }));
      const rules = [];
      if (one.centre_db !== null && one.centre_db !== undefined) rules.push({ value: one.centre_db, name: t("qa.centre"), className: "rule-centre" });
      if (one.ucl_db !== null && one.ucl_db !== undefined) rules.push({ value: one.ucl_db, name: t("qa.ucl"), className: "rule-limit" });
      if (one.lcl_db !== null && one.lcl_db !== undefined) rules.push({ value: one.lcl_db, name: t("qa.lcl"), className: "rule-limit" });
      slot.append(lineChart({
        labels: points.map((p) => p.period),
        series: [{
          name: t("qa.mean_il"),
          className: "series-1",
          values: points.map((p) => p.mean_db),
          flags: points.map((p) => ((p.rules || []).length ? `⚠ ${p.rules.join(", ")}` : null)),
        }],
        rules,
        format: (v) => `${v.toFixed(3)} dB`,
        ariaLabel: t("qa.spc_wl", { wl: one.wavelength_nm }),
        onPoint: (i) => runsWith({ from: points[i].period, to: points[i].period }),
      }));
    }
  });
}

// ---- runs
function runTable(runs, { showSerialLink = true } = {}) {
  return h("table", { class: "table", id: "runs-table" },
    h("thead", {}, h("tr", {}, ["id", "serial", "part", "attempt", "result", "grade", "target", "operator", "station", "time", "today"].map((k) => h("th", { text: t(`runs.${k}`) })))),
    h("tbody", {}, runs.map((run) => h("tr", {},
      h("td", {}, h("a", { href: `#/runs/${encodeURIComponent(run.ref ?? run.id)}`, text: `#${run.id}` })),
      h("td", {}, showSerialLink ? h("a", { href: `#/serial/${encodeURIComponent(run.serial)}`, text: run.serial }) : run.serial),
      h("td", { text: run.part }),
      h("td", { text: run.attempt ?? "" }),
      h("td", { class: run.pass ? "cell-pass" : "cell-fail", text: run.status !== "completed" ? `■ ${t(`status.${run.status}`)}` : run.pass ? `✓ ${t("verdict.pass")}` : `✗ ${t("verdict.fail")}` }),
      h("td", { text: gradeName(run.grade) }),
      h("td", { text: gradeName(run.target) }),
      h("td", { text: run.operator }),
      h("td", { text: run.station }),
      h("td", { text: dateTime(run.started_at) }),
      h("td", {}, run.tested_today > 1 ? h("span", { class: "flag", text: `⚑ ${t("history.flag", { n: run.tested_today })}` }) : "")))));
}

function runsPage(root, params) {
  const filters = filtersOf(params);
  root.append(h("h1", { class: "page-title", text: t("runs.title") }), filterForm(params, "/runs"), exportLinks(filters));
  const serialForm = h("form", { class: "filters" });
  const serialInput = h("input", { class: "field field-small", id: "serial-search", type: "text", autocomplete: "off" });
  serialForm.append(h("label", { class: "filter" }, h("span", { class: "form-label", text: t("runs.serial_search") }), serialInput),
    h("button", { class: "button", type: "submit", text: t("runs.serial_go") }));
  serialForm.addEventListener("submit", (event) => {
    event.preventDefault();
    if (serialInput.value.trim()) window.location.hash = `#/serial/${encodeURIComponent(serialInput.value.trim())}`;
  });
  root.append(serialForm);
  const extra = {};
  if (params.get("grade")) extra.grade = params.get("grade");
  if (params.get("pass")) extra.pass = params.get("pass");
  load(root, `/api/runs${query({ ...filters, ...extra, limit: 200 })}`, (slot, data) => {
    // The drill-down from a chart narrows here too, whatever the server filtered.
    const runs = (data.runs || []).filter((run) =>
      (!filters.from || run.started_at.slice(0, 10) >= filters.from.slice(0, 10)) &&
      (!filters.to || run.started_at.slice(0, 10) <= filters.to.slice(0, 10)) &&
      (!filters.part || run.part === filters.part) &&
      (!filters.station || run.station === filters.station) &&
      (!filters.operator || run.operator === filters.operator) &&
      (!extra.grade || run.grade === extra.grade) &&
      (!extra.pass || String(Boolean(run.pass)) === extra.pass));
    const shown = [...Object.entries(filters), ...Object.entries(extra)].map(([k, v]) => `${k}=${v}`).join(", ");
    slot.append(h("p", { class: "summary", text: t("runs.count", { n: runs.length, filters: shown || t("runs.all") }) }));
    slot.append(runs.length ? runTable(runs) : h("p", { class: "muted", text: t("qa.no_data") }));
  });
}

function fibersOf(run) {
  if (run.part_view?.fibers) return run.part_view.fibers;
  if (run.fibers) return run.fibers;
  if (run.polarity?.map?.length) return run.polarity.map.length;
  return Math.max(0, ...(run.measurements || []).map((m) => m.fiber));
}

function runDetail(root, id) {
  root.append(h("p", {}, h("a", { href: "#/runs", text: `← ${t("runs.title")}` })));
  load(root, `/api/runs/${encodeURIComponent(id)}`, (slot, run) => {
    slot.append(h("h1", { class: "page-title", text: t("run.title", { id: run.run_id ?? id, serial: run.serial }) }));
    const verdict = run.status !== "completed"
      ? `■ ${t(`status.${run.status}`)}${run.reason ? ` — ${run.reason}` : ""}`
      : run.pass ? `✓ ${t("verdict.pass")} · ${gradeName(run.grade)}` : `✗ ${t("verdict.fail")} · ${t(run.grade === "fail" ? "verdict.no_grade_vs_target" : "verdict.grade_vs_target", { grade: gradeName(run.grade), target: gradeName(run.target_grade) })}`;
    slot.append(h("div", { class: ["bar", run.pass ? "bar-good" : "bar-bad"], id: "run-verdict", text: verdict }));
    const facts = [
      ["serial", h("a", { href: `#/serial/${encodeURIComponent(run.serial)}`, text: run.serial })],
      ["part", run.part],
      ["target", gradeName(run.target_grade)],
      ["operator", run.operator ?? "—"],
      ["station", run.station ?? "—"],
      ["time", dateTime(run.started_at)],
      ["polarity", run.polarity ? `${run.polarity.expected} · ${run.polarity.ok ? `✓ ${t("run.ok")}` : `✗ ${t("run.wrong")}`}` : "—"],
      ["hash", h("code", { class: "hash", text: run.record_hash || "—" })],
      ["verified", run.record_verified === true ? `✓ ${t("run.verified")}` : run.record_verified === false ? `✗ ${t("run.not_verified")}` : "—"],
    ];
    slot.append(h("dl", { class: "facts", id: "run-facts" }, facts.flatMap(([k, v]) => [h("dt", { text: t(`fact.${k}`) }), h("dd", {}, v)])));
    slot.append(h("p", {}, h("a", { class: "button button-cert", id: "certificate", href: `/api/runs/${encodeURIComponent(run.ref ?? id)}/certificate.pdf`, target: "_blank", rel: "noopener", text: t("verdict.certificate") })));
    if ((run.failure_texts || []).length) {
      slot.append(h("ul", { class: "failure-texts", id: "failure-texts" }, run.failure_texts.map((text) => h("li", { text: `✗ ${text}` }))));
    }
    const fibers = fibersOf(run);
    if (fibers) {
      slot.append(h("div", { class: "face-wrap face-wrap-qa", id: "endface" }, drawEndFaces({
        fibers,
        rows: run.part_view?.rows,
        rowWidth: run.part_view?.row_width,
        measurements: run.measurements || [],
        failures: run.failures || [],
        polarityOk: run.polarity?.ok ?? null,
        polarity: run.part_view?.polarity ?? run.polarity?.expected ?? null,
      })), legend(["pass", "fail", "nolight"], { marked: Boolean(run.failures?.length) }));
    }
    const failedKeys = new Set((run.failures || []).map((f) => `${f.end}:${f.fiber}:${f.wavelength_nm}`));
    slot.append(h("table", { class: "table", id: "measurements" },
      h("thead", {}, h("tr", {}, ["end", "fiber", "wavelength", "il", "rl", "far", "status"].map((k) => h("th", { text: t(`meas.${k}`) })))),
      h("tbody", {}, (run.measurements || []).map((m) => {
        const bad = failedKeys.has(`${m.end}:${m.fiber}:${m.wavelength_nm}`);
        return h("tr", { class: bad ? "row-fail" : "" },
          h("td", { text: m.end }),
          h("td", { text: m.fiber }),
          h("td", { text: `${m.wavelength_nm} nm` }),
          h("td", { text: m.il_db === null || m.il_db === undefined ? "—" : m.il_db.toFixed(3) }),
          h("td", {
            text: (m.rl_db === null || m.rl_db === undefined ? (m.rl_above_db ? `>${m.rl_above_db}` : "—") : m.rl_db.toFixed(1)) +
              (m.rl_marginal ? " ‡" : ""),
            title: m.rl_windows ? t(m.rl_marginal ? "meas.rl_marginal" : "meas.rl_windows", { windows: m.rl_windows }) : "",
          }),
          h("td", { text: m.far_position || "—" }),
          h("td", { text: bad ? `✗ ${t("meas.failed")}` : m.status && m.status !== "ok" ? `✗ ${m.status}` : "✓" }));
      }))));
  });
}

function serialPage(root, serial) {
  root.append(h("h1", { class: "page-title", text: t("serial.title", { serial }) }));
  load(root, `/api/runs${query({ serial })}`, (slot, data) => {
    const runs = data.runs || [];
    slot.append(h("p", { class: "summary", text: t("serial.attempts", { n: runs.length }) }));
    slot.append(runs.length ? runTable(runs, { showSerialLink: false }) : h("p", { class: "muted", text: t("qa.no_data") }));
  });
}

// ---- audit
function auditPage(root) {
  root.append(h("h1", { class: "page-title", text: t("audit.title") }));
  load(root, "/api/audit", (slot, data) => {
    if (data.chained === false) {
      slot.append(h("div", { class: "bar bar-info", id: "audit-plant", text: t("audit.plant_log") }));
    } else {
      slot.append(h("div", { class: ["bar", data.verified ? "bar-good" : "bar-bad"], id: "audit-verified",
        text: data.verified ? `✓ ${t("audit.verified")}` : `✗ ${t("audit.broken", { seq: data.first_broken?.seq ?? "?" })}` }));
    }
    slot.append(h("table", { class: "table", id: "audit-table" },
      h("thead", {}, h("tr", {}, ["seq", "at", "actor", "source", "address", "action", "detail"].map((k) => h("th", { text: t(`audit.${k}`) })))),
      h("tbody", {}, (data.entries || []).map((e) => h("tr", {},
        h("td", { text: e.seq }),
        h("td", { text: dateTime(e.at) }),
        h("td", { text: e.actor }),
        h("td", { text: e.source }),
        h("td", { text: e.address ?? "" }),
        h("td", { text: e.action }),
        h("td", {}, h("code", { class: "detail", text: JSON.stringify(e.detail ?? {}) })))))));
  });
}

// A page's message line and its POST actions: the outcome said there, the
// page redrawn after a success.
function actionsOn(message, refresh) {
  const say = (node) => { clear(message); message.append(node); };
  const act = async (what, path, body) => {
    try {
      await api.post(path, body);
      say(h("div", { class: "bar bar-good", text: `✓ ${t(what)}` }));
      refresh();
    } catch (error) {
      say(errorBox(error));
      if (!(error instanceof ApiError)) throw error;
    }
  };
  return { say, act };
}

// ---- limit sets
function limitsPage(root, ctx) {
  root.append(h("h1", { class: "page-title", text: t("limits.title") }));
  const listHost = h("div", { id: "limits-list" });
  const viewHost = h("div", { id: "limits-view" });
  const message = h("div", { id: "limits-message", "aria-live": "polite" });
  root.append(message, listHost, viewHost);

  const { say, act } = actionsOn(message, refresh);

  function refresh() {
    clear(listHost);
    load(listHost, "/api/limits", (slot, data) => {
      const inUse = data.in_use || {};
      if (data.read_only) {
        slot.append(h("p", { class: "bar bar-info", id: "limits-at-plant", text: inUse.source === "plant"
          ? t("limits.plant_in_use", { name: inUse.name, version: inUse.version, id: inUse.id, by: inUse.activated_by })
          : t("limits.plant_none") }));
        slot.append(h("p", { class: "muted", id: "limits-read-only", text: t("limits.plant_read_only") }));
      } else if (inUse.source === "plant") {
        slot.append(h("p", { class: "bar bar-info", id: "limits-from-plant", text: t("limits.from_plant", {
          name: inUse.name, version: inUse.version, id: inUse.id, by: inUse.activated_by,
          plant: inUse.plant, fetched: dateTime(inUse.fetched_at) }) }));
      }
      slot.append(h("table", { class: "table", id: "limits-table" },
        h("thead", {}, h("tr", {}, ["name", "version", "uploaded", "activated", "state", ""].map((k) => h("th", { text: k ? t(`limits.${k}`) : "" })))),
        h("tbody", {}, (data.limit_sets || []).map((set) => h("tr", {},
          h("td", { text: set.name }),
          h("td", { text: set.version }),
          h("td", { text: `${set.uploaded_by} · ${dateTime(set.uploaded_at)}` }),
          h("td", { text: set.activated_by ? `${set.activated_by} · ${dateTime(set.activated_at)}` : "—" }),
          h("td", { text: set.active ? `✓ ${t("limits.active")}` : set.activated_by ? t("limits.retired") : t("limits.pending") }),
          h("td", {},
            h("button", { class: "button button-small", type: "button", text: t("limits.view"), onclick: () => view(set.id) }),
            !set.activated_by && !data.read_only ? h("button", { class: "button button-small", type: "button", text: t("limits.activate"), onclick: () => act("limits.activated", `/api/limits/${set.id}/activate`, {}) }) : null))))));
    });
  }

  function view(id) {
    clear(viewHost);
    load(viewHost, `/api/limits/${id}`, (slot, set) => {
      slot.append(h("h2", { class: "card-title", text: `${set.name} ${set.version} · ${set.hash}` }), h("pre", { class: "toml", text: set.body || "" }));
    });
  }

  const toml = h("textarea", { class: "field toml-input", id: "limits-toml", rows: "10", spellcheck: "false" });
  const upload = h("form", { class: "card", id: "limits-upload" },
    h("h2", { class: "card-title", text: t("limits.upload") }),
    h("p", { class: "muted", text: t("limits.upload_hint") }),
    toml,
    h("button", { class: "button", type: "submit", id: "limits-upload-button", text: t("limits.upload_button") }));
  upload.addEventListener("submit", (event) => {
    event.preventDefault();
    act("limits.uploaded", "/api/limits", { toml: toml.value });
  });
  // The plant's limit sets change at the plant (the list says how).
  if (!atPlant(ctx)) root.append(upload);
  refresh();
}

// ---- users
function usersPage(root, ctx) {
  const plant = atPlant(ctx);
  root.append(h("h1", { class: "page-title", text: t("users.title") }));
  const message = h("div", { id: "users-message", "aria-live": "polite" });
  const listHost = h("div", { id: "users-list" });
  root.append(message, listHost);
  const { say, act } = actionsOn(message, refresh);
  function refresh() {
    clear(listHost);
    load(listHost, "/api/users", (slot, data) => {
      slot.append(h("table", { class: "table", id: "users-table" },
        h("thead", {}, h("tr", {}, ["name", "role", "enabled", "created", ""].map((k) => h("th", { text: k ? t(`users.${k}`) : "" })))),
        h("tbody", {}, (data.users || []).map((u) => h("tr", {},
          h("td", { text: u.name }),
          h("td", { text: t(`userrole.${u.role}`) }),
          h("td", { text: u.enabled ? `✓ ${t("users.yes")}` : `✗ ${t("users.no")}` }),
          h("td", { text: dateTime(u.created_at) }),
          h("td", {}, u.enabled && !plant ? h("button", { class: "button button-small", type: "button", text: t("users.disable"),
            onclick: () => act("users.disabled", `/api/users/${encodeURIComponent(u.name)}/disable`, {}) }) : null))))));
    });
  }
  const name = h("input", { class: "field field-small", id: "user-name", type: "text", autocomplete: "off" });
  const role = h("select", { class: "field field-small", id: "user-role" }, ["operator", "qa", "admin"].map((r) => h("option", { value: r, text: t(`userrole.${r}`) })));
  const password = h("input", { class: "field field-small", id: "user-password", type: "password", autocomplete: "new-password" });
  const form = h("form", { class: "card filters", id: "user-add" },
    h("h2", { class: "card-title", text: t("users.add") }),
    h("label", { class: "filter" }, h("span", { class: "form-label", text: t("users.name") }), name),
    h("label", { class: "filter" }, h("span", { class: "form-label", text: t("users.role") }), role),
    h("label", { class: "filter" }, h("span", { class: "form-label", text: t("login.password") }), password),
    h("button", { class: "button", type: "submit", text: t("users.add_button") }));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    act("users.added", "/api/users", { name: name.value.trim(), role: role.value, password: password.value });
  });
  if (plant) root.append(h("p", { class: "bar bar-info", id: "users-at-plant", text: t("users.plant_read_only") }));
  else root.append(form);
  refresh();
}

export function mountQa(root, ctx, parts, params) {
  const page = parts[0];
  if (page === "qa") dashboard(root, params);
  else if (page === "runs" && parts[1]) runDetail(root, parts[1]);
  else if (page === "runs") runsPage(root, params);
  else if (page === "serial" && parts[1]) serialPage(root, parts[1]);
  else if (page === "audit") auditPage(root);
  else if (page === "limits") limitsPage(root, ctx);
  else if (page === "users") usersPage(root, ctx);
  else root.append(h("div", { class: "bar bar-bad", text: t("qa.unknown_page") }));
  return () => {};
}
