// The page in a second language through the string table.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as H from "./harness.mjs";

const RAW_KEY = /\b(?:nav|login|station|form|reference|busy|run|waiting|prompt|abort|verdict|aborted|face|fibre|legend|history|qa|filter|runs|fact|meas|audit|limits|users)\.[a-z_]+\b/;

test("German from ?lang=de: login, station and the prompt, no untranslated key", async (t) => {
  const bench = await H.startBench({ dut: H.fixture("elite_sm_12f_b.json"), reference: true });
  t.after(() => bench.close());
  const page = await H.newPage(bench, { lang: "de" });
  await page.waitForSelector("#login-user");
  assert.equal(await page.textContent(".login-title"), "Am Messplatz anmelden");
  assert.equal(await page.getAttribute("html", "lang"), "de");
  await H.login(page, "ana");
  await page.waitForSelector("#start");
  assert.match(await page.textContent("#start"), /Prüfung starten/);
  await H.scanAndStart(page, "MPO12-SM-B-E", "SN-DE-1");
  await page.waitForSelector("#prompt");
  assert.match(await page.textContent("#prompt"), /Erledigt/);
  assert.match(await page.textContent("#waiting"), /wartet auf: PRÜFER/);
  await H.screenshot(page, "14-prompt-german", { docs: true });
  await H.answerUntilVerdict(page);
  assert.match(await page.textContent("#verdict"), /BESTANDEN/);
  const text = await page.evaluate(() => document.body.innerText);
  assert.doesNotMatch(text, RAW_KEY);
  // The selector switches back to English.
  await page.selectOption("#lang", "en");
  await page.waitForSelector("#start");
  assert.match(await page.textContent("#start"), /Start test/);
  assert.deepEqual(page.errors, []);
});
