/* The GOV.UK timeout warning pattern (docs/design.md, "Sessions"). The body's data attributes
   say how long this session has left on the server and when to warn; the dialog then counts
   down. "Stay signed in" (or Escape) posts to the keep-alive endpoint and starts again; "Sign
   out" submits the header's sign-out form; at zero the browser goes to the sign-in page, which
   says why and returns here after signing in. A file of its own: the Content Security Policy
   allows no inline script. */

const body = document.body;
const dialog = document.getElementById("hub-timeout");

function plural(count, unit) {
  return `${count} ${unit}${count === 1 ? "" : "s"}`;
}

function inWords(seconds) {
  if (seconds >= 60) {
    const minutes = Math.ceil(seconds / 60);
    return plural(minutes, "minute");
  }
  return plural(seconds, "second");
}

if (dialog && typeof dialog.showModal === "function" && body.dataset.idleSecondsLeft) {
  const idleSeconds = Number(body.dataset.idleSeconds);
  const warningSeconds = Number(body.dataset.idleWarningSeconds);
  const shown = dialog.querySelector("[data-hub-countdown]");
  const spoken = dialog.querySelector("[data-hub-countdown-spoken]");
  const heading = dialog.querySelector("#hub-timeout-heading");
  let deadline = 0;
  let warnTimer = null;
  let tickTimer = null;
  let focusedBefore = null;
  let lastSpoken = null;

  const signedOut = () => {
    window.location.assign(body.dataset.signedOutUrl);
  };

  const tick = () => {
    const left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    if (left === 0) {
      clearInterval(tickTimer);
      signedOut();
      return;
    }
    const words = inWords(left);
    shown.textContent = words;
    // Read out when the minutes change, then every 20 seconds in the last minute: not every
    // second, which would drown everything else.
    const due = left >= 60 ? words : left % 20 === 0 || lastSpoken === null;
    if (due && words !== lastSpoken) {
      spoken.textContent = `We will sign you out in ${words}.`;
      lastSpoken = words;
    }
  };

  const warn = () => {
    focusedBefore = document.activeElement;
    lastSpoken = null;
    tick();
    dialog.showModal();
    heading.focus();
    tickTimer = setInterval(tick, 1000);
  };

  const start = (secondsLeft) => {
    clearTimeout(warnTimer);
    clearInterval(tickTimer);
    deadline = Date.now() + secondsLeft * 1000;
    warnTimer = setTimeout(warn, Math.max(0, secondsLeft - warningSeconds) * 1000);
  };

  const staySignedIn = async () => {
    let response = null;
    try {
      response = await fetch(body.dataset.keepAliveUrl, {
        method: "POST",
        headers: { "X-CSRFToken": body.dataset.csrfToken },
        credentials: "same-origin",
        redirect: "manual",
      });
    } catch {
      response = null;
    }
    if (!response || response.status !== 204) {
      signedOut();
      return;
    }
    clearInterval(tickTimer);
    dialog.close();
    if (focusedBefore && typeof focusedBefore.focus === "function") {
      focusedBefore.focus();
    }
    start(idleSeconds);
  };

  dialog.querySelector("[data-hub-stay]").addEventListener("click", staySignedIn);
  dialog.addEventListener("cancel", (event) => {
    event.preventDefault(); // Escape: the same as "Stay signed in"
    staySignedIn();
  });
  dialog.querySelector("[data-hub-sign-out]").addEventListener("click", (event) => {
    const signOut = document.querySelector(".hub-account-bar__form");
    if (signOut) {
      event.preventDefault();
      signOut.submit();
    }
  });

  start(Number(body.dataset.idleSecondsLeft));
}
