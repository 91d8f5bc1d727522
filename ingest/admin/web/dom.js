// DOM building without innerHTML: crash messages, frames and event names come from clients, so every value
// becomes a text node and can never turn into markup.

export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  node.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

export const number = (n) => (n === null || n === undefined ? "" : Number(n).toLocaleString("en"));
export const percent = (share) => `${(share * 100).toFixed(2)}%`;

// "2026-11-23T14:02:11.123Z" -> "2026-11-23 14:02Z": minutes are enough for triage and keep columns narrow.
export const when = (iso) => (iso ? `${iso.slice(0, 10)} ${iso.slice(11, 16)}Z` : "");

// Every UTC day from `first` to `last` (ISO dates), so charts show quiet days as zero instead of skipping them.
export function days(first, last, max = 400) {
  const out = [];
  const end = Date.parse(`${last}T00:00:00Z`);
  for (let t = Date.parse(`${first}T00:00:00Z`); t <= end && out.length < max; t += 86_400_000) {
    out.push(new Date(t).toISOString().slice(0, 10));
  }
  return out;
}

export const today = () => new Date().toISOString().slice(0, 10);

// A suppressed cell: shown as such, never as a number (the API sends null for it).
export const suppressed = (k, label = `below ${k}`) =>
  h("span", { class: "suppressed", title: `fewer than ${k} installs: suppressed (k-anonymity)` }, label);

export function table(headers, rows, attrs = {}) {
  return h("table", attrs,
    h("thead", {}, h("tr", {}, headers.map((text) => h("th", { scope: "col" }, text)))),
    h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map((cell) => h("td", {}, cell))))));
}
