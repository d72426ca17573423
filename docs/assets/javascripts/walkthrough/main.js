// The walkthrough's entry point, loaded on every page (Material's instant navigation loads
// scripts once): registers the offline service worker, and mounts the widget from Material's
// `document$` whenever a page with [data-runbook-widget] is shown. Modules by job: engine.js
// (the worker), store.js (incidents, revisions, drafts), widget.js (input and actions),
// draw.js (the view), offline.js (the service worker), a11y.js (Material's missing names).

import { engineFor } from "./engine.js";
import { labelMaterial } from "./a11y.js";
import { engineCached, onOfflineChange, registerOffline } from "./offline.js";
import { Store } from "./store.js";
import { Widget } from "./widget.js";

// This file is assets/javascripts/walkthrough/main.js: the site root is three folders up. Storage
// is namespaced by it, so two deployments on one origin never see each other's incidents.
const SITE_ROOT = new URL("../../../", import.meta.url);
const NAMESPACE = `runbook:${SITE_ROOT.pathname}:`;

let mounted = null;

function mount() {
  labelMaterial();
  const root = document.querySelector("[data-runbook-widget]");
  if (!root) {
    mounted?.destroy(); // left the walkthrough: its listeners and timers go
    mounted = null;
    return;
  }
  if (root.runbookWidget) return;
  const abs = (url) => new URL(url, window.location.href).href;
  const engine = engineFor({
    worker: abs(root.dataset.worker),
    pyodide: abs(root.dataset.pyodide),
    wheel: abs(root.dataset.wheel),
  });
  mounted?.destroy();
  root.runbookWidget = mounted = new Widget(root, engine, new Store(NAMESPACE));
  showOffline(mounted);
}

async function showOffline(widget) {
  const note = widget.root.querySelector("[data-offline-note]");
  if (note) note.hidden = !(await engineCached(widget.engine));
}

onOfflineChange(() => {
  if (mounted?.root.isConnected) showOffline(mounted);
});
registerOffline(SITE_ROOT);

if (window.document$) window.document$.subscribe(mount);
else if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mount);
else mount();
