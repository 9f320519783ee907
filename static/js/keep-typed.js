// What a user typed survives a refusal the server could not answer with the form itself
// (a body too big, a file name too long: templates/400.html). Before a form is sent its
// text fields are kept in sessionStorage; the 400 page marks them to be restored, and
// "Quay lại" goes back to the form, which fills them in again. A form that was accepted
// never sees its old text again: nothing is restored without the 400 page's mark.
(function () {
  "use strict";
  var KEY = "keep-typed:" + location.pathname;
  var MARK = "keep-typed:restore";
  var MAX_FILE_NAME = 200;

  function fields(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && !el.disabled && el.name !== "csrfmiddlewaretoken" &&
        (el.tagName === "TEXTAREA" || (el.tagName === "INPUT" &&
          ["text", "number", "search", "email", "url", "tel", ""].indexOf(el.type) >= 0));
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form || (form.method || "").toLowerCase() !== "post") return;
    var saved = {};
    fields(form).forEach(function (el) { saved[el.name] = el.value; });
    try {
      sessionStorage.setItem(KEY, JSON.stringify(saved));
    } catch (e) { /* too big for the browser's storage: nothing kept */ }
  }, true);

  // A file whose name the server cannot read is refused here, before sending.
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (!el || el.type !== "file") return;
    var tooLong = Array.prototype.some.call(el.files || [], function (f) {
      return f.name.length > MAX_FILE_NAME;
    });
    el.setCustomValidity(tooLong ? (el.getAttribute("data-name-too-long") ||
      "Tên tệp quá dài (tối đa 200 ký tự): hãy đổi tên tệp rồi chọn lại.") : "");
  });

  var back = document.querySelector("[data-go-back]");
  if (back) {
    sessionStorage.setItem(MARK, "1");
    back.addEventListener("click", function (event) {
      if (history.length > 1) {
        event.preventDefault();
        history.back();
      }
    });
    return;
  }
  if (sessionStorage.getItem(MARK) !== "1") return;
  sessionStorage.removeItem(MARK);
  var raw = sessionStorage.getItem(KEY);
  if (!raw) return;
  sessionStorage.removeItem(KEY);
  var saved = JSON.parse(raw);
  Array.prototype.forEach.call(document.querySelectorAll("form"), function (form) {
    fields(form).forEach(function (el) {
      if (Object.prototype.hasOwnProperty.call(saved, el.name) && !el.value) {
        el.value = saved[el.name];
      }
    });
  });
})();
