// recallcases: progressive enhancements only; every page works without JavaScript.
(function () {
  "use strict";
  // A second click on a submit button while the first upload is still sending would file the
  // form twice: disable the buttons once the form is on its way.
  // A disabled button's name and value are not sent, so the one that submitted the form is
  // carried in a hidden field (forms with several buttons, such as a claim's actions, need it).
  document.querySelectorAll("form[data-once]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      var submitter = event.submitter;
      if (submitter && submitter.name) {
        var carried = document.createElement("input");
        carried.type = "hidden";
        carried.name = submitter.name;
        carried.value = submitter.value;
        form.appendChild(carried);
      }
      form.querySelectorAll("[type=submit]").forEach(function (button) {
        button.disabled = true;
        if (button.dataset.sending) { button.textContent = button.dataset.sending; }
      });
    });
  });
  // Copy the private status link.
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var target = document.getElementById(button.dataset.copy);
      if (target && navigator.clipboard) {
        navigator.clipboard.writeText(target.textContent.trim());
        button.textContent = button.dataset.copied || button.textContent;
      }
    });
  });
})();
