// The public kiosk. After the thank-you, back to a fresh form for the next citizen;
// a sent form cannot be sent again by a second tap (the server also counts it once).
document.addEventListener("DOMContentLoaded", () => {
  const thanks = document.querySelector("[data-return-url]");
  if (thanks) {
    const seconds = Number(thanks.dataset.returnAfter) || 6;
    window.setTimeout(() => window.location.replace(thanks.dataset.returnUrl), seconds * 1000);
  }
  const form = document.getElementById("kiosk-form");
  if (form) {
    form.addEventListener("submit", () => {
      form.querySelectorAll("[type=submit]").forEach((button) => {
        window.setTimeout(() => { button.disabled = true; }, 0);
      });
    });
    const firstError = form.querySelector(".kiosk-question.is-invalid");
    if (firstError) firstError.scrollIntoView({ block: "center" });
  }
});
