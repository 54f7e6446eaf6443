"""One IndexedDB object store, reached from Python running in the browser kernel's worker.

Progress (`progress.py`) and the saved pieces (`checks/work_store.py`) each keep records in their own
database, and the landing page reads and writes the same records. IndexedDB has only a callback API in
JavaScript, so both build their store object from this one piece of JavaScript: the opening of the
database (creating the store on first use) and one transaction per call. Natively nothing here runs.
"""

from __future__ import annotations

import json
from string import Template

_STORE = Template("""
(() => {
  const open = () => new Promise((resolve, reject) => {
    const req = indexedDB.open($db, $version);
    req.onupgradeneeded = () => {
      if (!req.result.objectStoreNames.contains($store))
        req.result.createObjectStore($store, { keyPath: "id" });
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
    req.onblocked = () => reject(new Error("database blocked by another tab"));
  });
  const inStore = async (mode, work) => {
    const db = await open();
    try {
      return await new Promise((resolve, reject) => {
        const tx = db.transaction($store, mode);
        let result = null;
        work(tx.objectStore($store), (r) => { result = r; });
        tx.oncomplete = () => resolve(result);
        tx.onerror = () => reject(tx.error);
        tx.onabort = () => reject(tx.error);
      });
    } finally { db.close(); }
  };
  return {
    getAll: () => inStore("readonly", (store, done) => {
      const all = store.getAll();
      all.onsuccess = () => done(JSON.stringify(all.result));
    }),
$methods
  };
})()
""")


def store_js(db_name: str, version: int, store_name: str, methods: str) -> str:
    """JavaScript evaluating to `{getAll() -> Promise<json>, ...methods}` over one object store whose
    key path is "id". `methods` are further entries of that object literal; each may call
    `inStore(mode, work)`, where `work(store, done)` runs inside one transaction and `done(value)` sets
    what the returned Promise resolves to (null by default)."""
    return _STORE.substitute(
        db=json.dumps(db_name), version=int(version), store=json.dumps(store_name), methods=methods
    )
