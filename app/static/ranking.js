// Ranking questions: adds "Move up" and "Move down" buttons to each statement of a
// [data-ranking] list. A move puts the list in the order of its position selects (those
// without a position last), moves the statement one place, then writes the positions
// 1..N down the list (in a top-N ranking, the statements below the Nth get none) and says
// the new place in the live region. The selects stay: they are what the form sends, and
// without JavaScript they are the whole control. The page may include this file once per
// ranking; each list is set up once.
(function () {
  "use strict";

  function items(list) {
    return Array.prototype.slice.call(list.querySelectorAll("[data-ranking-item]"));
  }

  function selectOf(item) {
    return item.querySelector("select");
  }

  // The list in the order of its selects; a stable sort keeps page order among equals.
  function sortBySelects(list) {
    var keyed = items(list).map(function (item, index) {
      var value = parseInt(selectOf(item).value, 10);
      return { item: item, index: index, key: isNaN(value) ? Infinity : value };
    });
    keyed.sort(function (a, b) {
      return a.key - b.key || a.index - b.index;
    });
    if (keyed.every(function (entry, index) { return entry.index === index; })) {
      return; // already in order: moving nodes would take the focus away
    }
    var focused = document.activeElement;
    keyed.forEach(function (entry) {
      list.appendChild(entry.item);
    });
    if (focused && focused !== document.activeElement && list.contains(focused)) {
      focused.focus();
    }
  }

  function writePositions(list, places) {
    items(list).forEach(function (item, index) {
      selectOf(item).value = index < places ? String(index + 1) : "";
    });
  }

  function setUp(ranking) {
    if (ranking.hasAttribute("data-ranking-ready")) {
      return;
    }
    ranking.setAttribute("data-ranking-ready", "");
    var list = ranking.querySelector("[data-ranking-list]");
    var status = ranking.querySelector("[data-ranking-status]");
    var places = parseInt(ranking.getAttribute("data-places"), 10);
    var moved = ranking.getAttribute("data-label-moved");

    function move(item, step) {
      sortBySelects(list);
      var all = items(list);
      var index = all.indexOf(item);
      var target = index + step;
      if (target < 0 || target >= all.length) {
        return;
      }
      // The neighbour moves, not the item: the pressed control keeps the focus.
      if (step < 0) {
        list.insertBefore(all[target], item.nextSibling);
      } else {
        list.insertBefore(all[target], item);
      }
      writePositions(list, places);
      status.textContent = moved
        .replace("{statement}", item.getAttribute("data-statement"))
        .replace("{place}", String(target + 1))
        .replace("{count}", String(all.length));
    }

    sortBySelects(list);
    items(list).forEach(function (item) {
      var controls = document.createElement("div");
      controls.className = "ranking__controls";
      [
        [ranking.getAttribute("data-label-up"), -1, "up"],
        [ranking.getAttribute("data-label-down"), 1, "down"],
      ].forEach(function (spec) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "button button--secondary ranking__move";
        button.setAttribute("data-move", spec[2]);
        button.appendChild(document.createTextNode(spec[0]));
        var hidden = document.createElement("span");
        hidden.className = "visually-hidden";
        hidden.textContent = " – " + item.getAttribute("data-statement");
        button.appendChild(hidden);
        button.addEventListener("click", function () {
          move(item, spec[1]);
        });
        controls.appendChild(button);
      });
      item.appendChild(controls);
      // Alt + arrow keys on the select move the statement too.
      selectOf(item).addEventListener("keydown", function (event) {
        if (event.altKey && (event.key === "ArrowUp" || event.key === "ArrowDown")) {
          event.preventDefault();
          move(item, event.key === "ArrowUp" ? -1 : 1);
          selectOf(item).focus();
        }
      });
    });
  }

  document.querySelectorAll("[data-ranking]").forEach(setUp);
})();
