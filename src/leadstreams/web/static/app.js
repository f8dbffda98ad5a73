// Small helpers shared by every page; each screen adds its own behaviour in its template.
"use strict";

// Confirm before a destructive or expensive action: <button data-confirm="Clear all leads?">
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-confirm]");
  if (button && !window.confirm(button.dataset.confirm)) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);
