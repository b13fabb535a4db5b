// QA and security from the browser: the dashboard draws its charts from a
// real run; an operator gets the server's 403 on limit sets and users (not a
// hidden button); a POST without the CSRF token is refused; the two-person
// rule on limit sets; the audit log.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as H from "./harness.mjs";

// DESIGN §2's default figures, as a new version QA uploads.
const LIMITS = `name = "browser-test"\nversion = "2"\n${[
  ["generic", "MM", 0.35, 0.75, 0.2], ["generic", "SM", 0.5, 0.75, 0.2],
  ["standard", "MM", 0.25, 0.6, 0.1], ["standard", "SM", 0.35, 0.75, 0.1],
  ["elite", "MM", 0.1, 0.35, 0.1], ["elite", "SM", 0.25, 0.35, 0.1],
].map(([grade, mode, typical, max, repeat]) =>
  `[grade.${grade}.${mode}]\nil_typical_db = ${typical}\nil_max_db = ${max}\nrepeatability_max_db = ${repeat}\n`).join("")}`;

test("roles, CSRF, the QA dashboard, users and the audit log", async (t) => {
  const bench = await H.startBench({
    dut: H.fixture("elite_sm_12f_b.json"),
    reference: true,
    users: [
      { name: "ana", role: "operator" }, { name: "quinn", role: "qa" }, { name: "root", role: "admin" },
    ],
  });
  t.after(() => bench.close());

  // A run to report on.
  const ana = await H.newPage(bench);
  await H.login(ana, "ana");
  await H.scanAndStart(ana, "MPO12-SM-B-E", "SN-QA-1");
  await H.answerUntilVerdict(ana);
  assert.match(await ana.textContent("#verdict"), /PASS/);

  // CSRF: a state-changing request without the token is refused.
  const noToken = await ana.evaluate(async () => {
    const response = await fetch("/api/tests", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ part: "MPO12-SM-B-E", serial: "SN-CSRF" }),
    });
    return { status: response.status, body: await response.json() };
  });
  assert.equal(noToken.status, 403);
  assert.match(noToken.body.error, /CSRF/);

  // The operator's page for users and the audit log: the server's 403, shown.
  await ana.goto(`${bench.base}/#/users`);
  await ana.waitForSelector("#users-list .error-box");
  assert.match(await ana.textContent("#users-list"), /403/);
  await ana.goto(`${bench.base}/#/audit`);
  await ana.waitForSelector(".error-box");
  assert.match(await ana.textContent(".error-box"), /403/);
  await H.screenshot(ana, "13-operator-forbidden-audit");

  // QA: the dashboard draws every chart with data.
  const quinn = await H.newPage(bench, { viewport: { width: 1400, height: 1000 } });
  await H.login(quinn, "quinn");
  await quinn.goto(`${bench.base}/#/qa`);
  await quinn.waitForSelector("#chart-yield svg.chart");
  await quinn.waitForSelector("#chart-grades svg.chart");
  await quinn.waitForSelector("#chart-histogram svg.chart");
  await quinn.waitForSelector("#chart-spc svg.chart");
  assert.match(await quinn.textContent("#yield-summary"), /^1 completed runs/);
  assert.ok((await quinn.$$("#chart-yield .chart-marker")).length >= 2);
  const eliteBar = await quinn.$$eval("#chart-grades .chart-bar title", (nodes) => nodes.map((n) => n.textContent));
  assert.ok(eliteBar.includes("Elite: 1"), eliteBar.join(","));
  const histogramCounts = await quinn.$$eval("#chart-histogram .chart-bar title", (nodes) => nodes.map((n) => Number(n.textContent.split(": ")[1])));
  assert.ok(histogramCounts.reduce((a, b) => a + b, 0) > 0, histogramCounts.join(","));
  assert.ok((await quinn.$$("#chart-spc .chart-marker")).length >= 1);
  await H.screenshot(quinn, "10-qa-dashboard", { docs: true });
  // A yield point leads to the runs behind it.
  await quinn.locator("#chart-yield .chart-point").last().click();
  await quinn.waitForSelector("#runs-table");
  assert.match(await quinn.textContent("#runs-table"), /SN-QA-1/);
  // The runs behind the page download as `mpobench export` writes them.
  const csv = await quinn.request.get(new URL(await quinn.getAttribute("#exports a[href*='format=csv'][href*='table=runs']", "href"), bench.base).toString());
  assert.equal(csv.status(), 200);
  assert.match(await csv.text(), /SN-QA-1/);
  const xlsx = await quinn.request.get(new URL(await quinn.getAttribute("#exports a[href*='format=xlsx']", "href"), bench.base).toString());
  assert.equal(xlsx.status(), 200);
  assert.equal((await xlsx.body()).subarray(0, 2).toString("latin1"), "PK");
  await quinn.click("#runs-table a[href^='#/serial/']");
  await quinn.waitForFunction(() => /History of SN SN-QA-1/.test(document.body.textContent));

  // Admin: users, and the audit log with its chain verified.
  const root = await H.newPage(bench);
  await H.login(root, "root");
  await root.goto(`${bench.base}/#/users`);
  await root.waitForSelector("#users-table");
  for (const name of ["ana", "quinn", "root"]) assert.match(await root.textContent("#users-table"), new RegExp(name));
  await root.goto(`${bench.base}/#/audit`);
  await root.waitForSelector("#audit-table");
  assert.match(await root.textContent("#audit-verified"), /verified/);
  await H.screenshot(root, "12-audit");
  for (const page of [ana, quinn, root]) assert.deepEqual(page.errors, []);
});

test("limit sets: an operator gets 403 on upload; one QA user uploads, a second activates", async (t) => {
  const bench = await H.startBench({
    dut: H.fixture("elite_sm_12f_b.json"),
    users: [{ name: "ana", role: "operator" }, { name: "quinn", role: "qa" }, { name: "rita", role: "qa" }],
  });
  t.after(() => bench.close());
  const quinn = await H.newPage(bench);
  await H.login(quinn, "quinn");
  const ana = await H.newPage(bench);
  await H.login(ana, "ana");
  await ana.goto(`${bench.base}/#/limits`);
  await ana.waitForSelector("#limits-list .error-box");
  assert.match(await ana.textContent("#limits-list"), /403/);
  await ana.fill("#limits-toml", LIMITS);
  await ana.click("#limits-upload-button");
  await ana.waitForSelector("#limits-message .error-box");
  assert.match(await ana.textContent("#limits-message"), /403/);
  await H.screenshot(ana, "13-operator-forbidden");

  // Limit sets: quinn uploads, may not activate his own; rita activates.
  await quinn.goto(`${bench.base}/#/limits`);
  await quinn.waitForSelector("#limits-table");
  await quinn.fill("#limits-toml", LIMITS);
  await quinn.click("#limits-upload-button");
  await quinn.waitForSelector("#limits-message .bar-good");
  await quinn.waitForFunction(() => /browser-test/.test(document.querySelector("#limits-table")?.textContent || ""));
  const row = quinn.locator("#limits-table tr", { hasText: "browser-test" });
  await row.getByRole("button", { name: "Activate" }).click();
  await quinn.waitForSelector("#limits-message .error-box");
  assert.match(await quinn.textContent("#limits-message"), /403/);
  const rita = await H.newPage(bench);
  await H.login(rita, "rita");
  await rita.goto(`${bench.base}/#/limits`);
  await rita.waitForSelector("#limits-table");
  await rita.locator("#limits-table tr", { hasText: "browser-test" }).getByRole("button", { name: "Activate" }).click();
  await rita.waitForSelector("#limits-message .bar-good");
  await rita.waitForFunction(() => [...document.querySelectorAll("#limits-table tr")].some((tr) => tr.textContent.includes("browser-test") && tr.textContent.includes("in use")));
  await rita.locator("#limits-table tr", { hasText: "browser-test" }).getByRole("button", { name: "View" }).click();
  await rita.waitForSelector("#limits-view pre.toml");
  assert.match(await rita.textContent("#limits-view pre.toml"), /\[grade\.elite\.SM\]/);
  await H.screenshot(rita, "12-limit-sets", { docs: true });

  for (const page of [ana, quinn, rita]) assert.deepEqual(page.errors, []);
});
