// The public kiosk. After the thank-you, back to a fresh form for the next citizen;
// a sent form cannot be sent again by a second tap (the server also counts it once).
// An answer is sent by fetch, so that a network that fails mid-way (the browser still
// believing it is online) queues the answer instead of showing the browser's error page.
//
// Offline: a service worker (/s/sw.js) keeps the form's page. An answer given while the
// network is down waits in this browser (localStorage) with a one-time stamp of its own,
// taken from the spares the page came with, and is sent when the network is back; the
// server counts each stamp once, so a resend changes nothing.
(() => {
  "use strict";

  const QUEUE = "kiosk-queue";
  const SPARES = "kiosk-spare-stamps";
  const SPARES_FROM = "kiosk-spare-stamps-from";

  const read = (key) => {
    try { return JSON.parse(window.localStorage.getItem(key)) || []; } catch (e) { return []; }
  };
  const write = (key, value) => window.localStorage.setItem(key, JSON.stringify(value));

  function keepSpares() {
    const source = document.getElementById("kiosk-offline-stamps");
    if (!source) return;
    const stamps = JSON.parse(source.textContent);
    // A page shown again from the cache carries spares that may have been used already.
    if (!stamps.length || window.localStorage.getItem(SPARES_FROM) === stamps[0]) return;
    window.localStorage.setItem(SPARES_FROM, stamps[0]);
    write(SPARES, stamps);
  }

  // ``sentOnce``: the answer already went out once and its reply never came back (the
  // network dropped mid-way): it keeps its own stamp, so that if the server did count it,
  // the resend is counted once, and the form takes a spare stamp for the next citizen.
  function queueAnswer(form, { sentOnce = false } = {}) {
    const fields = Array.from(new FormData(form).entries()).filter(([, v]) => typeof v === "string");
    const spares = read(SPARES);
    const stamp = spares.shift();
    write(SPARES, spares);
    let entries = fields;
    const input = form.querySelector("[name=stamp]");
    if (!sentOnce) {
      entries = fields.map(([name, value]) => [name, name === "stamp" && stamp ? stamp : value]);
    } else if (input && stamp) {
      input.value = stamp;
    }
    const queue = read(QUEUE);
    queue.push({ url: form.action || window.location.href, fields: entries });
    write(QUEUE, queue);
  }

  let sending = false;
  async function sendQueued() {
    if (sending || !navigator.onLine) return;
    sending = true;
    try {
      for (;;) {
        const queue = read(QUEUE);
        if (!queue.length) break;
        const item = queue[0];
        let response;
        try {
          response = await fetch(item.url, {
            method: "POST",
            credentials: "same-origin",
            headers: { "X-Kiosk-Queued": "1" },
            body: new URLSearchParams(item.fields),
          });
        } catch (e) {
          break; // still offline: try again later
        }
        if (response.status === 429 || response.status >= 500) break;
        // Counted (or counted before: the thank-you page either way), or refused for good.
        const rest = read(QUEUE);
        rest.shift();
        write(QUEUE, rest);
      }
    } finally {
      sending = false;
      showPending();
    }
  }

  function showPending() {
    const note = document.querySelector("[data-kiosk-pending]");
    if (!note) return;
    const count = read(QUEUE).length;
    note.hidden = count === 0;
    const number = note.querySelector("[data-count]");
    if (number) number.textContent = String(count);
  }

  function thankOffline(form) {
    const note = document.querySelector("[data-kiosk-saved]");
    form.reset();
    if (note) {
      note.hidden = false;
      window.setTimeout(() => { note.hidden = true; }, 8000);
    }
    window.scrollTo(0, 0);
  }

  function registerWorker() {
    const page = document.querySelector("[data-kiosk-sw]");
    if (!page || !("serviceWorker" in navigator)) return;
    navigator.serviceWorker.register(page.dataset.kioskSw, { scope: page.dataset.kioskScope }).catch(() => null);
    // Keep this page (a fresh copy: its spare stamps unused) and its assets for offline use.
    // addAll keeps all or nothing: one request lost on a flaky desk network is tried again
    // (three more times, a few seconds apart), else the desk could not answer offline.
    if (!("caches" in window)) return;
    const assets = Array.from(document.querySelectorAll("script[src], link[rel=stylesheet]"))
      .map((el) => el.src || el.href);
    const keep = (attempt) => {
      if (!navigator.onLine) return;
      window.caches.open(page.dataset.kioskCache)
        .then((cache) => cache.addAll([window.location.href, ...assets]))
        .catch(() => {
          if (attempt < 3) window.setTimeout(() => keep(attempt + 1), 2000 * (attempt + 1));
        });
    };
    keep(0);
  }

  document.addEventListener("DOMContentLoaded", () => {
    const thanks = document.querySelector("[data-return-url]");
    if (thanks) {
      const seconds = Number(thanks.dataset.returnAfter) || 6;
      window.setTimeout(() => window.location.replace(thanks.dataset.returnUrl), seconds * 1000);
    }
    const form = document.getElementById("kiosk-form");
    if (form) {
      keepSpares();
      const buttons = () => form.querySelectorAll("[type=submit]");
      let busy = false;
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        if (busy) return; // a second tap while the first is on its way
        if (!navigator.onLine) {
          queueAnswer(form);
          thankOffline(form);
          showPending();
          return;
        }
        busy = true;
        buttons().forEach((button) => { button.disabled = true; });
        let response = null;
        try {
          response = await fetch(form.action || window.location.href, {
            method: "POST",
            credentials: "same-origin",
            body: new URLSearchParams(Array.from(new FormData(form).entries())),
          });
        } catch (e) {
          response = null; // the browser thought it was online, but the answer never arrived
        }
        if (response === null || response.status >= 500) {
          queueAnswer(form, { sentOnce: true });
          thankOffline(form);
          showPending();
        } else if (response.redirected) {
          window.location.assign(response.url); // the thank-you page
          return;
        } else {
          // Refused (errors to correct, too many answers): the server's own page says why.
          HTMLFormElement.prototype.submit.call(form);
          return;
        }
        busy = false;
        buttons().forEach((button) => { button.disabled = false; });
      });
      const firstError = form.querySelector(".kiosk-question.is-invalid");
      if (firstError) firstError.scrollIntoView({ block: "center" });
    }
    registerWorker();
    showPending();
    sendQueued();
    window.addEventListener("online", sendQueued);
    window.setInterval(sendQueued, 30000);
  });
})();
