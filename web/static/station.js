// The operator page: station header, part + serial entry for a scanner,
// the live run with its end face, prompts, and the verdict that stays on
// screen until the next scan.
import { api, ApiError } from "./api.js";
import { h, s, clear } from "./dom.js";
import { drawEndFaces, legend, describeFibre } from "./endface.js";
import { clock, dateTime, elapsed, minutesLeft, gradeName, setTimeZone } from "./format.js";
import { hasString, t } from "./i18n.js";

const LIVE = new Set(["running", "prompt"]);

function errorText(error) {
  if (error instanceof ApiError) {
    return `${error.status} · ${error.message}${error.detail ? ` — ${error.detail}` : ""}`;
  }
  return String(error.message || error);
}

function instrumentStatus(instrument) {
  if (instrument.status === "ok") return { symbol: "✓", className: "ok", text: t("instrument.ok") };
  if (instrument.status === "cal overdue") return { symbol: "✗", className: "bad", text: t("instrument.cal_overdue") };
  return { symbol: "?", className: "unknown", text: t("instrument.unknown") };
}

// The instrument's name in the string table (source, meter, ...), else as the server gives it.
function instrumentName(instrument) {
  const name = instrument.name || instrument.role;
  return hasString(`role.${name}`) ? t(`role.${name}`) : name;
}

// A picture of the physical step: which end goes to which cord.
function promptPicture(step) {
  const svg = s("svg", { viewBox: "0 0 420 110", class: "prompt-picture", "aria-hidden": "true" });
  const box = (x, label, className) => [
    s("rect", { x, y: 30, width: 150, height: 50, rx: 8, class: className }),
    s("text", { x: x + 75, y: 62, "text-anchor": "middle", class: "prompt-picture-label", text: label }),
  ];
  const launch = t("picture.launch");
  if (step === "connect_reference") {
    svg.append(...box(10, launch, "pic-cord"), ...box(260, t("picture.meter"), "pic-meter"));
  } else if (step === "connect_end_a" || step === "connect_end_b") {
    svg.append(...box(10, launch, "pic-cord"), ...box(260, t("picture.end", { end: step.endsWith("a") ? "A" : "B" }), "pic-dut"));
  } else if (step === "remate") {
    svg.append(...box(10, launch, "pic-cord"), ...box(260, t("picture.remate"), "pic-dut"));
  } else {
    svg.append(...box(10, launch, "pic-cord"), ...box(260, t("picture.cable"), "pic-dut"));
    svg.append(s("line", { x1: 190, y1: 25, x2: 230, y2: 85, class: "pic-cross" }));
    svg.append(s("line", { x1: 230, y1: 25, x2: 190, y2: 85, class: "pic-cross" }));
    return svg;
  }
  svg.append(s("path", { d: "M170 55 L240 55 M228 45 L242 55 L228 65", class: "pic-arrow" }));
  return svg;
}

export function mountStation(root, ctx) {
  const state = {
    station: null,
    current: null,
    runs: [],
    selected: null,
    dimResult: false,
    formError: null,
    retestReasons: null,
    starting: false,
    answeredPrompt: null,
    connection: "connecting",
    mode: null,
  };
  const session = ctx.session;

  // ---- regions, built once
  const header = h("section", { class: "station-header", "aria-label": t("station.header") });
  const banner = h("div", { class: "banner-area", "aria-live": "polite" });
  const left = h("section", { class: "left-column" });
  const right = h("section", { class: "right-column" });
  const history = h("section", { class: "history" });
  const dialogHost = h("div", { class: "dialog-host" });
  root.append(header, banner, h("div", { class: "station-main" }, left, right), history, dialogHost);

  // ---- the form, kept across updates so the cursor stays where it is
  const partSelect = h("select", { id: "part", class: "field", "aria-label": t("form.part") });
  const serialInput = h("input", {
    id: "serial",
    class: "field field-serial",
    type: "text",
    autocomplete: "off",
    spellcheck: "false",
    "aria-label": t("form.serial"),
    placeholder: t("form.serial_placeholder"),
  });
  const reasonSelect = h("select", { id: "retest-reason", class: "field", "aria-label": t("form.retest_reason") });
  const reasonRow = h("label", { class: "form-row hidden" }, h("span", { class: "form-label", text: t("form.retest_reason") }), reasonSelect);
  const startButton = h("button", { id: "start", class: "button button-start", type: "submit", text: t("form.start") });
  const formMessage = h("p", { class: "form-message", role: "alert" });
  const form = h(
    "form",
    { class: "test-form", id: "test-form", novalidate: true },
    h("label", { class: "form-row" }, h("span", { class: "form-label", text: t("form.part") }), partSelect),
    h("label", { class: "form-row" }, h("span", { class: "form-label", text: t("form.serial") }), serialInput),
    reasonRow,
    startButton,
    h("p", { class: "form-hint", text: t("form.hint") }),
    formMessage,
  );

  function partNumbers() {
    return (state.station?.parts || []).map((p) => p.number);
  }

  function startBlocked() {
    const st = state.station;
    if (!st) return t("form.blocked_loading");
    if (!st.bench) return st.reference_problem || t("form.blocked_nobench");
    // A busy station does not disable Start: the busy bar says who holds
    // it, and the server's refusal (409) is shown when Start is pressed.
    if (st.reference_problem) return st.reference_problem;
    return null;
  }

  function fillParts() {
    const chosen = partSelect.value || window.localStorage.getItem("mpobench.part") || "";
    clear(partSelect);
    partSelect.append(h("option", { value: "", text: t("form.part_choose") }));
    for (const part of state.station?.parts || []) {
      partSelect.append(h("option", { value: part.number, text: `${part.number} — ${part.description || ""}` }));
    }
    if (partNumbers().includes(chosen)) partSelect.value = chosen;
  }

  function updateForm() {
    const blocked = startBlocked();
    startButton.disabled = Boolean(blocked) || state.starting;
    startButton.title = blocked || "";
    formMessage.textContent = state.formError || "";
    formMessage.classList.toggle("form-message-error", Boolean(state.formError));
    if (state.retestReasons) {
      const keep = reasonSelect.value;
      clear(reasonSelect);
      reasonSelect.append(h("option", { value: "", text: t("form.retest_choose") }));
      for (const reason of state.retestReasons) reasonSelect.append(h("option", { value: reason, text: reason }));
      reasonSelect.value = keep;
      reasonRow.classList.remove("hidden");
    } else {
      reasonRow.classList.add("hidden");
    }
  }

  async function start() {
    const part = partSelect.value;
    const serial = serialInput.value.trim();
    if (!part) {
      state.formError = t("form.need_part");
      updateForm();
      partSelect.focus();
      return;
    }
    if (!serial) {
      state.formError = t("form.need_serial");
      updateForm();
      serialInput.focus();
      return;
    }
    if (startBlocked()) {
      state.formError = startBlocked();
      updateForm();
      return;
    }
    const body = { part, serial };
    if (state.retestReasons) {
      if (!reasonSelect.value) {
        state.formError = t("form.need_reason");
        updateForm();
        reasonSelect.focus();
        return;
      }
      body.retest_reason = reasonSelect.value;
    }
    state.starting = true;
    state.formError = null;
    updateForm();
    try {
      await api.post("/api/tests", body);
      window.localStorage.setItem("mpobench.part", part);
      state.retestReasons = null;
      state.dimResult = false;
      serialInput.value = "";
    } catch (error) {
      if (error instanceof ApiError && error.status === 422 && Array.isArray(error.body.reasons)) {
        state.retestReasons = error.body.reasons;
        state.formError = t("form.reason_needed", { detail: error.detail || error.message });
        reasonSelect.focus();
      } else if (error instanceof ApiError && error.status === 409) {
        state.formError = `${t("form.refused_busy")} ${errorText(error)}`;
        refreshStation();
      } else {
        state.formError = `${t("form.refused")} ${errorText(error)}`;
      }
    } finally {
      state.starting = false;
      updateForm();
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    start();
  });
  partSelect.addEventListener("change", () => {
    window.localStorage.setItem("mpobench.part", partSelect.value);
    serialInput.focus();
  });
  partSelect.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      serialInput.focus();
    }
  });
  // Scanner flow: a scanned part number fills the part and the cursor stays
  // in the serial; a scanned serial + Enter starts when the part is chosen.
  serialInput.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault();
    const text = serialInput.value.trim();
    if (partNumbers().includes(text)) {
      partSelect.value = text;
      window.localStorage.setItem("mpobench.part", text);
      serialInput.value = "";
      state.formError = t("form.part_scanned", { part: text });
      updateForm();
      return;
    }
    if (!partSelect.value) {
      state.formError = t("form.need_part");
      updateForm();
      partSelect.focus();
      return;
    }
    start();
  });
  serialInput.addEventListener("input", () => {
    if (!state.dimResult && state.current?.state === "finished") {
      state.dimResult = true;
      renderBanner();
      right.classList.add("dimmed");
    }
    if (state.retestReasons) {
      state.retestReasons = null;
      state.formError = null;
      updateForm();
    }
  });

  // The station's forwarding to the plant: nothing when it has no plant.
  function plantStatus(plant) {
    if (!plant) return null;
    const waiting = plant.waiting > 0;
    const title = plant.problem || (plant.last_forwarded_at ? t("station.plant_last", { time: dateTime(plant.last_forwarded_at) }) : "");
    return h("span", {
      class: ["header-plant", waiting ? "status-bad" : "status-ok"],
      id: "plant-status",
      title,
      text: waiting ? t("station.plant_waiting", { count: plant.waiting, since: dateTime(plant.since) }) : `✓ ${t("station.plant_ok")}`,
    });
  }

  // ---- header: station, operator, reference, instruments
  function renderHeader() {
    clear(header);
    const st = state.station;
    if (!st) {
      header.append(h("p", { text: t("station.loading") }));
      return;
    }
    const ref = st.reference;
    let refText;
    let refClass;
    if (!st.bench) {
      refText = t("station.nobench");
      refClass = "bad";
    } else if (!ref) {
      refText = `✗ ${t("station.reference_none")}`;
      refClass = "bad";
    } else if (ref.expired || st.reference_problem) {
      refText = `✗ ${t("station.reference_expired")}`;
      refClass = "bad";
    } else {
      refText = `✓ ${t("station.reference_left", { left: minutesLeft(ref.minutes_left) })}`;
      refClass = "ok";
    }
    const line1 = h(
      "div",
      { class: "header-line" },
      h("strong", { class: "station-name", text: st.station ? t("station.name", { station: st.station }) : t("station.qa_only") }),
      h("span", { class: "header-op", text: t("station.operator", { user: session.user }) }),
      h("span", { class: ["header-ref", `status-${refClass}`], id: "reference-status", text: refText }),
      h("span", { class: ["connection", `connection-${state.connection}`], id: "connection", text: t(`connection.${state.connection}`) }),
      plantStatus(st.plant),
    );
    const instruments = h(
      "ul",
      { class: "instruments" },
      (st.instruments || []).map((instrument) => {
        const status = instrumentStatus(instrument);
        return h(
          "li",
          { class: ["instrument", `status-${status.className}`], title: `${instrument.role || ""} · ${instrument.model || ""} · ${instrument.serial || "—"} · ${status.text}` },
          h("span", { class: "instrument-symbol", text: status.symbol }),
          h("span", { text: instrumentName(instrument) }),
          instrument.cal_due ? h("span", { class: "instrument-cal", text: t("instrument.cal_due", { date: instrument.cal_due }) }) : null,
        );
      }),
    );
    header.append(line1, instruments);
  }

  // ---- banner: verdict, reference problem, busy
  function renderBanner() {
    clear(banner);
    const st = state.station;
    const cur = state.current;
    if (st && st.bench && st.reference_problem && !(cur && LIVE.has(cur.state))) {
      banner.append(
        h(
          "div",
          { class: "bar bar-bad", id: "reference-bar", role: "alert" },
          h("span", { class: "bar-text", text: `✗ ${t("reference.problem", { reason: st.reference_problem })}` }),
          h("button", { class: "button button-bar", id: "take-reference", type: "button", text: t("reference.take"), onclick: takeReference }),
        ),
      );
    }
    if (st && !st.bench) {
      banner.append(h("div", { class: "bar bar-info", text: t("station.nobench_long") }));
    }
    const lock = st?.lock;
    const mine = cur && LIVE.has(cur.state) && startedBy(cur) === session.user;
    if (lock?.held && !mine) {
      banner.append(
        h("div", { class: "bar bar-busy", id: "busy-bar", role: "status" },
          h("span", { class: "bar-text", text: `⚠ ${t("busy.text", {
            operator: lock.operator || "?",
            since: clock(lock.since),
            procedure: t(`procedure.${lock.procedure}`),
            serial: lock.serial || "",
          })}` }),
          h("span", { class: "bar-sub", text: lock.by_this_server ? t("busy.web") : t("busy.cli") }),
        ),
      );
    }
    if (!cur || cur.state !== "finished") return;
    const dim = state.dimResult ? " dimmed" : "";
    if (cur.procedure === "reference") {
      if (cur.aborted) banner.append(abortedPanel(cur, dim));
      else banner.append(h("div", { class: `bar bar-good${dim}`, id: "reference-done", text: `✓ ${t("reference.done")} ${cur.result?.summary || ""}` }));
      return;
    }
    const result = cur.result;
    if (cur.aborted || result?.status === "aborted") {
      banner.append(abortedPanel(cur, dim));
      return;
    }
    if (!result) return;
    if (result.pass) {
      banner.append(
        h(
          "div",
          { class: `verdict verdict-pass${dim}`, id: "verdict", role: "status" },
          h("div", { class: "verdict-main" },
            h("span", { class: "verdict-word", text: `✓ ${t("verdict.pass")}` }),
            h("span", { class: "verdict-grade", text: gradeName(result.grade).toUpperCase() })),
          h("div", { class: "verdict-side" },
            h("span", { class: "verdict-serial", text: t("verdict.serial", { serial: result.serial, part: result.part }) }),
            certificateLink(cur),
            h("span", { class: "verdict-next", text: t("verdict.next") })),
        ),
      );
    } else {
      banner.append(
        h(
          "div",
          { class: `verdict verdict-fail${dim}`, id: "verdict", role: "alert" },
          h("div", { class: "verdict-main" },
            h("span", { class: "verdict-word", text: `✗ ${t("verdict.fail")}` }),
            h("span", { class: "verdict-grade", text: t(result.grade === "fail" ? "verdict.no_grade_vs_target" : "verdict.grade_vs_target", {
              grade: gradeName(result.grade).toUpperCase(),
              target: gradeName(result.target_grade).toUpperCase(),
            }) })),
          h("div", { class: "verdict-side" },
            h("span", { class: "verdict-serial", text: t("verdict.serial", { serial: result.serial, part: result.part }) }),
            h("ul", { class: "failure-texts", id: "failure-texts" },
              (result.failure_texts || []).map((text) => h("li", { text: `✗ ${text}` }))),
            certificateLink(cur),
            h("span", { class: "verdict-next", text: t("verdict.next_fail") })),
        ),
      );
    }
  }

  function certificateLink(cur) {
    const href = cur.result?.certificate || (cur.run_id ? `/api/runs/${cur.run_id}/certificate.pdf` : null);
    if (!href) return null;
    return h("a", { class: "button button-cert", id: "certificate", href, target: "_blank", rel: "noopener", text: t("verdict.certificate") });
  }

  function abortedPanel(cur, dim) {
    const aborted = cur.aborted || { reason: cur.result?.reason, what_to_do: null, nothing_lost: true };
    return h(
      "div",
      { class: `verdict verdict-aborted${dim}`, id: "aborted", role: "alert" },
      h("div", { class: "verdict-main" }, h("span", { class: "verdict-word", text: `■ ${t("aborted.title")}` })),
      h("div", { class: "verdict-side" },
        h("p", { class: "aborted-what", text: t("aborted.what", { reason: aborted.reason || "?" }) }),
        h("p", { class: "aborted-todo", text: t("aborted.todo", { todo: aborted.what_to_do || t("aborted.todo_default") }) }),
        aborted.nothing_lost ? h("p", { class: "aborted-lost", text: `✓ ${t("aborted.nothing_lost")}` }) : null),
    );
  }

  // ---- left column: the form, or the live run, or the prompt
  function startedBy(cur) {
    return cur.started_by ?? cur.operator;
  }

  function canControl() {
    const cur = state.current;
    return cur && (startedBy(cur) === session.user || session.role === "qa" || session.role === "admin");
  }

  function renderLeft() {
    const cur = state.current;
    // Someone else's run: the busy bar names them; this screen keeps the
    // form (its Start gets the server's refusal) and shows their run on the right.
    const live = cur && LIVE.has(cur.state) && canControl();
    const mode = !live ? "form" : cur.state === "prompt" && cur.prompt ? `prompt-${cur.prompt.id}` : "run";
    if (mode === "form") {
      if (state.mode !== "form") {
        clear(left);
        left.append(h("h2", { class: "column-title", text: t("form.title") }), form);
        fillParts();
        serialInput.focus();
      }
      updateForm();
      state.mode = mode;
      return;
    }
    clear(left);
    state.mode = mode;
    const part = cur.part;
    left.append(
      h("div", { class: "run-ident" },
        h("div", { class: "run-part", text: part ? part.number : t(`procedure.${cur.procedure}`) }),
        part ? h("div", { class: "run-desc", text: part.description || "" }) : null,
        cur.serial ? h("div", { class: "run-serial", text: t("run.serial", { serial: cur.serial }) }) : null,
        h("div", { class: "run-op", text: t("run.started_by", { user: startedBy(cur) || "?", at: clock(cur.started_at) }) })),
    );
    if (cur.state === "prompt" && cur.prompt) {
      const step = cur.prompt.step;
      const controls = canControl();
      left.append(
        h("div", { class: "prompt", id: "prompt", role: "alertdialog", "aria-label": t(`prompt.${step}.title`), dataset: { promptId: String(cur.prompt.id), step } },
          h("div", { class: "prompt-title", text: t(`prompt.${step}.title`) }),
          h("div", { class: "prompt-body", text: t(`prompt.${step}.body`, { context: cur.prompt.context || "" }) }),
          promptPicture(step),
          controls
            ? h("div", { class: "prompt-buttons" },
                h("button", { class: "button button-done", id: "prompt-done", type: "button", text: t("prompt.done"), onclick: () => answer("done") }),
                h("button", { class: "button button-abort", id: "prompt-abort", type: "button", text: t("prompt.abort"), onclick: confirmAbort }))
            : h("p", { class: "prompt-notyours", text: t("prompt.not_yours", { user: startedBy(cur) }) }),
          controls ? h("p", { class: "prompt-keys", text: t("prompt.keys") }) : null),
      );
    } else {
      left.append(
        h("div", { class: "activity" },
          h("div", { class: "activity-text", id: "activity", text: cur.activity || t("run.working") }),
          progressBar(cur.progress)),
      );
      if (canControl()) {
        left.append(h("button", { class: "button button-stop", id: "stop", type: "button", text: t("run.stop"), onclick: confirmAbort }));
      }
    }
    left.append(
      h("div", { class: "run-status" },
        h("span", { id: "elapsed", class: "elapsed", text: t("run.elapsed", { time: elapsed(cur.started_at) }) }),
        h("span", { id: "waiting", class: ["waiting", cur.waiting_for === "operator" && "waiting-operator"], text: t("run.waiting", {
          who: cur.waiting_for ? t(`waiting.${cur.waiting_for}`) : t("waiting.nothing"),
        }) })),
    );
  }

  function progressBar(progress) {
    if (!progress || !progress.total) return null;
    const bar = h("div", { class: "progress-fill" });
    bar.style.width = `${Math.min(100, (100 * progress.done) / progress.total).toFixed(1)}%`;
    return h("div", { class: "progress" },
      h("div", { class: "progress-track", role: "progressbar", "aria-valuemin": "0", "aria-valuemax": String(progress.total), "aria-valuenow": String(progress.done) }, bar),
      h("span", { class: "progress-text", text: t("run.progress", { done: progress.done, total: progress.total }) }));
  }

  // ---- right column: the end face
  function renderRight() {
    clear(right);
    const cur = state.current;
    right.classList.toggle("dimmed", Boolean(state.dimResult && cur?.state === "finished"));
    if (!cur || !cur.part || cur.procedure !== "test") {
      if (cur && cur.procedure === "reference" && LIVE.has(cur.state)) {
        right.append(h("h2", { class: "column-title", text: t("reference.running") }), h("p", { class: "reference-note", text: t("reference.note") }));
        return;
      }
      right.append(h("div", { class: "empty-face", text: t("face.empty") }));
      return;
    }
    const progress = cur.progress;
    // While the bench waits for a person nothing is being measured: no ring,
    // and the heading says what it waits for.
    const live = cur.state === "running";
    if (cur.state === "prompt" && cur.prompt) {
      right.append(h("h2", { class: "column-title face-heading", id: "face-heading", text: t("face.heading_prompt", {
        step: t(`prompt.${cur.prompt.step}.title`),
      }) }));
    } else if (live && progress) {
      right.append(h("h2", { class: "column-title face-heading", id: "face-heading", text: t("face.heading", {
        end: progress.end || "?",
        wl: progress.wavelength_nm || "?",
        fiber: progress.fiber || "?",
        fibers: cur.part.fibers,
      }) }));
    } else {
      right.append(h("h2", { class: "column-title face-heading", text: t("face.heading_done", { serial: cur.serial || "" }) }));
    }
    const measurements = cur.measurements || [];
    const svg = drawEndFaces({
      fibers: cur.part.fibers,
      rows: cur.part.rows,
      rowWidth: cur.part.row_width,
      measurements,
      failures: cur.result?.failures || [],
      currentEnd: live ? progress?.end : null,
      currentFiber: live ? progress?.fiber : null,
      polarityOk: cur.result ? cur.result.polarity?.ok ?? null : null,
      polarity: cur.part.polarity,
      selected: state.selected,
      onSelect: (end, fiber) => {
        state.selected = { end, fiber };
        renderRight();
      },
    });
    right.append(h("div", { class: "face-wrap", id: "endface" }, svg), legend(undefined, { marked: Boolean(cur.result?.failures?.length) }));
    let detail = null;
    if (state.selected) detail = describeFibre(measurements, state.selected.end, state.selected.fiber);
    else if (measurements.length) {
      const last = measurements[measurements.length - 1];
      detail = describeFibre(measurements, last.end, last.fiber);
    }
    if (detail) right.append(h("p", { class: "fibre-detail", id: "fibre-detail", text: detail }));
  }

  // ---- last results of this station
  function renderHistory() {
    clear(history);
    history.append(h("h2", { class: "column-title", text: t("history.title") }));
    if (!state.runs.length) {
      history.append(h("p", { class: "muted", text: t("history.none") }));
      return;
    }
    const rows = state.runs.map((run) =>
      h("tr", { class: run.pass ? "row-pass" : "row-fail" },
        h("td", {}, h("a", { href: `#/runs/${run.id}`, text: run.serial })),
        h("td", { text: run.part }),
        h("td", { class: run.pass ? "cell-pass" : "cell-fail", text: run.status !== "completed" ? `■ ${t(`status.${run.status}`)}` : run.pass ? `✓ ${t("verdict.pass")}` : `✗ ${t("verdict.fail")}` }),
        h("td", { text: gradeName(run.grade) }),
        h("td", { text: run.operator }),
        h("td", { text: dateTime(run.started_at) }),
        h("td", { class: "cell-flag" }, run.tested_today > 1 ? h("span", { class: "flag", title: t("history.flag_title"), text: `⚑ ${t("history.flag", { n: run.tested_today })}` }) : "")),
    );
    history.append(
      h("table", { class: "table history-table", id: "history" },
        h("thead", {}, h("tr", {}, ["serial", "part", "result", "grade", "operator", "time", "today"].map((k) => h("th", { text: t(`history.${k}`) })))),
        h("tbody", {}, rows)),
    );
  }

  function renderAll() {
    renderHeader();
    renderBanner();
    renderLeft();
    renderRight();
  }

  // ---- actions
  async function takeReference() {
    try {
      await api.post("/api/reference", {});
      state.formError = null;
    } catch (error) {
      state.formError = `${t("reference.refused")} ${errorText(error)}`;
      updateForm();
    }
  }

  async function answer(what) {
    const cur = state.current;
    if (!cur?.prompt || state.answeredPrompt === cur.prompt.id) return;
    state.answeredPrompt = cur.prompt.id;
    try {
      await api.post("/api/tests/current/prompt", { answer: what });
    } catch (error) {
      state.answeredPrompt = null;
      showMessage(errorText(error));
    }
  }

  async function abortRun() {
    const cur = state.current;
    try {
      if (cur?.state === "prompt" && cur.prompt) await api.post("/api/tests/current/prompt", { answer: "abort" });
      else await api.post("/api/tests/current/abort", {});
    } catch (error) {
      showMessage(errorText(error));
    }
  }

  let dialog = null;
  function closeDialog() {
    if (dialog) dialog.remove();
    dialog = null;
  }

  function confirmAbort() {
    if (dialog) return;
    const yes = h("button", { class: "button button-abort", id: "confirm-abort", type: "button", text: t("abort.yes") });
    const no = h("button", { class: "button", id: "confirm-keep", type: "button", text: t("abort.no") });
    yes.addEventListener("click", () => {
      closeDialog();
      abortRun();
    });
    no.addEventListener("click", closeDialog);
    dialog = h("div", { class: "dialog-backdrop" },
      h("div", { class: "dialog", role: "alertdialog", "aria-modal": "true", "aria-label": t("abort.question") },
        h("p", { class: "dialog-title", text: t("abort.question") }),
        h("p", { class: "dialog-body", text: t("abort.body") }),
        h("div", { class: "dialog-buttons" }, yes, no),
        h("p", { class: "prompt-keys", text: t("abort.keys") })));
    dialogHost.append(dialog);
    yes.focus();
  }

  function showMessage(text) {
    const note = h("div", { class: "bar bar-bad", role: "alert", text });
    banner.prepend(note);
  }

  function onKey(event) {
    if (dialog) {
      if (event.key === "Escape") {
        event.preventDefault();
        closeDialog();
      }
      return;
    }
    const cur = state.current;
    if (!cur || !LIVE.has(cur.state) || !canControl()) return;
    const typing = ["INPUT", "SELECT", "TEXTAREA"].includes(event.target.tagName);
    if (event.key === " " && cur.state === "prompt" && !typing) {
      event.preventDefault();
      answer("done");
    } else if (event.key === "Escape") {
      event.preventDefault();
      confirmAbort();
    }
  }
  document.addEventListener("keydown", onKey);

  // ---- data
  async function refreshStation() {
    try {
      state.station = await api.get("/api/station");
      setTimeZone(state.station.time_zone);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return ctx.loggedOut();
      showMessage(errorText(error));
      return;
    }
    renderHeader();
    renderBanner();
    if (state.mode === "form") {
      fillParts();
      updateForm();
    }
  }

  async function refreshRuns() {
    try {
      const data = await api.get("/api/runs?limit=10");
      state.runs = data.runs || [];
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return ctx.loggedOut();
      history.textContent = errorText(error);
      return;
    }
    renderHistory();
  }

  let lastSeq = -1;
  function onState(cur) {
    if (typeof cur.seq === "number" && cur.seq < lastSeq) return;
    const before = state.current;
    lastSeq = cur.seq;
    const started = !before || before.run_id !== cur.run_id || before.started_at !== cur.started_at;
    if (started) state.selected = null;
    if (started && LIVE.has(cur.state)) state.dimResult = false;
    state.current = cur;
    if (cur.state !== "prompt") state.answeredPrompt = null;
    if (!LIVE.has(cur.state)) closeDialog();
    renderBanner();
    renderLeft();
    renderRight();
    const changedState = !before || before.state !== cur.state || started;
    if (changedState) {
      refreshStation();
      if (cur.state === "finished" || cur.state === "idle") refreshRuns();
    }
  }

  const events = new EventSource("/api/tests/current/events");
  events.addEventListener("state", (event) => {
    try {
      onState(JSON.parse(event.data));
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
      showMessage(t("connection.bad_event"));
    }
  });
  events.addEventListener("open", () => {
    state.connection = "live";
    renderHeader();
  });
  events.addEventListener("error", () => {
    state.connection = "lost";
    renderHeader();
  });

  const ticker = window.setInterval(() => {
    const cur = state.current;
    const element = document.getElementById("elapsed");
    if (cur && LIVE.has(cur.state) && element) element.textContent = t("run.elapsed", { time: elapsed(cur.started_at) });
  }, 1000);
  const poll = window.setInterval(refreshStation, 30000);

  renderAll();
  refreshStation();
  refreshRuns();

  return () => {
    events.close();
    window.clearInterval(ticker);
    window.clearInterval(poll);
    document.removeEventListener("keydown", onKey);
    closeDialog();
  };
}
