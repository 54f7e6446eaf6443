// The course's front door: every lesson and milestone from course.json, with this learner's status
// read from the browser, one click to open a notebook, export/import of progress, and a per-lesson reset.
// Plain ES module, no framework and nothing fetched from another origin.

// ---- names shared with tinytorch_course/progress.py (keep in sync) --------------------------------------
const PROGRESS_DB = "tinytorch";
const PROGRESS_DB_VERSION = 1;
const PROGRESS_STORE = "progress"; // keyPath "id"; records {id, passed, total, status, opened, updated}
const FILE_FORMAT = "tinytorch-progress";
// version 2 carries the learner's work too: saved pieces and edited notebooks (version 1: progress only)
const FILE_VERSION = 2;

// ---- names shared with tinytorch/checks/work_store.py: the kernel's copy of my_tinytorch/ ---------
const WORK_DB = "tinytorch-work";
const WORK_DB_VERSION = 1;
const WORK_STORE = "pieces"; // keyPath "id" (lesson id); records {id, text, updated}
const WORK_FOLDER = "my_tinytorch"; // the same files in JupyterLite's storage (/drive), where it exists

// JupyterLite 0.6 keeps the learner's saved notebooks in a localforage IndexedDB database named
// "JupyterLite Storage - <baseUrl>" (overridable by `contentsStorageName` in jupyter-lite.json),
// object store "files" keyed by path ("lessons/01_tensor.ipynb"), with checkpoints in "checkpoints".
// A path missing from "files" is served from the site, i.e. the original notebook.
const LITE_FILES = "files";
const LITE_CHECKPOINTS = "checkpoints";

const STATUS_LABEL = { "not started": "Not started", "in progress": "In progress", passed: "Checks passed" };
const $ = (sel) => document.querySelector(sel);

// ---- IndexedDB helpers --------------------------------------------------------------------------
const request = (req) => new Promise((resolve, reject) => {
  req.onsuccess = () => resolve(req.result);
  req.onerror = () => reject(req.error);
});

function openProgressDb() {
  const req = indexedDB.open(PROGRESS_DB, PROGRESS_DB_VERSION);
  req.onupgradeneeded = () => {
    if (!req.result.objectStoreNames.contains(PROGRESS_STORE)) {
      req.result.createObjectStore(PROGRESS_STORE, { keyPath: "id" });
    }
  };
  return request(req);
}

// Run `work(store)` in one transaction and close the database afterwards, so a kernel (or another
// tab) that needs to upgrade the database is never blocked by this page.
async function withStore(db, storeName, mode, work) {
  try {
    const tx = db.transaction(storeName, mode);
    const done = transactionDone(tx);
    const result = await work(tx.objectStore(storeName));
    await done;
    return result;
  } finally {
    db.close();
  }
}

function transactionDone(tx) {
  const done = new Promise((resolve, reject) => {
    tx.oncomplete = resolve;
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
  done.catch(() => {});   // awaited by the caller; never an unhandled rejection
  return done;
}

async function loadProgress() {
  const rows = await withStore(await openProgressDb(), PROGRESS_STORE, "readonly", (s) => request(s.getAll()));
  return Object.fromEntries(rows.map((r) => [r.id, r]));
}

// Merge `patch` into each record, in one transaction (the kernel writes the same records).
async function patchProgress(patches) {
  return withStore(await openProgressDb(), PROGRESS_STORE, "readwrite", async (store) => {
    for (const patch of patches) {
      const old = await request(store.get(patch.id));
      store.put({ ...(old || {}), ...patch });
    }
  });
}

async function deleteProgress(id) {
  return withStore(await openProgressDb(), PROGRESS_STORE, "readwrite", (s) => request(s.delete(id)));
}

function openWorkDb() {
  const req = indexedDB.open(WORK_DB, WORK_DB_VERSION);
  req.onupgradeneeded = () => {
    if (!req.result.objectStoreNames.contains(WORK_STORE)) req.result.createObjectStore(WORK_STORE, { keyPath: "id" });
  };
  return request(req);
}

async function loadPieces() {
  const rows = await withStore(await openWorkDb(), WORK_STORE, "readonly", (s) => request(s.getAll()));
  return Object.fromEntries(rows.map((r) => [r.id, r]));
}

async function putPieces(records) {
  return withStore(await openWorkDb(), WORK_STORE, "readwrite", async (store) => {
    for (const r of records) store.put(r);
  });
}

async function deletePieces(id) {
  return withStore(await openWorkDb(), WORK_STORE, "readwrite", (s) => request(s.delete(id)));
}

// JupyterLite's own database: opened only if it exists (opening would otherwise create an empty one
// that JupyterLite's storage library would then have to upgrade).
let liteStorageName = null;
async function openLiteStorage() {
  if (!liteStorageName) return null;
  const names = (await indexedDB.databases()).map((d) => d.name);
  if (!names.includes(liteStorageName)) return null;
  const db = await request(indexedDB.open(liteStorageName));
  if (!db.objectStoreNames.contains(LITE_FILES)) { db.close(); return null; }
  db.onversionchange = () => db.close();
  return db;
}

async function editedNotebooks() {
  const db = await openLiteStorage();
  if (!db) return new Set();
  const keys = await withStore(db, LITE_FILES, "readonly", (s) => request(s.getAllKeys()));
  return new Set(keys.map(String));
}

// Every file the learner saved in JupyterLite's storage: {path: stored model} (notebooks, my_tinytorch/).
async function liteFiles() {
  const db = await openLiteStorage();
  if (!db) return {};
  return withStore(db, LITE_FILES, "readonly", async (s) => {
    const [keys, values] = await Promise.all([request(s.getAllKeys()), request(s.getAll())]);
    return Object.fromEntries(keys.map((k, i) => [String(k), values[i]]));
  });
}

// Write files into JupyterLite's storage (localforage: out-of-line keys); creates the database in a
// browser that never opened a notebook, with the store JupyterLite's contents manager reads.
async function putLiteFiles(files) {
  if (!liteStorageName || !Object.keys(files).length) return;
  let db = await request(indexedDB.open(liteStorageName));
  if (!db.objectStoreNames.contains(LITE_FILES)) {
    const version = db.version + 1;
    db.close();
    const req = indexedDB.open(liteStorageName, version);
    req.onupgradeneeded = () => req.result.createObjectStore(LITE_FILES);
    db = await request(req);
  }
  db.onversionchange = () => db.close();
  await withStore(db, LITE_FILES, "readwrite", async (store) => {
    for (const [path, model] of Object.entries(files)) store.put(model, path);
  });
}

async function discardNotebookEdits(path) {
  const db = await openLiteStorage();
  if (!db) return;
  const stores = [LITE_FILES, LITE_CHECKPOINTS].filter((s) => db.objectStoreNames.contains(s));
  try {
    const tx = db.transaction(stores, "readwrite");
    const done = transactionDone(tx);
    for (const s of stores) tx.objectStore(s).delete(path);
    await done;
  } finally {
    db.close();
  }
}

// ---- status (same rule as tinytorch_course.progress.status) -------------------------------------------
function statusOf(record, edited) {
  const passed = record?.passed ?? 0;
  const total = record?.total ?? 0;
  if (total > 0 && passed === total) return "passed";
  if (passed > 0 || record?.opened || edited) return "in progress";
  return "not started";
}

// ---- course data --------------------------------------------------------------------------------
async function fetchJson(url) {
  const res = await fetch(url, { cache: "no-cache" });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return res.json();
}

// Which notebooks this build contains, from JupyterLite's static contents listing.
async function availableNotebooks(items) {
  const dirs = [...new Set(items.map((i) => i.notebook.split("/").slice(0, -1).join("/")))];
  const found = new Set();
  await Promise.all(dirs.map(async (dir) => {
    try {
      const listing = await fetchJson(`api/contents/${dir}/all.json`);
      for (const entry of listing.content || []) found.add(entry.path);
    } catch { /* folder not in this build */ }
  }));
  return found;
}

const notebookUrl = (path) => `notebooks/index.html?path=${encodeURI(path)}`;
const two = (n) => String(n).padStart(2, "0");

// ---- rendering ----------------------------------------------------------------------------------
const state = { course: null, available: new Set(), progress: {}, edited: new Set() };

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

function statusBadge(item) {
  const rec = state.progress[item.id];
  const status = statusOf(rec, state.edited.has(item.notebook));
  let detail = "";
  if (rec?.total > 0 && status !== "passed") detail = ` · ${rec.passed} of ${rec.total} checks pass`;
  return el("span", { class: `status status--${status.replace(" ", "-")}`, "data-status": status },
    STATUS_LABEL[status] + detail);
}

function itemRow(item, kind) {
  const available = state.available.has(item.notebook);
  const label = kind === "lesson" ? `${two(item.number)} · ${item.title}` : `${item.year} · ${item.title}`;
  const title = available
    ? el("a", { href: notebookUrl(item.notebook), "data-notebook": item.notebook, onclick: (e) => openItem(e, item) }, label)
    : el("span", { class: "unavailable", title: "This notebook is not part of this build yet" }, label);
  const uses = kind === "lesson"
    ? (item.depends?.length ? usesLessons(item.depends) : "No prerequisites")
    : milestoneRequirement(item);
  const hasWork = state.progress[item.id] || state.edited.has(item.notebook);
  return el("li", { class: "item", "data-id": item.id, "data-kind": kind },
    el("div", { class: "item-main" },
      el("h4", { class: "item-title" }, title),
      el("p", { class: "builds" }, item.builds),
      el("p", { class: "uses" }, uses, available ? null : el("span", { class: "note" }, " · not in this build yet"))),
    el("div", { class: "item-side" },
      statusBadge(item),
      el("button", { type: "button", class: "reset", disabled: !hasWork,
        "aria-label": `Reset ${kind} ${label}`, onclick: () => confirmReset(item, label) }, "Reset…")));
}

function milestoneRequirement(m) {
  const req = m.requires || [];
  if (!req.length) return "No prerequisites";
  const byNumber = Object.fromEntries(state.course.lessons.map((l) => [l.number, l]));
  const done = req.filter((n) => byNumber[n] && statusOf(state.progress[byNumber[n].id]) === "passed").length;
  const ready = done === req.length ? " — ready" : ` — ${done} of ${req.length} passed`;
  return `${usesLessons(req)}${ready}`;
}

// "Uses lesson 01", "Uses lessons 01, 02": one lesson is not "lessons"
function usesLessons(numbers) {
  const sorted = [...numbers].sort((a, b) => a - b).map(two).join(", ");
  return `Uses lesson${numbers.length === 1 ? "" : "s"} ${sorted}`;
}

function render() {
  const { lessons, milestones } = state.course;
  const tiers = state.course.tiers || [...new Set(lessons.map((l) => l.tier))];
  const container = $("#lessons");
  container.replaceChildren(...tiers.map((tier) => {
    const ls = lessons.filter((l) => l.tier === tier);
    const id = `tier-${tier.toLowerCase().replace(/\W+/g, "-")}`;
    return el("section", { class: "tier", "aria-labelledby": id },
      el("h3", { id }, tier, el("span", { class: "range" }, ` lessons ${two(ls[0].number)}–${two(ls.at(-1).number)}`)),
      el("ol", { class: "items" }, ...ls.map((l) => itemRow(l, "lesson"))));
  }));
  $("#milestones").replaceChildren(...milestones.map((m) => itemRow(m, "milestone")));

  const count = (items) => items.filter((i) => statusOf(state.progress[i.id]) === "passed").length;
  const nl = count(lessons);
  $("#summary").replaceChildren(
    el("p", {}, el("strong", {}, `${nl} of ${lessons.length}`), " lessons passed · ",
      el("strong", {}, `${count(milestones)} of ${milestones.length}`), " milestones reached"),
    el("progress", { max: lessons.length, value: nl, "aria-label": "Lessons passed" }));
  document.body.dataset.ready = "true";   // for tests and screenshots
}

async function refresh() {
  try {
    [state.progress, state.edited] = await Promise.all([loadProgress(), editedNotebooks()]);
  } catch (err) {
    say(`Could not read your progress from this browser's storage: ${err.message || err}`, true);
  }
  render();
}

// ---- actions ------------------------------------------------------------------------------------
function say(text, isError = false) {
  const m = $("#message");
  m.textContent = text;
  m.dataset.kind = isError ? "error" : "ok";
}

async function openItem(event, item) {
  const patch = { id: item.id, opened: true };
  if (!state.progress[item.id]?.opened) patch.opened_at = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  const sameTab = event.button === 0 && !event.ctrlKey && !event.metaKey && !event.shiftKey && !event.altKey;
  if (!sameTab) { patchProgress([patch]).then(refresh); return; }   // new tab: this page stays
  event.preventDefault();
  const href = event.currentTarget.href;   // currentTarget is gone after the first await
  try { await patchProgress([patch]); } catch { /* opening matters more than the mark */ }
  location.href = href;
}

// What a reset of `item` would remove, read before the learner confirms (and kept to undo it).
async function workOf(item) {
  const piecesFile = `${WORK_FOLDER}/${item.id}.py`;
  const [files, pieces, progress] = await Promise.all([liteFiles(), loadPieces(), loadProgress()]);
  const keep = (paths) => Object.fromEntries(paths.filter((p) => p in files).map((p) => [p, files[p]]));
  return {
    files: keep([item.notebook, piecesFile]),
    pieces: pieces[item.id] ? [pieces[item.id]] : [],
    progress: progress[item.id] ? [progress[item.id]] : [],
  };
}

async function confirmReset(item, label) {
  const dialog = $("#reset-dialog");
  let backup;
  try {
    backup = await workOf(item);
  } catch (err) {
    say(`Could not read what ${label} has saved: ${err.message || err}`, true);
    return;
  }
  const parts = [];
  if (backup.files[item.notebook]) parts.push(`your edits to the notebook (${item.notebook})`);
  if (backup.pieces.length || backup.files[`${WORK_FOLDER}/${item.id}.py`]) {
    const n = (backup.pieces[0]?.text.match(/^# %% piece /gm) || []).length;
    parts.push(`your saved code (${WORK_FOLDER}/${item.id}.py${n ? `, ${n} piece${n === 1 ? "" : "s"}` : ""}), ` +
      "which later lessons and milestones would otherwise run");
  }
  if (backup.progress.length) parts.push("its recorded check results");
  $("#reset-text").textContent = parts.length
    ? `This removes from this browser: ${parts.join("; ")}. The original notebook comes back. ` +
      "Until you leave this page, “Undo reset” brings it all back."
    : `“${label}” has nothing saved in this browser.`;
  dialog.onclose = async () => {
    if (dialog.returnValue !== "reset") return;
    try {
      await discardNotebookEdits(item.notebook);
      await discardNotebookEdits(`${WORK_FOLDER}/${item.id}.py`);
      await deletePieces(item.id);
      await deleteProgress(item.id);
      state.undo = { item, label, backup };
      say(`Reset ${label}: the original notebook is back and your saved code for it is removed.`);
      showUndo();
    } catch (err) {
      say(`Could not reset ${label}: ${err.message || err}`, true);
    }
    await refresh();
  };
  dialog.returnValue = "";
  dialog.showModal();
}

function showUndo() {
  const button = el("button", { type: "button", id: "undo-reset" }, "Undo reset");
  button.addEventListener("click", async () => {
    const { label, backup } = state.undo;
    try {
      await putLiteFiles(backup.files);
      await putPieces(backup.pieces);
      await patchProgress(backup.progress);
      state.undo = null;
      say(`Restored ${label} as it was before the reset.`);
    } catch (err) {
      say(`Could not undo the reset of ${label}: ${err.message || err}`, true);
    }
    await refresh();
  });
  $("#message").append(" ", button);
}

// Everything a learner needs to continue elsewhere: progress, the saved pieces (my_tinytorch/) and every
// file they saved in JupyterLite (edited notebooks).
async function exportProgress() {
  const [progress, pieces, files] = await Promise.all([loadProgress(), loadPieces(), liteFiles()]);
  const body = { format: FILE_FORMAT, version: FILE_VERSION, exported: new Date().toISOString(), progress, pieces, files };
  const blob = new Blob([JSON.stringify(body, null, 1)], { type: "application/json" });
  const a = el("a", { href: URL.createObjectURL(blob), download: `tinytorch-work-${new Date().toISOString().slice(0, 10)}.json` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  const notebooks = Object.keys(files).filter((p) => p.endsWith(".ipynb")).length;
  say(`Exported progress for ${Object.keys(progress).length} lessons and milestones, your saved code of ` +
      `${Object.keys(pieces).length} lessons and ${notebooks} edited notebooks.`);
}

async function importProgress(file) {
  let data;
  try {
    data = JSON.parse(await file.text());
  } catch (err) {
    say(`${file.name} is not valid JSON: ${err.message}`, true);
    return;
  }
  if (data?.format !== FILE_FORMAT || typeof data.progress !== "object" || data.progress === null) {
    say(`${file.name} is not a TinyTorch progress file (expected "format": "${FILE_FORMAT}").`, true);
    return;
  }
  const known = new Set([...state.course.lessons, ...state.course.milestones].map((i) => i.id));
  const records = Object.entries(data.progress)
    .filter(([id, r]) => known.has(id) && r && typeof r === "object")
    .map(([id, r]) => ({ ...r, id }));
  const ignored = Object.keys(data.progress).length - records.length;
  const pieces = Object.entries(data.pieces || {})
    .filter(([id, r]) => known.has(id) && typeof r?.text === "string")
    .map(([id, r]) => ({ ...r, id }));
  const files = Object.fromEntries(Object.entries(data.files || {}).filter(([, m]) => m && typeof m === "object"));
  await patchProgress(records);
  await putPieces(pieces);
  await putLiteFiles(files);
  await refresh();
  say(`Imported progress for ${records.length} lessons and milestones, your saved code of ${pieces.length} ` +
      `lessons and ${Object.keys(files).length} files` + (ignored ? `; ignored ${ignored} unknown entries.` : "."));
}

// ---- offline check ------------------------------------------------------------------------------
// Shows that the Python runtime and the course's packages are served by this computer, and that
// every file this page loaded came from this server.
async function checkOffline() {
  const box = $("#offline");
  try {
    const lock = await fetchJson("static/pyodide/pyodide-lock.json");
    const pkgs = lock.packages || {};
    const need = ["numpy", "matplotlib", "tinytorch"];
    const missing = need.filter((n) => !pkgs[n]);
    const foreign = performance.getEntriesByType("resource").filter((e) => new URL(e.name).origin !== location.origin);
    if (missing.length || foreign.length) {
      box.dataset.state = "warn";
      box.textContent = missing.length
        ? `This build lacks ${missing.join(", ")}: some lessons will not run.`
        : `This page loaded ${foreign.length} file(s) from another server.`;
      return;
    }
    const v = (n) => pkgs[n].version;
    box.dataset.state = "ok";
    box.textContent = `Works offline: Python ${lock.info?.python ?? "3"} with numpy ${v("numpy")}, ` +
      `matplotlib ${v("matplotlib")} and tinytorch ${v("tinytorch")} all come from ${location.host}` +
      (navigator.onLine ? "; no internet connection is needed." : ". You are offline, and that is fine.");
  } catch (err) {
    box.dataset.state = "warn";
    box.textContent = `Could not find the Python runtime on this server (${err.message}).`;
  }
}

// ---- start --------------------------------------------------------------------------------------
async function main() {
  try {
    const [course, liteConfig] = await Promise.all([
      fetchJson("course.json"),
      fetchJson("jupyter-lite.json").catch(() => ({})),
    ]);
    state.course = course;
    const base = new URL("./", location.href).pathname;
    liteStorageName = liteConfig["jupyter-config-data"]?.contentsStorageName || `JupyterLite Storage - ${base}`;
    state.available = await availableNotebooks([...course.lessons, ...course.milestones]);
  } catch (err) {
    $("#lessons").replaceChildren(el("p", { class: "message", "data-kind": "error" },
      `Could not load the course (${err.message}). Was the site built with \`make site\`?`));
    return;
  }
  await refresh();
  checkOffline();
  $("#export").addEventListener("click", () => exportProgress().catch((e) => say(`Export failed: ${e.message}`, true)));
  $("#import-file").addEventListener("change", async (e) => {
    const file = e.target.files[0];
    e.target.value = "";
    if (file) await importProgress(file).catch((err) => say(`Import failed: ${err.message}`, true));
  });
  // coming back from a notebook (back button, other tab): show the latest progress
  window.addEventListener("pageshow", (e) => { if (e.persisted) refresh(); });
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "visible") refresh(); });
}

main();
