// Paper entry: one digit per answer, the cursor moves on by itself.
// Typing 1-5 fills the answer and jumps to the next one; other characters are ignored;
// Backspace on an empty answer goes back one. Enter submits (the browser's default).
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("[data-survey-entry]");
  if (!form) return;
  const digits = Array.from(form.querySelectorAll("input[data-digit]"));
  // "Saved" reports the previous form: once this one is sent, or the browser blocks it
  // (a missing date or answer), that banner no longer tells the truth.
  const clearSaved = () => {
    document.querySelectorAll(".alert-success[role=alert]").forEach((el) => el.remove());
  };
  form.addEventListener("invalid", clearSaved, true);
  form.addEventListener("submit", clearSaved);
  const next = (input) => {
    const i = digits.indexOf(input);
    const target = digits[i + 1] || form.querySelector("[type=submit]");
    target.focus();
    if (target.select) target.select();
  };
  digits.forEach((input) => {
    input.addEventListener("focus", () => input.select());
    input.addEventListener("keydown", (event) => {
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      if (/^[1-5]$/.test(event.key)) {
        event.preventDefault();
        input.value = event.key;
        input.classList.remove("is-invalid");
        next(input);
      } else if (event.key === "Backspace" && input.value === "") {
        const i = digits.indexOf(input);
        if (i > 0) {
          event.preventDefault();
          digits[i - 1].focus();
        }
      } else if (event.key.length === 1) {
        event.preventDefault(); // only 1-5 are answers
      }
    });
  });
});
