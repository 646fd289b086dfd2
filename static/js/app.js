// Behaviour htmx cannot express without inline script: toast lifetime, error toasts,
// and keeping keyboard focus when the completion area is swapped.
(function () {
  "use strict";

  var TOAST_MS = 5000;

  // Toast close buttons only work with JavaScript: CSS shows them under html.js.
  document.documentElement.classList.add("js");

  function reducedMotion() {
    return window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  }

  function dismiss(toast) {
    if (!toast || toast.classList.contains("toast--leaving")) return;
    // Keep keyboard users in the page when the toast they are in goes away.
    var hadFocus = toast.contains(document.activeElement);
    toast.classList.add("toast--leaving");
    setTimeout(function () {
      toast.remove();
      if (hadFocus) document.getElementById("main").focus();
    }, reducedMotion() ? 0 : 250);
  }

  // Each toast disappears after TOAST_MS unless hovered or focused (WCAG 2.2.1).
  function arm(toast) {
    if (toast.dataset.armed) return;
    toast.dataset.armed = "1";
    var timer = null;
    var start = function () {
      clearTimeout(timer);
      timer = setTimeout(function () { dismiss(toast); }, TOAST_MS);
    };
    var stop = function () { clearTimeout(timer); };
    toast.addEventListener("mouseenter", stop);
    toast.addEventListener("mouseleave", function () { if (!toast.contains(document.activeElement)) start(); });
    toast.addEventListener("focusin", stop);
    toast.addEventListener("focusout", function (event) {
      if (!toast.contains(event.relatedTarget) && !toast.matches(":hover")) start();
    });
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

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", armAll);
  } else {
    armAll();
  }
  document.addEventListener("htmx:afterSettle", armAll);
  document.addEventListener("htmx:responseError", showError);
  document.addEventListener("htmx:sendError", showError);

  // The button that had focus is disabled during the request and replaced by the swap:
  // give focus to the new state, or back to the same button when the request failed.
  var refocus = false;
  document.addEventListener("htmx:beforeRequest", function (event) {
    refocus = !!event.target.closest("#completion");
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (!refocus || event.detail.successful) return;
    refocus = false;
    var form = event.detail.elt;
    var button = form && form.isConnected && form.querySelector("button");
    var active = document.activeElement;
    if (button && (!active || active === document.body)) button.focus();
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (!refocus) return;
    refocus = false;
    var control = document.querySelector("#completion .button");
    if (control) control.focus();
  });
})();
