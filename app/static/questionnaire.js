// Progressive enhancement of a questionnaire topic page; the page works without it.
// - Autosave: every change is kept in this browser (localStorage) at once and sent to the
//   server as the draft a moment later; what the server has is removed from the browser,
//   so only answers that never reached it stay there, to be restored when the page is
//   opened again (after the tab was closed, or offline).
// - A warning before leaving the page while answers are not saved.
// - The progress figure follows the answers; the reason prompt shows as soon as a rating
//   falls outside last round's middle range (the server checks it again on submit).
(function () {
  "use strict";
  var form = document.querySelector("form[data-questionnaire]");
  if (!form || !window.fetch || !window.FormData) {
    return;
  }
  var storageKey = "delphi-draft:" + form.getAttribute("data-draft-key");
  var status = form.querySelector("[data-saved-status]");
  var anchor = form.querySelector("[data-anchor]");
  var ANSWER = /^(r-\d+-\d+|reason-\d+|proposal-\d+|persuasive)$/;
  var DELAY = 1200;
  var dirty = false;
  var leaving = false;
  var timer = null;
  var sending = false;
  var again = false;

  function storage() {
    try {
      return window.localStorage;
    } catch (e) {
      return null; // storage disabled: autosave to the server still works
    }
  }

  function answers() {
    var out = [];
    new FormData(form).forEach(function (value, name) {
      if (ANSWER.test(name)) {
        out.push([name, String(value)]);
      }
    });
    return out;
  }

  function same(a, b) {
    return JSON.stringify(a) === JSON.stringify(b);
  }

  function say(what) {
    if (status) {
      status.textContent = status.getAttribute("data-" + what) || "";
    }
  }

  function keep() {
    var store = storage();
    if (store) {
      try {
        store.setItem(storageKey, JSON.stringify(answers()));
      } catch (e) {
        // full or refused: the server autosave is still under way
      }
    }
  }

  function forget() {
    var store = storage();
    if (store) {
      store.removeItem(storageKey);
    }
  }

  function apply(saved) {
    var values = {};
    var persuasive = {};
    saved.forEach(function (pair) {
      if (pair[0] === "persuasive") {
        persuasive[pair[1]] = true;
      } else {
        values[pair[0]] = pair[1];
      }
    });
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || !ANSWER.test(el.name)) {
        return;
      }
      if (el.type === "radio") {
        if (Object.prototype.hasOwnProperty.call(values, el.name)) {
          el.checked = el.value === values[el.name];
        }
      } else if (el.type === "checkbox") {
        el.checked = Object.prototype.hasOwnProperty.call(persuasive, el.value);
      } else if (el.tagName === "TEXTAREA") {
        el.value = values[el.name] || "";
      }
    });
  }

  function restore() {
    var store = storage();
    var raw = store && store.getItem(storageKey);
    if (!raw) {
      return;
    }
    var saved;
    try {
      saved = JSON.parse(raw);
    } catch (e) {
      forget();
      return;
    }
    if (!Array.isArray(saved) || same(saved, answers())) {
      forget();
      return;
    }
    apply(saved);
    say("restored");
    changed();
  }

  function send() {
    if (sending) {
      again = true;
      return;
    }
    sending = true;
    var sent = answers();
    var body = new FormData(form);
    body.set("action", "autosave");
    say("saving");
    // Not form.action: the buttons named "action" shadow that property.
    fetch(form.getAttribute("action"), {
      method: "POST",
      body: new URLSearchParams(body),
      credentials: "same-origin",
    })
      .then(function (response) {
        if (response.status !== 204) {
          throw new Error("not saved: " + response.status);
        }
        if (same(sent, answers())) {
          dirty = false;
          forget();
        }
        say("saved");
      })
      .catch(function () {
        say("unsaved");
      })
      .then(function () {
        sending = false;
        if (again) {
          again = false;
          send();
        }
      });
  }

  function countAnswered() {
    var progress = form.querySelector("[data-progress]");
    if (!progress) {
      return;
    }
    var answered = Number(progress.getAttribute("data-elsewhere"));
    Array.prototype.forEach.call(form.querySelectorAll("[data-statement]"), function (item) {
      var groups = {};
      Array.prototype.forEach.call(item.querySelectorAll("input[type=radio]"), function (r) {
        groups[r.name] = groups[r.name] || r.checked;
      });
      var names = Object.keys(groups);
      if (names.length && names.every(function (n) { return groups[n]; })) {
        answered += 1;
      }
    });
    var figure = progress.querySelector("[data-answered]");
    var meter = progress.querySelector("meter");
    if (figure) {
      figure.textContent = String(answered);
    }
    if (meter) {
      meter.value = answered;
    }
  }

  function checkReasons() {
    Array.prototype.forEach.call(form.querySelectorAll("[data-reason]"), function (box) {
      var prompt = box.querySelector(".prompt");
      if (!prompt) {
        return;
      }
      var any = false;
      Array.prototype.forEach.call(box.querySelectorAll("[data-reason-check]"), function (p) {
        var chosen = form.querySelector(
          'input[name="' + p.getAttribute("data-reason-check") + '"]:checked'
        );
        var rating = chosen ? Number(chosen.value) : NaN;
        var outside =
          !isNaN(rating) &&
          (rating < Number(p.getAttribute("data-low")) ||
            rating > Number(p.getAttribute("data-high")));
        p.hidden = !outside;
        any = any || outside;
      });
      prompt.hidden = !any;
      var optional = box.querySelector("[data-reason-optional]");
      if (optional) {
        optional.hidden = any;
      }
    });
  }

  function changed() {
    dirty = true;
    keep();
    countAnswered();
    checkReasons();
    window.clearTimeout(timer);
    timer = window.setTimeout(send, DELAY);
  }

  // The statement the panelist is reading, for "Save draft" to come back to.
  function inView() {
    var bar = document.getElementById("progress");
    var top = bar ? bar.getBoundingClientRect().bottom : 0;
    var items = form.querySelectorAll("[data-statement]");
    for (var i = 0; i < items.length; i += 1) {
      if (items[i].getBoundingClientRect().bottom > top + 1) {
        return items[i].id;
      }
    }
    return "";
  }

  form.addEventListener("change", changed);
  form.addEventListener("input", function (event) {
    if (event.target.tagName === "TEXTAREA") {
      changed();
    }
  });
  form.addEventListener("submit", function () {
    leaving = true;
    window.clearTimeout(timer);
    if (anchor) {
      anchor.value = inView();
    }
    forget(); // the post carries everything; a page that fails to load keeps the form
  });
  window.addEventListener("beforeunload", function (event) {
    if (dirty && !leaving) {
      event.preventDefault();
      event.returnValue = form.getAttribute("data-leave-warning") || "";
      return event.returnValue;
    }
    return undefined;
  });
  restore();
})();
