// The string table: every visible string of the page comes from
// strings-<lang>.json, so a plant can translate the screen by adding a file.
export const LANGUAGES = ["en", "de"];
const FALLBACK = "en";

let table = {};
let fallback = {};
let current = FALLBACK;

function pickLanguage() {
  const params = new URLSearchParams(window.location.search);
  const asked = params.get("lang");
  if (asked && LANGUAGES.includes(asked)) return asked;
  const stored = window.localStorage.getItem("mpobench.lang");
  if (stored && LANGUAGES.includes(stored)) return stored;
  for (const lang of navigator.languages || [navigator.language || FALLBACK]) {
    const short = String(lang).slice(0, 2).toLowerCase();
    if (LANGUAGES.includes(short)) return short;
  }
  return FALLBACK;
}

async function load(lang) {
  const response = await fetch(`/static/strings-${lang}.json`, { credentials: "same-origin" });
  if (!response.ok) throw new Error(`strings-${lang}.json: HTTP ${response.status}`);
  return response.json();
}

export async function initI18n() {
  current = pickLanguage();
  fallback = await load(FALLBACK);
  table = current === FALLBACK ? fallback : await load(current);
  document.documentElement.lang = current;
  return current;
}

export function language() {
  return current;
}

// A language chosen in the selector is kept in the URL (so a kiosk start
// can pin it) and in this browser.
export function setLanguage(lang) {
  window.localStorage.setItem("mpobench.lang", lang);
  const url = new URL(window.location.href);
  url.searchParams.set("lang", lang);
  window.location.replace(url.toString());
}

// t("key", {name: "ana"}) -> the translated string with {name} filled in.
// A key missing from the table shows as the key itself, so it is noticed.
export function t(key, vars = {}) {
  const text = table[key] ?? fallback[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
}

export function hasString(key) {
  return key in table || key in fallback;
}
