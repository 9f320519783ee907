// Behaviour shared by every page. No inline scripts: the Content Security Policy forbids them.
document.addEventListener("DOMContentLoaded", () => {
  // Forms marked data-autosubmit submit as soon as one of their selects changes
  // (the language switch); a <noscript> button covers browsers without JavaScript.
  document.querySelectorAll("form[data-autosubmit] select").forEach((select) => {
    select.addEventListener("change", () => select.form.submit());
  });
  // Buttons marked data-confirm ask before they submit.
  document.querySelectorAll("[data-confirm]").forEach((el) => {
    el.addEventListener("click", (event) => {
      if (!window.confirm(el.dataset.confirm)) event.preventDefault();
    });
  });
  // The print header says when the page was printed, not when it was loaded.
  window.addEventListener("beforeprint", () => {
    const now = new Date();
    const two = (n) => String(n).padStart(2, "0");
    document.querySelectorAll("[data-print-date]").forEach((el) => {
      el.textContent = `${two(now.getDate())}/${two(now.getMonth() + 1)}/${now.getFullYear()} ` +
        `${two(now.getHours())}:${two(now.getMinutes())}`;
    });
  });
  // Print buttons.
  document.querySelectorAll("[data-print]").forEach((el) => {
    el.addEventListener("click", () => window.print());
  });
});
