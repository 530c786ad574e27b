"use strict";

// A call can last longer than the idle limit, and typing sends no request. So, on signed-in pages:
// - typing in a form renews the session now and then (keep-alive), never past its absolute end;
// - a warning shows before an idle sign-out, and before the absolute end of the sign-in;
// - before a form is saved, the server is asked whether its person is still signed in; if not, they
//   sign in again in a dialog over the form, and only then is the form sent, so nothing is lost.
//
// Nothing typed is ever kept in the browser beyond the page: no localStorage, sessionStorage or
// IndexedDB, not for notes and not for anything else. The computers are shared, and what a parent
// said must not stay on one after the page is closed. What is typed survives a lapsed sign-in only
// because the page stays open while the person signs in again.
(() => {
  const timer = document.getElementById("session-timer");
  if (!timer || !window.fetch || !window.HTMLDialogElement) return;

  // htmx writes the page's address to sessionStorage for its history feature, which is not used
  // here, and would keep copies of whole pages there were it ever turned on: keep it from both.
  if (window.htmx) {
    htmx.config.historyEnabled = false;
    htmx.config.historyCacheSize = 0;
    try {
      window.sessionStorage.removeItem("htmx-current-path-for-history");
    } catch (error) {
      // Storage may be unavailable (private modes); then there is nothing to remove.
    }
  }

  const milliseconds = (name) => Number(timer.dataset[name]) * 1000;
  const IDLE = milliseconds("idleSeconds");
  const KEEP_ALIVE_EVERY = milliseconds("keepAliveSeconds");
  const IDLE_WARNING = milliseconds("idleWarningSeconds");
  const ENDING_WARNING = milliseconds("endingWarningSeconds");
  const EMAIL = (timer.dataset.sessionEmail || "").toLowerCase();
  const STATUS_URL = timer.dataset.statusUrl;
  const KEEP_ALIVE_URL = timer.dataset.keepAliveUrl;
  const SIGN_OUT_URL = new URL(timer.dataset.signOutUrl, window.location.href).href;

  const warning = document.getElementById("session-warning");
  const ending = document.getElementById("session-ending");
  const signIn = document.getElementById("session-sign-in");
  const signInForm = document.getElementById("session-sign-in-form");
  const password = document.getElementById("session-sign-in-password");
  const code = document.getElementById("session-sign-in-code");
  const signInError = document.getElementById("session-sign-in-error");

  // Every request that reaches the server renews the idle clock.
  let lastServerContact = Date.now();
  let endsAt = Date.now() + milliseconds("secondsLeft");
  let lastActivity = 0; // the person's last key press, click or typing on this page
  let lastKeepAliveAttempt = 0;
  let keepAliveInFlight = null;
  let endingWarned = false;
  let csrfToken = pageCsrfToken();
  let pendingSave = null; // the form (and its button) to send once signed in again

  function pageCsrfToken() {
    try {
      const headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
      if (headers["X-CSRFToken"]) return headers["X-CSRFToken"];
    } catch (error) {
      // Fall back to a form's token.
    }
    const field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  // Signing in rotates the CSRF token: every form on the page, and htmx, must send the new one.
  function useCsrfToken(token) {
    if (!token) return;
    csrfToken = token;
    document.querySelectorAll("input[name=csrfmiddlewaretoken]").forEach((field) => {
      field.value = token;
    });
    let headers = {};
    try {
      headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
    } catch (error) {
      headers = {};
    }
    headers["X-CSRFToken"] = token;
    document.body.setAttribute("hx-headers", JSON.stringify(headers));
  }

  function noteSignedIn(answer) {
    lastServerContact = Date.now();
    if (typeof answer.seconds_left === "number") endsAt = Date.now() + answer.seconds_left * 1000;
    if (answer.csrf_token) csrfToken = answer.csrf_token;
  }

  // Resolves to {status, answer}; a network failure or a reply that is not JSON gives status 0.
  async function ask(url, options) {
    try {
      const response = await fetch(url, {
        credentials: "same-origin",
        ...options,
        headers: { Accept: "application/json", "X-CSRFToken": csrfToken, ...(options && options.headers) },
      });
      let answer = {};
      try {
        answer = await response.json();
      } catch (error) {
        return { status: 0, answer: {} };
      }
      return { status: response.status, answer };
    } catch (error) {
      return { status: 0, answer: {} };
    }
  }

  // Is the person whose page this is still signed in? true, false, or null when the server could
  // not be asked (then the form is sent as it would be without this script).
  async function signedInAsThisPerson() {
    const { status, answer } = await ask(STATUS_URL, { method: "GET" });
    if (answer.csrf_token) csrfToken = answer.csrf_token;
    if (status === 200 && answer.signed_in) {
      // Someone else signed in on this computer since: this page's work must not be saved as theirs.
      if ((answer.email || "").toLowerCase() !== EMAIL) return { signedIn: false, reason: "signed_out" };
      noteSignedIn(answer);
      return { signedIn: true };
    }
    if (status === 401 || status === 403) return { signedIn: false, reason: answer.reason || "signed_out" };
    return null;
  }

  function keepAlive() {
    if (!keepAliveInFlight) {
      lastKeepAliveAttempt = Date.now();
      keepAliveInFlight = ask(KEEP_ALIVE_URL, { method: "POST" }).then(({ status, answer }) => {
        keepAliveInFlight = null;
        if (status === 200 && answer.signed_in) {
          noteSignedIn(answer);
          return true;
        }
        return false;
      });
    }
    return keepAliveInFlight;
  }

  const inSessionDialog = (element) => Boolean(element.closest && element.closest(".session-dialog"));

  document.addEventListener("input", (event) => {
    const form = event.target.form || (event.target.closest && event.target.closest("form"));
    if (!form || inSessionDialog(form)) return;
    lastActivity = Date.now();
    const since = Math.max(lastServerContact, lastKeepAliveAttempt);
    if (Date.now() - since >= KEEP_ALIVE_EVERY && Date.now() < endsAt) keepAlive();
  });
  for (const type of ["keydown", "pointerdown"]) {
    document.addEventListener(type, () => {
      lastActivity = Date.now();
    }, true);
  }
  document.addEventListener("htmx:afterRequest", (event) => {
    if (event.detail && event.detail.successful) lastServerContact = Date.now();
  });

  // Dialogs: focus moves into the dialog, back to where it was on closing; Escape closes (the
  // browser's own behaviour for a modal <dialog>).
  function openDialog(dialog, focusTarget) {
    for (const other of [warning, ending, signIn]) {
      if (other !== dialog && other.open) other.close();
    }
    if (!dialog.open) {
      dialog.returnFocusTo = document.activeElement;
      dialog.showModal();
    }
    (focusTarget || dialog.querySelector("button")).focus();
  }
  for (const dialog of [warning, ending, signIn]) {
    dialog.addEventListener("close", () => {
      const previous = dialog.returnFocusTo;
      dialog.returnFocusTo = null;
      // The close event comes after the fact: another dialog may have opened meanwhile and has the focus.
      if ([warning, ending, signIn].some((other) => other.open)) return;
      if (previous && previous.isConnected && typeof previous.focus === "function") previous.focus();
    });
    dialog.querySelectorAll("[data-session-close]").forEach((button) => {
      button.addEventListener("click", () => dialog.close());
    });
  }
  signIn.addEventListener("close", () => {
    password.value = "";
    code.value = "";
    showSignInError("");
  });

  const clock = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", timeZone: "Europe/London" });
  const londonDay = new Intl.DateTimeFormat("en-GB", { dateStyle: "short", timeZone: "Europe/London" });
  // An element becomes an alert when it has something to say, so that screen readers read it out.
  function say(element, message) {
    element.setAttribute("role", "alert");
    element.textContent = message;
  }
  const fill = (template, time) => template.replace("{time}", clock.format(new Date(time)));

  function showIdleWarning(idleEndsAt) {
    const text = document.getElementById("session-warning-text");
    const button = warning.querySelector("[data-session-stay]");
    const after = Date.now() >= idleEndsAt;
    const message = fill(after ? text.dataset.after : text.dataset.before, idleEndsAt);
    // Set only when it changes: each change of an alert's text is read out again.
    if (text.textContent !== message) say(text, message);
    button.textContent = after ? button.dataset.after : button.dataset.before;
    if (!warning.open) openDialog(warning);
  }

  function showEndingWarning() {
    const text = document.getElementById("session-ending-text");
    const sameDay = londonDay.format(new Date(endsAt)) === londonDay.format(new Date());
    say(text, fill(sameDay ? text.dataset.today : text.dataset.tomorrow, endsAt));
    openDialog(ending);
  }

  warning.querySelector("[data-session-stay]").addEventListener("click", async () => {
    if (await keepAlive()) {
      warning.close();
    } else {
      openSignIn(null, "signed_out");
    }
  });

  setInterval(() => {
    const now = Date.now();
    const idleEndsAt = lastServerContact + IDLE;
    if (warning.open) {
      // The text turns to "you were signed out" once the time has passed.
      if (now >= idleEndsAt) showIdleWarning(idleEndsAt);
      return;
    }
    if (signIn.open || ending.open) return;
    if (!endingWarned && endsAt - now <= ENDING_WARNING && now < endsAt) {
      endingWarned = true;
      showEndingWarning();
      return;
    }
    // An idle sign-out that comes before the absolute end, and is near.
    if (idleEndsAt < endsAt && now < idleEndsAt && idleEndsAt - now <= IDLE_WARNING) {
      // Someone who pressed a key or clicked since the last request is carrying on: renew quietly.
      if (lastActivity > lastServerContact) {
        if (now - lastKeepAliveAttempt >= Math.min(KEEP_ALIVE_EVERY, 15000)) keepAlive();
      } else {
        showIdleWarning(idleEndsAt);
      }
    }
  }, 1000);

  // Saving: ask first, sign in again if need be, then send the form for real.
  const checking = new WeakSet();
  const checked = new WeakSet();

  function needsCheck(form) {
    return (form.getAttribute("method") || "").toLowerCase() === "post" && !inSessionDialog(form) && form.action !== SIGN_OUT_URL;
  }

  function send(form, submitter) {
    // requestSubmit fires the submit event at once: the flag lets this script's listener pass it on,
    // to the browser's own submission or to htmx.
    checked.add(form);
    try {
      if (submitter && submitter.form === form) {
        form.requestSubmit(submitter);
      } else {
        form.requestSubmit();
      }
    } finally {
      checked.delete(form);
    }
  }

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !needsCheck(form) || checked.has(form)) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    if (checking.has(form)) return;
    checking.add(form);
    const submitter = event.submitter;
    signedInAsThisPerson().then((state) => {
      checking.delete(form);
      if (state === null || state.signedIn) {
        send(form, submitter);
      } else {
        openSignIn({ form, submitter }, state.reason);
      }
    });
  }, true);

  function openSignIn(save, reason) {
    pendingSave = save;
    const text = document.getElementById("session-sign-in-reason");
    if (!save) {
      say(text, text.dataset.noForm);
    } else {
      say(text, reason === "lifetime_ended" ? text.dataset.lifetimeEnded : text.dataset.signedOut);
    }
    const button = signInForm.querySelector("button[type=submit]");
    button.textContent = save ? button.dataset.withForm : button.dataset.noForm;
    showSignInError("");
    openDialog(signIn, password);
  }

  // The message shows below the code box; the box it is about (the password's, unless said) is marked.
  function showSignInError(message, field) {
    if (message) {
      say(signInError, message);
    } else {
      signInError.textContent = "";
    }
    const invalid = message ? (field === "code" ? code : password) : null;
    for (const box of [password, code]) {
      box.classList.toggle("is-invalid", box === invalid);
      if (box === invalid) {
        box.setAttribute("aria-invalid", "true");
      } else {
        box.removeAttribute("aria-invalid");
      }
    }
  }

  let signingIn = false;
  signInForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (signingIn) return;
    if (!password.value) {
      showSignInError("Enter your password.");
      password.focus();
      return;
    }
    if (!code.value.trim()) {
      showSignInError("Type the code from your authenticator app, or a recovery code.", "code");
      code.focus();
      return;
    }
    signingIn = true;
    const { status, answer } = await ask(signInForm.action, { method: "POST", body: new FormData(signInForm) });
    signingIn = false;
    if (status !== 200 || !answer.signed_in) {
      showSignInError(
        answer.error || "Signing in did not work. Check your connection and try again: what you typed is still on this page.",
        answer.field
      );
      (answer.field === "code" ? code : password).focus();
      // A code that was checked is not worth typing again: the next try needs the one the app shows then.
      if (answer.field === "code") code.value = "";
      return;
    }
    noteSignedIn(answer);
    useCsrfToken(answer.csrf_token);
    endingWarned = false;
    const save = pendingSave;
    pendingSave = null;
    signIn.close();
    if (save && save.form.isConnected) send(save.form, save.submitter);
  });
})();
