// provisio's small enhancement: every page works without it. With it, the Resend and Edit
// contact buttons open native <dialog>s (No / Cancel / Esc close without submitting and
// focus returns to the row's button), forms are not submitted twice, the page's message is
// announced through the role="status" region present since page load, and the focus starts
// at the message or at a form's problem summary.
(function () {
  "use strict";
  var opener = null;

  function close(dialog) {
    dialog.close();
  }

  document.querySelectorAll("dialog").forEach(function (dialog) {
    dialog.addEventListener("close", function () {
      if (opener) { opener.focus(); opener = null; }
    });
    dialog.querySelectorAll("[data-close]").forEach(function (button) {
      button.addEventListener("click", function (event) {
        event.preventDefault();
        close(dialog);
      });
    });
  });

  document.querySelectorAll("form[data-dialog]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      var dialog = document.getElementById("dialog-" + form.dataset.dialog);
      if (!dialog || typeof dialog.showModal !== "function") { return; }
      event.preventDefault();
      opener = form.querySelector("button");
      var inner = dialog.querySelector("form");
      if (inner) {
        inner.action = form.dataset.action;
        var back = form.querySelector("input[name=back]");
        var innerBack = inner.querySelector("input[name=back]");
        if (back && innerBack) { innerBack.value = back.value; }
        delete inner.dataset.sent;
        inner.querySelectorAll("input[type=checkbox]").forEach(function (b) { b.checked = false; });
        inner.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
      }
      dialog.querySelectorAll("[data-slot]").forEach(function (slot) {
        var value = form.dataset[slot.dataset.slot] || "";
        if (slot.tagName === "INPUT") { slot.value = value; } else { slot.textContent = value; }
      });
      dialog.showModal();
    });
  });

  // "Select all lines on this page" (shown only with script: it ticks every line's box that
  // may be chosen, those of the form it names).
  document.querySelectorAll("input[data-select-all]").forEach(function (all) {
    var holder = all.closest("[hidden]");
    if (holder) { holder.hidden = false; }
    var boxes = function () {
      return document.querySelectorAll("input[type=checkbox][form=" + all.dataset.selectAll + "]:not(:disabled)");
    };
    all.addEventListener("change", function () {
      boxes().forEach(function (b) { b.checked = all.checked; });
    });
  });

  // A form is sent once: a second click while the first is on its way does nothing.
  document.querySelectorAll("form[data-once]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.sent) { event.preventDefault(); return; }
      form.dataset.sent = "1";
      var submitter = event.submitter;
      window.setTimeout(function () {
        form.querySelectorAll("button[type=submit]").forEach(function (b) {
          if (b !== submitter) { b.disabled = true; }
        });
      }, 0);
    });
  });

  var status = document.getElementById("live-status");
  var messages = Array.prototype.map.call(document.querySelectorAll("[data-announce]"), function (el) {
    return el.textContent;
  });
  if (status && messages.length) {
    window.setTimeout(function () { status.textContent = messages.join(" "); }, 250);
  }
  // After an action the page opens at its message (#message) or, for a form sent back, at
  // what is wrong with it: the keyboard and a screen reader start there.
  var summary = document.querySelector(".problem-summary");
  var message = document.getElementById("message");
  if (summary) {
    summary.focus();
  } else if (message && window.location.hash === "#message") {
    message.focus();
  }
})();
