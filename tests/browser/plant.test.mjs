// A station whose plant is unreachable: the test passes as always, and the
// header says how many runs wait for the plant and since when.
import assert from "node:assert/strict";
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
