// Usage at a glance from the k-anonymous reports: active installs, events per day, top events, crash-free rate.

import { report } from "./api.js";
import { barChart, columnChart, lineChart } from "./charts.js";
import { days, h, number, percent } from "./dom.js";
import { windowPicker } from "./groups.js";

const WINDOWS = ["7d", "30d", "90d"];

// Report rows keyed by day over the whole window: a day without rows had no events (0), unlike a suppressed cell.
function perDay(result, column) {
  const rows = new Map(result.rows.map((row) => [row.period, row]));
  const labels = days(result.since, result.until);
  return { labels, values: labels.map((day) => (rows.has(day) ? rows.get(day)[column] : 0)) };
}

const card = (title, note, chart, wide = false) =>
  h("div", { class: wide ? "card wide" : "card" }, h("h2", {}, title), h("p", { class: "muted" }, note), chart);

export async function dashboardView(params) {
  const since = WINDOWS.includes(params.get("since")) ? params.get("since") : "30d";
  const [active, trends, top, crashFree] = await Promise.all(
    ["active", "trends", "top-events", "crash-free"].map((name) => report(name, { since })));
  const k = active.min_installs;
  const { labels } = perDay(active, "dau");
  const series = ["dau", "wau", "mau"].map((col) => ({ name: col.toUpperCase(), values: perDay(active, col).values }));
  const events = perDay(trends, "events");
  const topRows = top.rows.map((row) => ({
    label: row.event ?? "suppressed", value: row.events,
    text: `${number(row.events)} events, ${number(row.installs)} installs`,
  }));
  const crashRows = crashFree.rows.map((row) => ({
    label: row.release ?? "suppressed", value: row.crash_free_installs,
    text: row.crash_free_installs === null ? "" :
      `${percent(row.crash_free_installs)} of ${number(row.installs)} installs, ` +
      `${percent(row.crash_free_sessions)} of sessions`,
  }));
  const empty = (rows, chart) => (rows.length ? chart : h("p", { class: "empty" }, "No data in this window."));
  return h("div", { class: "page" },
    h("div", { class: "title-row" }, h("h1", {}, "Dashboard"), windowPicker("dashboard", since, WINDOWS)),
    h("p", { class: "muted" }, `${active.since} to ${active.until} (UTC). Every cell backed by fewer than ${k} `,
      "distinct installs is suppressed by the reports and shown as suppressed, never as a number."),
    h("section", { class: "cards" },
      card("Active installs", "Daily, weekly and monthly active installs (trailing 1, 7, 30 days).",
        lineChart({ labels, series, label: "active installs per day", k }), true),
      card("Events per day", "All events, from the rollups.",
        columnChart({ ...events, label: "events per day", name: "events", k }), true),
      card("Top events", `The ${top.rows.length} most sent events in the window.`,
        empty(topRows, barChart({ rows: topRows, label: "top events by count", k }))),
      card("Crash-free installs per release", "Share of each release's installs without a crash.",
        empty(crashRows, barChart({ rows: crashRows, label: "crash-free installs per release", max: 1, k })))));
}
