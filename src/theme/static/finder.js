// County finder: type a name, a prefecture or province, a 6-digit code, full pinyin or its
// initials (gbq, gangbei → 港北区). Loads the static index search.json on first use.
// Without JavaScript the finder stays hidden (CSS shows it under `html.js`, set in the page's
// head) and the full county list below does the job.
(function () {
  "use strict";
  var box = document.getElementById("finder");
  if (!box || !window.XMLHttpRequest) return;
  var input = document.getElementById("finder-input");
  var list = document.getElementById("finder-results");
  var form = document.getElementById("finder-form");
  var english = document.documentElement.lang === "en";
  var index = null;
  var loading = false;

  function load(then) {
    if (index) return then();
    if (loading) return;
    loading = true;
    var req = new XMLHttpRequest();
    req.open("GET", box.getAttribute("data-index"));
    req.onload = function () {
      loading = false;
      if (req.status === 200) {
        index = JSON.parse(req.responseText);
        then();
      }
    };
    req.send();
  }

  // Lower is better; 0 means no match. r = [code, name, name_en, prefecture, province, pinyin, initials]
  function score(r, q) {
    if (r[0].indexOf(q) === 0) return 1;
    if (r[1].indexOf(q) === 0) return 2;
    if (r[1].indexOf(q) >= 0) return 3;
    var keys = (r[6] + " " + r[5]).split(" ");
    for (var i = 0; i < keys.length; i++) if (keys[i].indexOf(q) === 0) return 4;
    if (r[2] && r[2].toLowerCase().replace(/\s+/g, "").indexOf(q) === 0) return 4;
    if (r[3].indexOf(q) >= 0 || r[4].indexOf(q) >= 0) return 5;
    return 0;
  }

  function show() {
    var q = input.value.trim().toLowerCase().replace(/\s+/g, "");
    while (list.firstChild) list.removeChild(list.firstChild);
    if (!q) return;
    var hits = [];
    for (var i = 0; i < index.length; i++) {
      var s = score(index[i], q);
      if (s) hits.push([s, index[i]]);
    }
    hits.sort(function (a, b) { return a[0] - b[0] || (a[1][0] < b[1][0] ? -1 : 1); });
    if (!hits.length) {
      var none = document.createElement("li");
      none.textContent = box.getAttribute("data-none");
      list.appendChild(none);
      return;
    }
    hits.slice(0, 10).forEach(function (h) {
      var r = h[1];
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = box.getAttribute("data-base") + r[0] + "/";
      a.textContent = english && r[2] ? r[2] : r[1];
      li.appendChild(a);
      li.appendChild(document.createTextNode(" " + r[3] + (r[3] === r[4] ? "" : " · " + r[4]) + " · " + r[0]));
      list.appendChild(li);
    });
  }

  input.addEventListener("input", function () { load(show); });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var first = list.querySelector("a");
    if (first) window.location.href = first.href;
  });
})();
