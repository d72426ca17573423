// Names Material's own widgets lack (axe-core: aria-dialog-name, aria-progressbar-name), added
// as attributes after each page is shown: its templates are left as they are.

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
}
