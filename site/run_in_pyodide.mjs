// Run Python inside Pyodide 0.27.7 (CPython 3.12 compiled to WebAssembly) under plain Node.js,
// offline: the runtime is npm `pyodide` (node_modules/pyodide) and every package comes from the
// built site's dist (site/_output/static/pyodide: its pyodide-lock.json and the verified wheels).
//
// usage: node run_in_pyodide.mjs JOB.json
//   JOB = { dist, packages: [lock names], wheels: [local .whl paths, micropip-installed without deps],
//           mounts: {guest_dir: host_dir} (NODEFS, no copy), code: "python; last expression = exit code" }
//
// Bytes handed to Pyodide from Node must be a plain Uint8Array, never a Node Buffer (what
// fs.readFileSync returns): Pyodide 0.27 looks typed arrays up by constructor name and fails with
// "Unknown typed array type 'Buffer'" (e.g. pyodide.unpackArchive(buffer) or globals.set(name, buffer)).
// Wheels are therefore loaded by loadPackage/micropip from the dist, which read them correctly.
import { loadPyodide } from "pyodide";
import fs from "node:fs";

const job = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const dist = job.dist.endsWith("/") ? job.dist : job.dist + "/";
const seconds = (t0) => ((performance.now() - t0) / 1000).toFixed(1);

const t0 = performance.now();
// packageCacheDir + packageBaseUrl: in Node, wheels are read from the dist folder, never the CDN
const py = await loadPyodide({ indexURL: dist, packageCacheDir: dist, packageBaseUrl: dist });
await py.loadPackage(job.packages ?? [], { messageCallback: () => {} });
if (job.wheels?.length) {
  py.globals.set("_wheel_urls", py.toPy(job.wheels.map((w) => `file://${w}`)));
  await py.runPythonAsync("import micropip\nawait micropip.install(_wheel_urls, deps=False)");
}
for (const [guest, host] of Object.entries(job.mounts ?? {})) {
  py.FS.mkdirTree(guest);
  py.FS.mount(py.FS.filesystems.NODEFS, { root: host }, guest);
}
console.error(`[pyodide] Python ready in ${seconds(t0)} s`);
const t1 = performance.now();
let rc;
try {
  rc = await py.runPythonAsync(job.code);
} catch (err) {
  console.error(String(err));
  rc = 99;
}
console.error(`[pyodide] code ran in ${seconds(t1)} s, exit ${rc}`);
process.exit(Number.isInteger(rc) ? rc : 98);
