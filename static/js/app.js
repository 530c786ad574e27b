"use strict";

// In a form marked data-submit-shortcut, only the save button and Ctrl+Enter (or Cmd+Enter) save:
// Enter in a one-line box does not send a half-filled form (browsers submit on it by default).
const SUBMITTING_INPUTS = new Set(["submit", "image", "button", "reset"]);
document.addEventListener("keydown", (event) => {
  if (event.key !== "Enter" || event.isComposing) return;
  const form = event.target.closest && event.target.closest("form[data-submit-shortcut]");
  if (!form) return;
  if (event.ctrlKey || event.metaKey) {
    event.preventDefault();
    form.requestSubmit();
  } else if (event.target.tagName === "INPUT" && !SUBMITTING_INPUTS.has(event.target.type)) {
    event.preventDefault();
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
