/* The site's only script besides htmx. No inline handlers (hx-on), so the
   Content-Security-Policy needs neither 'unsafe-inline' nor 'unsafe-eval'.
   Where each htmx answer goes is htmx's own configuration (the htmx-config
   meta tag in templates/base.html); this only keeps the error box honest. */
"use strict";

const errorBox = () => document.getElementById("request-error");

// A new request clears the message of the previous one.
document.addEventListener("htmx:beforeRequest", () => {
  const box = errorBox();
  if (box) {
    box.replaceChildren();
  }
});

// An error answer with no message of ours (a proxy's page, an empty body) or
// no answer at all (the network is down): say so in general terms.
function showGenericError(event) {
  const box = errorBox();
  if (box && (event.type === "htmx:sendError" || event.detail.target === box) && !box.textContent.trim()) {
    box.textContent = box.dataset.generic;
  }
}
document.addEventListener("htmx:responseError", showGenericError);
document.addEventListener("htmx:sendError", showGenericError);

// A button marked data-print prints the page (the donation receipt).
document.addEventListener("click", (event) => {
  if (event.target instanceof Element && event.target.closest("[data-print]")) {
    window.print();
  }
});
