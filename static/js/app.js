"use strict";

// Ctrl+Enter (or Cmd+Enter) saves any form marked data-submit-shortcut, as the button does.
document.addEventListener("keydown", (event) => {
  if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
  const form = event.target.closest && event.target.closest("form[data-submit-shortcut]");
  if (form) {
    event.preventDefault();
    form.requestSubmit();
  }
});

// Search: arrow keys move between results, Enter in the box opens the first result,
// Escape clears. "/" anywhere outside a field jumps to the search box.
document.addEventListener("keydown", (event) => {
  const input = document.getElementById("family-search-input");
  if (!input) return;
  const results = () => Array.from(document.querySelectorAll("#family-search-results a.list-group-item"));
  const typing = ["INPUT", "TEXTAREA", "SELECT"].includes(event.target.tagName) || event.target.isContentEditable;
  if (event.key === "/" && !typing) {
    event.preventDefault();
    input.focus();
    return;
  }
  const inResults = event.target.closest && event.target.closest("#family-search-results");
  if (event.target === input) {
    if (event.key === "ArrowDown" && results().length) {
      event.preventDefault();
      results()[0].focus();
    } else if (event.key === "Enter" && results().length) {
      event.preventDefault();
      window.location.assign(results()[0].href);
    } else if (event.key === "Escape") {
      input.value = "";
      document.getElementById("family-search-results").innerHTML = "";
    }
  } else if (inResults && (event.key === "ArrowDown" || event.key === "ArrowUp")) {
    event.preventDefault();
    const items = results();
    const index = items.indexOf(event.target) + (event.key === "ArrowDown" ? 1 : -1);
    if (index < 0) input.focus();
    else if (index < items.length) items[index].focus();
  }
});

// The postcode hint suggests a local authority; fill it in unless the worker chose one.
document.addEventListener("htmx:afterSwap", (event) => {
  const hint = event.target.querySelector && event.target.querySelector("[data-authority-id]");
  if (!hint) return;
  const select = document.getElementById(hint.dataset.target);
  if (select && (!select.value || select.dataset.autofilled === "true")) {
    select.value = hint.dataset.authorityId;
    select.dataset.autofilled = "true";
  }
});
document.addEventListener("change", (event) => {
  if (event.target.dataset && event.target.dataset.autofilled) event.target.dataset.autofilled = "false";
});
