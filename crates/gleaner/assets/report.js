// Draws the report's charts from the JSON block with Chart.js, then records on <body> how many
// charts were expected and how many drew pixels, plus any script errors, so a headless browser
// test can read the outcome from the DOM (data-charts-expected, data-charts-drawn, data-errors).
(function () {
  "use strict";
  var body = document.body;
  var errors = [];
  function noteError(msg) {
    errors.push(String(msg));
    body.setAttribute("data-errors", errors.join(" | "));
  }
  window.addEventListener("error", function (e) { noteError(e.message || e); });
  var consoleError = console.error;
  console.error = function () {
    noteError(Array.prototype.join.call(arguments, " "));
    consoleError.apply(console, arguments);
  };

  var BEFORE = "rgba(152, 162, 179, 0.75)";
  var AFTER = "rgba(47, 111, 222, 0.85)";
  var RED = "rgba(240, 68, 56, 0.8)";
  var ORANGE = "rgba(247, 144, 9, 0.8)";

  function baseOptions(extra) {
    var o = {
      responsive: true,
      maintainAspectRatio: false,
      // Drawn at once: nothing to wait for before a screenshot, and no motion for readers.
      animation: false,
      plugins: { legend: { position: "bottom" } },
      scales: { y: { beginAtZero: true } }
    };
    for (var k in extra) o[k] = extra[k];
    return o;
  }

  function beforeAfter(d, xTitle) {
    return {
      type: "bar",
      data: {
        labels: d.labels,
        datasets: [
          { label: "before", data: d.before, backgroundColor: BEFORE },
          { label: "after", data: d.after, backgroundColor: AFTER }
        ]
      },
      options: baseOptions({
        scales: {
          x: { title: { display: true, text: xTitle } },
          y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "documents" } }
        }
      })
    };
  }

  var builders = {
    "funnel-docs": function (d) {
      return {
        type: "bar",
        data: { labels: d.funnel.labels, datasets: [{ label: "documents", data: d.funnel.docs, backgroundColor: AFTER }] },
        options: baseOptions({ plugins: { legend: { display: false }, title: { display: true, text: "documents after each stage" } } })
      };
    },
    "funnel-bytes": function (d) {
      return {
        type: "bar",
        data: { labels: d.funnel.labels, datasets: [{ label: "MB of text", data: d.funnel.mb, backgroundColor: "rgba(18, 183, 106, 0.8)" }] },
        options: baseOptions({ plugins: { legend: { display: false }, title: { display: true, text: "MB of text after each stage" } } })
      };
    },
    "rules": function (d) {
      // Counts often span 1 to millions across rules: a log axis keeps the small rules visible.
      var nonzero = d.rules.docs.concat(d.rules.lines).filter(function (v) { return v > 0; });
      var spread = nonzero.length ? Math.max.apply(null, nonzero) / Math.min.apply(null, nonzero) : 1;
      var x = spread > 50
        ? {
            type: "logarithmic", min: 0.8, title: { display: true, text: "count (log scale)" },
            // Label powers of ten only; the log scale's default labels crowd each other.
            ticks: {
              autoSkip: false, maxRotation: 0,
              callback: function (v) {
                var l = Math.log10(v);
                return Math.abs(l - Math.round(l)) < 1e-9 ? Number(v).toLocaleString("en") : null;
              }
            }
          }
        : { beginAtZero: true, ticks: { precision: 0 } };
      return {
        type: "bar",
        data: {
          labels: d.rules.labels,
          datasets: [
            { label: "documents removed", data: d.rules.docs, backgroundColor: RED },
            { label: "lines removed", data: d.rules.lines, backgroundColor: ORANGE }
          ]
        },
        options: baseOptions({ indexAxis: "y", scales: { x: x } })
      };
    },
    "lengths": function (d) { return beforeAfter(d.lengths, "words per document"); },
    "languages": function (d) { return beforeAfter(d.languages, "metadata.language"); },
    "scores": function (d) { return beforeAfter(d.scores, "metadata.language_score"); },
    "clusters": function (d) {
      return {
        type: "bar",
        data: { labels: d.clusters.labels, datasets: [{ label: "clusters", data: d.clusters.counts, backgroundColor: "rgba(122, 90, 248, 0.8)" }] },
        options: baseOptions({
          plugins: { legend: { display: false } },
          scales: {
            x: { title: { display: true, text: "copies in cluster" } },
            y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "clusters" } }
          }
        })
      };
    },
    "timing": function (d) {
      return {
        type: "bar",
        data: {
          labels: d.timing.labels,
          datasets: [
            { label: "seconds", data: d.timing.secs, backgroundColor: AFTER, yAxisID: "y" },
            { label: "text MB/s", data: d.timing.mbps, backgroundColor: "rgba(18, 183, 106, 0.8)", yAxisID: "y1" }
          ]
        },
        options: baseOptions({
          scales: {
            y: { beginAtZero: true, position: "left", title: { display: true, text: "seconds" } },
            y1: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false }, title: { display: true, text: "MB/s" } }
          }
        })
      };
    }
  };

  // True when the canvas holds any non-transparent pixel, i.e. the chart really drew.
  function hasPixels(canvas) {
    try {
      var px = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
      for (var i = 3; i < px.length; i += 4) if (px[i] !== 0) return true;
    } catch (e) { noteError(e); }
    return false;
  }

  var canvases = document.querySelectorAll("canvas[data-chart]");
  body.setAttribute("data-charts-expected", String(canvases.length));
  var drawn = 0;
  try {
    if (typeof Chart === "undefined") throw new Error("Chart.js did not load");
    var data = JSON.parse(document.getElementById("report-data").textContent);
    Chart.defaults.font.family = getComputedStyle(body).fontFamily;
    // A run with one pass or one rule would otherwise get bars as wide as the chart.
    Chart.defaults.datasets.bar.maxBarThickness = 56;
    for (var i = 0; i < canvases.length; i++) {
      var canvas = canvases[i];
      var key = canvas.getAttribute("data-chart");
      try {
        var build = builders[key];
        if (!build) throw new Error("no chart builder for " + key);
        new Chart(canvas, build(data));
        if (hasPixels(canvas)) {
          drawn++;
          canvas.setAttribute("data-drawn", "yes");
        } else {
          noteError("chart " + key + " drew nothing");
        }
      } catch (e) {
        noteError("chart " + key + ": " + (e && e.message ? e.message : e));
      }
    }
  } catch (e) {
    noteError(e && e.message ? e.message : e);
  }
  body.setAttribute("data-charts-drawn", String(drawn));
  document.title = "gleaner report (" + drawn + "/" + canvases.length + " charts)";
})();
