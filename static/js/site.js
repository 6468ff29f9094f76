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

// Confirmations (templates/components/confirm_action.html). The page renders
// each one as an open <dialog> inside the page, so that it works as a plain
// form without script; here it becomes a button that opens it as a modal
// dialog. Esc closes it (the browser's own "cancel"), as does 취소, and focus
// returns to the button. One the server refused (a missing reason) opens again
// at once, its error next to the field.
function openConfirmation(dialog) {
  if (!dialog.open) {
    dialog.showModal();
  }
  const field = dialog.querySelector("[aria-invalid='true']") || dialog.querySelector("[data-confirm-reason]");
  (field || dialog.querySelector("[data-confirm-submit]")).focus();
}

function setUpConfirmations(root) {
  const boxes = root.matches && root.matches("[data-confirm]") ? [root] : [];
  boxes.push(...root.querySelectorAll("[data-confirm]"));
  for (const box of boxes) {
    const opener = box.querySelector("[data-confirm-open]");
    const dialog = box.querySelector("dialog[data-confirm-dialog]");
    const closer = box.querySelector("[data-confirm-close]");
    if (box.dataset.confirmReady || !opener || !dialog || typeof dialog.showModal !== "function") {
      continue;
    }
    box.dataset.confirmReady = "1";
    dialog.close();
    dialog.setAttribute("aria-modal", "true");
    opener.hidden = false;
    closer.hidden = false;
    opener.addEventListener("click", () => openConfirmation(dialog));
    closer.addEventListener("click", () => dialog.close());
    dialog.addEventListener("close", () => {
      if (opener.isConnected) {
        opener.focus();
      }
    });
    if (box.hasAttribute("data-confirm-failed")) {
      openConfirmation(dialog);
    }
  }
}

document.addEventListener("DOMContentLoaded", () => setUpConfirmations(document.body));
document.addEventListener("htmx:load", (event) => setUpConfirmations(event.target));

// Below 640 px the tables of the main content are shown as cards (site.css),
// each cell after its column's heading, read from the cell's data-label. A
// template may write data-label itself; every other cell gets the text of
// its column's heading here, for the page as served and for every fragment
// htmx swaps in.
function labelTableCells(root) {
  if (!(root instanceof Element || root instanceof Document)) {
    return;
  }
  const around = root instanceof Element ? root.closest("main table") : null;
  const tables = around ? [around] : root.querySelectorAll("main table");
  for (const table of tables) {
    const headRow = table.tHead?.rows[table.tHead.rows.length - 1];
    if (!headRow) {
      continue;
    }
    const headings = [];
    for (const cell of headRow.cells) {
      for (let span = 0; span < cell.colSpan; span++) {
        headings.push(cell.textContent.trim().replace(/\s+/g, " "));
      }
    }
    for (const body of [...table.tBodies, table.tFoot].filter(Boolean)) {
      for (const row of body.rows) {
        let column = 0;
        for (const cell of row.cells) {
          if (!cell.hasAttribute("data-label")) {
            cell.dataset.label = cell.colSpan > 1 ? "" : (headings[column] ?? "");
          }
          column += cell.colSpan;
        }
      }
    }
  }
}
document.addEventListener("DOMContentLoaded", () => labelTableCells(document));
document.addEventListener("htmx:load", (event) => labelTableCells(event.detail.elt));
