// The keyboard alone runs a test: scan (typed text + Enter), Enter, Space for
// Done, Esc to abort with a confirmation.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as H from "./harness.mjs";

async function spaceUntilVerdict(page) {
  const end = Date.now() + 120000;
  let last = null;
  while (!(await page.$("#verdict, #aborted"))) {
    const id = await page.evaluate(() => document.querySelector("#prompt")?.dataset.promptId || null);
    if (id && id !== last) {
      last = id;
      await page.keyboard.press("Space");
    }
    if (Date.now() > end) throw new Error("no verdict");
    await page.waitForTimeout(100);
  }
}

test("a whole test with the keyboard alone, then a test aborted with Esc and confirmed", async (t) => {
  const bench = await H.startBench({ dut: H.fixture("elite_sm_12f_b.json"), reference: true });
  t.after(() => bench.close());
  const page = await H.newPage(bench);
  await page.waitForSelector("#login-user");
  // The cursor starts in the name field; a badge scan ends with Enter.
  await page.keyboard.type("ana");
  await page.keyboard.press("Enter");
  await page.keyboard.type(H.PASSWORD);
  await page.keyboard.press("Enter");
  await page.waitForSelector("#serial");
  await page.waitForFunction(() => document.activeElement?.id === "serial");
  await page.keyboard.type("MPO12-SM-B-E");
  await page.keyboard.press("Enter");
  assert.equal(await page.inputValue("#part"), "MPO12-SM-B-E");
  await page.keyboard.type("SN-KEYS-1");
  await page.keyboard.press("Enter");
  await page.waitForSelector("#prompt");
  await spaceUntilVerdict(page);
  assert.match(await page.textContent("#verdict"), /PASS/);

  // Next serial: the cursor is back in the serial field.
  await page.waitForFunction(() => document.activeElement?.id === "serial");
  await page.keyboard.type("SN-KEYS-2");
  await page.keyboard.press("Enter");
  await page.waitForSelector("#prompt");
  // Esc asks first; Esc again keeps the test going.
  await page.keyboard.press("Escape");
  await page.waitForSelector("#confirm-abort");
  await page.keyboard.press("Escape");
  await page.waitForSelector("#confirm-abort", { state: "detached" });
  assert.ok(await page.$("#prompt"));
  // Esc, then Enter on "Yes, abort".
  await page.keyboard.press("Escape");
  await page.waitForSelector("#confirm-abort");
  await H.screenshot(page, "09-abort-confirmation");
  await page.keyboard.press("Enter");
  await page.waitForSelector("#aborted");
  const aborted = await page.textContent("#aborted");
  assert.match(aborted, /TEST ABORTED/);
  assert.match(aborted, /What happened:/);
  assert.match(aborted, /What to do:/);
  assert.match(aborted, /Nothing was lost/);
  await H.screenshot(page, "09-aborted-by-operator");
  assert.deepEqual(page.errors, []);
});
