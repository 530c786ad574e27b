"use strict";

// Day, month and year boxes (core.forms.DateParts) read the date back in words as it is typed,
// "Tuesday 8 December 2026", so a swapped day and month is seen at once. The words are in English
// whatever the browser's language, and nothing here changes what is sent: the server checks it.
(() => {
  const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
  const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December"];
  const TIME = /^(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)?$/i;

  function parts(group) {
    const value = (part) => {
      const box = group.querySelector(`.date-input-${part} input`);
      return box ? box.value.trim() : "";
    };
    return { day: value("day"), month: value("month"), year: value("year"), time: value("time") };
  }

  function inWords(group) {
    const { day, month, year, time } = parts(group);
    if (!/^\d{1,2}$/.test(day) || !/^\d{1,2}$/.test(month) || !/^\d{4}$/.test(year)) return "";
    const date = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
    if (date.getUTCDate() !== Number(day) || date.getUTCMonth() !== Number(month) - 1) {
      return `There is no ${day}/${month}/${year}: check the day and month.`;
    }
    let words = `${DAYS[date.getUTCDay()]} ${Number(day)} ${MONTHS[date.getUTCMonth()]} ${year}`;
    if (group.hasAttribute("data-with-time") && time) {
      const match = TIME.exec(time);
      if (!match) return words;
      let hours = Number(match[1]);
      if (match[3]) hours = (hours % 12) + (match[3].toLowerCase() === "pm" ? 12 : 0);
      const minutes = match[2] || "00";
      if (hours < 24 && Number(minutes) < 60) words += ` at ${String(hours).padStart(2, "0")}:${minutes}`;
    }
    return words;
  }

  document.addEventListener("input", (event) => {
    const group = event.target.closest && event.target.closest("[data-date-input]");
    if (!group) return;
    const readback = group.nextElementSibling;
    if (readback && readback.hasAttribute("data-date-in-words")) readback.textContent = inWords(group);
  });
})();
