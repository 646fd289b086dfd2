// Achievement admin: show only the rule fields the chosen rule type needs.
// The server validates and clears the others anyway; this only spares the admin noise.
(function () {
  "use strict";

  function sync(select) {
    var needs = JSON.parse(select.dataset.ruleFields)[select.value] || [];
    ["threshold", "course"].forEach(function (name) {
      var row = document.querySelector(".form-row.field-" + name);
      if (row) row.classList.toggle("rule-field--unused", needs.indexOf(name) === -1);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var select = document.querySelector("select[data-rule-fields]");
    if (!select) return;
    sync(select);
    select.addEventListener("change", function () { sync(select); });
  });
})();
