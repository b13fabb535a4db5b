// A station whose plant is unreachable: the test passes as always, and the
// header says how many runs wait for the plant and since when. A station of
// a plant: the limits page says the plant's limit set grades. The MES's
// interlock refusing a serial: the screen says why. The plant's QA pages
// (serve --db postgresql://...) over a throw-away plant.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import http from "node:http";
import { test } from "node:test";
import * as H from "./harness.mjs";

test("the header shows the runs waiting for an unreachable plant, and testing goes on", async (t) => {
  const bench = await H.startBench({
    dut: H.fixture("elite_sm_12f_b.json"),
    timeScale: "0.02",
    reference: true,
    // No server listens on this socket: the plant is down.
    plant: 'url = "postgresql:///plant?host=/nonexistent-mpobench-plant&port=1"\nretry_interval_s = 1',
  });
  t.after(() => bench.close());
  const page = await H.newPage(bench);
  await H.login(page, "ana");
  await page.waitForSelector("#plant-status");
  assert.match(await page.textContent("#plant-status"), /✓ plant: all runs forwarded/);

  await H.scanAndStart(page, "MPO12-SM-B-E", "SN-PLANT-1");
  await H.answerUntilVerdict(page);
  assert.match(await page.textContent("#verdict"), /PASS/);
  // The header follows the station every 30 s and at each change of state.
  await page.waitForFunction(() => /plant: 1 waiting since/.test(document.querySelector("#plant-status")?.textContent || ""), null, { timeout: 45000 });
  assert.ok(await page.$("#plant-status.status-bad"));
  await H.screenshot(page, "plant-waiting");
});

test("the limits page of a station of a plant says the plant's limit set grades", async (t) => {
  const bench = await H.startBench({
    dut: H.fixture("elite_sm_12f_b.json"),
    users: [{ name: "quinn", role: "qa" }],
    plant: 'url = "postgresql:///plant?host=/nonexistent-mpobench-plant&port=1"',
  });
  t.after(() => bench.close());
  // What the station keeps after taking its parts, limits and users from the
  // plant (the taking itself: tests/e2e/test_plant_config.py); a set uploaded
  // and activated on the station before it joined the plant.
  const keep = spawnSync("python3", ["-c", `
import sqlite3, sys
with sqlite3.connect(sys.argv[1]) as c:
    c.execute("INSERT INTO limit_sets (name, version, hash, body, stored_at) VALUES ('local-limits', '1', 'hash-local', '# local', '2026-12-01T00:00:00.000Z')")
    c.execute("INSERT INTO limit_set_uploads (limit_set_id, uploaded_by, uploaded_at, activated_by, activated_at, activation_seq) SELECT id, 'quinn', '2026-12-01T00:00:00.000Z', 'rita', '2026-12-01T01:00:00.000Z', 1 FROM limit_sets WHERE hash = 'hash-local'")
    c.execute("INSERT INTO limit_sets (name, version, hash, body, stored_at) VALUES ('plant-limits', '4', 'hash-plant', '# plant', '2026-12-02T00:00:00.000Z')")
    c.execute("INSERT INTO plant_config (id, plant, fetched_at, limit_set_hash, limit_set_plant_id, limits_activated_by, limits_activated_at, users) VALUES (1, 'plant-db:5432/plant', '2026-12-02T08:00:00.000Z', 'hash-plant', 7, 'ida', '2026-12-02T07:00:00.000Z', 3)")
`, bench.db], { encoding: "utf8" });
  assert.equal(keep.status, 0, keep.stderr);
  const page = await H.newPage(bench);
  await H.login(page, "quinn");
  await page.goto(`${bench.base}/#/limits`);
  await page.waitForSelector("#limits-from-plant");
  const notice = await page.textContent("#limits-from-plant");
  assert.match(notice, /the plant's limit set 7, 'plant-limits' 4, activated by ida \(plant plant-db:5432\/plant/);
  // The station's own activation is listed, not shown in use.
  await page.waitForFunction(() => /local-limits/.test(document.querySelector("#limits-table")?.textContent || ""));
  assert.doesNotMatch(await page.textContent("#limits-table"), /in use/);
  await H.screenshot(page, "plant-limits");
});

test("the MES refuses a serial: the station screen says why and the bench does not start", async (t) => {
  // The MES's pre-test interlock: a loopback HTTP server standing for it.
  const asked = [];
  const mes = http.createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => { body += chunk; });
    request.on("end", () => {
      const question = JSON.parse(body);
      asked.push(question);
      const no = question.serial === "SN-MES-NO";
      response.writeHead(200, { "Content-Type": "application/json" });
      response.end(JSON.stringify(no ? { allow: false, reason: "work order WO-4711 is closed" } : { allow: true }));
    });
  });
  await new Promise((resolve) => mes.listen(0, "127.0.0.1", resolve));
  t.after(() => mes.close());
  const bench = await H.startBench({
    dut: H.fixture("elite_sm_12f_b.json"),
    timeScale: "0.02",
    reference: true,
    mes: `interlock_url = "http://127.0.0.1:${mes.address().port}/interlock"`,
  });
  t.after(() => bench.close());
  const page = await H.newPage(bench);
  await H.login(page, "ana");
  await H.scanAndStart(page, "MPO12-SM-B-E", "SN-MES-NO");
  await page.waitForSelector(".form-message-error");
  assert.match(await page.textContent(".form-message"), /Not started:.*work order WO-4711 is closed/);
  assert.equal(await page.$("#prompt"), null);
  assert.deepEqual(asked.map((q) => [q.serial, q.part, q.operator]), [["SN-MES-NO", "MPO12-SM-B-E", "ana"]]);
  await H.screenshot(page, "mes-refused");
  // A serial the MES allows is tested as ever.
  await H.scanAndStart(page, "MPO12-SM-B-E", "SN-MES-YES");
  await H.answerUntilVerdict(page);
  assert.match(await page.textContent("#verdict"), /PASS/);
  assert.equal(asked.length, 2);
});

test("the plant's QA pages: the plant's users log in and see every station's runs, read only", async (t) => {
  const bench = await H.startPlantPages({ users: [{ name: "quinn", role: "qa" }, { name: "ada", role: "admin" }] });
  t.after(() => bench.close());
  const quinn = await H.newPage(bench, { viewport: { width: 1400, height: 1000 } });
  await H.login(quinn, "quinn");
  // No station page: the dashboard first, the plant named in the top bar.
  await quinn.waitForSelector("#chart-yield svg.chart");
  assert.match(await quinn.textContent("#plant-name"), /^Plant /);
  assert.equal(await quinn.$("nav a[href='#/station']"), null);
  await quinn.waitForSelector("#chart-pareto");
  await quinn.waitForSelector("#chart-histogram svg.chart");
  assert.match(await quinn.textContent("#yield-summary"), /^7 completed runs/);
  await H.screenshot(quinn, "plant-qa-dashboard");

  // The runs of both stations; a run's page by its plant UUID, verified.
  await quinn.goto(`${bench.base}/#/runs`);
  await quinn.waitForSelector("#runs-table");
  const runs = await quinn.textContent("#runs-table");
  assert.match(runs, /PA-0001/);
  assert.match(runs, /PB-0001/);
  await quinn.click("#runs-table a[href^='#/runs/']");
  await quinn.waitForSelector("#run-facts");
  assert.match(quinn.url(), /#\/runs\/[0-9a-f]{8}-[0-9a-f]{4}-/);
  assert.match(await quinn.textContent("#run-facts"), /✓ record matches its hash/);
  await quinn.waitForSelector("#endface svg");
  await H.screenshot(quinn, "plant-run");
  const pdf = await quinn.request.get(new URL(await quinn.getAttribute("#certificate", "href"), bench.base).toString());
  assert.equal(pdf.status(), 200);
  assert.equal((await pdf.body()).subarray(0, 5).toString("latin1"), "%PDF-");

  // Limits and the log: how to change them at the plant, no forms.
  await quinn.goto(`${bench.base}/#/limits`);
  await quinn.waitForSelector("#limits-at-plant");
  assert.match(await quinn.textContent("#limits-at-plant"), /Nothing is activated at the plant/);
  assert.match(await quinn.textContent("#limits-read-only"), /mpobench limits upload/);
  assert.equal(await quinn.$("#limits-upload"), null);
  await quinn.goto(`${bench.base}/#/audit`);
  await quinn.waitForSelector("#audit-plant");
  assert.match(await quinn.textContent("#audit-table"), /user\.add/);
  await H.screenshot(quinn, "plant-audit");

  const ada = await H.newPage(bench);
  await H.login(ada, "ada");
  await ada.goto(`${bench.base}/#/users`);
  await ada.waitForSelector("#users-table");
  assert.match(await ada.textContent("#users-table"), /quinn/);
  assert.match(await ada.textContent("#users-at-plant"), /managed at the plant/);
  assert.equal(await ada.$("#user-add"), null);
  assert.equal(await ada.$("#users-table button"), null);
  for (const page of [quinn, ada]) assert.deepEqual(page.errors, []);
});
