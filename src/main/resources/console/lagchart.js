// The replication lag of the last minutes, drawn by hand on a <canvas> (no chart library): one line
// per region pair (origin -> reading region), time on x, ms on y.

const COLOURS = ['#0969da', '#cf222e', '#1a7f37', '#8250df', '#bf8700', '#57606a', '#e16f24', '#1b7c83', '#a40e26'];

/** Draws samples ([{at, lagMillis: {reader: {origin: ms}}}]) on canvas; fills legend. */
export function drawLagChart(canvas, legend, samples) {
  const context = canvas.getContext('2d');
  const { width, height } = canvas;
  const pad = { left: 44, right: 8, top: 8, bottom: 20 };
  context.clearRect(0, 0, width, height);
  context.font = '10px system-ui, sans-serif';
  context.fillStyle = '#57606a';
  const series = new Map();
  for (const sample of samples) {
    for (const [reader, row] of Object.entries(sample.lagMillis || {})) {
      for (const [origin, ms] of Object.entries(row)) {
        if (origin === reader) continue;
        const key = `${origin}\u2192${reader}`;
        if (!series.has(key)) series.set(key, []);
        series.get(key).push([sample.at, ms]);
      }
    }
  }
  if (samples.length < 2) {
    context.fillText('collecting samples...', pad.left, height / 2);
    legend.replaceChildren();
    return;
  }
  const t0 = samples[0].at;
  const t1 = samples[samples.length - 1].at;
  let max = 10;
  for (const points of series.values()) for (const [, ms] of points) max = Math.max(max, ms);
  max = niceCeiling(max);
  const x = (t) => pad.left + ((t - t0) / Math.max(1, t1 - t0)) * (width - pad.left - pad.right);
  const y = (ms) => height - pad.bottom - (ms / max) * (height - pad.top - pad.bottom);
  context.strokeStyle = '#d0d7de';
  context.beginPath();
  for (const ms of [0, max / 2, max]) {
    context.moveTo(pad.left, y(ms));
    context.lineTo(width - pad.right, y(ms));
    context.fillText(`${Math.round(ms)} ms`, 2, y(ms) + 3);
  }
  context.stroke();
  context.fillText(`${Math.round((t1 - t0) / 1000)} s`, pad.left, height - 5);
  context.fillText('now', width - pad.right - 18, height - 5);
  const items = [];
  [...series.keys()].sort().forEach((key, index) => {
    const colour = COLOURS[index % COLOURS.length];
    context.strokeStyle = colour;
    context.lineWidth = 1.5;
    context.beginPath();
    series.get(key).forEach(([t, ms], i) => (i === 0 ? context.moveTo(x(t), y(ms)) : context.lineTo(x(t), y(ms))));
    context.stroke();
    const item = document.createElement('span');
    item.style.setProperty('--c', colour);
    item.textContent = key;
    items.push(item);
  });
  legend.replaceChildren(...items);
}

function niceCeiling(value) {
  const step = 10 ** Math.floor(Math.log10(value));
  return Math.ceil(value / step) * step;
}
