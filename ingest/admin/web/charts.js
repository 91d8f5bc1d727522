// Small SVG charts drawn here (no chart library, nothing fetched). Values may be null: a cell the reports
// suppressed (k-anonymity), drawn as a grey "suppressed" mark, never as zero.

import { h, number } from "./dom.js";

const NS = "http://www.w3.org/2000/svg";

function s(tag, attrs = {}, ...children) {
  const node = document.createElementNS(NS, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  node.append(...children);
  return node;
}

const svg = (width, height, label, cls) =>
  s("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "img", "aria-label": label, class: cls },
    s("title", {}, label));

// Round the axis maximum up to 1, 2 or 5 times a power of ten, so gridline labels read well.
function niceMax(value) {
  if (value <= 0) return 1;
  const step = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 5, 10].map((m) => m * step).find((m) => m >= value);
}

const compact = (n) => (n >= 10_000 ? `${Math.round(n / 1000)}k` : number(Math.round(n * 100) / 100));

/** Per-day columns in a table cell: `values` are counts, one per day, oldest first. */
export function sparkline(values, label) {
  const width = 120;
  const height = 28;
  const max = Math.max(1, ...values);
  const step = width / Math.max(values.length, 1);
  const chart = svg(width, height, label, "spark");
  chart.dataset.total = values.reduce((a, b) => a + b, 0);
  values.forEach((v, i) => {
    const tall = v ? Math.max(2, (v / max) * (height - 2)) : 1;
    chart.append(s("rect", { x: (i * step).toFixed(2), y: (height - tall).toFixed(2),
      width: Math.max(step - 1, 1).toFixed(2), height: tall.toFixed(2), class: v ? "bar" : "zero" }));
  });
  return chart;
}

// Axes and three gridlines (0, half, max) for charts over days.
function frame(width, height, label, labels, cls, dataMax) {
  const chart = svg(width, height, label, `chart ${cls}`);
  const [left, top, bottom] = [56, 12, height - 26];
  const max = niceMax(dataMax);
  for (const share of [0, 0.5, 1]) {
    const y = bottom - share * (bottom - top);
    chart.append(s("line", { x1: left, x2: width - 8, y1: y, y2: y, class: "grid" }));
    chart.append(s("text", { x: left - 6, y: y + 4, class: "axis", "text-anchor": "end" }, compact(max * share)));
  }
  return { chart, left, top, bottom, max, span: width - 8 - left, labels };
}

// First, middle and last day; the ends are anchored inwards so they are not cut off at the edges.
function xLabels(f, x) {
  const last = f.labels.length - 1;
  const picks = [...new Set([0, Math.floor(last / 2), last])].filter((i) => i >= 0);
  for (const i of picks) {
    const anchor = i === 0 && last > 0 ? "start" : i === last && last > 0 ? "end" : "middle";
    f.chart.append(s("text", { x: x(i), y: f.bottom + 18, class: "axis", "text-anchor": anchor }, f.labels[i]));
  }
}

// Each series says how many of its points were suppressed: a gap in a line must not read as "no data".
function legend(series, k) {
  const hidden = series.map((item) => item.values.filter((v) => v === null).length);
  return h("figcaption", {},
    series.map((item, i) => h("span", { class: `key key-${i}` },
      hidden[i] ? `${item.name} (${hidden[i]} suppressed)` : item.name)),
    hidden.some(Boolean) ? h("span", { class: "key key-suppressed" },
      `suppressed: fewer than ${k} installs (gaps and grey bands)`) : null);
}

/** Lines over days: series = [{name, values: [number|null]}], labels = ISO days. */
export function lineChart({ labels, series, label, k }) {
  const width = 1160; // about its width on a laptop screen, so text is drawn near its CSS size
  const height = 220;
  const f = frame(width, height, label, labels, "line",
    Math.max(0, ...series.flatMap((item) => item.values.filter((v) => v !== null))));
  const x = (i) => f.left + (labels.length > 1 ? (i / (labels.length - 1)) * f.span : f.span / 2);
  const y = (v) => f.bottom - (v / f.max) * (f.bottom - f.top);
  const gaps = labels.map((_, i) => series.every((item) => item.values[i] === null));
  const band = labels.length > 1 ? f.span / (labels.length - 1) : f.span;
  gaps.forEach((gap, i) => {
    if (gap) f.chart.append(s("rect", { x: x(i) - band / 2, y: f.top, width: band, height: f.bottom - f.top,
      class: "suppressed-band" }, s("title", {}, `${labels[i]}: suppressed`)));
  });
  series.forEach((item, n) => {
    let d = "";
    let pen = false;
    item.values.forEach((v, i) => {
      if (v === null) { pen = false; return; }
      d += `${pen ? "L" : "M"}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
      pen = true;
      const alone = (i === 0 || item.values[i - 1] === null) && item.values[i + 1] == null;
      if (alone) f.chart.append(s("circle", { cx: x(i), cy: y(v), r: 2.5, class: `dot series-${n}` }));
    });
    if (d) f.chart.append(s("path", { d, class: `series series-${n}` }, s("title", {}, item.name)));
  });
  xLabels(f, x);
  return h("figure", {}, f.chart, legend(series, k));
}

/** Columns per day: values = [number|null]. */
export function columnChart({ labels, values, label, name, k }) {
  const width = 1160;
  const height = 180;
  const f = frame(width, height, label, labels, "columns", Math.max(0, ...values.filter((v) => v !== null)));
  const step = f.span / Math.max(labels.length, 1);
  const x = (i) => f.left + i * step + step / 2;
  values.forEach((v, i) => {
    if (v === null) {
      f.chart.append(s("rect", { x: x(i) - step / 2, y: f.top, width: Math.max(step - 1, 1), height: f.bottom - f.top,
        class: "suppressed-band" }, s("title", {}, `${labels[i]}: suppressed`)));
      return;
    }
    if (v === 0) return; // a quiet day: the baseline shows it
    const tall = (v / f.max) * (f.bottom - f.top);
    f.chart.append(s("rect", { x: x(i) - step / 2 + 0.5, y: f.bottom - tall, width: Math.max(step - 1, 1),
      height: tall, class: "bar series-0" }, s("title", {}, `${labels[i]}: ${number(v)}`)));
  });
  xLabels(f, x);
  return h("figure", {}, f.chart, legend([{ name, values }], k));
}

/** Horizontal bars: rows = [{label, value: number|null, text}]; null draws a "suppressed" mark. */
export function barChart({ rows, label, max, k }) {
  const width = 540;
  const rowHeight = 24;
  const left = 150;
  const height = rows.length * rowHeight + 8;
  const chart = svg(width, height, label, "chart hbars");
  const scale = max ?? Math.max(1, ...rows.map((row) => row.value ?? 0));
  rows.forEach((row, i) => {
    const y = 4 + i * rowHeight;
    const name = row.label.length > 22 ? `${row.label.slice(0, 21)}…` : row.label;
    chart.append(s("text", { x: left - 8, y: y + 15, class: "label", "text-anchor": "end" }, name,
      s("title", {}, row.label)));
    if (row.value === null) {
      chart.append(s("rect", { x: left, y: y + 3, width: 110, height: rowHeight - 8, class: "suppressed-band" }));
      chart.append(s("text", { x: left + 8, y: y + 15, class: "value muted" }, `suppressed (<${k})`));
      return;
    }
    const long = Math.max(1, (row.value / scale) * (width - left - 170)); // room for the value text
    chart.append(s("rect", { x: left, y: y + 3, width: long, height: rowHeight - 8, class: "bar series-0" }));
    chart.append(s("text", { x: left + long + 6, y: y + 15, class: "value" }, row.text ?? number(row.value)));
  });
  return h("figure", {}, chart);
}
