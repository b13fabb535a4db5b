// The operator's day from the browser: log in, take the reference, scan part
// and serial, watch the end face fill, answer the flip prompt, see PASS and
// download the certificate; a reload mid-test shows the live run.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as H from "./harness.mjs";

const PART = "MPO12-SM-B-E";

test("an operator logs in, takes a reference, tests an assembly from scans and sees PASS", async (t) => {
  const bench = await H.startBench({ dut: H.fixture("elite_sm_12f_b.json"), timeScale: "0.05" });
  t.after(() => bench.close());
  const page = await H.newPage(bench);
  await page.waitForSelector("#login-user");
  await H.screenshot(page, "01-logged-out", { docs: true });

  // A wrong password is refused with the same words as an unknown name.
  await page.fill("#login-user", "ana");
  await page.press("#login-user", "Enter");
  await page.fill("#login-password", "wrong");
  await page.press("#login-password", "Enter");
  await page.waitForFunction(() => document.querySelector("#login-message").textContent.length > 0);
  assert.match(await page.textContent("#login-message"), /Name or password wrong/);
  await H.login(page, "ana");

  // A new station has no reference: red bar, Start disabled, a button to take one.
  await page.waitForSelector("#reference-bar");
  assert.equal(await page.isDisabled("#start"), true);
  await H.screenshot(page, "03-reference-missing", { docs: true });
  await H.takeReference(page);
  await page.waitForFunction(() => !document.querySelector("#reference-bar") && !document.querySelector("#start").disabled);
  assert.match(await page.textContent("#reference-status"), /Reference .* left/);
  // The cursor is in the serial field.
  assert.equal(await page.evaluate(() => document.activeElement.id), "serial");
  await H.screenshot(page, "02-idle", { docs: true });

  // Scan the part label, then the serial: Enter starts.
  await H.scanAndStart(page, PART, "SN-WEB-1");
  await page.waitForSelector("#prompt");
  assert.match(await page.textContent("#waiting"), /waiting for: OPERATOR/);
  await page.click("#prompt-done");

  // The end face fills as readings come in, position by position.
  await page.waitForFunction(() => document.querySelectorAll("#endface .pos:not(.pos-pending)").length >= 7);
  const heading = await page.textContent("#face-heading");
  assert.match(heading, /END A · \d+ nm · fibre \d+ of 12/);
  await H.screenshot(page, "05-running", { docs: true });

  // Flip the cable: the prompt takes over the left column.
  await page.waitForSelector('#prompt[data-step="connect_end_b"]', { timeout: 120000 });
  assert.equal(await page.$("#test-form"), null);
  assert.match(await page.textContent("#prompt .prompt-title"), /FLIP THE CABLE/);
  await H.screenshot(page, "06-prompt", { docs: true });
  await page.click("#prompt-done");
  await H.answerUntilVerdict(page);

  const verdict = await page.textContent("#verdict");
  assert.match(verdict, /PASS/);
  assert.match(verdict, /ELITE/);
  assert.match(verdict, /Scan the next serial/);
  // Every position of both ends measured, each with a grade symbol.
  const categories = await page.$$eval("#endface .pos", (nodes) => nodes.map((n) => n.dataset.category));
  assert.equal(categories.length, 24);
  assert.ok(categories.every((c) => c === "elite"), categories.join(","));
  assert.ok((await page.$$("#endface .polarity-line")).length >= 12);
  await H.screenshot(page, "07-pass", { docs: true });
  // A tap on a position shows its IL and RL at each wavelength and where it lands.
  await page.locator('#endface .pos[data-fiber="5"]').first().click();
  const detail = await page.textContent("#fibre-detail");
  assert.match(detail, /end A, fibre 5 → far 8/);
  assert.match(detail, /1310 nm IL 0\.\d\d dB RL \d+\.\d dB/);
  assert.match(detail, /1550 nm IL/);

  // The certificate is a PDF.
  const href = await page.getAttribute("#certificate", "href");
  const pdf = await page.request.get(new URL(href, bench.base).toString());
  assert.equal(pdf.status(), 200);
  assert.match(pdf.headers()["content-type"], /application\/pdf/);
  assert.equal((await pdf.body()).subarray(0, 5).toString("latin1"), "%PDF-");

  // The station's last results list the run; the verdict dims at the next scan.
  await page.waitForFunction(() => document.querySelector("#history")?.textContent.includes("SN-WEB-1"));
  await page.type("#serial", "SN");
  assert.match(await page.getAttribute("#verdict", "class"), /dimmed/);
  await H.screenshot(page, "02-idle-after-pass");
  assert.deepEqual(page.errors, []);
});

test("a reload in the middle of a test shows the live run, which neither stops nor loses a reading", async (t) => {
  const bench = await H.startBench({ dut: H.fixture("elite_sm_12f_b.json"), timeScale: "0.05", reference: true });
  t.after(() => bench.close());
  const page = await H.newPage(bench);
  await H.login(page, "ana");
  await H.scanAndStart(page, PART, "SN-RELOAD-1");
  await page.waitForSelector("#prompt-done");
  await page.click("#prompt-done");
  await page.waitForFunction(() => document.querySelectorAll("#endface .pos:not(.pos-pending)").length >= 1);
  await page.reload();
  // Logged in still (the session cookie), and the run is on screen at once.
  await page.waitForSelector("#endface");
  assert.match(await page.textContent(".run-serial"), /SN-RELOAD-1/);
  await page.waitForFunction(() => document.querySelectorAll("#endface .pos:not(.pos-pending)").length >= 2);
  await H.screenshot(page, "05-running-after-reload");
  await H.answerUntilVerdict(page);
  assert.match(await page.textContent("#verdict"), /PASS/);
  const run = await page.request.get(`${bench.base}/api/tests/current`);
  const state = await run.json();
  assert.equal(state.result.measurements.length, 2 * 2 * 12);
  assert.deepEqual(page.errors, []);
});
