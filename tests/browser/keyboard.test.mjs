// The keyboard alone runs a test: scan (typed text + Enter), Enter, Space for
// Done, Esc to abort with a confirmation.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
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

test("a badge scanned into the name field logs in without a password; a name typed by hand asks for it", async (t) => {
  const bench = await H.startBench({ dut: H.fixture("elite_sm_12f_b.json") });
  t.after(() => bench.close());
  const badgeFile = path.join(bench.dir, "badge");
  fs.writeFileSync(badgeFile, "E4A1-0042-77\n");
  const registered = spawnSync(H.MPOBENCH, ["user", "badge", "ana", "--badge-file", badgeFile, "--db", bench.db], { encoding: "utf8" });
  assert.equal(registered.status, 0, registered.stderr);

  const page = await H.newPage(bench);
  await page.waitForSelector("#login-user");
  // The code in the name field and no password: Log in tries it as a badge.
  // (Enter after a code typed at scanner speed does the same; key timing on
  // a loaded CI machine is no test of that.)
  await page.fill("#login-user", "E4A1-0042-99");
  await page.click("#login-button");
  await page.waitForFunction(() => document.querySelector("#login-message").textContent.length > 0);
  assert.match(await page.textContent("#login-message"), /Badge not known/);
  await page.fill("#login-user", "E4A1-0042-77");
  await page.click("#login-button");
  await page.waitForSelector("#serial");
  assert.match(await page.textContent("body"), /ana \(operator\)/);

  // By hand, key by key at a person's pace: Enter moves on to the password.
  const other = await H.newPage(bench);
  await other.waitForSelector("#login-user");
  await other.keyboard.type("ana-by-hand", { delay: 80 });
  await other.keyboard.press("Enter");
  await other.waitForFunction(() => document.activeElement?.id === "login-password");
  assert.deepEqual(page.errors, []);
});
