// The admin API, called with the token the admin typed in. It lives in this tab's sessionStorage only: gone when
// the tab closes, never in a cookie (so no request carries it unless this code adds it).

const KEY = "consentry.admin.token";

export const token = {
  get: () => sessionStorage.getItem(KEY),
  set: (value) => sessionStorage.setItem(KEY, value),
  clear: () => sessionStorage.removeItem(KEY),
};

export class Unauthorized extends Error {}

async function call(path) {
  const response = await fetch(path, {
    headers: { Authorization: `Bearer ${token.get() ?? ""}` },
    cache: "no-store",
    credentials: "omit",
  });
  if (response.status === 401) throw new Unauthorized("the admin token was refused");
  if (!response.ok) {
    let message = response.statusText;
    try {
      message = (await response.json()).error.message;
    } catch {
      // not a refusal body (a proxy's page, say): the status text is all there is
    }
    throw new Error(`${response.status}: ${message}`);
  }
  return response;
}

export const getJSON = async (path) => (await call(path)).json();

export const report = (name, params = {}) =>
  getJSON(`/v1/admin/reports/${encodeURIComponent(name)}?${new URLSearchParams({ format: "json", ...params })}`);

// A plain link cannot send the bearer header, so the dump is fetched as a blob and saved from an object URL.
export async function download(path, filename) {
  const blob = await (await call(path)).blob();
  const url = URL.createObjectURL(blob);
  const link = Object.assign(document.createElement("a"), { href: url, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  return blob.size;
}
