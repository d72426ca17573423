// Which deployment of the site this is: the path of its root ("/" or "/runbook/"), read from
// this file's own URL (assets/javascripts/ is two folders below the root), so it needs no
// configuration and is right wherever the built site is copied.
//
// Everything the site keeps in the visitor's browser is named after it — localStorage keys,
// Cache Storage names — so that two deployments on one origin (GitHub Pages project sites at
// /runbook/ and /runbook2/) never read, overwrite or delete each other's incident, drafts or
// caches. Material names its own storage the same way ("/runbook/.__palette"). Used by
// walkthrough.js and engine-worker.mjs; sw.js (a classic script at the root) follows the rule.

export const SITE_ROOT = new URL("../../", import.meta.url).pathname;

// "runbook:incident:v1" -> "/runbook/runbook:incident:v1"
export const deploymentName = (name) => `${SITE_ROOT}${name}`;
