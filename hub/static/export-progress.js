/* An export built in the background (templates/manage/export_job.html): asks the hub how far
   the file has got every second, shows it in the progress bar and the status line (which screen
   readers announce), and reloads the page once the file is ready or the build has failed, so
   the page offers the download. Without JavaScript the page has a "Check again" link. */
(function () {
  "use strict";

  var box = document.querySelector("[data-progress-url]");
  if (!box || !window.fetch) {
    return;
  }
  var url = box.getAttribute("data-progress-url");
  var bar = document.getElementById("export-progress-bar");
  var text = document.getElementById("export-progress-text");
  var shown = text.textContent;

  function number(value) {
    return value.toLocaleString("en-GB");
  }

  function check() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(response.status);
        }
        return response.json();
      })
      .then(function (job) {
        if (job.status !== "waiting" && job.status !== "building") {
          window.location.reload();
          return;
        }
        bar.value = job.percent;
        bar.textContent = job.percent + "%";
        var words = job.status === "waiting" ? "Waiting to start." :
          "Written " + number(job.rows_done) + " of " + number(job.rows_total) +
          " rows (" + job.percent + "%).";
        if (words !== shown) {
          text.textContent = words;
          shown = words;
        }
        window.setTimeout(check, 1000);
      })
      .catch(function () {
        window.setTimeout(check, 5000); // a blip: try again a little later
      });
  }

  window.setTimeout(check, 1000);
})();
