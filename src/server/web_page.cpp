#include "server/web_page.h"

namespace argus::server {

// One self-contained page (no CDN, works offline). It only talks to the JSON API:
// GET /v1/models, POST /v1/chat/completions (streamed), /v1/segment, /v1/detect.
// Stable element ids (#image-input, #canvas, #chat-*, #seg-*, #detect-*, #status...)
// are used by tests/web/page.test.mjs.
const char* const kWebPage = R"HTML(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>argus</title>
<link rel="icon" href="data:,">
<style>
  :root {
    --bg: #f6f7f9; --panel: #fff; --line: #d9dde3; --text: #1d2430; --muted: #687385;
    --accent: #2563eb; --accent-soft: #e0e9fd; --error: #c62828; --ok: #2e7d32;
    font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; font-size: 14px;
  }
  * { box-sizing: border-box; }
  body { margin: 0; background: var(--bg); color: var(--text); }
  header { display: flex; align-items: center; gap: 16px; padding: 10px 18px;
           background: var(--panel); border-bottom: 1px solid var(--line); }
  header h1 { font-size: 18px; margin: 0; letter-spacing: .5px; }
  header .spacer { flex: 1; }
  #status { color: var(--muted); white-space: nowrap; overflow: hidden; text-overflow: ellipsis; max-width: 50vw; }
  #status[data-state="busy"] { color: var(--accent); }
  #status[data-state="error"] { color: var(--error); }
  #status[data-state="ok"] { color: var(--ok); }
  main { display: grid; grid-template-columns: minmax(0, 3fr) minmax(320px, 2fr); gap: 16px; padding: 16px; }
  @media (max-width: 900px) { main { grid-template-columns: 1fr; } }
  .panel { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 12px; min-width: 0; }
  label { color: var(--muted); }
  input[type=text], input[type=password], input[type=number], select, textarea {
    font: inherit; padding: 5px 7px; border: 1px solid var(--line); border-radius: 5px; background: #fff; color: var(--text); }
  input[type=number] { width: 64px; }
  button { font: inherit; padding: 5px 12px; border: 1px solid var(--line); border-radius: 5px;
           background: #fff; color: var(--text); cursor: pointer; }
  button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
  button:disabled { opacity: .5; cursor: default; }
  .row { display: flex; flex-wrap: wrap; align-items: center; gap: 8px; margin: 8px 0; }
  .hint { color: var(--muted); font-size: 12px; }
  #drop-zone { position: relative; border: 2px dashed var(--line); border-radius: 8px; min-height: 280px;
               display: flex; align-items: center; justify-content: center; background: #fafbfc; }
  #drop-zone.over { border-color: var(--accent); background: var(--accent-soft); }
  #drop-zone .placeholder { color: var(--muted); text-align: center; padding: 24px; }
  #canvas { display: none; max-width: 100%; max-height: 75vh; user-select: none; }
  #canvas.loaded { display: block; }
  #canvas.segmenting { cursor: crosshair; }
  .tabs { display: flex; gap: 4px; border-bottom: 1px solid var(--line); margin-bottom: 10px; }
  .tabs button { border: none; border-bottom: 2px solid transparent; border-radius: 0; background: none; padding: 8px 14px; }
  .tabs button[aria-selected="true"] { border-bottom-color: var(--accent); color: var(--accent); font-weight: 600; }
  .tab { display: none; }
  .tab.active { display: block; }
  #chat-log { height: 46vh; min-height: 220px; overflow-y: auto; border: 1px solid var(--line); border-radius: 6px;
              padding: 8px; background: #fbfcfd; }
  .msg { margin: 6px 0; padding: 7px 10px; border-radius: 8px; white-space: pre-wrap; word-wrap: break-word; max-width: 92%; }
  .msg.user { background: var(--accent-soft); margin-left: auto; }
  .msg.assistant { background: #eef0f3; }
  .msg.assistant.streaming::after { content: "\2026"; color: var(--muted); }
  .msg.error { background: #fdecea; color: var(--error); }
  .msg img { display: block; max-height: 80px; margin-bottom: 4px; border-radius: 4px; }
  .msg .meta { display: block; color: var(--muted); font-size: 11px; margin-top: 3px; }
  #chat-input { width: 100%; resize: vertical; min-height: 54px; }
  ul.results { list-style: none; padding: 0; margin: 8px 0; max-height: 40vh; overflow-y: auto; }
  ul.results li { display: flex; align-items: center; gap: 8px; padding: 4px 6px; border-radius: 4px; cursor: default; }
  ul.results li.selectable { cursor: pointer; }
  ul.results li.selected { background: var(--accent-soft); }
  ul.results .swatch { width: 12px; height: 12px; border-radius: 2px; flex: none; }
  ul.results .score { margin-left: auto; font-variant-numeric: tabular-nums; color: var(--muted); }
  #detect-input { flex: 1; min-width: 180px; }
</style>
</head>
<body>
<header>
  <h1>argus</h1>
  <span class="spacer"></span>
  <label for="api-key">API key</label>
  <input id="api-key" type="password" placeholder="optional" autocomplete="off" size="18">
  <span id="status" data-state="idle">loading models&hellip;</span>
</header>

<main>
  <section class="panel">
    <div class="row">
      <input id="image-input" type="file" accept="image/*">
      <span class="hint">or drop / paste an image</span>
      <span class="spacer" style="flex:1"></span>
      <button id="download-png" disabled>Download PNG</button>
      <button id="download-json" disabled>Download JSON</button>
    </div>
    <div id="drop-zone">
      <div class="placeholder" id="drop-placeholder">Drop an image here</div>
      <canvas id="canvas" width="0" height="0" data-loaded="0"></canvas>
    </div>
    <div class="row hint" id="image-info"></div>
  </section>

  <section class="panel">
    <div class="tabs" role="tablist">
      <button id="tab-chat" role="tab" data-tab="chat" aria-selected="true">Chat</button>
      <button id="tab-segment" role="tab" data-tab="segment" aria-selected="false">Segment</button>
      <button id="tab-detect" role="tab" data-tab="detect" aria-selected="false">Detect</button>
    </div>

    <div class="tab active" id="panel-chat">
      <div class="row">
        <label for="chat-model">Model</label> <select id="chat-model"></select>
        <label for="chat-max-tokens">max tokens</label>
        <input id="chat-max-tokens" type="number" min="1" value="256">
        <label for="chat-temperature">temperature</label>
        <input id="chat-temperature" type="number" min="0" max="2" step="0.1" value="0.7">
      </div>
      <div id="chat-log" aria-live="polite"></div>
      <div class="row hint" id="chat-attachment"></div>
      <textarea id="chat-input" placeholder="Ask about the image (Enter sends, Shift+Enter: new line)"></textarea>
      <div class="row">
        <button id="chat-send" class="primary">Send</button>
        <button id="chat-stop" disabled>Stop</button>
        <button id="chat-clear">New chat</button>
      </div>
    </div>

    <div class="tab" id="panel-segment">
      <div class="row">
        <label for="seg-model">Model</label> <select id="seg-model"></select>
        <label><input id="seg-multimask" type="checkbox"> 3 masks</label>
        <button id="seg-clear">Clear prompts</button>
      </div>
      <p class="hint">Click: foreground point &middot; right-click or shift-click: background point &middot; drag: box.</p>
      <div class="row" id="seg-info" data-responses="0"></div>
      <ul class="results" id="seg-masks"></ul>
    </div>

    <div class="tab" id="panel-detect">
      <div class="row">
        <label for="detect-model">Model</label> <select id="detect-model"></select>
        <label for="detect-threshold">threshold</label>
        <input id="detect-threshold" type="number" min="0" max="1" step="0.01" placeholder="default">
        <label for="detect-topk">top k</label>
        <input id="detect-topk" type="number" min="1" value="20">
      </div>
      <div class="row">
        <input id="detect-input" type="text" placeholder="a dog, a truck. a person">
        <button id="detect-run" class="primary">Detect</button>
      </div>
      <p class="hint">Phrases are separated by commas or periods.</p>
      <ul class="results" id="detect-results"></ul>
    </div>
  </section>
</main>

<script>
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const canvas = $("canvas");
  const ctx = canvas.getContext("2d");
  const PALETTE = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4",
                   "#f032e6", "#9a6324", "#469990", "#800000", "#808000", "#000075"];
  const MASK_RGBA = [30, 144, 255, 110];

  const state = {
    tab: "chat",
    image: null,          // HTMLImageElement
    imageUri: null,       // data: URI sent to the server
    imageName: "",
    chat: { history: [], imagePending: false, abort: null },
    seg: { points: [], box: null, drag: null, result: null, selected: 0, maskCanvas: null, seq: 0, responses: 0 },
    det: { result: null, queries: [] },
    lastResult: null,     // { kind, request, response } for "Download JSON"
  };

  // ---------- status, HTTP ----------
  function setStatus(text, kind = "idle") {
    const s = $("status");
    s.textContent = text;
    s.dataset.state = kind;
    s.title = text;
  }

  function headers() {
    const h = { "Content-Type": "application/json" };
    const key = $("api-key").value.trim();
    if (key) h.Authorization = "Bearer " + key;
    return h;
  }

  async function errorMessage(res) {
    try {
      const j = await res.json();
      if (j && j.error && j.error.message) return `${res.status}: ${j.error.message}`;
    } catch (e) { /* not JSON */ }
    return `HTTP ${res.status} ${res.statusText}`;
  }

  async function postJson(path, body, signal) {
    const res = await fetch(path, { method: "POST", headers: headers(), body: JSON.stringify(body), signal });
    if (!res.ok) throw new Error(await errorMessage(res));
    return res.json();
  }

  // ---------- models ----------
  const PICKERS = { chat: "chat-model", segmentation: "seg-model", detection: "detect-model" };
  const RUN_BUTTONS = { chat: "chat-send", segmentation: null, detection: "detect-run" };

  async function loadModels() {
    document.body.dataset.ready = "0";
    setStatus("loading models\u2026", "busy");
    let models;
    try {
      const res = await fetch("/v1/models", { headers: headers() });
      if (!res.ok) throw new Error(await errorMessage(res));
      models = (await res.json()).data || [];
    } catch (e) {
      setStatus("models: " + e.message, "error");
      return;
    }
    for (const [role, id] of Object.entries(PICKERS)) {
      const sel = $(id);
      const previous = sel.value || localStorage.getItem("argus." + id);
      sel.textContent = "";
      const fit = models.filter((m) => m.argus && m.argus.role === role);
      for (const m of fit) {
        const o = document.createElement("option");
        o.value = m.id;
        o.textContent = `${m.id} (${m.argus.family}${m.argus.loaded ? ", loaded" : ""})`;
        sel.appendChild(o);
      }
      if (!fit.length) {
        const o = document.createElement("option");
        o.value = "";
        o.textContent = "(none served)";
        sel.appendChild(o);
      }
      if (previous && fit.some((m) => m.id === previous)) sel.value = previous;
      sel.disabled = !fit.length;
      if (RUN_BUTTONS[role]) $(RUN_BUTTONS[role]).disabled = !fit.length;
    }
    setStatus(`${models.length} model(s) served`, "ok");
    document.body.dataset.ready = "1";
  }

  // ---------- image ----------
  function readImage(file) {
    if (!file) return;
    if (file.type && !file.type.startsWith("image/")) return setStatus(`${file.name} is not an image`, "error");
    const reader = new FileReader();
    reader.onerror = () => setStatus("could not read " + file.name, "error");
    reader.onload = () => setImage(reader.result, file.name || "pasted image");
    reader.readAsDataURL(file);
  }

  function setImage(uri, name) {
    const img = new Image();
    img.onerror = () => setStatus(`${name}: the browser cannot decode this image`, "error");
    img.onload = () => {
      state.image = img;
      state.imageUri = uri;
      state.imageName = name;
      canvas.width = img.naturalWidth;
      canvas.height = img.naturalHeight;
      canvas.classList.add("loaded");
      canvas.dataset.loaded = "1";
      $("drop-placeholder").style.display = "none";
      $("image-info").textContent = `${name} \u00b7 ${img.naturalWidth}\u00d7${img.naturalHeight}`;
      state.chat.imagePending = true;
      resetSegment();
      state.det.result = null;
      renderDetections();
      updateAttachment();
      $("download-png").disabled = false;
      setStatus(`image: ${name}`, "ok");
      render();
    };
    img.src = uri;
  }

  const dz = $("drop-zone");
  dz.addEventListener("dragover", (e) => { e.preventDefault(); dz.classList.add("over"); });
  dz.addEventListener("dragleave", () => dz.classList.remove("over"));
  dz.addEventListener("drop", (e) => {
    e.preventDefault();
    dz.classList.remove("over");
    if (e.dataTransfer.files.length) readImage(e.dataTransfer.files[0]);
  });
  $("image-input").addEventListener("change", (e) => readImage(e.target.files[0]));
  document.addEventListener("paste", (e) => {
    const item = [...(e.clipboardData ? e.clipboardData.items : [])].find((i) => i.type.startsWith("image/"));
    if (item) readImage(item.getAsFile());
  });

  // ---------- drawing ----------
  function lineWidth() { return Math.max(2, Math.round(Math.max(canvas.width, canvas.height) / 400)); }

  function render() {
    if (!state.image) return;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(state.image, 0, 0);
    if (state.tab === "segment") drawSegment();
    else if (state.tab === "detect") drawDetections();
  }

  function drawSegment() {
    const s = state.seg, lw = lineWidth();
    if (s.maskCanvas) ctx.drawImage(s.maskCanvas, 0, 0, canvas.width, canvas.height);
    const box = s.drag && s.drag.moved ? s.drag.box : s.box;
    if (box) {
      ctx.save();
      ctx.lineWidth = lw;
      ctx.strokeStyle = "#22c55e";
      if (s.drag && s.drag.moved) ctx.setLineDash([lw * 3, lw * 2]);
      ctx.strokeRect(box[0], box[1], box[2] - box[0], box[3] - box[1]);
      ctx.restore();
    }
    const r = lw * 3;
    for (const [x, y, label] of s.points) {
      ctx.beginPath();
      ctx.arc(x, y, r, 0, 2 * Math.PI);
      ctx.fillStyle = label ? "#22c55e" : "#ef4444";
      ctx.fill();
      ctx.lineWidth = Math.max(1, lw / 2);
      ctx.strokeStyle = "#fff";
      ctx.stroke();
    }
  }

  function drawDetections() {
    const r = state.det.result;
    if (!r) return;
    const lw = lineWidth();
    const font = Math.max(12, Math.round(Math.max(canvas.width, canvas.height) / 60));
    ctx.save();
    ctx.font = `${font}px system-ui, sans-serif`;
    ctx.textBaseline = "top";
    for (const d of r.detections) {
      const color = PALETTE[d.query % PALETTE.length];
      const [x0, y0, x1, y1] = d.box;
      ctx.lineWidth = lw;
      ctx.strokeStyle = color;
      ctx.strokeRect(x0, y0, x1 - x0, y1 - y0);
      const text = `${d.label} ${d.score.toFixed(2)}`;
      const w = ctx.measureText(text).width + 8, h = font + 6;
      const ty = y0 - h >= 0 ? y0 - h : y0;
      ctx.fillStyle = color;
      ctx.fillRect(x0, ty, w, h);
      ctx.fillStyle = "#fff";
      ctx.fillText(text, x0 + 4, ty + 3);
    }
    ctx.restore();
  }

  // Canvas pixel coordinates (= image pixels) of a mouse event, clamped to the image.
  function imagePoint(e) {
    const rect = canvas.getBoundingClientRect();
    const x = (e.clientX - rect.left) * canvas.width / rect.width;
    const y = (e.clientY - rect.top) * canvas.height / rect.height;
    return [Math.min(Math.max(x, 0), canvas.width - 1), Math.min(Math.max(y, 0), canvas.height - 1)];
  }

  // ---------- COCO RLE (pycocotools' compressed string form) ----------
  // Counts: 5-bit groups + 48, 0x20 = more groups follow, 0x10 in the last group = negative;
  // from the 4th count on, each is a delta against the count two before.
  function rleCounts(s) {
    const runs = [];
    let p = 0;
    while (p < s.length) {
      let x = 0, shift = 0, more = true;
      while (more) {
        if (p >= s.length) throw new Error("RLE counts end inside a number");
        const c = s.charCodeAt(p++) - 48;
        if (c < 0 || c > 63) throw new Error("invalid RLE character at " + (p - 1));
        x += (c & 0x1f) * 2 ** shift;
        more = (c & 0x20) !== 0;
        shift += 5;
        if (!more && (c & 0x10)) x -= 2 ** shift;  // sign-extend
      }
      if (runs.length > 2) x += runs[runs.length - 2];
      if (x < 0) throw new Error("negative RLE count");
      runs.push(x);
    }
    return runs;
  }

  // {size: [H, W], counts} -> Uint8Array of H*W, row-major, 1 = inside.
  function decodeRle(rle) {
    const [h, w] = rle.size;
    const mask = new Uint8Array(h * w);
    const runs = typeof rle.counts === "string" ? rleCounts(rle.counts) : rle.counts;
    let pos = 0, v = 0;
    for (const n of runs) {
      if (pos + n > h * w) throw new Error("RLE runs exceed the mask size");
      if (v) {
        for (let i = pos; i < pos + n; i++) {
          const x = Math.floor(i / h);
          mask[(i - x * h) * w + x] = 1;  // column-major -> row-major
        }
      }
      pos += n;
      v ^= 1;
    }
    if (pos !== h * w) throw new Error(`RLE runs cover ${pos} pixels, the mask has ${h * w}`);
    return mask;
  }

  // A translucent fill with an opaque outline, as an offscreen canvas of the mask's size.
  function maskCanvas(rle) {
    const [h, w] = rle.size;
    const m = decodeRle(rle);
    const c = document.createElement("canvas");
    c.width = w;
    c.height = h;
    const cx = c.getContext("2d");
    const img = cx.createImageData(w, h);
    const d = img.data;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = y * w + x;
        if (!m[i]) continue;
        const edge = x === 0 || y === 0 || x === w - 1 || y === h - 1 ||
                     !m[i - 1] || !m[i + 1] || !m[i - w] || !m[i + w];
        d[4 * i] = MASK_RGBA[0];
        d[4 * i + 1] = MASK_RGBA[1];
        d[4 * i + 2] = MASK_RGBA[2];
        d[4 * i + 3] = edge ? 255 : MASK_RGBA[3];
      }
    }
    cx.putImageData(img, 0, 0);
    return c;
  }

  // ---------- segment ----------
  function resetSegment() {
    const s = state.seg;
    s.points = [];
    s.box = null;
    s.drag = null;
    s.result = null;
    s.maskCanvas = null;
    s.seq++;  // answers to earlier prompts are stale now
    $("seg-masks").textContent = "";
    $("seg-info").textContent = "";
  }

  canvas.addEventListener("contextmenu", (e) => { if (state.tab === "segment") e.preventDefault(); });
  canvas.addEventListener("mousedown", (e) => {
    if (state.tab !== "segment" || !state.image) return;
    e.preventDefault();
    const [x, y] = imagePoint(e);
    state.seg.drag = { x, y, cx: e.clientX, cy: e.clientY, button: e.button, shift: e.shiftKey, moved: false, box: null };
  });
  window.addEventListener("mousemove", (e) => {
    const d = state.seg.drag;
    if (!d || d.button !== 0) return;
    if (!d.moved && Math.hypot(e.clientX - d.cx, e.clientY - d.cy) < 5) return;
    const [x, y] = imagePoint(e);
    d.moved = true;
    d.box = [Math.min(d.x, x), Math.min(d.y, y), Math.max(d.x, x), Math.max(d.y, y)].map(Math.round);
    render();
  });
  window.addEventListener("mouseup", (e) => {
    const d = state.seg.drag;
    if (!d) return;
    state.seg.drag = null;
    if (d.moved) {
      state.seg.box = d.box;
    } else {
      const negative = d.button === 2 || d.shift;
      state.seg.points.push([Math.round(d.x), Math.round(d.y), negative ? 0 : 1]);
    }
    render();
    segment();
  });
  $("seg-clear").addEventListener("click", () => { resetSegment(); render(); setStatus("prompts cleared"); });
  $("seg-multimask").addEventListener("change", () => { if (state.seg.points.length || state.seg.box) segment(); });

  async function segment() {
    const s = state.seg;
    if (!state.imageUri || (!s.points.length && !s.box)) return;
    const seq = ++s.seq;
    const body = { model: $("seg-model").value, image: state.imageUri, multimask: $("seg-multimask").checked };
    if (s.points.length) body.points = s.points.map((p) => p.slice());
    if (s.box) body.box = s.box.slice();
    setStatus("segmenting\u2026", "busy");
    const t0 = performance.now();
    try {
      const r = await postJson("/v1/segment", body);
      if (seq !== s.seq) return;  // a newer click is on its way
      s.result = r;
      s.selected = r.masks.reduce((best, m, i, a) => (m.iou_pred > a[best].iou_pred ? i : best), 0);
      showMask();
      s.responses++;
      const ms = Math.round(performance.now() - t0);
      const info = $("seg-info");
      info.dataset.responses = String(s.responses);
      info.textContent = `${r.masks.length} mask(s) \u00b7 ${ms} ms` +
                         (r.embedding_cached ? " \u00b7 embedding cached" : "") +
                         (r.notes && r.notes.length ? " \u00b7 " + r.notes.join("; ") : "");
      listMasks();
      setLastResult("segment", { ...body, image: state.imageName }, r);
      setStatus(`segmented in ${ms} ms`, "ok");
    } catch (e) {
      if (seq === s.seq) setStatus("segment: " + e.message, "error");
    }
  }

  function showMask() {
    const s = state.seg;
    const m = s.result && s.result.masks[s.selected];
    s.maskCanvas = m ? maskCanvas(m.rle) : null;
    render();
  }

  function listMasks() {
    const ul = $("seg-masks");
    ul.textContent = "";
    state.seg.result.masks.forEach((m, i) => {
      const li = document.createElement("li");
      li.className = "selectable" + (i === state.seg.selected ? " selected" : "");
      li.dataset.index = String(i);
      const sw = document.createElement("span");
      sw.className = "swatch";
      sw.style.background = `rgb(${MASK_RGBA.slice(0, 3).join(",")})`;
      const text = document.createElement("span");
      text.textContent = `mask ${i + 1}: area ${m.area}, bbox [${m.bbox.map((v) => Math.round(v)).join(", ")}]`;
      const score = document.createElement("span");
      score.className = "score";
      score.textContent = `IoU ${m.iou_pred.toFixed(3)}`;
      li.append(sw, text, score);
      li.addEventListener("click", () => { state.seg.selected = i; listMasks(); showMask(); });
      ul.appendChild(li);
    });
  }

  // ---------- detect ----------
  function parsePhrases(text) {
    return text.split(/[,.]/).map((p) => p.trim()).filter((p) => p.length);
  }

  async function detect() {
    if (!state.imageUri) return setStatus("choose an image first", "error");
    const queries = parsePhrases($("detect-input").value);
    if (!queries.length) return setStatus("type one or more phrases", "error");
    const body = { model: $("detect-model").value, image: state.imageUri, queries };
    const thr = $("detect-threshold").value.trim();
    if (thr !== "") body.threshold = Number(thr);
    const k = $("detect-topk").value.trim();
    if (k !== "") body.top_k = Math.max(1, Math.round(Number(k)));
    setStatus("detecting\u2026", "busy");
    $("detect-run").disabled = true;
    const t0 = performance.now();
    try {
      const r = await postJson("/v1/detect", body);
      state.det.result = r;
      state.det.queries = queries;
      renderDetections();
      render();
      setLastResult("detect", { ...body, image: state.imageName }, r);
      setStatus(`${r.detections.length} detection(s) in ${Math.round(performance.now() - t0)} ms`, "ok");
    } catch (e) {
      setStatus("detect: " + e.message, "error");
    } finally {
      $("detect-run").disabled = false;
    }
  }

  function renderDetections() {
    const ul = $("detect-results");
    ul.textContent = "";
    const r = state.det.result;
    if (!r) return;
    if (!r.detections.length) {
      const li = document.createElement("li");
      li.className = "empty";
      li.textContent = "nothing above the threshold";
      ul.appendChild(li);
    }
    for (const d of r.detections) {
      const li = document.createElement("li");
      li.className = "detection";
      const sw = document.createElement("span");
      sw.className = "swatch";
      sw.style.background = PALETTE[d.query % PALETTE.length];
      const label = document.createElement("span");
      label.className = "label";
      label.textContent = `${d.label} [${d.box.map((v) => Math.round(v)).join(", ")}]`;
      const score = document.createElement("span");
      score.className = "score";
      score.textContent = d.score.toFixed(3);
      li.append(sw, label, score);
      ul.appendChild(li);
    }
  }

  $("detect-run").addEventListener("click", detect);
  $("detect-input").addEventListener("keydown", (e) => { if (e.key === "Enter") detect(); });

  // ---------- chat ----------
  function updateAttachment() {
    $("chat-attachment").textContent = state.chat.imagePending && state.image
      ? `${state.imageName} will be attached to your next message` : "";
  }

  function addBubble(role, text, imageUri) {
    const div = document.createElement("div");
    div.className = "msg " + role;
    if (imageUri) {
      const img = document.createElement("img");
      img.src = imageUri;
      img.alt = "attached image";
      div.appendChild(img);
    }
    const body = document.createElement("span");
    body.className = "text";
    body.textContent = text;
    div.appendChild(body);
    $("chat-log").appendChild(div);
    scrollChat();
    return div;
  }

  function scrollChat() { const log = $("chat-log"); log.scrollTop = log.scrollHeight; }

  // Reads server-sent events from a fetch response; calls onData with each JSON payload.
  async function readSse(res, onData) {
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buf = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += decoder.decode(value, { stream: true });
      let cut;
      while ((cut = buf.search(/\r?\n\r?\n/)) >= 0) {
        const event = buf.slice(0, cut);
        buf = buf.slice(cut).replace(/^\r?\n\r?\n/, "");
        const data = event.split(/\r?\n/).filter((l) => l.startsWith("data:"))
                          .map((l) => l.slice(5).replace(/^ /, "")).join("\n");
        if (!data) continue;
        if (data === "[DONE]") return;
        onData(JSON.parse(data));
      }
    }
  }

  async function sendChat() {
    const input = $("chat-input");
    const text = input.value.trim();
    if (!text || state.chat.abort) return;
    const attach = state.chat.imagePending && state.imageUri;
    const content = attach
      ? [{ type: "image_url", image_url: { url: state.imageUri } }, { type: "text", text }]
      : text;
    const history = state.chat.history;
    history.push({ role: "user", content });
    addBubble("user", text, attach ? state.imageUri : null);
    input.value = "";
    if (attach) { state.chat.imagePending = false; updateAttachment(); }

    const bubble = addBubble("assistant streaming", "");
    const out = bubble.querySelector(".text");
    bubble.dataset.chunks = "0";
    const abort = new AbortController();
    state.chat.abort = abort;
    $("chat-send").disabled = true;
    $("chat-stop").disabled = false;
    setStatus("generating\u2026", "busy");
    const body = {
      model: $("chat-model").value, messages: history, stream: true,
      stream_options: { include_usage: true },
      max_tokens: Math.max(1, Math.round(Number($("chat-max-tokens").value) || 256)),
      temperature: Number($("chat-temperature").value) || 0,
    };
    const t0 = performance.now();
    let answer = "", usage = null, finish = null;
    try {
      const res = await fetch("/v1/chat/completions", {
        method: "POST", headers: headers(), body: JSON.stringify(body), signal: abort.signal });
      if (!res.ok) throw new Error(await errorMessage(res));
      await readSse(res, (j) => {
        if (j.error) throw new Error(j.error.message || "generation failed");
        if (j.usage) usage = j.usage;
        const c = j.choices && j.choices[0];
        if (!c) return;
        if (c.finish_reason) finish = c.finish_reason;
        const piece = c.delta && c.delta.content;
        if (piece) {
          answer += piece;
          out.textContent = answer;
          bubble.dataset.chunks = String(Number(bubble.dataset.chunks) + 1);
          scrollChat();
        }
      });
      history.push({ role: "assistant", content: answer });
      const secs = (performance.now() - t0) / 1000;
      const meta = document.createElement("span");
      meta.className = "meta";
      meta.textContent = (usage ? `${usage.completion_tokens} tokens \u00b7 ${(usage.completion_tokens / secs).toFixed(1)} tok/s`
                                : `${secs.toFixed(1)} s`) + (finish ? ` \u00b7 ${finish}` : "");
      bubble.appendChild(meta);
      setStatus("answered", "ok");
    } catch (e) {
      const stopped = e.name === "AbortError";
      if (stopped && answer) {
        history.push({ role: "assistant", content: answer });
      } else {
        history.pop();  // the question was not answered: let it be asked again
        if (attach) { state.chat.imagePending = true; updateAttachment(); }
      }
      if (!stopped) {
        bubble.className = "msg error";
        out.textContent = e.message;
      }
      setStatus(stopped ? "stopped" : "chat: " + e.message, stopped ? "idle" : "error");
    } finally {
      bubble.classList.remove("streaming");
      bubble.dataset.done = "1";
      state.chat.abort = null;
      $("chat-send").disabled = !$("chat-model").value;
      $("chat-stop").disabled = true;
      if (answer) setLastResult("chat", { ...body, messages: redactImages(history) }, { text: answer, usage, finish_reason: finish });
    }
  }

  function redactImages(messages) {
    return messages.map((m) => Array.isArray(m.content)
      ? { ...m, content: m.content.map((p) => (p.type === "image_url" ? { type: "image_url", image_url: { url: state.imageName } } : p)) }
      : m);
  }

  $("chat-send").addEventListener("click", sendChat);
  $("chat-input").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); sendChat(); }
  });
  $("chat-stop").addEventListener("click", () => { if (state.chat.abort) state.chat.abort.abort(); });
  $("chat-clear").addEventListener("click", () => {
    if (state.chat.abort) state.chat.abort.abort();
    state.chat.history = [];
    state.chat.imagePending = !!state.image;
    $("chat-log").textContent = "";
    updateAttachment();
  });

  // ---------- tabs, downloads, settings ----------
  function selectTab(name) {
    state.tab = name;
    for (const b of document.querySelectorAll(".tabs button")) b.setAttribute("aria-selected", String(b.dataset.tab === name));
    for (const p of document.querySelectorAll(".tab")) p.classList.toggle("active", p.id === "panel-" + name);
    canvas.classList.toggle("segmenting", name === "segment");
    render();
  }
  for (const b of document.querySelectorAll(".tabs button")) b.addEventListener("click", () => selectTab(b.dataset.tab));

  function setLastResult(kind, request, response) {
    state.lastResult = { kind, request, response };
    $("download-json").disabled = false;
  }

  function download(blob, name) {
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = name;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
  }

  function baseName() { return (state.imageName || "argus").replace(/\.[^.]*$/, ""); }

  $("download-png").addEventListener("click", () => {
    if (state.image) canvas.toBlob((b) => download(b, `${baseName()}-${state.tab}.png`), "image/png");
  });
  $("download-json").addEventListener("click", () => {
    const r = state.lastResult;
    if (r) download(new Blob([JSON.stringify(r, null, 2)], { type: "application/json" }), `${baseName()}-${r.kind}.json`);
  });

  for (const id of Object.values(PICKERS))
    $(id).addEventListener("change", (e) => localStorage.setItem("argus." + id, e.target.value));
  $("api-key").value = sessionStorage.getItem("argus.api-key") || "";
  $("api-key").addEventListener("change", (e) => {
    sessionStorage.setItem("argus.api-key", e.target.value.trim());
    loadModels();
  });

  // For tests and the console.
  window.argus = { state, decodeRle, rleCounts, parsePhrases, loadModels };
  loadModels();
})();
</script>
</body>
</html>
)HTML";

}  // namespace argus::server
