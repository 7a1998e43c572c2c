// Keeps the models page's progress bars current without reloading it; the page works without
// this script (a link refreshes it). When a job starts, ends or changes stage the page is
// loaded again, since the list of models changes too; the percentage is announced to screen
// readers at each quarter only, not at every step.
(function () {
  "use strict";
  var section = document.getElementById("jobs");
  if (!section) { return; }
  var announcement = document.getElementById("job-announcement");
  var onPage = Array.prototype.map.call(section.querySelectorAll("[data-job]"), function (item) {
    return item.getAttribute("data-job") + ":" + item.getAttribute("data-status");
  }).join();
  var quarter = {};

  function poll() {
    fetch(section.getAttribute("data-progress-url"), { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (reply) { return reply.ok ? reply.json() : null; })
      .then(function (state) {
        if (!state) { return; }
        var now = state.jobs.map(function (job) { return job.id + ":" + job.status; }).join();
        if (now !== onPage) {
          window.location.replace("/models");
          return;
        }
        state.jobs.forEach(function (job) {
          var bar = document.getElementById("progress-" + job.id);
          if (!bar) { return; }
          bar.value = job.percent;
          bar.textContent = job.percent + " %";
          var detail = bar.parentNode.querySelector(".job-detail");
          if (detail) { detail.textContent = job.detail; }
          var reached = Math.floor(job.percent / 25);
          if (quarter[job.id] !== undefined && reached > quarter[job.id] && announcement) {
            announcement.textContent = bar.labels && bar.labels.length ? bar.labels[0].textContent + ": " + job.percent + " %" : job.percent + " %";
          }
          quarter[job.id] = reached;
        });
      })
      .catch(function () { /* the next round tries again */ });
  }
  if (onPage) { window.setInterval(poll, 2000); }
}());
