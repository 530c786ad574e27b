"use strict";

// Search. Enter in the box opens a family only when it is the only one found: with several (two
// families can share a surname) it says how many match and opens nothing, as the first is not
// always the one on the phone. The arrow keys move between the results, and Enter on one opens it.
// Escape clears. "/" anywhere outside a field jumps to the search box.
(() => {
  const SEARCH_TEXT_LENGTH = 100; // as selectors.SEARCH_TEXT_LENGTH: the server reads no more
  // Enter was pressed before the results for the text in the box had arrived.
  let enterPending = false;
  let lastAnnounced = null;

  const box = () => document.getElementById("family-search-input");
  const shownResults = () => document.querySelector("#family-search-results [data-search-results]");
  const links = () => Array.from(document.querySelectorAll("#family-search-results a.list-group-item"));

  function announce(text) {
    const status = document.getElementById("family-search-status");
    if (!status) return;
    // Emptied first, so that words said again (Enter pressed twice) are read out again.
    status.textContent = "";
    window.setTimeout(() => {
      status.textContent = text;
    }, 100);
  }

  function summary() {
    const shown = shownResults();
    const line = shown && shown.querySelector("[data-search-summary]");
    return line ? line.textContent.trim() : "";
  }

  function resultsAreFor(text) {
    const shown = shownResults();
    return shown !== null && shown.dataset.q === text.slice(0, SEARCH_TEXT_LENGTH);
  }

  function openOnlyResult() {
    const found = links();
    if (found.length === 1) {
      window.location.assign(found[0].href);
    } else {
      announce(summary());
    }
  }

  document.addEventListener("htmx:afterSwap", (event) => {
    if (event.target.id !== "family-search-results") return;
    const input = box();
    if (enterPending && input && resultsAreFor(input.value)) {
      enterPending = false;
      openOnlyResult();
      return;
    }
    // Said once per new set of results, not again when the same ones come back.
    const shown = shownResults();
    const said = shown ? `${shown.dataset.q}\n${summary()}` : "";
    if (said !== lastAnnounced) {
      lastAnnounced = said;
      announce(summary());
    }
  });

  document.addEventListener("input", (event) => {
    if (event.target === box()) enterPending = false;
  });

  document.addEventListener("keydown", (event) => {
    const input = box();
    if (!input) return;
    const typing = ["INPUT", "TEXTAREA", "SELECT"].includes(event.target.tagName) || event.target.isContentEditable;
    if (event.key === "/" && !typing) {
      event.preventDefault();
      input.focus();
      return;
    }
    const inResults = event.target.closest && event.target.closest("#family-search-results");
    if (event.target === input) {
      if (event.key === "ArrowDown" && links().length) {
        event.preventDefault();
        links()[0].focus();
      } else if (event.key === "Enter" && !event.isComposing) {
        event.preventDefault();
        if (input.value.trim().length < 2) {
          announce("Type at least 2 letters or numbers to find a family.");
        } else if (resultsAreFor(input.value)) {
          openOnlyResult();
        } else {
          // Decide when the results for this text arrive; ask for them now rather than after the typing pause.
          enterPending = true;
          if (window.htmx) window.htmx.trigger(input, "search");
        }
      } else if (event.key === "Escape") {
        input.value = "";
        enterPending = false;
        document.getElementById("family-search-results").innerHTML = "";
        announce("");
      }
    } else if (inResults && (event.key === "ArrowDown" || event.key === "ArrowUp")) {
      event.preventDefault();
      const items = links();
      const index = items.indexOf(event.target) + (event.key === "ArrowDown" ? 1 : -1);
      if (index < 0) input.focus();
      else if (index < items.length) items[index].focus();
    }
  });
})();
