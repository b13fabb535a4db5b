// Starts a simulated bench (`mpobench sim --operator web`), the station's
// users, and `mpobench serve` on a free loopback port, then a headless
// Chromium (the Debian package's, driven by playwright-core). Everything is
// stopped and removed again by close().
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
export const SOURCE_DIR = process.env.MPOBENCH_SOURCE_DIR || path.resolve(here, "..", "..");
export const MPOBENCH = process.env.MPOBENCH_BINARY;
export const ARTIFACTS = process.env.MPOBENCH_BROWSER_ARTIFACTS || path.resolve(process.cwd(), "browser-artifacts");
export const PASSWORD = "correct horse battery";
const CHROMIUM = process.env.MPOBENCH_CHROMIUM || "/usr/bin/chromium";
// The screenshots README shows; copied into the source tree only on request.
const DOCS_SCREENSHOTS = path.join(SOURCE_DIR, "docs", "screenshots");

export function fixture(name) {
  return path.join(SOURCE_DIR, "fixtures", "data", name);
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function startProcess(args, logName, dir) {
  const log = fs.openSync(path.join(dir, logName), "w");
  const child = spawn(MPOBENCH, args, { stdio: ["ignore", log, log], env: { ...process.env, CI: "true" } });
  fs.closeSync(log);
  child.exited = new Promise((resolve) => {
    child.on("exit", (code, signal) => resolve({ code, signal }));
    // A binary that cannot be started: kept, and reported by the waits below.
    child.on("error", (error) => {
      child.spawnError = error;
      resolve({ code: null, signal: null, error });
    });
  });
  return child;
}

async function stopProcess(child) {
  if (!child || child.spawnError || child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const done = await Promise.race([child.exited, sleep(15000).then(() => null)]);
  if (!done) {
    child.kill("SIGKILL");
    await child.exited;
  }
}

function tail(file) {
  try {
    return fs.readFileSync(file, "utf8").slice(-3000);
  } catch (error) {
    if (error.code === "ENOENT") return "(no log)";
    throw error;
  }
}

// `mpobench serve ARGS` on a free loopback port, once it answers: bench.base.
async function startServe(bench, args) {
  const port = await freePort();
  bench.base = `http://127.0.0.1:${port}`;
  const serve = startProcess(
    ["--log-file", path.join(bench.dir, "serve.log"), "serve", ...args, "--listen", `127.0.0.1:${port}`],
    "serve.out", bench.dir);
  bench.processes.push(serve);
  const ready = Date.now() + 20000;
  for (;;) {
    if (serve.spawnError) throw new Error(`cannot start ${MPOBENCH}: ${serve.spawnError.message}`);
    if (serve.exitCode !== null) throw new Error(`mpobench serve exited ${serve.exitCode}: ${bench.logs()}`);
    try {
      const response = await fetch(`${bench.base}/api/session`);
      if (response.status === 401 || response.ok) break;
    } catch (error) {
      if (!(error instanceof TypeError)) throw error; // not listening yet
    }
    if (Date.now() > ready) throw new Error(`mpobench serve did not answer within 20 s: ${bench.logs()}`);
    await sleep(100);
  }
}

// users: [{name, role}]; dut: a DUT file path.
// faults: `mpobench sim --faults` SPEC (README "Fault injection").
// plant, mes: a [plant] or [mes] table appended to the station file (TOML text).
// reference: true (single-mode) or a part number whose mode the reference takes.
export async function startBench({ dut, users = [{ name: "ana", role: "operator" }], timeScale = "0.01", reference = false, faults = null, plant = null, mes = null } = {}) {
  if (!MPOBENCH) throw new Error("set MPOBENCH_BINARY to the mpobench binary");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mpobench-browser-"));
  const bench = { dir, processes: [], browser: null };
  bench.logs = () => ["sim.log", "serve.log", "serve.out"].map((f) => `--- ${f}\n${tail(path.join(dir, f))}`).join("\n");
  try {
    const stationFile = path.join(dir, "station.toml");
    const sim = startProcess(
      ["--log-file", path.join(dir, "sim.log"), "sim", "--dut", dut, "--station-out", stationFile,
        "--run-dir", path.join(dir, "run"), "--time-scale", timeScale, "--operator", "web",
        ...(faults ? ["--faults", faults] : [])],
      "sim.out", dir);
    bench.processes.push(sim);
    const deadline = Date.now() + 20000;
    while (!fs.existsSync(stationFile)) {
      if (sim.spawnError) throw new Error(`cannot start ${MPOBENCH}: ${sim.spawnError.message}`);
      if (sim.exitCode !== null) throw new Error(`mpobench sim exited ${sim.exitCode}: ${tail(path.join(dir, "sim.out"))}`);
      if (Date.now() > deadline) throw new Error("mpobench sim wrote no station file within 20 s");
      await sleep(50);
    }
    bench.db = path.join(dir, "runs.db");
    bench.station = stationFile;
    if (plant) fs.appendFileSync(stationFile, `\n[plant]\n${plant}\n`);
    if (mes) fs.appendFileSync(stationFile, `\n[mes]\n${mes}\n`);
    for (const user of users) {
      const passwordFile = path.join(dir, `${user.name}.password`);
      fs.writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
      const added = spawnSync(MPOBENCH, ["user", "add", user.name, "--role", user.role, "--password-file", passwordFile, "--db", bench.db], { encoding: "utf8" });
      if (added.status !== 0) throw new Error(`mpobench user add ${user.name}: ${added.status} ${added.stderr}`);
    }
    await startServe(bench, ["--station", stationFile, "--db", bench.db]);
    // A station whose operator is the web page takes its reference there
    // too: through the API, as the first user.
    if (reference) await referenceThroughApi(bench, users[0].name, reference === true ? {} : { part: reference });
    bench.browser = await launchChromium();
  } catch (error) {
    await closeBench(bench);
    throw error;
  }
  bench.close = () => closeBench(bench);
  return bench;
}

// The plant's QA pages: a throw-away plant (plant_fixture.py: PostgreSQL,
// two demo stations' runs, these plant users) and `mpobench serve --db URL`.
export async function startPlantPages({ users = [{ name: "quinn", role: "qa" }] } = {}) {
  if (!MPOBENCH) throw new Error("set MPOBENCH_BINARY to the mpobench binary");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mpobench-browser-plant-"));
  const bench = { dir, processes: [], browser: null };
  bench.logs = () => ["plant.err", "serve.log", "serve.out"].map((f) => `--- ${f}\n${tail(path.join(dir, f))}`).join("\n");
  try {
    const err = fs.openSync(path.join(dir, "plant.err"), "w");
    const plant = spawn("python3", [path.join(here, "plant_fixture.py"), MPOBENCH, PASSWORD, ...users.map((u) => `${u.name}:${u.role}`)],
      { stdio: ["pipe", "pipe", err] });
    fs.closeSync(err);
    bench.plant = plant;
    const line = await new Promise((resolve, reject) => {
      let text = "";
      plant.stdout.on("data", (chunk) => {
        text += chunk;
        if (text.includes("\n")) resolve(text.split("\n")[0]);
      });
      plant.on("exit", (code) => reject(new Error(`plant_fixture.py exited ${code}: ${tail(path.join(dir, "plant.err"))}`)));
    });
    bench.plantUrl = JSON.parse(line).url;
    await startServe(bench, ["--db", bench.plantUrl]);
    bench.browser = await launchChromium();
  } catch (error) {
    await closeBench(bench);
    throw error;
  }
  bench.close = () => closeBench(bench);
  return bench;
}

function launchChromium() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
}

async function referenceThroughApi(bench, user, body) {
  const login = await fetch(`${bench.base}/api/session`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ user, password: PASSWORD }),
  });
  if (login.status !== 200) throw new Error(`login as ${user}: ${login.status} ${await login.text()}`);
  const cookie = login.headers.get("set-cookie").split(";")[0];
  const { csrf_token: token } = await login.json();
  const call = async (method, route, body) => {
    const response = await fetch(`${bench.base}${route}`, {
      method,
      headers: { Cookie: cookie, "Content-Type": "application/json", ...(method === "POST" ? { "X-CSRF-Token": token } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await response.json();
    if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${JSON.stringify(data)}`);
    return data;
  };
  await call("POST", "/api/reference", body);
  const deadline = Date.now() + 120000;
  let answered = null;
  for (;;) {
    const state = await call("GET", "/api/tests/current");
    if (state.state === "prompt" && state.prompt && state.prompt.id !== answered) {
      answered = state.prompt.id;
      await call("POST", "/api/tests/current/prompt", { answer: "done" });
    }
    if (state.state === "finished") {
      if (state.aborted) throw new Error(`reference aborted: ${JSON.stringify(state.aborted)}`);
      break;
    }
    if (Date.now() > deadline) throw new Error("no reference within 120 s");
    await sleep(200);
  }
  await fetch(`${bench.base}/api/session`, { method: "DELETE", headers: { Cookie: cookie, "X-CSRF-Token": token } });
}

async function closeBench(bench) {
  if (bench.browser) await bench.browser.close();
  for (const child of bench.processes.reverse()) await stopProcess(child);
  if (bench.plant && bench.plant.exitCode === null) {
    // Its standard input closed, the plant fixture removes its cluster.
    const exited = new Promise((resolve) => bench.plant.on("exit", resolve));
    bench.plant.stdin.end();
    await exited;
  }
  if (!process.env.MPOBENCH_KEEP_TMP) fs.rmSync(bench.dir, { recursive: true, force: true });
}

// A page of its own (fresh cookies) with console errors collected.
export async function newPage(bench, { lang, viewport = { width: 1400, height: 900 } } = {}) {
  const context = await bench.browser.newContext({ viewport, locale: lang === "de" ? "de-DE" : "en-US" });
  const page = await context.newPage();
  page.errors = [];
  page.on("pageerror", (error) => page.errors.push(error.message));
  // Refusals the page shows on purpose are not errors; anything else is.
  page.on("response", (response) => {
    if (response.status() >= 400 && ![401, 403, 409, 422].includes(response.status())) {
      page.errors.push(`${response.status()} ${response.url()}`);
    }
  });
  page.on("console", (message) => {
    if (message.type() === "error" && !/^Failed to load resource/.test(message.text())) page.errors.push(message.text());
  });
  await page.goto(`${bench.base}/${lang ? `?lang=${lang}` : ""}`);
  return page;
}

export async function login(page, user, password = PASSWORD) {
  await page.waitForSelector("#login-user");
  await page.fill("#login-user", user);
  await page.press("#login-user", "Enter");
  await page.fill("#login-password", password);
  await page.press("#login-password", "Enter");
  await page.waitForSelector("#whoami");
}

export async function screenshot(page, name, { docs = false } = {}) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  if (docs && process.env.MPOBENCH_UPDATE_SCREENSHOTS === "1") {
    fs.mkdirSync(DOCS_SCREENSHOTS, { recursive: true });
    fs.copyFileSync(file, path.join(DOCS_SCREENSHOTS, `${name}.png`));
  }
  return file;
}

// Takes the reference from the page: the red bar's button, then Done on
// the "connect the reference" prompt.
export async function takeReference(page) {
  await page.click("#take-reference");
  await page.waitForSelector("#prompt-done");
  await page.click("#prompt-done");
  await page.waitForSelector("#reference-done", { timeout: 60000 });
}

// Chooses the part and scans the serial as a scanner does (text + Enter).
export async function scanAndStart(page, part, serial) {
  await page.waitForSelector("#serial");
  await page.fill("#serial", part);
  await page.press("#serial", "Enter");
  await page.fill("#serial", serial);
  await page.press("#serial", "Enter");
}

// Answers every prompt with Done until the verdict (or aborted) shows.
export async function answerUntilVerdict(page, { timeout = 120000 } = {}) {
  const end = Date.now() + timeout;
  const answered = new Set();
  for (;;) {
    if (await page.$("#verdict, #aborted")) return;
    const done = await page.$("#prompt-done");
    if (done) {
      const key = await page.evaluate(() => document.querySelector("#prompt")?.dataset.promptId || "");
      if (!answered.has(key)) {
        answered.add(key);
        await done.click().catch(() => {});
      }
    }
    if (Date.now() > end) throw new Error("no verdict within the timeout");
    await page.waitForTimeout(100);
  }
}
