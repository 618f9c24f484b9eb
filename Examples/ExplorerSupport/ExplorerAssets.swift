// The explorer's page, built into the program so that the server reads no file at all.
// swift-format-ignore-file

enum ExplorerAssets {
  static let indexHTML = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>GenerativeKit latent explorer</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/style.css">
<link rel="icon" href="data:,">
</head>
<body>
<header>
  <h1>GenerativeKit latent explorer</h1>
  <p id="model-info">loading the model…</p>
</header>
<p id="status" role="status"></p>
<main>
  <section id="samples-panel">
    <h2>Samples</h2>
    <div class="controls">
      <label id="class-control" hidden>Class
        <select id="class-select"><option value="">every class</option></select>
      </label>
      <label>Seed <input id="seed" type="number" value="1" min="0" step="1"></label>
      <button id="new-samples" type="button">New samples</button>
    </div>
    <div id="grid" aria-label="samples; click one to explore around it"></div>
    <p class="hint">Click a sample to move it along the latent directions.</p>
  </section>
  <section id="selected-panel">
    <h2>Selected sample <span id="selected-label"></span></h2>
    <img id="selected" alt="selected sample" width="196" height="196">
    <div id="sliders"></div>
    <button id="reset-sliders" type="button">Reset sliders</button>
    <h2>Interpolation</h2>
    <div class="controls">
      <button id="set-start" type="button">Selected as start</button>
      <button id="set-end" type="button">Selected as end</button>
    </div>
    <div id="strip" aria-label="interpolation from start to end"></div>
  </section>
  <section id="vae-panel" hidden>
    <h2>Reconstruction</h2>
    <div class="controls">
      <label id="test-control">Test image <input id="test-index" type="number" value="0" min="0" step="1"></label>
      <button id="reconstruct-test" type="button">Reconstruct</button>
      <label>or upload an image <input id="upload" type="file" accept="image/*"></label>
    </div>
    <div class="pair">
      <figure><img id="recon-original" alt="original" width="140" height="140"><figcaption>original</figcaption></figure>
      <figure><img id="recon-output" alt="reconstruction" width="140" height="140"><figcaption>reconstruction</figcaption></figure>
    </div>
  </section>
</main>
<footer><p id="timing"></p></footer>
<script src="/app.js"></script>
</body>
</html>
"""#

  static let styleSheet = #"""
body { font-family: system-ui, sans-serif; margin: 0 1.5rem 1.5rem; color: #1d1d1f; background: #fafafa; }
header h1 { font-size: 1.4rem; margin: 1rem 0 0.2rem; }
header p { margin: 0; color: #555; }
h2 { font-size: 1.05rem; margin: 1rem 0 0.5rem; }
main { display: flex; flex-wrap: wrap; gap: 2rem; align-items: flex-start; }
section { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 0.2rem 1rem 1rem; }
.controls { display: flex; flex-wrap: wrap; gap: 0.8rem; align-items: center; margin-bottom: 0.6rem; }
#grid { display: grid; grid-template-columns: repeat(8, 48px); gap: 3px; }
#grid img { width: 48px; height: 48px; image-rendering: pixelated; cursor: pointer; border: 2px solid transparent; background: #000; }
#grid img.picked { border-color: #e8590c; }
#selected, .pair img, #strip img { image-rendering: pixelated; background: #000; }
#sliders { display: grid; justify-content: start; grid-template-columns: auto 220px 3.5rem; gap: 0.25rem 0.6rem; align-items: center; margin: 0.6rem 0; }
#sliders output { font-variant-numeric: tabular-nums; text-align: right; }
#strip { display: flex; gap: 3px; min-height: 56px; }
#strip img { width: 56px; height: 56px; }
.pair { display: flex; gap: 1rem; }
figure { margin: 0; text-align: center; }
#status { min-height: 1.3rem; margin: 0.5rem 0; }
#status.error { color: #b00020; font-weight: 600; }
.hint, footer { color: #666; font-size: 0.85rem; }
"""#

  static let script = #"""
"use strict";
// State: the model's description, the grid's codes, the picked sample and the sliders' offsets.
const state = { info: null, codes: [], labels: null, picked: -1, base: null, baseLabel: null,
                start: null, end: null, inFlight: false, queued: false };
// Read by the browser test and shown in the footer: requests made, failures, timings in ms.
window.explorer = { requests: 0, errors: [], timings: {} };

const $ = (id) => document.getElementById(id);

function showError(message) {
  window.explorer.errors.push(message);
  $("status").textContent = message;
  $("status").className = "error";
}

function clearStatus(text) {
  $("status").textContent = text || "";
  $("status").className = "";
}

async function api(path, body) {
  const started = performance.now();
  window.explorer.requests += 1;
  const response = await fetch(path, body === undefined ? {} :
    { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  const answer = await response.json().catch(() => ({ error: "the server's answer is not JSON" }));
  const elapsed = performance.now() - started;
  (window.explorer.timings[path] = window.explorer.timings[path] || []).push(elapsed);
  if (!response.ok) { throw new Error(answer.error || (response.status + " " + response.statusText)); }
  $("timing").textContent = path + ": " + elapsed.toFixed(1) + " ms in the browser";
  return answer;
}

function classOf(index) {
  if (state.labels) { return state.labels[index]; }
  return null;
}

// Eight rows; a conditional model's grid has one column per class (up to 16 classes).
function gridColumns() {
  const classes = state.info.classCount;
  return classes && classes <= 16 && $("class-select").value === "" ? classes : 8;
}

// Requests of one kind may answer out of order (a class chosen quickly after another): each
// answer is shown only if no later request of its kind has been made since.
const latestRequest = {};
function startRequest(kind) {
  const number = (latestRequest[kind] || 0) + 1;
  latestRequest[kind] = number;
  return () => latestRequest[kind] === number;
}

async function loadGrid() {
  const isLatest = startRequest("grid");
  const seed = Math.max(0, parseInt($("seed").value, 10) || 0);
  const columns = gridColumns();
  const body = { count: 8 * columns, seed: seed };
  window.explorer.gridCount = body.count;
  const chosen = $("class-select").value;
  if (chosen !== "") { body.label = parseInt(chosen, 10); }
  try {
    const answer = await api("/api/grid", body);
    if (!isLatest()) { return; }
    state.codes = answer.codes;
    state.labels = answer.labels || null;
    const grid = $("grid");
    grid.style.gridTemplateColumns = "repeat(" + columns + ", 48px)";
    grid.replaceChildren();
    answer.images.forEach((src, index) => {
      const image = document.createElement("img");
      image.src = src;
      image.alt = "sample " + index + (state.labels ? " of class " + state.labels[index] : "");
      image.dataset.index = String(index);
      image.addEventListener("click", () => pick(index));
      grid.appendChild(image);
    });
    clearStatus();
    pick(Math.min(Math.max(state.picked, 0), answer.images.length - 1));
    document.body.dataset.gridSeed = String(seed) + ":" + chosen;
  } catch (error) { if (isLatest()) { showError("samples: " + error.message); } }
}

function pick(index) {
  state.picked = index;
  state.base = state.codes[index].slice();
  state.baseLabel = classOf(index);
  document.querySelectorAll("#grid img").forEach((image, i) => image.classList.toggle("picked", i === index));
  $("selected-label").textContent = state.baseLabel === null ? "" : "(class " + state.baseLabel + ")";
  document.querySelectorAll("#sliders input").forEach((slider) => { slider.value = "0"; slider.nextElementSibling.value = "0.00"; });
  refreshSelected();
}

function currentCode() {
  const code = state.base.slice();
  document.querySelectorAll("#sliders input").forEach((slider, k) => {
    const amount = parseFloat(slider.value);
    state.info.directions[k].forEach((d, i) => { code[i] += amount * d; });
  });
  return code;
}

// One decode in flight at a time; moves made meanwhile collapse into one follow-up request.
async function refreshSelected() {
  if (state.base === null) { return; }
  if (state.inFlight) { state.queued = true; return; }
  state.inFlight = true;
  try {
    const body = { codes: [currentCode()] };
    if (state.baseLabel !== null) { body.labels = [state.baseLabel]; }
    const answer = await api("/api/decode", body);
    $("selected").src = answer.images[0];
    document.body.dataset.decodes = String((parseInt(document.body.dataset.decodes || "0", 10)) + 1);
  } catch (error) { showError("decode: " + error.message); }
  state.inFlight = false;
  if (state.queued) { state.queued = false; refreshSelected(); }
}

function buildSliders() {
  const container = $("sliders");
  state.info.directions.forEach((_, k) => {
    const label = document.createElement("label");
    label.textContent = "direction " + (k + 1);
    label.htmlFor = "slider-" + k;
    const slider = document.createElement("input");
    Object.assign(slider, { type: "range", id: "slider-" + k, min: "-3", max: "3", step: "0.05", value: "0" });
    const output = document.createElement("output");
    output.value = "0.00";
    slider.addEventListener("input", () => { output.value = parseFloat(slider.value).toFixed(2); refreshSelected(); });
    container.append(label, slider, output);
  });
}

async function interpolate() {
  if (!state.start || !state.end) { return; }
  const body = { from: state.start.code, to: state.end.code, steps: 10 };
  if (state.start.label !== null) { body.label = state.start.label; }
  const isLatest = startRequest("interpolate");
  try {
    const answer = await api("/api/interpolate", body);
    if (!isLatest()) { return; }
    $("strip").replaceChildren(...answer.images.map((src, i) => {
      const image = document.createElement("img");
      image.src = src;
      image.alt = "step " + i;
      return image;
    }));
  } catch (error) { if (isLatest()) { showError("interpolation: " + error.message); } }
}

async function reconstruct(body) {
  const isLatest = startRequest("reconstruct");
  try {
    const answer = await api("/api/reconstruct", body);
    if (!isLatest()) { return; }
    $("recon-original").src = answer.original;
    $("recon-output").src = answer.reconstruction;
    clearStatus(answer.label === undefined || answer.label === null ? "" : "reconstructed as class " + answer.label +
      (answer.labelInferred ? " (the class under which it fits best)" : ""));
  } catch (error) { if (isLatest()) { showError("reconstruction: " + error.message); } }
}

// An uploaded picture, scaled to the model's image size; dark-on-light pictures are inverted
// (MNIST digits are light on dark).
function uploadedPixels(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onerror = () => reject(new Error("cannot read " + file.name));
    reader.onload = () => {
      const image = new Image();
      image.onerror = () => reject(new Error(file.name + " is not an image the browser can open"));
      image.onload = () => {
        const [channels, height, width] = state.info.imageShape;
        const canvas = document.createElement("canvas");
        canvas.width = width; canvas.height = height;
        const context = canvas.getContext("2d");
        context.drawImage(image, 0, 0, width, height);
        const rgba = context.getImageData(0, 0, width, height).data;
        const planes = [];
        for (let c = 0; c < channels; c++) {
          for (let p = 0; p < width * height; p++) {
            const value = channels === 1 ? (rgba[4 * p] + rgba[4 * p + 1] + rgba[4 * p + 2]) / 765 : rgba[4 * p + c] / 255;
            planes.push(value);
          }
        }
        const mean = planes.reduce((a, b) => a + b, 0) / planes.length;
        resolve(mean > 0.5 ? planes.map((v) => 1 - v) : planes);
      };
      image.src = reader.result;
    };
    reader.readAsDataURL(file);
  });
}

async function start() {
  try {
    state.info = await api("/api/info");
  } catch (error) { showError("model: " + error.message); return; }
  const info = state.info;
  $("model-info").textContent = info.kind.toUpperCase() + " from " + info.checkpoint + " (epoch " + info.epoch +
    "), latent length " + info.latentDimension + (info.classCount ? ", conditional on " + info.classCount + " classes" : "") +
    "; sliders move along the " + info.directions.length + " directions that change the images most.";
  if (info.classCount) {
    $("class-control").hidden = false;
    for (let c = 0; c < info.classCount; c++) {
      const option = document.createElement("option");
      option.value = String(c); option.textContent = String(c);
      $("class-select").appendChild(option);
    }
  }
  if (info.kind === "vae") {
    $("vae-panel").hidden = false;
    if (info.testImages > 0) { $("test-index").max = String(info.testImages - 1); }
    else { $("test-control").hidden = true; $("reconstruct-test").hidden = true; }
  }
  buildSliders();
  $("new-samples").addEventListener("click", () => { $("seed").value = String((parseInt($("seed").value, 10) || 0) + 1); loadGrid(); });
  $("class-select").addEventListener("change", loadGrid);
  $("seed").addEventListener("change", loadGrid);
  $("reset-sliders").addEventListener("click", () => pick(state.picked));
  $("set-start").addEventListener("click", () => { state.start = { code: currentCode(), label: state.baseLabel }; interpolate(); });
  $("set-end").addEventListener("click", () => { state.end = { code: currentCode(), label: state.baseLabel }; interpolate(); });
  $("reconstruct-test").addEventListener("click", () => reconstruct({ testIndex: parseInt($("test-index").value, 10) || 0 }));
  $("upload").addEventListener("change", async () => {
    const file = $("upload").files[0];
    if (!file) { return; }
    try {
      const body = { pixels: await uploadedPixels(file) };
      const chosen = $("class-select").value;
      // Without a chosen class the server infers it.
      if (info.classCount && chosen !== "") { body.label = parseInt(chosen, 10); }
      reconstruct(body);
    } catch (error) { showError("upload: " + error.message); }
  });
  await loadGrid();
  document.body.dataset.ready = "1";
}

start();
"""#
}
