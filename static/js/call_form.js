"use strict";

// The call timer on the call form: shows how long the call has gone on, and fills the duration box
// with whole minutes (at least 1) until the worker types a duration of their own. Without
// JavaScript, the server works out a blank duration from when the form was opened.
(() => {
  const timer = document.querySelector("[data-call-timer]");
  if (!timer) return;
  const duration = document.getElementById(timer.dataset.duration);
  const byTimer = document.getElementById(timer.dataset.byTimer);
  const text = timer.querySelector("[data-call-timer-text]");
  const toggle = timer.querySelector("[data-call-timer-toggle]");
  if (!duration || !byTimer || !text || !toggle) return;
  // How often the display changes; a test may make it shorter (data-tick-ms).
  const tickMs = Number(timer.dataset.tickMs) || 1000;

  // Counted from when the form was first opened (the server says how long ago that was), so a form
  // shown again after an error goes on from where it was.
  let startedAt = Date.now() - (Number(timer.dataset.elapsed) || 0) * 1000;
  let pausedAt = null;
  // A duration already in the box is the worker's own, unless the timer put it there.
  let filling = duration.value.trim() === "" || byTimer.value === "True";

  const elapsedSeconds = () => Math.max(0, Math.floor(((pausedAt ?? Date.now()) - startedAt) / 1000));

  const clockText = (seconds) => {
    const hours = Math.floor(seconds / 3600);
    const minutes = Math.floor((seconds % 3600) / 60);
    const rest = String(seconds % 60).padStart(2, "0");
    return hours ? `${hours}:${String(minutes).padStart(2, "0")}:${rest}` : `${minutes}:${rest}`;
  };

  const show = () => {
    const seconds = elapsedSeconds();
    // Not announced: a screen reader would read it out every second (role="timer", aria-live="off").
    text.textContent = `Call time ${clockText(seconds)}`;
    if (filling) {
      const minutes = String(Math.max(1, Math.floor(seconds / 60)));
      if (duration.value !== minutes) duration.value = minutes;
      byTimer.value = "True";
    }
  };

  // Once the worker types in the box it is theirs (left empty, the server uses the time since the
  // form was opened).
  duration.addEventListener("input", () => {
    filling = false;
    byTimer.value = "";
  });

  toggle.addEventListener("click", () => {
    if (pausedAt === null) {
      pausedAt = Date.now();
      toggle.textContent = "Resume timer";
    } else {
      startedAt += Date.now() - pausedAt;
      pausedAt = null;
      toggle.textContent = "Pause timer";
    }
    show();
  });

  timer.hidden = false;
  show();
  window.setInterval(show, tickMs);
})();
