// Behaviour htmx cannot express without inline script: toast lifetime, error toasts,
// and keeping keyboard focus when the completion area is swapped.
(function () {
  "use strict";

  var TOAST_MS = 5000;

  function dismiss(toast) {
    if (toast.classList.contains("toast--leaving")) return;
    toast.classList.add("toast--leaving");
    var reduced = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    setTimeout(function () { toast.remove(); }, reduced ? 0 : 250);
  }

  // Each toast disappears after TOAST_MS unless hovered or focused (WCAG 2.2.1).
  function arm(toast) {
    if (toast.dataset.armed) return;
    toast.dataset.armed = "1";
    var timer = null;
    var start = function () { timer = setTimeout(function () { dismiss(toast); }, TOAST_MS); };
    var stop = function () { clearTimeout(timer); };
    toast.addEventListener("mouseenter", stop);
    toast.addEventListener("mouseleave", function () { if (!toast.contains(document.activeElement)) start(); });
    toast.addEventListener("focusin", stop);
    toast.addEventListener("focusout", function () { if (!toast.matches(":hover")) start(); });
    start();
  }

  function armAll() {
    document.querySelectorAll("#toasts .toast").forEach(arm);
  }

  function showError() {
    var template = document.getElementById("error-toast-template");
    var region = document.getElementById("toasts");
    if (!template || !region) return;
    region.appendChild(template.content.cloneNode(true));
    armAll();
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-dismiss-toast]");
    if (button) dismiss(button.closest(".toast"));
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var toast = document.activeElement && document.activeElement.closest(".toast");
    if (toast) dismiss(toast);
  });

  document.addEventListener("DOMContentLoaded", armAll);
  document.addEventListener("htmx:afterSettle", armAll);
  document.addEventListener("htmx:responseError", showError);
  document.addEventListener("htmx:sendError", showError);

  // The button that had focus is replaced by the swap: give focus to the new state.
  var refocus = false;
  document.addEventListener("htmx:beforeRequest", function (event) {
    refocus = !!event.target.closest("#completion");
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (!refocus) return;
    refocus = false;
    var control = document.querySelector("#completion .button");
    if (control) control.focus();
  });
})();
