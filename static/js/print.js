// "Print / Save as PDF" on the certificate page: window.print() needs a script. Without
// JavaScript the button stays hidden and the browser's own Print does the same.
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();
