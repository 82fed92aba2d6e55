// Kabinet's only script of its own: feedback while a plain (non-htmx) form is being submitted.
// Loaded as a file: the CSP allows no inline script.
"use strict";
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!(form instanceof HTMLFormElement) || form.hasAttribute("hx-get") || form.hasAttribute("hx-post")) {
    return;
  }
  var button = event.submitter;
  document.getElementById("page-loading")?.classList.add("htmx-request");
  if (button && button.dataset.loadingText) {
    // Disable only after the browser has read the button's name and value.
    window.setTimeout(function () {
      button.textContent = button.dataset.loadingText;
      button.classList.add("is-loading");
    }, 0);
  }
});
// Back/forward cache: a page restored after a submit must not keep the spinner.
window.addEventListener("pageshow", function () {
  document.getElementById("page-loading")?.classList.remove("htmx-request");
});
