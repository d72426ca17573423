// What Material's own widgets lack, added as attributes after each page is shown (its
// templates are left as they are): names for its search dialog and progress bar (axe-core:
// aria-dialog-name, aria-progressbar-name), and a keyboard stop for each table that scrolls
// sideways (scrollable-region-focusable: on a phone, wide tables can only be read by scrolling).

export function labelMaterial() {
  const label = (selector, name) => {
    for (const node of document.querySelectorAll(selector)) {
      if (!node.hasAttribute("aria-label") && !node.hasAttribute("aria-labelledby")) {
        node.setAttribute("aria-label", name);
      }
    }
  };
  label('[data-md-component="search"][role="dialog"]', "Search");
  label('[data-md-component="progress"][role="progressbar"]', "Loading the page");
  watchScrollingTables();
}

// The heading a table sits under, for the name of its scrolling region.
function headingBefore(node) {
  for (let el = node.previousElementSibling; el; el = el.previousElementSibling) {
    if (/^H[1-6]$/.test(el.tagName)) return el.textContent.replace(/¶\s*$/, "").trim();
  }
  return "";
}

let observer = null;

function markScrolling(wrap) {
  const scrolls = wrap.scrollWidth > wrap.clientWidth + 1;
  if (scrolls === wrap.hasAttribute("tabindex")) return;
  if (scrolls) {
    const heading = headingBefore(wrap);
    wrap.setAttribute("tabindex", "0");
    wrap.setAttribute("role", "region");
    wrap.setAttribute("aria-label", heading ? `Table: ${heading} (scrolls sideways)` : "Table (scrolls sideways)");
  } else {
    for (const name of ["tabindex", "role", "aria-label"]) wrap.removeAttribute(name);
  }
}

function watchScrollingTables() {
  observer?.disconnect();
  if (!window.ResizeObserver) return;
  observer = new ResizeObserver((entries) => {
    for (const entry of entries) markScrolling(entry.target);
  });
  for (const wrap of document.querySelectorAll(".md-typeset__scrollwrap")) {
    markScrolling(wrap);
    observer.observe(wrap);
  }
}
