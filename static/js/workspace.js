// Keyboard shortcuts of the staff workspace: each button or link with data-key answers its key.
// Keys do nothing while typing in a field. An action whose note the consumer reads asks for it.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    var tag = (event.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select" || event.target.isContentEditable) {
      return;
    }
    var target = document.querySelector('[data-key="' + event.key.toLowerCase() + '"]');
    if (!target) { return; }
    event.preventDefault();
    var note = document.getElementById("action-note");
    if (target.hasAttribute("data-needs-note") && note && !note.value.trim()) {
      note.focus();
      note.placeholder = target.textContent.trim() + " …";
      return;
    }
    target.click();
  });
})();
