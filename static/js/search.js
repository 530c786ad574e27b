"use strict";

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
