// Starts the walkthrough's engine as early as the page allows: loaded (async, from the <head>)
// on the walkthrough page only, it creates the engine's worker while the page is still being
// parsed, from the addresses the build wrote into <meta name="runbook-engine">. main.js, which
// mounts the widget later, finds the same engine (engineFor: one per page lifetime).

import { engineFor, engineURLs } from "./engine.js";

const meta = document.querySelector('meta[name="runbook-engine"]');
if (meta) engineFor(engineURLs(meta.dataset));
