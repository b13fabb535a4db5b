// A failing assembly shows FAIL and names its fibre; a second Start while
// the station is busy is refused by the server and the page says so.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as H from "./harness.mjs";

const PART = "MPO12-SM-B-E";

test("a broken fibre shows FAIL, names the fibre in words and marks it on the end face", async (t) => {
  const bench = await H.startBench({ dut: H.fixture("broken_fibre_sm_12f_b.json"), reference: true });
  t.after(() => bench.close());
  const page = await H.newPage(bench);
  await H.login(page, "ana");
  await H.scanAndStart(page, PART, "SN-BROKEN-1");
  await H.answerUntilVerdict(page);
  const verdict = await page.textContent("#verdict");
  assert.match(verdict, /FAIL/);
  assert.match(verdict, /target ELITE/);
  const texts = await page.$$eval("#failure-texts li", (nodes) => nodes.map((n) => n.textContent));
  assert.ok(texts.length >= 1);
  assert.ok(texts.some((text) => /fibre 7/.test(text)), texts.join(" | "));
  // Fibre 7 lit nothing: no light on end A, marked as failed.
  const fibre7 = await page.$$eval('#endface .pos[data-fiber="7"]', (nodes) => nodes.map((n) => [n.dataset.category, n.classList.contains("pos-marked")]));
  assert.ok(fibre7.some(([category]) => category === "nolight"), JSON.stringify(fibre7));
  assert.ok(fibre7.some(([, marked]) => marked), JSON.stringify(fibre7));
  await H.screenshot(page, "08-fail", { docs: true });

  // The run detail page: both end faces, every measurement, hash verified.
  await page.click("#history a");
  await page.waitForSelector("#measurements");
  assert.equal((await page.$$("#measurements tbody tr")).length, 2 * 2 * 12);
  assert.match(await page.textContent("#run-facts"), /Record verified|record matches its hash/);
  assert.match(await page.textContent("#run-verdict"), /FAIL/);
  await H.screenshot(page, "11-run-detail", { docs: true });
  assert.deepEqual(page.errors, []);
});

test("a second Start while the station is busy is refused by the server and the page shows who holds it", async (t) => {
  const bench = await H.startBench({
    dut: H.fixture("elite_sm_12f_b.json"),
    reference: true,
    users: [{ name: "ana", role: "operator" }, { name: "bob", role: "operator" }],
  });
  t.after(() => bench.close());
  const ana = await H.newPage(bench);
  await H.login(ana, "ana");
  const bob = await H.newPage(bench);
  await H.login(bob, "bob");
  await H.scanAndStart(ana, PART, "SN-ANA-1");
  await ana.waitForSelector("#prompt-done");

  // Bob sees the station busy: who and since when.
  await bob.waitForSelector("#busy-bar");
  assert.match(await bob.textContent("#busy-bar"), /Station busy: ana since/);
  // Bob may not answer ana's prompt: no Done button on his screen.
  assert.equal(await bob.$("#prompt-done"), null);
  await H.scanAndStart(bob, PART, "SN-BOB-1");
  await bob.waitForFunction(() => /409/.test(document.querySelector(".form-message")?.textContent || ""));
  assert.match(await bob.textContent(".form-message"), /busy/);
  await H.screenshot(bob, "04-busy", { docs: true });

  // Nor through the API: the prompt is ana's.
  const answer = await bob.evaluate(async () => {
    const session = await (await fetch("/api/session")).json();
    const response = await fetch("/api/tests/current/prompt", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": session.csrf_token },
      body: JSON.stringify({ answer: "done" }),
    });
    return response.status;
  });
  assert.equal(answer, 403);

  await H.answerUntilVerdict(ana);
  assert.match(await ana.textContent("#verdict"), /PASS/);
  assert.deepEqual(ana.errors, []);
  assert.deepEqual(bob.errors, []);
});

test("an instrument that stops answering mid-test aborts it: what happened, what to do, nothing lost", async (t) => {
  // The return-loss module's 575th and every later command times out: the
  // reference (32 positions, its RL noise windows: about 540 commands with
  // the connections before it) completes, the test stops on end A.
  const bench = await H.startBench({ dut: H.fixture("elite_sm_12f_b.json"), reference: true, faults: "rl:timeout@575+" });
  t.after(() => bench.close());
  const page = await H.newPage(bench);
  await H.login(page, "ana");
  await H.scanAndStart(page, PART, "SN-FAULT-1");
  await H.answerUntilVerdict(page);
  assert.equal(await page.$("#verdict"), null);
  const aborted = await page.textContent("#aborted");
  assert.match(aborted, /TEST ABORTED/);
  assert.match(aborted, /What happened: .*rl .*timed out/);
  assert.match(aborted, /What to do: .*cable/);
  assert.match(aborted, /Nothing was lost/);
  // The readings taken before the fault stay on the end face.
  assert.ok((await page.$$("#endface .pos:not(.pos-pending)")).length >= 1);
  await H.screenshot(page, "09-aborted", { docs: true });
  await page.waitForFunction(() => /aborted/.test(document.querySelector("#history")?.textContent || ""));
  assert.deepEqual(page.errors, []);
});

test("a 72-fibre assembly: six rows per end, its polarity said in words, no 72 crossing lines", async (t) => {
  const part = "MPO72-MM-B-E";
  const bench = await H.startBench({ dut: H.fixture("elite_mm_72f_b.json"), reference: part, timeScale: "0.005" });
  t.after(() => bench.close());
  const page = await H.newPage(bench, { viewport: { width: 1400, height: 1100 } });
  await H.login(page, "ana");
  await H.scanAndStart(page, part, "SN-72F-1");
  await H.answerUntilVerdict(page, { timeout: 240000 });
  assert.match(await page.textContent("#verdict"), /PASS/);
  await page.waitForSelector("#endface .face-polarity");
  assert.match(await page.textContent("#endface .face-polarity"), /every end-A fibre lit its expected end-B position/);
  assert.equal((await page.$$("#endface .polarity-line")).length, 0);
  // Each end-B position says which end-A fibre lit it (type B: row by row reversed).
  const titles = await page.$$eval("#endface .pos title", (nodes) => nodes.map((n) => n.textContent));
  assert.equal(titles.filter((text) => /lit by end-A fibre \d+/.test(text)).length, 72);
  // A station's top bar names no plant (and no "null" where a plant's name would be).
  assert.equal(await page.$("#plant-name"), null);
  assert.doesNotMatch(await page.textContent("#topbar"), /null/);
  await H.screenshot(page, "72f-verdict");
  assert.deepEqual(page.errors, []);
});
