// The crash groups list: counts, installs (k-anonymous), first/last seen, releases, a per-day sparkline.

import { getJSON } from "./api.js";
import { sparkline } from "./charts.js";
import { days, h, number, suppressed, table, today, when } from "./dom.js";

export const WINDOWS = ["24h", "7d", "30d", "90d"];

function releases(list) {
  const shown = list.slice(0, 3).join(", ");
  return list.length > 3 ? h("span", { title: list.join(", ") }, `${shown} +${list.length - 3}`) : shown;
}

export function windowPicker(route, current, windows) {
  return h("nav", { class: "windows", "aria-label": "time window" },
    windows.map((w) => h("a", { href: `#/${route}?since=${w}`, "aria-current": w === current }, w)));
}

export async function groupsView(params) {
  const since = WINDOWS.includes(params.get("since")) ? params.get("since") : "7d";
  const data = await getJSON(`/v1/admin/crash-groups?${new URLSearchParams({ since, limit: "100" })}`);
  const k = data.min_installs;
  const labels = days(data.since.slice(0, 10), today());
  const rows = data.groups.map((g) => {
    const perDay = new Map(g.daily.map((d) => [d.day, d.crashes]));
    return [
      h("a", { href: `#/groups/${g.group_id}`, class: "group-link" },
        h("strong", {}, g.exception_type || "(no exception type)"), h("span", { class: "message" }, g.sample_message)),
      h("span", { class: "num" }, number(g.crashes)),
      g.installs_suppressed ? suppressed(k) : h("span", { class: "num" }, number(g.installs)),
      when(g.first_seen),
      when(g.last_seen),
      releases(g.releases),
      sparkline(labels.map((day) => perDay.get(day) ?? 0), `crashes per day since ${labels[0]}`),
    ];
  });
  return h("div", { class: "page" },
    h("div", { class: "title-row" }, h("h1", {}, "Crash groups"), windowPicker("groups", since, WINDOWS)),
    h("p", { class: "muted" }, `Most crashes first, last ${since}. A group seen on fewer than ${k} installs is `,
      "listed for triage, but its install count is shown as ", suppressed(k), " (k-anonymity)."),
    rows.length
      ? table(["Group", "Crashes", "Installs", "First seen", "Last seen", "Releases", "Per day"], rows,
        { class: "groups" })
      : h("p", { class: "empty" }, "No crashes in this window."));
}
