// The MPO end face drawn in SVG, as the technician sees the ferrule: key up,
// position 1 on the left, one dot per position, filled as it is measured and
// coloured by the grade its worst reading reaches, with a symbol in the dot
// (colour is never the only signal). End A above end B; when both ends are
// measured, polarity lines run from each launch position to its far position.
import { h, s } from "./dom.js";
import { t } from "./i18n.js";

const PITCH = 44;
const RADIUS = 17;
const MARGIN_X = 76;
const FACE_TOP = 40;
const ROW_GAP = 50;
const FACE_GAP = 90;

// Okabe-Ito colours; text colour chosen for contrast on each.
export const CATEGORIES = {
  elite: { fill: "#0072B2", ink: "#ffffff", symbol: "E" },
  standard: { fill: "#56B4E9", ink: "#000000", symbol: "S" },
  generic: { fill: "#F0E442", ink: "#000000", symbol: "G" },
  pass: { fill: "#009E73", ink: "#ffffff", symbol: "✓" },
  fail: { fill: "#D55E00", ink: "#ffffff", symbol: "✗" },
  nolight: { fill: "#1a1a1a", ink: "#ffffff", symbol: "⊘" },
  pending: { fill: "#ffffff", ink: "#000000", symbol: "" },
};

const RANK = { fail: 0, generic: 1, standard: 2, elite: 3 };

// Positions of the fibres on the ferrule: rows of 12 (24F, 72F), rows of 16
// (16F, 32F), and 8F on positions 1-4 and 9-12 of a row of 12.
export function layoutFor(fibers, rows, rowWidth) {
  let width = rowWidth;
  let count = rows;
  if (!width || !count) {
    if (fibers === 8) width = 12;
    else if (fibers <= 16) width = fibers;
    else if (fibers % 16 === 0 && fibers <= 32) width = 16;
    else width = 12;
    count = Math.ceil(fibers / (fibers === 8 ? 8 : width));
  }
  const positions = [];
  for (let fiber = 1; fiber <= fibers; ++fiber) {
    if (fibers === 8 && width === 12) {
      positions.push({ fiber, row: 0, col: fiber <= 4 ? fiber - 1 : fiber + 3 });
    } else {
      positions.push({ fiber, row: Math.floor((fiber - 1) / width), col: (fiber - 1) % width });
    }
  }
  return { rows: count, width, positions };
}

// The end-B fibre an end-A fibre should reach (DESIGN §2): type A straight,
// type B reversed within its row, type C neighbouring pairs swapped.
export function expectedFar(polarity, fiber, fibers) {
  const row = fibers <= 16 ? fibers : fibers === 32 ? 16 : 12;
  if (polarity === "A") return fiber;
  if (polarity === "B") {
    const start = Math.floor((fiber - 1) / row) * row;
    return start + row - (fiber - start) + 1;
  }
  if (polarity === "C") return fiber % 2 ? fiber + 1 : fiber - 1;
  return null;
}

function failureKey(end, fiber) {
  return `${end}:${fiber}`;
}

// The category of one position on one end: the worst grade of its readings,
// "nolight" when a reading had no light; without per-reading grades (a
// stored run) "fail" when a failure names the position, "pass" otherwise.
export function categoryOf(readings, failed) {
  if (!readings.length) return "pending";
  if (readings.some((m) => m.status && m.status !== "ok")) return "nolight";
  const graded = readings.filter((m) => m.grade);
  if (graded.length) {
    return graded.reduce((worst, m) => (RANK[m.grade] < RANK[worst] ? m.grade : worst), "elite");
  }
  return failed ? "fail" : "pass";
}

function rlText(m) {
  if (m.rl_db !== null && m.rl_db !== undefined) return t("unit.db", { value: m.rl_db.toFixed(1) });
  if (m.rl_above_db !== null && m.rl_above_db !== undefined) return `>${m.rl_above_db.toFixed(0)} dB`;
  return "—";
}

function ilText(m) {
  if (m.status && m.status !== "ok") return t("fibre.nolight");
  if (m.il_db === null || m.il_db === undefined) return "—";
  return t("unit.db", { value: m.il_db.toFixed(2) });
}

// "fibre 7 → far 6 · 1310 nm IL 0.21 dB RL 62.3 dB · 1550 nm …"
export function describeFibre(measurements, end, fiber) {
  const readings = measurements.filter((m) => m.end === end && m.fiber === fiber);
  const far = readings.find((m) => m.far_position)?.far_position;
  const head = far
    ? t("fibre.far", { end, fiber, far })
    : t("fibre.plain", { end, fiber });
  if (!readings.length) return `${head} · ${t("fibre.notyet")}`;
  const parts = readings
    .slice()
    .sort((a, b) => a.wavelength_nm - b.wavelength_nm)
    .map((m) => t("fibre.reading", { wl: m.wavelength_nm, il: ilText(m), rl: rlText(m) }));
  return [head, ...parts].join(" · ");
}

function dot(cx, cy, category, { marked, current, selected, fiber, title, onSelect }) {
  const style = CATEGORIES[category];
  const group = s("g", {
    class: ["pos", `pos-${category}`, marked && "pos-marked", current && "pos-current", selected && "pos-selected"],
    tabindex: onSelect ? "0" : undefined,
    role: onSelect ? "button" : undefined,
    "aria-label": title,
    dataset: { fiber: String(fiber), category },
  });
  group.append(s("title", { text: title }));
  if (marked) group.append(s("circle", { cx, cy, r: RADIUS + 7, class: "pos-ring" }));
  if (current) group.append(s("circle", { cx, cy, r: RADIUS + 5, class: "pos-current-ring" }));
  group.append(
    s("circle", {
      cx,
      cy,
      r: RADIUS,
      fill: style.fill,
      stroke: category === "pending" ? "#8a8a8a" : "#000000",
      "stroke-width": category === "pending" ? 2 : 1.5,
    }),
  );
  if (style.symbol) {
    group.append(
      s("text", { x: cx, y: cy + 6, "text-anchor": "middle", class: "pos-symbol", fill: style.ink, text: style.symbol }),
    );
  }
  if (onSelect) {
    group.addEventListener("click", () => onSelect(fiber));
    group.addEventListener("keydown", (event) => {
      if (event.key === "Enter") onSelect(fiber);
    });
  }
  return group;
}

// Draws end A and end B (or the ends given) of an assembly.
// options: {fibers, rows, rowWidth, measurements, failures, ends, currentEnd,
//           currentFiber, polarityOk, selected: {end, fiber}, onSelect(end, fiber)}
export function drawEndFaces(options) {
  const {
    fibers,
    measurements = [],
    failures = [],
    ends = ["A", "B"],
    currentEnd = null,
    currentFiber = null,
    polarityOk = null,
    polarity = null,
    selected = null,
    onSelect = null,
  } = options;
  const layout = layoutFor(fibers, options.rows, options.rowWidth);
  const faceWidth = layout.width * PITCH + 2 * 24;
  const faceHeight = layout.rows * ROW_GAP + 20;
  const width = faceWidth + 2 * MARGIN_X;
  const height = ends.length * (faceHeight + FACE_TOP) + (ends.length - 1) * (FACE_GAP - FACE_TOP) + 30;
  const svg = s("svg", {
    viewBox: `0 0 ${width} ${height}`,
    class: "endface",
    role: "img",
    "aria-label": t("face.aria", { fibers }),
  });
  const failed = new Set(
    failures.filter((f) => f.fiber).map((f) => failureKey(f.end, f.fiber)),
  );
  const centres = {};
  const lines = s("g", { class: "polarity-lines" });
  svg.append(lines);
  // Which end-A fibre lit each end-B position (shown on the position).
  const litBy = {};
  if (ends.length === 2) {
    for (const m of measurements) {
      if (m.end === ends[0] && m.far_position && !(m.far_position in litBy)) litBy[m.far_position] = m.fiber;
    }
  }
  // More than two rows (72F has six): a line per fibre would cross every
  // row between them; only the fibres that lit the wrong position get one.
  const dense = layout.rows > 2;

  ends.forEach((end, index) => {
    const top = index * (faceHeight + FACE_GAP) + FACE_TOP;
    const x0 = MARGIN_X;
    const readingsOf = (fiber) => measurements.filter((m) => m.end === end && m.fiber === fiber);
    const measuredAll = layout.positions.every((p) => readingsOf(p.fiber).length);
    const active = currentEnd === end;
    svg.append(
      s("text", {
        x: x0,
        y: top - 12,
        class: ["face-title", active && "face-title-active"],
        text: `${t("face.end", { end })}${active ? ` · ${t("face.measuring")}` : measuredAll ? ` · ${t("face.done")}` : ""}`,
      }),
    );
    // The ferrule, its key on top in the middle.
    svg.append(
      s("rect", {
        x: x0,
        y: top,
        width: faceWidth,
        height: faceHeight,
        rx: 14,
        class: ["ferrule", active && "ferrule-active"],
      }),
    );
    const keyWidth = Math.min(90, faceWidth / 4);
    svg.append(
      s("rect", {
        x: x0 + faceWidth / 2 - keyWidth / 2,
        y: top - 10,
        width: keyWidth,
        height: 12,
        rx: 3,
        class: "ferrule-key",
      }),
    );
    svg.append(
      s("text", {
        x: x0 + faceWidth / 2 + keyWidth / 2 + 8,
        y: top - 1,
        class: "face-key-label",
        text: `▲ ${t("face.key")}`,
      }),
    );
    for (let row = 0; row < layout.rows; ++row) {
      svg.append(
        s("text", {
          x: x0 - 8,
          y: top + 10 + row * ROW_GAP + PITCH / 2 + 5,
          "text-anchor": "end",
          class: "face-row-label",
          text: t("face.row", { row: row + 1 }),
        }),
      );
    }
    // Unused positions of an 8F ferrule, drawn small so the gap reads as one.
    if (fibers === 8 && layout.width === 12) {
      for (let col = 4; col < 8; ++col) {
        svg.append(
          s("circle", {
            cx: x0 + 24 + col * PITCH + PITCH / 2,
            cy: top + 10 + PITCH / 2,
            r: 4,
            class: "pos-unused",
          }),
        );
      }
    }
    for (const p of layout.positions) {
      const cx = x0 + 24 + p.col * PITCH + PITCH / 2;
      const cy = top + 10 + p.row * ROW_GAP + PITCH / 2;
      centres[`${end}:${p.fiber}`] = { cx, cy };
      const readings = readingsOf(p.fiber);
      const marked = failed.has(failureKey(end, p.fiber));
      const category = categoryOf(readings, marked);
      const lit = end === ends[1] && p.fiber in litBy ? ` · ${t("face.lit_by", { fiber: litBy[p.fiber] })}` : "";
      const title = `${describeFibre(measurements, end, p.fiber)}${marked ? ` · ${t("fibre.failed")}` : ""}${lit}`;
      svg.append(
        dot(cx, cy, category, {
          marked,
          current: active && currentFiber === p.fiber,
          selected: selected && selected.end === end && selected.fiber === p.fiber,
          fiber: p.fiber,
          title,
          onSelect: onSelect ? (fiber) => onSelect(end, fiber) : null,
        }),
      );
      if (layout.rows === 1 || p.row === layout.rows - 1 || layout.rows <= 2) {
        svg.append(
          s("text", {
            x: cx,
            y: cy + RADIUS + 15,
            "text-anchor": "middle",
            class: "pos-number",
            text: String(p.fiber),
          }),
        );
      }
    }
  });

  // Polarity: launch position on end A -> the far position it lit on end B.
  if (ends.length === 2) {
    const measuredEnd = (end) =>
      layout.positions.every((p) => measurements.some((m) => m.end === end && m.fiber === p.fiber));
    if (measuredEnd(ends[0]) && measuredEnd(ends[1])) {
      const drawn = new Set();
      let wrong = 0;
      for (const m of measurements) {
        if (m.end !== ends[0] || !m.far_position || drawn.has(m.fiber)) continue;
        drawn.add(m.fiber);
        const from = centres[`${ends[0]}:${m.fiber}`];
        const to = centres[`${ends[1]}:${m.far_position}`];
        if (!from || !to) continue;
        // A line to the wrong far position is drawn dashed and red; without
        // the part's polarity, the run's verdict decides for every line.
        const expected = polarity ? expectedFar(polarity, m.fiber, fibers) : null;
        const bad = expected !== null ? expected !== m.far_position : polarityOk === false;
        if (bad) ++wrong;
        if (dense && !bad) continue;
        lines.append(s("line", { x1: from.cx, y1: from.cy, x2: to.cx, y2: to.cy, class: bad ? "polarity-line polarity-bad" : "polarity-line" }));
      }
      if (drawn.size) {
        svg.append(
          s("text", {
            x: width - MARGIN_X,
            y: height - 8,
            "text-anchor": "end",
            class: wrong ? "face-polarity face-polarity-bad" : "face-polarity",
            text: wrong
              ? `✗ ${t(dense ? "face.polarity_dense_bad" : "face.polarity_bad")}`
              : t(dense ? "face.polarity_dense" : "face.polarity"),
          }),
        );
      }
    }
  }
  return svg;
}

function swatch(category) {
  const style = CATEGORIES[category];
  return s(
    "svg",
    { viewBox: "0 0 28 28", class: "swatch", "aria-hidden": "true" },
    s("circle", { cx: 14, cy: 14, r: 12, fill: style.fill, stroke: category === "pending" ? "#8a8a8a" : "#000", "stroke-width": 1.5 }),
    style.symbol ? s("text", { x: 14, y: 19, "text-anchor": "middle", class: "swatch-symbol", fill: style.ink, text: style.symbol }) : null,
  );
}

// The legend under the end face: every colour with its symbol and its word.
export function legend(categories = ["elite", "standard", "generic", "fail", "nolight", "pending"], { marked = false } = {}) {
  const ring = s("svg", { viewBox: "0 0 28 28", class: "swatch", "aria-hidden": "true" },
    s("circle", { cx: 14, cy: 14, r: 11, class: "pos-ring" }));
  return h(
    "ul",
    { class: "legend" },
    categories.map((category) => h("li", { class: "legend-item" }, swatch(category), h("span", { text: t(`legend.${category}`) }))),
    marked ? h("li", { class: "legend-item" }, ring, h("span", { text: t("legend.marked") })) : null,
  );
}
