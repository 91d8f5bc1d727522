// The admin page: a sign-in form, then hash routes (#/groups, #/groups/<id>, #/dashboard) over the admin API.

import { token, Unauthorized } from "./api.js";
import { dashboardView } from "./dashboard.js";
import { h } from "./dom.js";
import { groupView } from "./group.js";
import { groupsView } from "./groups.js";

const $ = (id) => document.getElementById(id);
const [loginForm, loginError, view, nav] = [$("login"), $("login-error"), $("view"), $("nav")];

function showLogin(message) {
  nav.hidden = true;
  view.replaceChildren();
  loginForm.hidden = false;
  loginError.hidden = !message;
  loginError.textContent = message ?? "";
  $("token").focus();
}

function pick(parts, params) {
  if (parts[0] === "groups" && parts[1]) return groupView(parts[1]);
  if (parts[0] === "dashboard") return dashboardView(params);
  return groupsView(params);
}

let latest = 0; // a slow answer to an earlier navigation must not overwrite the current page

async function route() {
  if (!token.get()) {
    showLogin();
    return;
  }
  loginForm.hidden = true;
  nav.hidden = false;
  const [path, query] = location.hash.slice(1).split("?");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  for (const link of nav.querySelectorAll("a")) {
    link.toggleAttribute("aria-current", link.dataset.view === (parts[0] === "dashboard" ? "dashboard" : "groups"));
  }
  const ticket = ++latest;
  view.replaceChildren(h("p", { class: "muted" }, "Loading…"));
  try {
    const content = await pick(parts, new URLSearchParams(query ?? ""));
    if (ticket === latest) view.replaceChildren(content);
  } catch (error) {
    if (ticket !== latest) return;
    if (error instanceof Unauthorized) {
      token.clear();
      showLogin("That token was refused (401 unauthorized). Check admin.token / CONSENTRY_ADMIN_TOKEN and try again.");
    } else {
      view.replaceChildren(h("p", { class: "error", role: "alert" }, `Could not load this page: ${error.message}`));
    }
  }
}

loginForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const value = $("token").value.trim();
  if (!value) return;
  token.set(value);
  $("token").value = "";
  route();
});
$("logout").addEventListener("click", () => {
  token.clear();
  showLogin();
});
window.addEventListener("hashchange", route);
route();
