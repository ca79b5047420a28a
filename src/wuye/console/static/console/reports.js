// Charts of the takings reports, drawn with the bundled Chart.js (core/static/vendor/chartjs) from
// the numbers the page carries in <script type="application/json" id="report-chart-data">.
// No inline scripts and nothing fetched: the page works on a closed network.
(() => {
  const source = document.getElementById("report-chart-data");
  if (!source || typeof window.Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  const colours = ["#1e88e5", "#43a047", "#fb8c00", "#8e24aa", "#e53935", "#00897b"];
  const yuan = (value) => "¥" + Number(value).toLocaleString("zh-CN", { minimumFractionDigits: 2 });
  const takings = document.getElementById("takings-chart");
  if (takings) {
    new window.Chart(takings, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: data.series.map((series, index) => ({
          label: series.label,
          data: series.values,
          backgroundColor: colours[index % colours.length],
        })),
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        scales: { x: { stacked: true }, y: { stacked: true, ticks: { callback: yuan } } },
        plugins: { tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${yuan(item.parsed.y)}` } } },
      },
    });
  }
  const rate = document.getElementById("rate-chart");
  if (rate) {
    new window.Chart(rate, {
      type: "line",
      data: {
        labels: data.rate_labels,
        datasets: [{ label: data.rate_label, data: data.rate_values, borderColor: colours[0], spanGaps: true }],
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        scales: { y: { min: 0, max: 100, ticks: { callback: (value) => `${value}%` } } },
      },
    });
  }
})();
