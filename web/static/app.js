// The page: session, top bar, and the hash routes.
//   #/ or #/station  operator page       #/qa         QA dashboard
//   #/runs?filters   run list            #/runs/ID    run detail
//   #/serial/SN      a serial's history  #/audit      audit log
//   #/limits         limit sets          #/users      users
import { api, ApiError, setCsrfToken } from "./api.js";
import { h, clear } from "./dom.js";
import { initI18n, language, LANGUAGES, setLanguage, t } from "./i18n.js";
import { mountStation } from "./station.js";
import { mountQa } from "./qa.js";

const topbar = document.getElementById("topbar");
const app = document.getElementById("app");
let session = null;
let unmount = null;

function route() {
  const hash = window.location.hash.replace(/^#/, "") || "/";
  const [path, search = ""] = hash.split("?");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  return { parts, params: new URLSearchParams(search) };
}

function navLink(href, key, current) {
  return h("a", { href, class: ["nav-link", current && "nav-current"], text: t(key) });
}

// The plant's QA pages (serve --db postgresql://...) have no station page.
function onPlant() {
  return session?.record?.source === "plant";
}

function defaultPage() {
  return onPlant() ? "qa" : "station";
}

function renderTopbar() {
  clear(topbar);
  const { parts } = route();
  const page = parts[0] || defaultPage();
  const languageSelect = h(
    "select",
    { class: "lang-select", id: "lang", "aria-label": t("nav.language") },
    LANGUAGES.map((lang) => h("option", { value: lang, text: t(`language.${lang}`), selected: lang === language() })),
  );
  languageSelect.addEventListener("change", () => setLanguage(languageSelect.value));
  topbar.append(h("span", { class: "brand", text: "mpobench" }));
  if (session) {
    topbar.append(
      h("nav", { class: "nav", "aria-label": t("nav.label") },
        onPlant() ? null : navLink("#/station", "nav.station", page === "station"),
        navLink("#/qa", "nav.qa", page === "qa"),
        navLink("#/runs", "nav.runs", page === "runs" || page === "serial"),
        navLink("#/audit", "nav.audit", page === "audit"),
        navLink("#/limits", "nav.limits", page === "limits"),
        navLink("#/users", "nav.users", page === "users")),
      ...(onPlant() ? [h("span", { class: "topbar-plant", id: "plant-name", text: t("nav.plant", { plant: session.record.plant }) })] : []),
      h("span", { class: "topbar-user", id: "whoami", text: t("nav.user", { user: session.user, role: t(`userrole.${session.role}`) }) }),
    );
  }
  topbar.append(h("label", { class: "lang" }, h("span", { class: "lang-label", text: t("nav.language") }), languageSelect));
  if (session) {
    topbar.append(h("button", { class: "button button-small", id: "logout", type: "button", text: t("nav.logout"), onclick: logout }));
  }
}

async function logout() {
  try {
    await api.del("/api/session");
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
  }
  loggedOut();
}

function loggedOut() {
  session = null;
  setCsrfToken(null);
  show();
}

function loginPage() {
  const user = h("input", { id: "login-user", class: "field", type: "text", autocomplete: "username", autocapitalize: "off", spellcheck: "false" });
  const password = h("input", { id: "login-password", class: "field", type: "password", autocomplete: "current-password" });
  const message = h("p", { class: "form-message form-message-error", id: "login-message", role: "alert" });
  const button = h("button", { class: "button button-start", id: "login-button", type: "submit", text: t("login.button") });
  const form = h(
    "form",
    { class: "login-form", id: "login-form", novalidate: true },
    h("h1", { class: "login-title", text: t("login.title") }),
    h("label", { class: "form-row" }, h("span", { class: "form-label", text: t("login.user") }), user),
    h("label", { class: "form-row" }, h("span", { class: "form-label", text: t("login.password") }), password),
    button,
    h("p", { class: "form-hint", text: t("login.hint") }),
    message,
  );
  // A badge scanner types like a keyboard, only much faster: a field filled
  // at scanner speed and ended with Enter is a badge (logged in without a
  // password); a name typed by hand moves on to the password.
  let keyTimes = [];
  user.addEventListener("input", () => {
    if (!user.value) keyTimes = [];
  });
  user.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") {
      if (event.key.length === 1) keyTimes.push(event.timeStamp);
      return;
    }
    event.preventDefault();
    const value = user.value.trim();
    const typedFast =
      keyTimes.length >= 6 && (keyTimes[keyTimes.length - 1] - keyTimes[0]) / (keyTimes.length - 1) < 35;
    keyTimes = [];
    if (value && typedFast && !password.value) badgeLogin(value);
    else if (value) password.focus();
  });
  async function badgeLogin(badge) {
    message.textContent = "";
    button.disabled = true;
    try {
      loggedIn(await api.post("/api/session", { badge }));
    } catch (error) {
      user.value = "";
      if (error instanceof ApiError && error.status === 401) message.textContent = t("login.wrong_badge");
      else if (error instanceof ApiError && error.status === 429) message.textContent = t("login.rate_limited", { s: error.retryAfterS ?? "?" });
      else message.textContent = error instanceof ApiError ? `${error.status} · ${error.message} ${error.detail}` : String(error);
      user.focus();
    } finally {
      button.disabled = false;
    }
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    message.textContent = "";
    if (user.value.trim() && !password.value) {
      // Log in pressed after a scan: the field holds a badge.
      badgeLogin(user.value.trim());
      return;
    }
    if (!user.value.trim()) {
      message.textContent = t("login.missing");
      user.focus();
      return;
    }
    button.disabled = true;
    try {
      const data = await api.post("/api/session", { user: user.value.trim(), password: password.value });
      loggedIn(data);
    } catch (error) {
      password.value = "";
      if (error instanceof ApiError && error.status === 401) message.textContent = t("login.wrong");
      else if (error instanceof ApiError && error.status === 429) message.textContent = t("login.rate_limited", { s: error.retryAfterS ?? "?" });
      else message.textContent = error instanceof ApiError ? `${error.status} · ${error.message} ${error.detail}` : String(error);
      password.focus();
    } finally {
      button.disabled = false;
    }
  });
  app.append(h("div", { class: "login-page" }, form));
  user.focus();
}

function loggedIn(data) {
  session = data;
  setCsrfToken(data.csrf_token);
  show();
}

function show() {
  if (unmount) unmount();
  unmount = null;
  clear(app);
  renderTopbar();
  if (!session) {
    app.className = "app app-login";
    loginPage();
    return;
  }
  const { parts, params } = route();
  const page = parts[0] || defaultPage();
  const ctx = { session, loggedOut };
  if (page === "station") {
    app.className = "app app-station";
    unmount = mountStation(app, ctx);
  } else {
    app.className = "app app-qa";
    unmount = mountQa(app, ctx, parts.length ? parts : [page], params);
  }
}

async function main() {
  await initI18n();
  document.title = t("page.title");
  try {
    const data = await api.get("/api/session");
    session = data;
    setCsrfToken(data.csrf_token);
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 401) {
      clear(app);
      app.append(h("p", { class: "bar bar-bad", text: String(error.message || error) }));
    }
    session = null;
  }
  window.addEventListener("hashchange", show);
  show();
}

main();
