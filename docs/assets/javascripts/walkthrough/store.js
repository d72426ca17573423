// The store: every incident in this browser under its own localStorage key, with a revision,
// written only on top of the revision the tab read (compare-and-set inside a Web Lock), so two
// tabs never overwrite each other's work. Unsent drafts are per tab (sessionStorage). Storage
// that is blocked or full is reported, never hidden: the page keeps the record in memory.
//
// Keys (NS is the deployment's namespace, so two sites on one origin never meet):
//   NS + "incident:" + ID  -> {"revision": n, "record": {...}, "meta": {summary, status,
//                               updated_at, archived}}   (the record; no copy of the view)
//   NS + "drafts:" + (ID or "new")  in sessionStorage: unsent form input of this tab
//   NS + "copies:" + ID  -> {"ticket"|"postmortem": {"at", "mark"}}: when it was last copied

const FORMAT_KEY = "ticket-format";
const CATCH_UP_MS = 3000; // another tab's write reaches this tab's localStorage well within this

// Why a write failed: "blocked" (no storage for this site: private mode, policy) or "full".
function failure(error) {
  if (error?.name === "QuotaExceededError" || error?.code === 22 || error?.code === 1014) {
    return { kind: "full", message: error.message };
  }
  return { kind: "blocked", message: error?.message || String(error) };
}

function area(name) {
  try {
    const storage = window[name];
    return storage || null;
  } catch {
    return null; // SecurityError: storage blocked for this site
  }
}

export class Store {
  constructor(namespace) {
    this.ns = namespace;
    this.incidentPrefix = `${namespace}incident:`;
    this.memory = new Map(); // drafts when sessionStorage is unavailable
  }

  key(id) {
    return this.incidentPrefix + id;
  }

  // ------------------------------------------------------------------------ incidents

  // {revision, record, meta} for an incident, null when there is none; throws when its stored
  // value is unreadable (kept as is, never overwritten silently).
  read(id) {
    const local = area("localStorage");
    if (!local) return null;
    let text;
    try {
      text = local.getItem(this.key(id));
    } catch {
      return null;
    }
    if (text === null) return null;
    const entry = JSON.parse(text); // a SyntaxError is the caller's "unreadable"
    if (!entry || typeof entry.revision !== "number" || typeof entry.record !== "object") {
      throw new Error("not an incident saved by this site");
    }
    return entry;
  }

  // Whether storage holds this incident now (cheap: its value is not read).
  has(id) {
    const local = area("localStorage");
    try {
      const key = this.key(id);
      for (let i = 0; local && i < local.length; i += 1) if (local.key(i) === key) return true;
      return false;
    } catch {
      return false;
    }
  }

  // Every incident in this browser: [{id, revision, meta}] most recently changed first, and the
  // keys whose value could not be read.
  list() {
    const local = area("localStorage");
    const incidents = [];
    const unreadable = [];
    if (!local) return { incidents, unreadable, available: false };
    let keys;
    try {
      keys = Array.from({ length: local.length }, (_, i) => local.key(i));
    } catch {
      return { incidents, unreadable, available: false };
    }
    for (const key of keys) {
      if (!key?.startsWith(this.incidentPrefix)) continue;
      const id = key.slice(this.incidentPrefix.length);
      try {
        const entry = this.read(id);
        if (entry) incidents.push({ id, revision: entry.revision, meta: entry.meta || {} });
      } catch {
        unreadable.push(id);
      }
    }
    incidents.sort((a, b) => String(b.meta.updated_at).localeCompare(String(a.meta.updated_at)));
    return { incidents, unreadable, available: true };
  }

  // Compare-and-set: write `record` as revision expected+1 only if the stored revision is still
  // `expected` (null: the incident must not exist yet). Returns {ok, revision, restored?} |
  // {conflict: {revision, record, meta} | null} | {error: {kind, message}}.
  //
  // One writer at a time (a Web Lock per incident). Inside it, localStorage alone cannot say
  // which revision is current: Chromium gives each tab a copy of localStorage that another tab's
  // write reaches a moment later, so the tab that gets the lock next may still read the
  // revision before it and overwrite that write. The revision is therefore also kept in
  // IndexedDB, which every tab reads the same, and written there before the lock is released;
  // localStorage keeps the record (and tells other tabs through its storage event).
  async commit(id, expected, record, meta) {
    const local = area("localStorage");
    if (!local) return { error: failure(new Error("localStorage is not available")) };
    const write = async () => {
      let stored;
      try {
        stored = this.read(id);
      } catch (error) {
        return { error: { kind: "unreadable", message: error.message } };
      }
      const ledger = await this.ledger(id);
      // This tab had it stored, storage no longer has it, and nobody deleted it: the browser's
      // storage was cleared ("clear site data", another tab's localStorage.clear()). The record
      // on screen is written back rather than taken for deleted.
      if (stored === null && expected !== null && !ledger?.deleted) {
        const next = Math.max(expected, ledger?.revision ?? 0) + 1;
        const entry = { revision: next, record, meta: { ...meta } };
        try {
          local.setItem(this.key(id), JSON.stringify(entry));
        } catch (error) {
          return { error: { kind: "lost", message: failure(error).message } };
        }
        await this.setLedger(id, { revision: next });
        return { ok: true, revision: next, meta: entry.meta, restored: true };
      }
      const known = Math.max(ledger?.revision ?? 0, stored?.revision ?? 0);
      const deleted = Boolean(ledger?.deleted) && (stored?.revision ?? 0) <= ledger.revision;
      const revision = deleted || known === 0 ? null : known;
      if (revision !== expected) {
        if (revision === null) return { conflict: null };
        // This tab's copy is behind: wait for the newer write to reach it (a moment).
        const newer = await this.caughtUp(id, revision);
        return newer ? { conflict: newer } : { error: { kind: "busy", message: "another tab is saving it" } };
      }
      const next = known + 1;
      const entry = { revision: next, record, meta: { ...(stored?.meta || {}), ...meta } };
      try {
        local.setItem(this.key(id), JSON.stringify(entry));
      } catch (error) {
        return { error: failure(error) };
      }
      await this.setLedger(id, { revision: next });
      return { ok: true, revision: next, meta: entry.meta };
    };
    // Whatever goes wrong (a storage that throws on read, a lock or IndexedDB that fails) is a
    // failed save the caller reports, never an exception lost in a promise.
    const guarded = async () => {
      try {
        return await write();
      } catch (error) {
        return { error: failure(error) };
      }
    };
    return this.locked(id, guarded);
  }

  // `task` holding this incident's Web Lock (without Web Locks: at once).
  async locked(id, task) {
    if (navigator.locks?.request) {
      try {
        return await navigator.locks.request(`${this.ns}lock:${id}`, task);
      } catch {
        return task();
      }
    }
    return task();
  }

  // The entry once this tab's copy of localStorage holds `revision` (or a later one); null when
  // it does not arrive within a few seconds.
  async caughtUp(id, revision) {
    for (let waited = 0; waited < CATCH_UP_MS; waited += 25) {
      try {
        const entry = this.read(id);
        if (entry && entry.revision >= revision) return entry;
      } catch {
        return null;
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    return null;
  }

  // ------------------------------------------------------------------------ the revision ledger

  // IndexedDB, opened once; null where this browser gives the site none (the ledger is then
  // skipped, and localStorage's revision is all there is).
  database() {
    this.db ??= new Promise((resolve) => {
      let request;
      try {
        request = indexedDB.open(`${this.ns}revisions`, 1);
      } catch {
        resolve(null);
        return;
      }
      request.onupgradeneeded = () => request.result.createObjectStore("revisions");
      request.onsuccess = () => {
        // Closed under the page ("clear site data" deletes the database): opened again next time.
        request.result.onclose = () => {
          this.db = null;
        };
        resolve(request.result);
      };
      request.onerror = () => resolve(null);
      request.onblocked = () => resolve(null);
    });
    return this.db;
  }

  async ledger(id) {
    const db = await this.database();
    if (!db) return null;
    return new Promise((resolve) => {
      try {
        const request = db.transaction("revisions").objectStore("revisions").get(id);
        request.onsuccess = () => resolve(request.result ?? null);
        request.onerror = () => resolve(null);
      } catch {
        resolve(null);
      }
    });
  }

  async setLedger(id, value) {
    const db = await this.database();
    if (!db) return;
    await new Promise((resolve) => {
      try {
        const transaction = db.transaction("revisions", "readwrite");
        transaction.objectStore("revisions").put(value, id);
        transaction.oncomplete = resolve;
        transaction.onerror = resolve;
        transaction.onabort = resolve;
      } catch {
        resolve();
      }
    });
  }

  async setMeta(id, changes) {
    let current;
    try {
      current = this.read(id);
    } catch (error) {
      return { error: { kind: "unreadable", message: error.message } };
    }
    for (let attempt = 0; attempt < 3; attempt += 1) {
      if (!current) return { error: { kind: "missing", message: `${id} is not in this browser` } };
      const result = await this.commit(id, current.revision, current.record, changes);
      if (!("conflict" in result)) return result;
      current = result.conflict;
    }
    return { error: { kind: "busy", message: "another tab keeps changing it" } };
  }

  // Delete an incident (its drafts too); the ledger remembers it was deleted, so a tab that has
  // not heard yet cannot bring it back by saving.
  async remove(id) {
    return this.locked(id, async () => {
      let revision = 0;
      try {
        revision = Math.max(this.read(id)?.revision ?? 0, (await this.ledger(id))?.revision ?? 0);
      } catch {
        /* unreadable: deleted all the same */
      }
      try {
        area("localStorage")?.removeItem(this.key(id));
        area("sessionStorage")?.removeItem(`${this.ns}drafts:${id}`);
        area("localStorage")?.removeItem(`${this.ns}copies:${id}`);
      } catch {
        return false;
      }
      await this.setLedger(id, { revision, deleted: true });
      return true;
    });
  }

  // Can this site store anything now? "ok" | "blocked" | "full".
  health() {
    const local = area("localStorage");
    if (!local) return "blocked";
    const probe = `${this.ns}probe`;
    try {
      local.setItem(probe, "1");
      local.removeItem(probe);
      return "ok";
    } catch (error) {
      return failure(error).kind;
    }
  }

  // ------------------------------------------------------------------------ drafts (per tab)

  drafts(id) {
    const key = `${this.ns}drafts:${id || "new"}`;
    const session = area("sessionStorage");
    try {
      const text = session ? session.getItem(key) : this.memory.get(key);
      const value = text ? JSON.parse(text) : {};
      return value && typeof value === "object" && !Array.isArray(value) ? value : {};
    } catch {
      return {}; // unreadable drafts are dropped, never block the page
    }
  }

  saveDrafts(id, drafts) {
    const key = `${this.ns}drafts:${id || "new"}`;
    const text = JSON.stringify(drafts);
    try {
      const session = area("sessionStorage");
      if (session) session.setItem(key, text);
      else this.memory.set(key, text);
    } catch {
      this.memory.set(key, text);
    }
  }

  // ------------------------------------------------------------------------ copies

  // When the ticket and the post-mortem draft of an incident were last copied (lookback.js):
  // beside the incident, not in it (no revision: copying changes nothing in the record).
  copies(id) {
    try {
      const value = JSON.parse(area("localStorage")?.getItem(`${this.ns}copies:${id}`) || "{}");
      return value && typeof value === "object" && !Array.isArray(value) ? value : {};
    } catch {
      return {}; // unreadable: as if never copied
    }
  }

  setCopies(id, copies) {
    try {
      area("localStorage")?.setItem(`${this.ns}copies:${id}`, JSON.stringify(copies));
    } catch {
      /* full or blocked: the page then does not say when it was copied */
    }
  }

  // ------------------------------------------------------------------------ preferences

  get ticketFormat() {
    try {
      return area("localStorage")?.getItem(this.ns + FORMAT_KEY) || "markdown";
    } catch {
      return "markdown";
    }
  }

  set ticketFormat(value) {
    try {
      area("localStorage")?.setItem(this.ns + FORMAT_KEY, value);
    } catch {
      /* a preference: losing it is harmless */
    }
  }
}
