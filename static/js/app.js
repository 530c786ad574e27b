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

// After a refused save, the error summary at the top takes focus, so a screen reader reads it and
// the keyboard starts there; each of its links moves to the box with the problem.
document.addEventListener("DOMContentLoaded", () => {
  const summary = document.querySelector("[data-error-summary]");
  if (summary) summary.focus();
});
document.addEventListener("click", (event) => {
  const link = event.target.closest && event.target.closest("[data-error-summary] a[href^='#']");
  if (!link) return;
  const field = document.getElementById(link.getAttribute("href").slice(1));
  if (!field) return;
  event.preventDefault();
  // The question (a label or a legend) stays in view above the box.
  const question = field.closest("fieldset") || field.closest(".mb-3") || field;
  question.scrollIntoView();
  field.focus({ preventScroll: true });
});

// Alt + a letter follows the link or presses the button that names it in aria-keyshortcuts
// ("Log a call" on a family's page is Alt+L). Read from the physical key, so it is the same on
// every keyboard layout and operating system, unlike the browsers' own access keys.
document.addEventListener("keydown", (event) => {
  if (!event.altKey || event.ctrlKey || event.metaKey || !/^Key[A-Z]$/.test(event.code)) return;
  const shortcut = `Alt+${event.code.slice(3)}`;
  const target = Array.from(document.querySelectorAll("[aria-keyshortcuts]")).find(
    (element) => element.getAttribute("aria-keyshortcuts").split(" ").includes(shortcut),
  );
  if (!target) return;
  event.preventDefault();
  target.click();
});

// A button marked data-print prints the page (the Content Security Policy refuses onclick attributes).
document.addEventListener("click", (event) => {
  const button = event.target.closest && event.target.closest("[data-print]");
  if (!button) return;
  event.preventDefault();
  window.print();
});

// A box marked data-lookup-param sends its value alone, under that name, with its htmx request:
// the lookup does not need the rest of the form, whose fields carry the form's prefix.
document.addEventListener("htmx:configRequest", (event) => {
  const name = event.detail.elt.dataset && event.detail.elt.dataset.lookupParam;
  if (!name) return;
  event.detail.parameters = { [name]: event.detail.elt.value };
});
