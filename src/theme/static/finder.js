// Finder: type a county's name, its prefecture or province, a 6-digit code, full pinyin or its
// initials (gbq, gangbei → 港北区); or a school's name, town, pinyin, initials or 10-digit id. Loads
// the static index search.json on first use, and the index of one province's schools
// (search/<code>.json): the only province with schools, the one picked in the list, or none.
// Without JavaScript the finder stays hidden (CSS shows it under `html.js`, set in the page's
// head) and the county list and each county's list of schools do the job.
(function () {
  "use strict";
  var box = document.getElementById("finder");
  if (!box || !window.XMLHttpRequest) return;
  var input = document.getElementById("finder-input");
  var list = document.getElementById("finder-results");
  var form = document.getElementById("finder-form");
  var pick = document.getElementById("finder-province");
  var english = document.documentElement.lang === "en";
  var counties = null;
  var schools = {};
  var pending = {};

  function get(url, then) {
    if (pending[url]) return;
    pending[url] = true;
    var req = new XMLHttpRequest();
    req.open("GET", url);
    req.onload = function () {
      pending[url] = false;
      if (req.status === 200) then(JSON.parse(req.responseText));
    };
    req.send();
  }

  function province() {
    return pick ? pick.value : box.getAttribute("data-province") || "";
  }

  // Loads what a search needs, then shows the hits.
  function load() {
    var p = province();
    if (!counties) return get(box.getAttribute("data-index"), function (d) { counties = d; load(); });
    if (p && !schools[p]) return get(box.getAttribute("data-schools") + p + ".json", function (d) { schools[p] = d; load(); });
    show();
  }

  // Lower is better; 0 means no match. r = [code, name, name_en, prefecture, province, pinyin, initials]
  function countyScore(r, q) {
    if (r[0].indexOf(q) === 0) return 1;
    if (r[1].indexOf(q) === 0) return 2;
    if (r[1].indexOf(q) >= 0) return 3;
    var keys = (r[6] + " " + r[5]).split(" ");
    for (var i = 0; i < keys.length; i++) if (keys[i].indexOf(q) === 0) return 4;
    if (r[2] && r[2].toLowerCase().replace(/\s+/g, "").indexOf(q) === 0) return 4;
    if (r[3].indexOf(q) >= 0 || r[4].indexOf(q) >= 0) return 5;
    return 0;
  }

  // s = [id, name, county, page, pinyin, initials, town] (pinyin and initials of the name,
  // then of the town)
  function schoolScore(s, q) {
    if (s[0].indexOf(q) === 0) return 1;
    if (s[1].indexOf(q) === 0) return 2;
    if (s[1].indexOf(q) >= 0) return 3;
    if (s[6] && s[6].indexOf(q) >= 0) return 4;
    var keys = (s[5] + " " + s[4]).split(" ");
    for (var i = 0; i < keys.length; i++) if (keys[i].indexOf(q) >= 0) return 5;
    return 0;
  }

  function best(rows, q, score, n) {
    var hits = [];
    for (var i = 0; i < rows.length; i++) {
      var s = score(rows[i], q);
      if (s) hits.push([s, rows[i]]);
    }
    hits.sort(function (a, b) { return a[0] - b[0] || (a[1][0] < b[1][0] ? -1 : 1); });
    return hits.slice(0, n).map(function (h) { return h[1]; });
  }

  function item(href, name, rest) {
    var li = document.createElement("li");
    var a = document.createElement("a");
    a.href = href;
    a.textContent = name;
    li.appendChild(a);
    li.appendChild(document.createTextNode(" " + rest));
    list.appendChild(li);
  }

  function show() {
    var q = input.value.trim().toLowerCase().replace(/\s+/g, "");
    while (list.firstChild) list.removeChild(list.firstChild);
    if (!q) return;
    var base = box.getAttribute("data-base");
    var found = 0;
    best(counties, q, countyScore, 5).forEach(function (r) {
      found++;
      item(base + r[0] + "/", english && r[2] ? r[2] : r[1],
        r[3] + (r[3] === r[4] ? "" : " · " + r[4]) + " · " + r[0]);
    });
    var index = schools[province()];
    if (index) {
      best(index.schools, q, schoolScore, 10).forEach(function (s) {
        found++;
        var c = index.counties[s[2]] || [s[2], null];
        var page = s[3] > 1 ? s[3] + "/" : "";
        item(base + s[2] + "/schools/" + page + "#" + s[0], s[1],
          "· " + (english && c[1] ? c[1] : c[0]) + (s[6] ? " · " + s[6] : "") + " · " + s[0]);
      });
    }
    if (!found) {
      var none = document.createElement("li");
      none.textContent = box.getAttribute("data-none");
      list.appendChild(none);
    }
  }

  input.addEventListener("input", load);
  if (pick) pick.addEventListener("change", function () { if (input.value.trim()) load(); });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var first = list.querySelector("a");
    if (first) window.location.href = first.href;
  });
})();
