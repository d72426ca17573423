// The store: every incident in this browser under its own localStorage key, with a revision,
// written only on top of the revision the tab read (compare-and-set inside a Web Lock), so two
// tabs never overwrite each other's work. Unsent drafts are per tab (sessionStorage). Storage
// that is blocked or full is reported, never hidden: the page keeps the record in memory.
//
// Keys (NS is the deployment's namespace, so two sites on one origin never meet):
//   NS + "incident:" + ID  -> {"revision": n, "record": {...}, "meta": {summary, status,
//                               updated_at, archived}}   (the record; no copy of the view)
//   NS + "drafts:" + (ID or "new")  in sessionStorage: unsent form input of this tab

const FORMAT_KEY = "ticket-format";

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

  // Every incident in this browser: [{id, revision, meta}] most recently changed first, and the
  // keys whose value could not be read.
  list() {
    const local = area("localStorage");
    const incidents = [];
    const unreadable = [];
    if (!local) return { incidents, unreadable, available: false };
    let keys = [];
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
  // `expected` (null: the incident must not exist yet). Returns {ok, revision} |
  // {conflict: {revision, record, meta}} | {error: {kind, message}}.
  async commit(id, expected, record, meta) {
    const local = area("localStorage");
    if (!local) return { error: failure(new Error("localStorage is not available")) };
    const write = () => {
      let current = null;
      try {
        current = this.read(id);
      } catch (error) {
        return { error: { kind: "unreadable", message: error.message } };
      }
      const revision = current ? current.revision : null;
      if (revision !== expected) return { conflict: current };
      const next = (revision ?? 0) + 1;
      const entry = { revision: next, record, meta: { ...(current?.meta || {}), ...meta } };
      try {
        local.setItem(this.key(id), JSON.stringify(entry));
      } catch (error) {
        return { error: failure(error) };
      }
      return { ok: true, revision: next, meta: entry.meta };
    };
    // One writer at a time across this origin's tabs; without Web Locks, localStorage's own
    // per-call atomicity still makes the read-compare-write a short race, not a lost write.
    if (navigator.locks?.request) {
      try {
        return await navigator.locks.request(`${this.ns}lock:${id}`, write);
      } catch {
        return write();
      }
    }
    return write();
  }

  async setMeta(id, changes) {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      let current;
      try {
        current = this.read(id);
      } catch (error) {
        return { error: { kind: "unreadable", message: error.message } };
      }
      if (!current) return { error: { kind: "missing", message: `${id} is not in this browser` } };
      const result = await this.commit(id, current.revision, current.record, changes);
      if (!result.conflict) return result;
    }
    return { error: { kind: "busy", message: "another tab keeps changing it" } };
  }

  remove(id) {
    try {
      area("localStorage")?.removeItem(this.key(id));
      area("sessionStorage")?.removeItem(`${this.ns}drafts:${id}`);
      return true;
    } catch {
      return false;
    }
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

  // A record saved by the single-incident version of this page: moved under its own ID once.
  legacy(prefix) {
    const local = area("localStorage");
    try {
      const text = local?.getItem(`${prefix}incident:v1`);
      return text ? { text, forget: () => {
        for (const name of ["incident:v1", "view:v1", "drafts:v1"]) local.removeItem(prefix + name);
      } } : null;
    } catch {
      return null;
    }
  }
}
