// The walkthrough's entry point, loaded on every page (Material's instant navigation loads
// scripts once): registers the offline service worker, and mounts the widget from Material's
// `document$` whenever a page with [data-runbook-widget] is shown. Modules by job: engine.js
// (the worker), store.js (incidents, revisions, drafts), widget.js (input and actions, its
// methods by job in incidents.js, forms.js, transfer.js, drafts.js and focus.js),
// draw.js (the view), offline.js (the service worker), a11y.js (Material's missing names).

import { SITE_ROOT, deploymentName } from "../deployment.mjs";
import { labelMaterial } from "./a11y.js";
import { engineFor, engineURLs } from "./engine.js";
import { engineCached, onOfflineChange, registerOffline } from "./offline.js";
import { Store } from "./store.js";
import { yieldToBrowser } from "./shared.js";
import { Widget } from "./widget.js";

// Everything this site stores is its deployment's own (deployment.mjs): two copies of the site
// on one origin never see each other's incidents.
const NAMESPACE = deploymentName("runbook:");

let mounted = null;

function mount() {
  yieldToBrowser().then(labelMaterial); // after the widget's first screen: none of it is there
  const root = document.querySelector("[data-runbook-widget]");
  if (!root) {
    mounted?.destroy(); // left the walkthrough: its listeners and timers go
    mounted = null;
    return;
  }
  if (root.runbookWidget) return;
  const engine = engineFor(engineURLs(root.dataset));
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
registerOffline(new URL(SITE_ROOT, window.location.href));

// A Content-Security-Policy that refuses the engine's worker script: name what it lacks (the
// worker reports the violations inside it itself, see engine-worker.mjs).
document.addEventListener("securitypolicyviolation", (event) => {
  const engine = window.__runbookEngine;
  if (engine && engine.state !== "ready" && event.blockedURI === engine.urls.worker) {
    engine.blocked({ blocked: event.blockedURI, directive: event.effectiveDirective });
  }
});

// Mounted in a task of its own, not inside Material's: together they made one long task that
// blocked the page (measured: blocking 20 ms instead of 74-102 ms, the first input no later).
const mountSoon = () => setTimeout(mount);
if (window.document$) window.document$.subscribe(mountSoon);
else if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mountSoon);
else mount();
