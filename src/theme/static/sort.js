// Progressive enhancement: column headers of `table.sortable` become sort buttons.
// Without JavaScript the tables stay plain, complete and readable.
(function () {
  "use strict";
  function key(cell) {
    var raw = cell.getAttribute("data-sort");
    var text = raw !== null ? raw : cell.textContent.trim();
    var n = parseFloat(text.replace(/,/g, ""));
    return text !== "" && !isNaN(n) && /^[-\d.,\s]+$/.test(text.split(" ")[0]) ? n : text;
  }
  function sortBy(table, index, button) {
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var asc = button.getAttribute("data-dir") !== "asc";
    rows.sort(function (a, b) {
      var x = key(a.cells[index]), y = key(b.cells[index]);
      if (x === "" && y !== "") return 1;
      if (y === "" && x !== "") return -1;
      var r = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y), "zh-CN");
      return asc ? r : -r;
    });
    rows.forEach(function (r) { body.appendChild(r); });
    Array.prototype.forEach.call(table.querySelectorAll("thead th"), function (th) { th.removeAttribute("aria-sort"); });
    button.setAttribute("data-dir", asc ? "asc" : "desc");
    button.parentNode.setAttribute("aria-sort", asc ? "ascending" : "descending");
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    Array.prototype.forEach.call(table.querySelectorAll("thead th"), function (th, i) {
      var b = document.createElement("button");
      b.type = "button";
      while (th.firstChild) b.appendChild(th.firstChild);
      th.appendChild(b);
      b.addEventListener("click", function () { sortBy(table, i, b); });
    });
  });
})();
