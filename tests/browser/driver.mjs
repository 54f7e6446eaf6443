// Headless-Chromium driver for the browser tests and the site benchmark.
//
// One long-lived process per pytest session: it reads one JSON command per line on stdin and answers
// one JSON line on stdout ({id, ok, result} or {id, ok: false, error}), so Python keeps the logic and
// this file stays a thin layer over playwright-core. Debian's Chromium is launched directly
// (/usr/lib/chromium/chromium, not the /usr/bin wrapper that adds Google API keys) with the flags that
// stop its own background traffic, and Chromium's net-log records every connection it attempts.
//
// usage: node driver.mjs NETLOG_PATH     (then JSON lines on stdin; see COMMANDS below)
import fs from "node:fs";
import readline from "node:readline";

// see the service worker's fetches too; set before playwright loads (a static import would run first)
process.env.PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS = "1";
const { chromium } = await import("playwright-core");

const netlog = process.argv[2];
const CHROMIUM = process.env.CHROMIUM ?? "/usr/lib/chromium/chromium";
const log = (...a) => process.stderr.write(a.join(" ") + "\n");
// extra Chromium switches as a JSON list, e.g. ["--host-resolver-rules=MAP classroom.test 127.0.0.1"]
// to reach the site by a non-localhost name over plain HTTP (not a secure context: no service worker)
const EXTRA_ARGS = JSON.parse(process.env.TINYTORCH_CHROMIUM_ARGS ?? "[]");

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    // the update client still pings update.googleapis.com without this: send it to a dead local port
    "--component-updater=url-source=http://127.0.0.1:9/update",
    // sign-in's account check (accounts.google.com/ListAccounts) runs unless GAIA is sent there too
    "--gaia-url=http://127.0.0.1:9",
    // only the LAST --disable-features switch counts, so repeat playwright's own list and add autofill
    // (content-autofill.googleapis.com) and network-time (clients2.google.com) queries
    "--disable-features=" + [
      "AvoidUnnecessaryBeforeUnloadCheckSync", "DestroyProfileOnBrowserClose", "HttpsUpgrades",
      "HttpsFirstBalancedModeAutoEnable", "LensOverlay", "MediaRouter", "PaintHolding",
      "ThirdPartyStoragePartitioning", "AvoidCorsURLLoaderRestartOnRedirect", "OptimizationHints",
      "NetworkTimeServiceQuerying", "AimEnabled", "PreconnectToSearch", "AutofillServerCommunication",
    ].join(","),
    ...(netlog ? [`--log-net-log=${netlog}`, "--net-log-capture-mode=Default"] : []),
    ...EXTRA_ARGS,
  ],
});

const contexts = new Map();
const pages = new Map();
const requests = [];   // every request of every context: {url, type, method}
const failed = [];
const served = new Set();  // URLs answered with a 2xx/3xx at least once in the session
const httpErrors = [];     // answers with status >= 400: a file the site lacks
let nextId = 1;
const page = (id) => pages.get(id) ?? fail(`no page ${id}`);
const fail = (msg) => { throw new Error(msg); };
// a function given as source text, called in the page with one JSON argument
const call = (fn, arg) => `(${fn})(${JSON.stringify(arg ?? null)})`;

const COMMANDS = {
  // a fresh context is a first-time visitor: empty storage, empty HTTP cache
  async newContext({ viewport = { width: 1280, height: 900 } }) {
    const ctx = await browser.newContext({ viewport, acceptDownloads: true });
    ctx.on("request", (r) => requests.push({ url: r.url(), type: r.resourceType(), method: r.method() }));
    // requests cut off by closing the context (a test ending while the kernel still loads) are not failures
    ctx.on("requestfailed", (r) => { if (!ctx.closing) failed.push({ url: r.url(), error: r.failure()?.errorText }); });
    ctx.on("requestfinished", async (r) => {
      // a context closed meanwhile (a test's page closed mid-load) rejects: that request is not a result
      const res = await r.response().catch(() => null);
      if (res && res.status() < 400) served.add(r.url());
      else if (res) httpErrors.push({ url: r.url(), status: res.status() });
    });
    const id = nextId++;
    contexts.set(id, ctx);
    return id;
  },
  async closeContext({ ctx }) {
    const c = contexts.get(ctx);
    if (c) c.closing = true;
    await c?.close();
    contexts.delete(ctx);
  },
  async newPage({ ctx }) {
    const p = await contexts.get(ctx).newPage();
    p.consoleLines = [];
    p.on("console", (m) => p.consoleLines.push(`[${m.type()}] ${m.text()}`));
    p.on("pageerror", (e) => p.consoleLines.push(`[pageerror] ${e.message}`));
    const id = nextId++;
    pages.set(id, p);
    return id;
  },
  async goto({ page: id, url, waitUntil = "domcontentloaded", timeout = 60_000 }) {
    const res = await page(id).goto(url, { waitUntil, timeout });
    return { status: res?.status() ?? null, headers: res ? await res.allHeaders() : {} };
  },
  async reload({ page: id, waitUntil = "domcontentloaded" }) {
    await page(id).reload({ waitUntil });
  },
  async evaluate({ page: id, fn, arg }) {
    return page(id).evaluate(call(fn, arg));
  },
  async waitForFunction({ page: id, fn, arg, timeout = 60_000, polling = 100 }) {
    const handle = await page(id).waitForFunction(call(fn, arg), null, { timeout, polling });
    return handle.jsonValue();
  },
  async waitForSelector({ page: id, selector, state = "visible", timeout = 60_000 }) {
    await page(id).locator(selector).first().waitFor({ state, timeout });
  },
  async click({ page: id, selector, timeout = 30_000 }) {
    await page(id).locator(selector).first().click({ timeout });
  },
  async press({ page: id, key }) {
    await page(id).keyboard.press(key);
  },
  async insertText({ page: id, text }) {   // like typing, without auto-indent or auto-close surprises
    await page(id).keyboard.insertText(text);
  },
  async innerText({ page: id, selector }) {
    return page(id).locator(selector).first().innerText();
  },
  async allInnerTexts({ page: id, selector }) {
    return page(id).locator(selector).allInnerTexts();
  },
  async setInputFiles({ page: id, selector, path }) {
    await page(id).locator(selector).setInputFiles(path);
  },
  // click something that downloads a file; save it to `path`
  async download({ page: id, selector, path }) {
    const [dl] = await Promise.all([page(id).waitForEvent("download"), page(id).locator(selector).click()]);
    await dl.saveAs(path);
    return dl.suggestedFilename();
  },
  async screenshot({ page: id, path, fullPage = false }) {
    await page(id).screenshot({ path, fullPage });
  },
  // the page's dedicated workers (the kernel's Web Worker), by URL; evaluate in the last one whose URL
  // contains `urlPart` (a page reloaded keeps no old workers, so the last is the live one)
  async workers({ page: id }) {
    return page(id).workers().map((w) => w.url());
  },
  async workerEvaluate({ page: id, urlPart = "", fn, arg }) {
    const found = page(id).workers().filter((w) => w.url().includes(urlPart));
    if (!found.length) fail(`no worker with ${urlPart} in its URL: ${page(id).workers().map((w) => w.url())}`);
    return found[found.length - 1].evaluate(call(fn, arg));
  },
  async console({ page: id }) {
    return page(id).consoleLines;
  },
  async requests() {
    return { requests, failed, served: [...served], http_errors: httpErrors };
  },
  // close the browser; report every URL and host in Chromium's own net-log
  async close() {
    for (const c of contexts.values()) c.closing = true;
    await browser.close();
    let urls = [], hosts = [];
    if (netlog && fs.existsSync(netlog)) {
      const text = fs.readFileSync(netlog, "utf8");
      urls = [...new Set([...text.matchAll(/"(?:url|original_url)":"([^"]+)"/g)].map((m) => m[1]))];
      hosts = [...new Set([...text.matchAll(/"host":"([^"]+)"/g)].map((m) => m[1]))];
    }
    return { requests, failed, served: [...served], http_errors: httpErrors, netlog_urls: urls, netlog_hosts: hosts };
  },
};

// a listener still awaiting a response when its page or context closes (requestfinished -> r.response())
// rejects with "Target page, context or browser has been closed": log it, never exit the driver for it
process.on("unhandledRejection", (err) => log(`[driver] ignored after close: ${err?.message || err}`));

const rl = readline.createInterface({ input: process.stdin });
for await (const line of rl) {
  if (!line.trim()) continue;
  let msg;
  try {
    msg = JSON.parse(line);
    const fn = COMMANDS[msg.cmd] ?? fail(`unknown command ${msg.cmd}`);
    const result = await fn(msg.args ?? {});
    const reply = JSON.stringify({ id: msg.id, ok: true, result: result ?? null }) + "\n";
    if (msg.cmd === "close") {   // exit only once the (large) reply is fully written to the pipe
      await new Promise((resolve) => process.stdout.write(reply, resolve));
      break;
    }
    process.stdout.write(reply);
  } catch (err) {
    log(`[driver] ${msg?.cmd}: ${err.stack || err}`);
    process.stdout.write(JSON.stringify({ id: msg?.id, ok: false, error: String(err.message || err) }) + "\n");
  }
}
process.exit(0);
