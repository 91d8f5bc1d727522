// One crash group: the frames it is keyed on, the latest stack, a redacted example message, OS and release splits,
// crashes per day, and the latest crashes with their minidumps.

import { download, getJSON } from "./api.js";
import { barChart, columnChart } from "./charts.js";
import { days, h, number, suppressed, table, today, when } from "./dom.js";

function stats(g, k) {
  const item = (term, value) => [h("dt", {}, term), h("dd", {}, value)];
  return h("dl", { class: "stats" },
    item("Crashes", number(g.crashes)),
    item("Installs", g.installs_suppressed ? suppressed(k) : number(g.installs)),
    item("First seen", when(g.first_seen)),
    item("Last seen", when(g.last_seen)),
    item("Releases", g.releases.join(", ")),
    item("Apps", g.apps.join(", ")),
    item("Group id", h("code", {}, g.group_id)));
}

function frames(list) {
  if (!list.length) return h("p", { class: "muted" }, "No frames were reported.");
  return table(["#", "Function", "Module", "File", ""], list.map((f, i) => [
    String(i),
    h("code", {}, f.function),
    h("code", {}, f.module),
    f.file ? h("code", {}, `${f.file}:${f.line}`) : "",
    f.in_app ? h("span", { class: "tag" }, "in app") : "",
  ]), { class: "frames" });
}

function dumpButton(crash) {
  if (!crash.has_minidump) return h("span", { class: "muted" }, "none");
  const status = h("span", { class: "muted", role: "status" });
  const button = h("button", {
    type: "button",
    class: "download",
    onclick: async () => {
      button.disabled = true;
      try {
        const size = await download(`/v1/admin/crashes/${encodeURIComponent(crash.crash_id)}/minidump`,
          `${crash.crash_id}.dmp`);
        status.textContent = ` saved ${number(size)} bytes`;
      } catch (error) {
        status.textContent = ` failed: ${error.message}`;
      } finally {
        button.disabled = false;
      }
    },
  }, "Download minidump");
  return h("span", {}, button, status);
}

export async function groupView(id) {
  const data = await getJSON(`/v1/admin/crash-groups/${encodeURIComponent(id)}`);
  const { group: g, min_installs: k } = data;
  const labels = days(data.daily_since, today());
  const perDay = new Map(data.daily.map((d) => [d.day, d.crashes]));
  const split = (rows, name) => barChart({ rows, label: `crashes by ${name}`, k });
  return h("div", { class: "page" },
    h("p", {}, h("a", { href: "#/groups" }, "← All crash groups")),
    h("h1", {}, g.exception_type || "(no exception type)"),
    h("figure", { class: "example" }, h("figcaption", {}, "Example message (redacted at intake)"),
      h("pre", { class: "message" }, g.sample_message || "(empty)")),
    stats(g, k),
    h("section", {}, h("h2", {}, "Grouping frames"),
      data.signature.length
        ? [h("p", { class: "muted" }, "The normalised module:function frames this group is keyed on."),
          h("ol", { class: "signature" }, data.signature.map((frame) => h("li", {}, h("code", {}, frame))))]
        : h("p", { class: "muted" }, "No usable frames: grouped by exception type and normalised message.")),
    h("section", {}, h("h2", {}, "Stack of the latest crash"), frames(data.crashes[0]?.frames ?? [])),
    h("section", { class: "cards" },
      h("div", { class: "card wide" }, h("h2", {}, "Crashes per day, last 30 days"),
        columnChart({ labels, values: labels.map((day) => perDay.get(day) ?? 0), label: "crashes per day",
          name: "crashes", k })),
      h("div", { class: "card" }, h("h2", {}, "By OS and version"),
        split(data.os.map((r) => ({ label: `${r.os} ${r.os_version}`.trim() || "(unknown)", value: r.crashes })),
          "OS")),
      h("div", { class: "card" }, h("h2", {}, "By release"),
        split(data.releases.map((r) => ({ label: r.release || "(unknown)", value: r.crashes })), "release"))),
    h("section", {}, h("h2", {}, `Latest ${data.crashes.length} crashes`),
      table(["Time", "Release", "OS", "Message", "Minidump"], data.crashes.map((c) => [
        when(c.ts), c.app_version, `${c.os} ${c.os_version}`.trim(), h("span", { class: "message" },
          c.exception_message), dumpButton(c),
      ]), { class: "crashes" })));
}
