/* The managers' dashboard: draws its three charts with Chart.js from the JSON block the page
   carries. Each chart's numbers are also in the table under it, which is what screen readers
   read and what shows without JavaScript; a chart's box stays hidden until it is drawn. */
(function () {
  "use strict";

  var source = document.getElementById("dashboard-charts");
  if (!source || !window.Chart) {
    return;
  }
  var data = JSON.parse(source.textContent);
  var Chart = window.Chart;
  var BLUE = "#1d70b8";
  var PINK = "#d53880";
  var TEXT = "#0b0c0c";

  // GOV.UK Frontend sets its typeface on its text classes, not on <body>.
  var sample = document.querySelector(".govuk-body") || document.body;
  Chart.defaults.font.family = window.getComputedStyle(sample).fontFamily;
  Chart.defaults.font.size = 14;
  Chart.defaults.color = TEXT;
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;

  // The shares' axis starts a little below the lowest share (the page says where), so that
  // 86% and 96% look different; it always ends at 100%.
  function percentAxis() {
    return {
      min: data.share_axis_start || 0,
      max: 100,
      ticks: {
        callback: function (value) {
          return value + "%";
        }
      }
    };
  }

  function percentTooltip(context) {
    var value = context.parsed.y;
    return context.dataset.label + ": " + (value === null ? "no data" : value + "%");
  }

  var charts = {
    volumes: {
      type: "bar",
      data: {
        labels: data.months,
        datasets: [
          { label: "Questionnaires", data: data.submissions, backgroundColor: BLUE },
          { label: "Flags", data: data.referrals, backgroundColor: PINK }
        ]
      },
      options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
    },
    sla: {
      type: "line",
      data: {
        labels: data.months,
        datasets: [
          {
            label: "Forwarded in time",
            data: data.forwarding_share,
            borderColor: BLUE,
            backgroundColor: BLUE,
            pointStyle: "circle"
          },
          {
            label: "Contacted in time",
            data: data.contact_share,
            borderColor: PINK,
            backgroundColor: PINK,
            borderDash: [6, 4],
            pointStyle: "rectRot",
            pointRadius: 5
          }
        ]
      },
      options: {
        scales: { y: percentAxis() },
        plugins: { tooltip: { callbacks: { label: percentTooltip } } }
      }
    },
    outcomes: {
      type: "bar",
      data: {
        labels: data.outcome_labels,
        datasets: [{ label: "Referrals", data: data.outcome_counts, backgroundColor: BLUE }]
      },
      options: {
        indexAxis: "y",
        scales: { x: { beginAtZero: true, ticks: { precision: 0 } } },
        plugins: { legend: { display: false } }
      }
    }
  };

  document.querySelectorAll("[data-chart]").forEach(function (box) {
    var config = charts[box.getAttribute("data-chart")];
    if (!config) {
      return;
    }
    box.hidden = false; // Chart.js sizes the canvas from its box, so show the box first
    new Chart(box.querySelector("canvas"), config);
  });
})();
