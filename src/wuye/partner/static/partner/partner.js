// Charts of the partner dashboard, drawn by the bundled Chart.js from the page's JSON
// (json_script "partner-chart-data"). Amounts arrive in fen and are shown in yuan.
(() => {
  "use strict";
  const COLOURS = {
    succeeded: "#2e7d32", failed: "#c62828", unknown: "#b26a00", returned: "#6a1b9a",
    debit: "#0b6bcb", wechat: "#1aad19", alipay: "#1677ff", cash: "#8d6e63", card: "#546e7a", transfer: "#9aa5b1",
    rate: "#102a43",
  };

  function draw() {
    const source = document.getElementById("partner-chart-data");
    if (!source || typeof window.Chart === "undefined") return;
    const data = JSON.parse(source.textContent);
    const Chart = window.Chart;
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    Chart.defaults.animation = false;
    Chart.defaults.maintainAspectRatio = false;

    const lines = document.getElementById("partner-lines-chart");
    if (lines) {
      new Chart(lines, {
        type: "bar",
        data: {
          labels: data.labels,
          datasets: [
            ...data.lines.map((series) => ({
              type: "bar", label: series.label, data: series.data, stack: "lines",
              backgroundColor: COLOURS[series.key], yAxisID: "y",
            })),
            {
              type: "line", label: data.rate.label, data: data.rate.data, yAxisID: "rate",
              borderColor: COLOURS.rate, backgroundColor: COLOURS.rate, spanGaps: true, tension: 0.2,
            },
          ],
        },
        options: {
          scales: {
            x: { stacked: true },
            y: { stacked: true, beginAtZero: true, title: { display: true, text: data.axes.lines }, ticks: { precision: 0 } },
            rate: { position: "right", min: 0, max: 100, grid: { drawOnChartArea: false }, title: { display: true, text: data.axes.rate } },
          },
        },
      });
    }

    const funds = document.getElementById("partner-funds-chart");
    if (funds) {
      const yuan = (fen) => fen / 100;
      new Chart(funds, {
        type: "bar",
        data: {
          labels: data.labels,
          datasets: data.funds.map((series) => ({
            label: series.label, data: series.data.map(yuan), stack: "funds", backgroundColor: COLOURS[series.key],
          })),
        },
        options: {
          scales: {
            x: { stacked: true },
            y: { stacked: true, beginAtZero: true, title: { display: true, text: data.axes.yuan } },
          },
          plugins: {
            tooltip: {
              callbacks: {
                label: (item) => `${item.dataset.label}: ${item.parsed.y.toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`,
              },
            },
          },
        },
      });
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
