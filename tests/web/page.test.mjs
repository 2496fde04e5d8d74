// The web page at "/" in headless Chromium (Debian's, driven by playwright-core):
// image upload, segment clicks, detection, streamed chat, downloads. The fixture
// models have random weights: the tests check that the page shows what the API
// answered, not what the answers say.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";

import { chromium } from "playwright-core";

import { apiKey, imagePath, models, outDir, serverUrl } from "./common.mjs";

const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
const IMAGE = "truck.jpg";

let browser, page;
const pageErrors = [];

// A cheap fingerprint of the canvas pixels.
function canvasDigest() {
  return page.evaluate(() => {
    const c = document.getElementById("canvas");
    const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    let h = 0;
    for (let i = 0; i < d.length; i += 4) h = (h * 31 + d[i] + 7 * d[i + 1] + 13 * d[i + 2]) >>> 0;
    return h;
  });
}

// Waits for the next POST to `route` and returns [request JSON, response JSON].
async function exchange(route, action) {
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith(route) && r.request().method() === "POST"),
    action(),
  ]);
  assert.equal(response.status(), 200, await response.text());
  return [response.request().postDataJSON(), await response.json()];
}

// Canvas CSS box, and the factor from CSS pixels to image pixels.
async function canvasBox() {
  const box = await page.locator("#canvas").boundingBox();
  const width = await page.locator("#canvas").evaluate((c) => c.width);
  return { ...box, scale: width / box.width };
}

async function download(buttonId) {
  const [dl] = await Promise.all([page.waitForEvent("download"), page.click(buttonId)]);
  return { name: dl.suggestedFilename(), bytes: fs.readFileSync(await dl.path()) };
}

describe("web page", () => {
  before(async () => {
    // The network flags keep Chromium from reaching for Google's hosts on a closed network.
    browser = await chromium.launch({
      executablePath,
      headless: true,
      args: ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run"],
    });
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
    page = await context.newPage();
    page.setDefaultTimeout(60_000);
    page.on("pageerror", (e) => pageErrors.push(e));
    // The page itself needs no key (a browser cannot send one when opening it); its
    // API calls take the key from the #api-key field.
    await page.goto(serverUrl + "/");
    if (apiKey) {
      await page.fill("#api-key", apiKey);
      await page.dispatchEvent("#api-key", "change");
    }
    await page.waitForSelector('body[data-ready="1"]');
  });

  after(async () => {
    if (page) {
      fs.mkdirSync(outDir, { recursive: true });
      await page.screenshot({ path: path.join(outDir, "page.png"), fullPage: true }).catch(() => {});
    }
    await browser?.close();
  });

  test("model pickers list the served models by role", async () => {
    const options = (sel) => page.$$eval(`${sel} option`, (os) => os.map((o) => o.value));
    assert.deepEqual(await options("#chat-model"), [models.chat, models.tools]);
    assert.deepEqual(await options("#seg-model"), [models.segment]);
    assert.deepEqual(await options("#detect-model"), [models.detect]);
    assert.equal(await page.getAttribute("#status", "data-state"), "ok");
  });

  test("an uploaded image is drawn on the canvas", async () => {
    await page.setInputFiles("#image-input", imagePath(IMAGE));
    await page.waitForSelector('#canvas[data-loaded="1"]');
    const size = await page.locator("#canvas").evaluate((c) => [c.width, c.height]);
    assert.ok(size[0] > 0 && size[1] > 0);
    assert.match(await page.textContent("#image-info"), new RegExp(`${IMAGE}.*${size[0]}\u00d7${size[1]}`));
    assert.match(await page.textContent("#chat-attachment"), /will be attached/);
  });

  test("errors are shown in the status line, not thrown", async () => {
    await page.click("#tab-detect");
    // No phrases: the page says so without asking the server.
    await page.fill("#detect-input", " , . ");
    await page.click("#detect-run");
    await page.waitForSelector('#status[data-state="error"]');
    assert.match(await page.textContent("#status"), /phrases/);

    // An API error: its message is shown.
    await page.evaluate(() => {
      const sel = document.getElementById("detect-model");
      sel.add(new Option("no-such-model", "no-such-model"));
      sel.value = "no-such-model";
    });
    await page.fill("#detect-input", "a truck");
    await page.click("#detect-run");
    await page.waitForFunction(() => /no-such-model/.test(document.getElementById("status").textContent));
    assert.equal(await page.getAttribute("#status", "data-state"), "error");
    assert.match(await page.textContent("#status"), /404.*does not exist/);
    assert.equal(await page.locator("#detect-results li").count(), 0);
    assert.equal(await page.isEnabled("#detect-run"), true);
    await page.evaluate(() => document.querySelector('#detect-model option[value="no-such-model"]').remove());
  });

  test("segment: clicks and a drag become SAM prompts and the mask is drawn", async () => {
    await page.click("#tab-segment");
    const box = await canvasBox();
    const plain = await canvasDigest();

    // Left click: a foreground point, in image pixels.
    const p = { x: box.width * 0.45, y: box.height * 0.5 };
    let [req, res] = await exchange("/v1/segment", () => page.click("#canvas", { position: p }));
    assert.equal(req.model, models.segment);
    assert.match(req.image, /^data:image\/jpeg;base64,/);
    assert.equal(req.points.length, 1);
    assert.ok(Math.abs(req.points[0][0] - p.x * box.scale) <= 2, `${req.points[0]} vs ${p.x * box.scale}`);
    assert.ok(Math.abs(req.points[0][1] - p.y * box.scale) <= 2);
    assert.equal(req.points[0][2], 1);
    assert.equal(req.box, undefined);
    await page.waitForSelector('#seg-info[data-responses="1"]');
    assert.equal(await page.locator("#seg-masks li").count(), res.masks.length);
    assert.notEqual(await canvasDigest(), plain, "the mask and the point are drawn");

    // The page's RLE decoder agrees with the server's area and bbox.
    const stats = await page.evaluate(() => {
      const r = window.argus.state.seg.result;
      const m = r.masks[window.argus.state.seg.selected];
      const [h, w] = m.rle.size;
      const bits = window.argus.decodeRle(m.rle);
      let area = 0, x0 = w, y0 = h, x1 = -1, y1 = -1;
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++)
          if (bits[y * w + x]) {
            area++;
            x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y);
          }
      return { area, bbox: area ? [x0, y0, x1 - x0 + 1, y1 - y0 + 1] : [0, 0, 0, 0], mask: m, size: r.image_size };
    });
    assert.deepEqual(stats.size, [Math.round(box.height * box.scale), Math.round(box.width * box.scale)]);
    assert.deepEqual(stats.mask.rle.size, stats.size);
    assert.equal(stats.area, stats.mask.area);
    if (stats.area) assert.deepEqual(stats.bbox, stats.mask.bbox);

    // Right click: a background point; the image embedding is reused.
    [req, res] = await exchange("/v1/segment", () =>
      page.click("#canvas", { position: { x: box.width * 0.8, y: box.height * 0.2 }, button: "right" }));
    assert.equal(req.points.length, 2);
    assert.deepEqual(req.points.map((q) => q[2]), [1, 0]);
    assert.equal(res.embedding_cached, true);
    await page.waitForSelector('#seg-info[data-responses="2"]');
    assert.match(await page.textContent("#seg-info"), /embedding cached/);

    // Shift-click: a background point too.
    [req] = await exchange("/v1/segment", () =>
      page.click("#canvas", { position: { x: box.width * 0.1, y: box.height * 0.9 }, modifiers: ["Shift"] }));
    assert.deepEqual(req.points.map((q) => q[2]), [1, 0, 0]);

    // Clear, then drag: a box prompt alone.
    await page.click("#seg-clear");
    assert.equal(await page.locator("#seg-masks li").count(), 0);
    assert.equal(await canvasDigest(), plain, "clearing leaves the bare image");
    const from = { x: box.x + box.width * 0.2, y: box.y + box.height * 0.3 };
    const to = { x: box.x + box.width * 0.7, y: box.y + box.height * 0.8 };
    [req, res] = await exchange("/v1/segment", async () => {
      await page.mouse.move(from.x, from.y);
      await page.mouse.down();
      await page.mouse.move((from.x + to.x) / 2, (from.y + to.y) / 2, { steps: 4 });
      await page.mouse.move(to.x, to.y, { steps: 4 });
      await page.mouse.up();
    });
    assert.equal(req.points, undefined);
    const expected = [from.x - box.x, from.y - box.y, to.x - box.x, to.y - box.y].map((v) => v * box.scale);
    req.box.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) <= 2, `box ${req.box} vs ${expected}`));

    // Three masks on request; clicking one selects it.
    [req, res] = await exchange("/v1/segment", () => page.check("#seg-multimask"));
    assert.equal(req.multimask, true);
    assert.equal(res.masks.length, 3);
    await page.waitForFunction(() => document.querySelectorAll("#seg-masks li").length === 3);
    const before = await canvasDigest();
    const other = (await page.evaluate(() => window.argus.state.seg.selected) + 1) % 3;
    await page.click(`#seg-masks li[data-index="${other}"]`);
    assert.equal(await page.evaluate(() => window.argus.state.seg.selected), other);
    assert.equal(await page.locator("#seg-masks li.selected").getAttribute("data-index"), String(other));
    if (res.masks[other].area !== res.masks[(other + 2) % 3].area) assert.notEqual(await canvasDigest(), before);

    const json = await download("#download-json");
    assert.equal(json.name, "truck-segment.json");
    const saved = JSON.parse(json.bytes.toString());
    assert.equal(saved.kind, "segment");
    assert.equal(saved.request.image, IMAGE, "the saved request names the image instead of inlining it");
    assert.deepEqual(saved.response.masks.length, 3);
  });

  test("detect: phrases become queries and the boxes are listed and drawn", async () => {
    await page.click("#tab-detect");
    const plain = await canvasDigest();
    await page.fill("#detect-input", "a truck, a wheel. a person");
    await page.fill("#detect-threshold", "0");
    await page.fill("#detect-topk", "5");
    const [req, res] = await exchange("/v1/detect", () => page.click("#detect-run"));
    assert.equal(req.model, models.detect);
    assert.deepEqual(req.queries, ["a truck", "a wheel", "a person"]);
    assert.equal(req.threshold, 0);
    assert.equal(req.top_k, 5);
    assert.ok(res.detections.length >= 1 && res.detections.length <= 5, `${res.detections.length} detections`);

    await page.waitForSelector("#detect-results li.detection");
    const items = await page.$$eval("#detect-results li.detection", (lis) =>
      lis.map((li) => [li.querySelector(".label").textContent, li.querySelector(".score").textContent]));
    assert.equal(items.length, res.detections.length);
    items.forEach(([label, score], i) => {
      assert.ok(label.startsWith(res.detections[i].label), label);
      assert.equal(score, res.detections[i].score.toFixed(3));
    });
    assert.notEqual(await canvasDigest(), plain, "boxes are drawn");
    assert.match(await page.textContent("#status"), /detection\(s\)/);

    const png = await download("#download-png");
    assert.equal(png.name, "truck-detect.png");
    assert.deepEqual([...png.bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  });

  test("chat: the answer streams into the log; the image goes with the first message only", async () => {
    await page.click("#tab-chat");
    await page.fill("#chat-max-tokens", "12");
    await page.fill("#chat-temperature", "0");
    // Record every text the assistant's bubble shows while the answer streams in.
    await page.evaluate(() => {
      window.seen = [];
      new MutationObserver(() => {
        const last = document.querySelector("#chat-log .msg.assistant:last-child .text");
        if (last && last.textContent && window.seen.at(-1) !== last.textContent) window.seen.push(last.textContent);
      }).observe(document.getElementById("chat-log"), { childList: true, subtree: true, characterData: true });
    });

    await page.fill("#chat-input", "What is in this picture?");
    const [req] = await Promise.all([
      page.waitForRequest((r) => r.url().endsWith("/v1/chat/completions")).then((r) => r.postDataJSON()),
      page.click("#chat-send"),
    ]);
    assert.equal(req.model, models.chat);
    assert.equal(req.stream, true);
    assert.equal(req.max_tokens, 12);
    assert.equal(req.temperature, 0);
    assert.equal(req.messages.length, 1);
    const parts = req.messages[0].content;
    assert.deepEqual(parts.map((q) => q.type), ["image_url", "text"]);
    assert.match(parts[0].image_url.url, /^data:image\/jpeg;base64,/);
    assert.equal(parts[1].text, "What is in this picture?");

    const bubble = page.locator("#chat-log .msg.assistant").last();
    await page.waitForSelector('#chat-log .msg.assistant[data-done="1"]');
    const text = await bubble.locator(".text").textContent();
    assert.ok(text.length > 0, "some text arrived");
    assert.ok(Number(await bubble.getAttribute("data-chunks")) >= 1);
    assert.match(await bubble.locator(".meta").textContent(), /tokens/);
    const seen = await page.evaluate(() => window.seen);
    assert.equal(seen.at(-1), text);
    seen.forEach((s, i) => i && assert.ok(s.startsWith(seen[i - 1]), "the answer only grows while it streams"));
    assert.equal(await page.textContent("#chat-attachment"), "");

    // The same request without streaming gives the same text (temperature 0).
    const plain = await page.evaluate(async (body) => {
      const key = document.getElementById("api-key").value;
      const r = await fetch("/v1/chat/completions", {
        method: "POST",
        headers: { "Content-Type": "application/json", ...(key ? { Authorization: "Bearer " + key } : {}) },
        body: JSON.stringify({ ...body, stream: false, stream_options: undefined }),
      });
      return r.json();
    }, req);
    assert.equal(plain.choices[0].message.content, text);

    // A follow-up carries the history; the image is not attached again.
    await page.fill("#chat-input", "And the colour?");
    const [req2] = await Promise.all([
      page.waitForRequest((r) => r.url().endsWith("/v1/chat/completions")).then((r) => r.postDataJSON()),
      page.press("#chat-input", "Enter"),
    ]);
    assert.deepEqual(req2.messages.map((m) => m.role), ["user", "assistant", "user"]);
    assert.equal(req2.messages[1].content, text);
    assert.equal(req2.messages[2].content, "And the colour?");
    await page.waitForFunction(() => document.querySelectorAll('#chat-log .msg.assistant[data-done="1"]').length === 2);
    assert.equal(await page.locator("#chat-log .msg.error").count(), 0);

    const json = await download("#download-json");
    const saved = JSON.parse(json.bytes.toString());
    assert.equal(saved.kind, "chat");
    assert.equal(saved.request.messages[0].content[0].image_url.url, IMAGE);
  });

  test("no uncaught errors in the page", () => {
    assert.deepEqual(pageErrors.map(String), []);
  });
});
