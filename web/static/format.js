// Times and numbers as the station shows them (the station's time zone).
import { t } from "./i18n.js";

let timeZone;

export function setTimeZone(zone) {
  timeZone = zone || undefined;
}

function formatter(options) {
  try {
    return new Intl.DateTimeFormat(document.documentElement.lang || "en", { ...options, timeZone });
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    return new Intl.DateTimeFormat(document.documentElement.lang || "en", options);
  }
}

export function dateTime(iso) {
  if (!iso) return "—";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return formatter({ year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" }).format(date);
}

export function clock(iso) {
  if (!iso) return "—";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return formatter({ hour: "2-digit", minute: "2-digit" }).format(date);
}

export function elapsed(fromIso, toIso) {
  const from = new Date(fromIso).getTime();
  const to = toIso ? new Date(toIso).getTime() : Date.now();
  if (Number.isNaN(from) || Number.isNaN(to)) return "—";
  const seconds = Math.max(0, Math.round((to - from) / 1000));
  const minutes = Math.floor(seconds / 60);
  return `${minutes}:${String(seconds % 60).padStart(2, "0")}`;
}

export function minutesLeft(minutes) {
  if (minutes === null || minutes === undefined) return "—";
  const whole = Math.max(0, Math.floor(minutes));
  const hours = Math.floor(whole / 60);
  return hours ? t("time.hours_minutes", { h: hours, m: whole % 60 }) : t("time.minutes", { m: whole });
}

export function percent(share) {
  if (share === null || share === undefined) return "—";
  return `${(share * 100).toFixed(1)} %`;
}

export function gradeName(grade) {
  return grade ? t(`grade.${grade}`) : "—";
}
