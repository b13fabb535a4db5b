// Plain SVG charts for the QA dashboard: a line chart over categories (yield
// trend, SPC), and a bar chart (grade mix, Pareto, histogram). Every point and
// bar carries a <title> with its number and may be clicked down to its runs.
import { s } from "./dom.js";

const W = 640;
const H = 260;
const PAD = { left: 78, right: 24, top: 16, bottom: 60 };

function scaleY(min, max) {
  const span = max - min || 1;
  return (value) => PAD.top + (H - PAD.top - PAD.bottom) * (1 - (value - min) / span);
}

function xLabels(svg, labels, xOf) {
  const every = Math.max(1, Math.ceil(labels.length / 10));
  labels.forEach((label, i) => {
    if (i % every !== 0) return;
    const x = xOf(i);
    svg.append(
      s("text", {
        x,
        y: H - PAD.bottom + 16,
        "text-anchor": "end",
        transform: `rotate(-30 ${x} ${H - PAD.bottom + 16})`,
        class: "chart-label",
        text: label,
      }),
    );
  });
}

function yAxis(svg, min, max, yOf, format) {
  for (let i = 0; i <= 4; ++i) {
    const value = min + ((max - min) * i) / 4;
    const y = yOf(value);
    svg.append(s("line", { x1: PAD.left, x2: W - PAD.right, y1: y, y2: y, class: "chart-grid" }));
    svg.append(s("text", { x: PAD.left - 6, y: y + 4, "text-anchor": "end", class: "chart-label", text: format(value) }));
  }
}

// series: [{name, className, symbol, values: [number|null per label]}]
// rules: [{value, name, className}] horizontal lines (centre, limits)
export function lineChart({ labels, series, rules = [], min, max, format = (v) => String(v), onPoint, ariaLabel }) {
  const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img", "aria-label": ariaLabel });
  const values = series.flatMap((one) => one.values).concat(rules.map((r) => r.value)).filter((v) => v !== null && v !== undefined);
  // A flat series (one day, or no spread) gets a margin to be drawn in.
  const spread = Math.max(...values) - Math.min(...values);
  const pad = spread < 1e-9 ? Math.max(0.05, Math.abs(values[0] || 0) * 0.2) : spread * 0.1;
  const lo = min ?? Math.min(...values) - pad;
  const hi = max ?? Math.max(...values) + pad;
  const yOf = scaleY(lo, hi === lo ? lo + 1 : hi);
  const step = labels.length > 1 ? (W - PAD.left - PAD.right) / (labels.length - 1) : 0;
  const xOf = (i) => (labels.length > 1 ? PAD.left + i * step : (W + PAD.left - PAD.right) / 2);
  yAxis(svg, lo, hi === lo ? lo + 1 : hi, yOf, format);
  xLabels(svg, labels, xOf);
  // Rules that coincide share one label ("centre = UCL = LCL").
  const labelled = new Map();
  for (const rule of rules) {
    const y = yOf(rule.value);
    svg.append(s("line", { x1: PAD.left, x2: W - PAD.right, y1: y, y2: y, class: ["chart-rule", rule.className] }));
    const key = Math.round(y / 12);
    labelled.set(key, labelled.has(key) ? { y, text: `${labelled.get(key).text} = ${rule.name}` } : { y, text: rule.name });
  }
  for (const { y, text } of labelled.values()) {
    svg.append(s("text", { x: W - PAD.right, y: y - 4, "text-anchor": "end", class: "chart-rule-label", text }));
  }
  for (const one of series) {
    let path = "";
    one.values.forEach((value, i) => {
      if (value === null || value === undefined) return;
      path += `${path ? "L" : "M"}${xOf(i).toFixed(1)},${yOf(value).toFixed(1)}`;
    });
    if (path) svg.append(s("path", { d: path, class: ["chart-line", one.className] }));
    one.values.forEach((value, i) => {
      if (value === null || value === undefined) return;
      const point = s(
        "g",
        { class: ["chart-point", onPoint && "clickable", one.flags?.[i] && "chart-point-flag"], tabindex: onPoint ? "0" : undefined },
        s("title", { text: `${one.name} · ${labels[i]}: ${format(value)}${one.flags?.[i] ? ` · ${one.flags[i]}` : ""}` }),
        one.symbol === "square"
          ? s("rect", { x: xOf(i) - 5, y: yOf(value) - 5, width: 10, height: 10, class: ["chart-marker", one.className] })
          : s("circle", { cx: xOf(i), cy: yOf(value), r: 5, class: ["chart-marker", one.className] }),
      );
      if (onPoint) {
        point.addEventListener("click", () => onPoint(i));
        point.addEventListener("keydown", (event) => event.key === "Enter" && onPoint(i));
      }
      svg.append(point);
    });
  }
  return svg;
}

// items: [{label, value, className, title}]
export function barChart({ items, format = (v) => String(v), onBar, ariaLabel }) {
  const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img", "aria-label": ariaLabel });
  const hi = Math.max(1, ...items.map((item) => item.value));
  const yOf = scaleY(0, hi);
  yAxis(svg, 0, hi, yOf, format);
  const slot = (W - PAD.left - PAD.right) / Math.max(1, items.length);
  const xOf = (i) => PAD.left + slot * i + slot / 2;
  xLabels(svg, items.map((item) => item.label), xOf);
  items.forEach((item, i) => {
    const y = yOf(item.value);
    const bar = s(
      "g",
      { class: ["chart-bar", onBar && "clickable"], tabindex: onBar ? "0" : undefined },
      s("title", { text: item.title || `${item.label}: ${format(item.value)}` }),
      s("rect", {
        x: xOf(i) - slot * 0.38,
        y,
        width: slot * 0.76,
        height: Math.max(0, H - PAD.bottom - y),
        class: ["chart-bar-rect", item.className],
      }),
    );
    if (items.length <= 12) {
      bar.append(s("text", { x: xOf(i), y: y - 4, "text-anchor": "middle", class: "chart-value", text: format(item.value) }));
    }
    if (onBar) {
      bar.addEventListener("click", () => onBar(item));
      bar.addEventListener("keydown", (event) => event.key === "Enter" && onBar(item));
    }
    svg.append(bar);
  });
  return svg;
}
