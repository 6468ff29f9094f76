/* The site's only script besides htmx. No inline handlers (hx-on), so the
   Content-Security-Policy needs neither 'unsafe-inline' nor 'unsafe-eval'. */
"use strict";

// A refused or invalid action answers with the fragment to show in its
// target (the form with its errors, the panel with the reason): 400, 403,
// 404, 409 and 422 are swapped in like a success instead of being dropped.
const SWAPPED_ERRORS = [400, 403, 404, 409, 422];

document.addEventListener("htmx:beforeSwap", (event) => {
  if (SWAPPED_ERRORS.includes(event.detail.xhr.status)) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});

// A button marked data-print prints the page (the donation receipt).
document.addEventListener("click", (event) => {
  if (event.target instanceof Element && event.target.closest("[data-print]")) {
    window.print();
  }
});
