// "Recompute now" on the province dashboard: start the run without leaving the page, then
// follow its progress through the JSON endpoint until it ends. Without JavaScript the
// form posts normally and the page shows the run's progress after the redirect.
(() => {
  "use strict";

  const POLL_MS = 1500;

  function show(panel, { done, total, text, state }) {
    const bar = panel.querySelector("[data-recompute-bar]");
    const label = panel.querySelector("[data-recompute-text]");
    const wrapper = panel.querySelector("[data-recompute-progress]");
    wrapper.hidden = false;
    if (bar) {
      const share = total ? Math.round((done / total) * 100) : state === "done" ? 100 : 0;
      bar.style.width = `${share}%`;
      bar.parentElement.setAttribute("aria-valuenow", String(share));
      bar.classList.toggle("bg-danger", state === "failed");
      bar.classList.toggle("bg-success", state === "done");
      bar.classList.toggle("progress-bar-animated", state !== "done" && state !== "failed");
    }
    if (label) label.textContent = text;
  }

  function poll(panel, url) {
    const messages = panel.dataset;
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then((response) => {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then((run) => {
        const done = run.communes_done || 0;
        const total = run.communes_total || 0;
        if (run.state === "done") {
          show(panel, { done, total, state: "done", text: messages.textDone });
          window.setTimeout(() => window.location.reload(), 1200);
        } else if (run.state === "failed") {
          show(panel, { done, total, state: "failed", text: messages.textFailed });
        } else {
          const text = messages.textRunning.replace("{done}", done).replace("{total}", total || "…");
          show(panel, { done, total, state: run.state, text });
          window.setTimeout(() => poll(panel, url), POLL_MS);
        }
      })
      .catch(() => show(panel, { done: 0, total: 0, state: "failed", text: messages.textUnreachable }));
  }

  document.addEventListener("DOMContentLoaded", () => {
    const panel = document.querySelector("[data-recompute]");
    if (!panel) return;
    if (panel.dataset.statusUrl) poll(panel, panel.dataset.statusUrl);
    const form = panel.querySelector("form");
    if (!form) return;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      show(panel, { done: 0, total: 0, state: "queued", text: panel.dataset.textQueued });
      fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      })
        .then((response) => response.json().then((body) => ({ ok: response.ok, body })))
        .then(({ ok, body }) => {
          if (!ok) {
            show(panel, { done: 0, total: 0, state: "failed", text: body.error || panel.dataset.textFailed });
            button.disabled = false;
          } else if (body.status_url) {
            poll(panel, body.status_url);
          } else {
            show(panel, { done: 0, total: 0, state: "queued", text: panel.dataset.textNoStatus });
          }
        })
        .catch(() => {
          show(panel, { done: 0, total: 0, state: "failed", text: panel.dataset.textUnreachable });
          button.disabled = false;
        });
    });
  });
})();
