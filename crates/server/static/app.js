// provisio's small enhancement: every page works without it. With it, the Resend and Edit
// contact buttons open native <dialog>s (No / Cancel / Esc close without submitting and
// focus returns to the row's button), forms are not submitted twice, the page's message is
// announced through the role="status" region present since page load, and the focus starts
// at the message or at a form's problem summary; a row's history is read when it is opened.
(function () {
  "use strict";
  var opener = null;

  // The element `selector` of the page at `url` (same origin), or null.
  function part(url, selector) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (reply) { return reply.ok ? reply.text() : ""; })
      .then(function (html) {
        var found = new DOMParser().parseFromString(html, "text/html").querySelector(selector);
        return found ? document.importNode(found, true) : null;
      })
      .catch(function () { return null; });
  }

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
      // How many lines "Apply to all lines" changes: the line's Edit contact page says it
      // (read when asked, so a page of many lines does not count each order's lines).
      var hint = dialog.querySelector("[data-slot=applyAll]");
      if (hint && form.dataset.action) {
        var asked = form.dataset.action;
        hint.dataset.for = asked;
        part(asked, "#apply-all-hint").then(function (found) {
          if (found && hint.dataset.for === asked) { hint.textContent = found.textContent; }
        });
      }
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

  // A row's history is read when its disclosure opens (an order page shows many lines);
  // without script the disclosure holds a link to the history as a page of its own.
  document.querySelectorAll("details[data-history]").forEach(function (details) {
    details.addEventListener("toggle", function () {
      if (!details.open || details.dataset.loading) { return; }
      details.dataset.loading = "1";
      part(details.dataset.history, ".history-block").then(function (found) {
        var link = details.querySelector(".history-load");
        if (found && link) {
          link.replaceWith(found);
          details.removeAttribute("data-history");
        } else {
          delete details.dataset.loading;
        }
      });
    });
  });

  // A link to a line's row (#line-…) from before an order's lines came in pages: the
  // order page shows the page that holds the line when asked with ?line=.
  var hash = window.location.hash;
  if (hash.indexOf("#line-") === 0 && !document.getElementById(hash.slice(1)) &&
      /^\/orders\/[^/]+$/.test(window.location.pathname) &&
      window.location.search.indexOf("line=") < 0) {
    window.location.replace(window.location.pathname + "?line=" +
      encodeURIComponent(hash.slice(6)) + hash);
  }
})();

// A case's screenshots: besides the file chooser, files dropped on the field or pasted
// (a screenshot from the clipboard) join the chosen files; each is previewed with a button
// to remove it before sending. Without script the plain file field works alone.
(function () {
  "use strict";
  var zone = document.querySelector("[data-drop-zone]");
  if (!zone || typeof DataTransfer === "undefined") { return; }
  var input = zone.querySelector("input[type=file]");
  var list = zone.querySelector("[data-previews]");
  var form = zone.closest("form");
  var chosen = [];
  zone.querySelectorAll(".js-only").forEach(function (el) { el.hidden = false; });

  function sync() {
    var dt = new DataTransfer();
    chosen.forEach(function (f) { dt.items.add(f); });
    input.files = dt.files;
    list.querySelectorAll("img").forEach(function (img) { URL.revokeObjectURL(img.src); });
    list.textContent = "";
    chosen.forEach(function (file, i) {
      var item = document.createElement("li");
      if (/^image\//.test(file.type)) {
        var img = document.createElement("img");
        img.src = URL.createObjectURL(file);
        img.alt = "";
        item.appendChild(img);
      }
      var name = document.createElement("span");
      name.textContent = file.name + " (" + Math.ceil(file.size / 1024) + " kB)";
      item.appendChild(name);
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "small secondary";
      remove.textContent = (zone.dataset.removeLabel || "Remove") + " " + file.name;
      remove.addEventListener("click", function () {
        chosen.splice(i, 1);
        sync();
        input.focus();
      });
      item.appendChild(remove);
      list.appendChild(item);
    });
  }

  function add(files) {
    Array.prototype.forEach.call(files, function (f) {
      var n = chosen.length + 1;
      // A pasted screenshot arrives as "image.png": give it a name that tells them apart.
      if (f.name === "image.png" || !f.name) {
        f = new File([f], "screenshot-" + n + ".png", { type: f.type || "image/png" });
      }
      chosen.push(f);
    });
    sync();
  }

  input.addEventListener("change", function () {
    var picked = Array.prototype.slice.call(input.files);
    // The chooser replaces the field's files: keep those chosen before.
    var before = chosen.filter(function (f) { return picked.indexOf(f) < 0; });
    chosen = before;
    add(picked);
  });
  ["dragenter", "dragover"].forEach(function (type) {
    zone.addEventListener(type, function (event) {
      event.preventDefault();
      zone.classList.add("dragging");
    });
  });
  ["dragleave", "drop"].forEach(function (type) {
    zone.addEventListener(type, function () { zone.classList.remove("dragging"); });
  });
  zone.addEventListener("drop", function (event) {
    event.preventDefault();
    if (event.dataTransfer && event.dataTransfer.files.length) { add(event.dataTransfer.files); }
  });
  form.addEventListener("paste", function (event) {
    var files = event.clipboardData && event.clipboardData.files;
    if (files && files.length) {
      event.preventDefault();
      add(files);
    }
  });
})();

// A case's page while an email of its line is on its way: it looks again every few
// seconds and puts in what changed (the conversation, the line's evidence), announcing it,
// until nothing is on its way any more. What the reader is typing is left alone.
(function () {
  "use strict";
  var live = document.querySelector("[data-live]");
  if (!live || typeof DOMParser === "undefined") { return; }
  var status = document.getElementById("live-status");
  var timer = window.setInterval(function () {
    fetch(live.dataset.live, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var doc = new DOMParser().parseFromString(html, "text/html");
        var changed = false;
        document.querySelectorAll("[data-live-part]").forEach(function (part) {
          var fresh = doc.querySelector("[data-live-part='" + part.dataset.livePart + "']");
          if (fresh && fresh.innerHTML !== part.innerHTML) {
            part.innerHTML = fresh.innerHTML;
            changed = true;
          }
        });
        if (changed && status) { status.textContent = live.dataset.updated || ""; }
        if (!doc.querySelector("[data-live]")) { window.clearInterval(timer); }
      })
      .catch(function () {});
  }, 3000);
})();
