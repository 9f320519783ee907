// Satisfaction trend charts: every <canvas data-survey-trend="ID"> draws the JSON of
// <script id="ID" type="application/json"> (json_script): responses as bars, the rate as a line.
document.addEventListener("DOMContentLoaded", () => {
  if (typeof Chart === "undefined") return;
  document.querySelectorAll("canvas[data-survey-trend]").forEach((canvas) => {
    if (canvas.dataset.drawn) return;
    canvas.dataset.drawn = "1";
    const source = document.getElementById(canvas.dataset.surveyTrend);
    if (!source) return;
    const data = JSON.parse(source.textContent);
    new Chart(canvas, {
      data: {
        labels: data.labels,
        datasets: [
          {
            type: "bar", label: data.labelResponses, data: data.responses,
            yAxisID: "count", backgroundColor: "rgba(13, 110, 253, 0.35)", order: 2,
          },
          {
            type: "line", label: data.labelRate, data: data.rates, yAxisID: "rate",
            borderColor: "#198754", backgroundColor: "#198754", spanGaps: true, tension: 0.2,
            clip: false, order: 1,
          },
          {
            type: "line", label: data.labelThreshold,
            data: data.labels.map(() => data.threshold), yAxisID: "rate",
            borderColor: "#dc3545", borderDash: [6, 4], pointRadius: 0, order: 0,
          },
        ],
      },
      options: {
        maintainAspectRatio: false,
        layout: { padding: { top: 8 } },
        interaction: { mode: "index", intersect: false },
        scales: {
          count: { type: "linear", position: "left", beginAtZero: true, ticks: { precision: 0 } },
          rate: { type: "linear", position: "right", min: 0, max: 100, grid: { drawOnChartArea: false } },
        },
      },
    });
  });
});
