// gocnn run dashboard: draws every section of the page from the JSON in
// #run-data (the models' results as in results.json, plus base64 PNG
// pictures), with plain DOM and SVG, no library and no network.
//
// Data: DATA.models[i] has the fields of results.json's model object
// (model, status, config, data, test, history, efficiency, summary, …),
// misclassified[j].image (base64 PNG or null) and visuals (feature maps and
// Grad-CAM, or null with visuals_note saying why). The page state (the
// selected model, sort orders, toggles) lives in `state`; each section has a
// render function that rebuilds its part of the page from DATA and state.
'use strict';

const DATA = JSON.parse(document.getElementById('run-data').textContent);
const SVG_NS = 'http://www.w3.org/2000/svg';
const COLORS = ['#2f6fdf', '#e8710a', '#1e9e5a', '#c5221f', '#8e44ad', '#00838f', '#b8860b', '#d81b60', '#5d6d7e', '#6d4c41'];
const MODELS = DATA.models;
MODELS.forEach((m, i) => { m.color = COLORS[i % COLORS.length]; });

const state = {
  selected: defaultModel(),
  cmNormalised: true,
  curves: 'all',
  scatterX: 'flops',
  fm: { model: firstWith(m => m.visuals && m.visuals.layers.length), layer: 0, sample: 0 },
  cam: firstWith(m => m.visuals && m.visuals.grad_cam),
  mis: firstWith(m => m.misclassified.length),
  arch: firstWith(m => m.summary),
  sorts: {},
};

// ---------- small helpers ----------

function defaultModel() {
  let best = null;
  for (const m of MODELS) {
    if (m.test && (!best || m.test.accuracy > best.test.accuracy)) best = m;
  }
  return best ? best.model : (MODELS.length ? MODELS[0].model : null);
}

function firstWith(pred) {
  const m = MODELS.find(pred);
  return m ? m.model : (MODELS.length ? MODELS[0].model : null);
}

function byName(name) { return MODELS.find(m => m.model === name); }

// el builds an element: el('div', {class: 'x', onclick: f}, child, 'text', …).
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  setAttrs(e, attrs);
  append(e, children);
  return e;
}

// sv builds an SVG element the same way.
function sv(tag, attrs, ...children) {
  const e = document.createElementNS(SVG_NS, tag);
  setAttrs(e, attrs);
  append(e, children);
  return e;
}

function setAttrs(e, attrs) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v);
  }
}

function append(e, children) {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

function replace(id, ...children) {
  const e = document.getElementById(id);
  e.replaceChildren();
  append(e, children);
  return e;
}

const png = b64 => 'data:image/png;base64,' + b64;
const pct = (x, d = 2) => (x === null || x === undefined || isNaN(x)) ? '—' : (100 * x).toFixed(d) + '%';
const fixed = (x, d) => (x === null || x === undefined || isNaN(x)) ? '—' : Number(x).toFixed(d);

// si writes a count with an SI suffix: 1.23 M, 456 k.
function si(n, d = 2) {
  if (n === null || n === undefined || isNaN(n)) return '—';
  const a = Math.abs(n);
  for (const [v, s] of [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']]) {
    if (a >= v) return (n / v).toFixed(a / v >= 100 ? 0 : d) + ' ' + s;
  }
  return String(Math.round(n));
}

function duration(s) {
  if (s === null || s === undefined || isNaN(s)) return '—';
  if (s < 60) return s.toFixed(s < 10 ? 2 : 1) + ' s';
  const m = Math.floor(s / 60), r = Math.round(s - 60 * m);
  if (m < 60) return m + ' min ' + r + ' s';
  return Math.floor(m / 60) + ' h ' + (m % 60) + ' min';
}

const ms = x => (x === null || x === undefined || isNaN(x) || x === 0) ? '—' : (x < 1 ? x.toFixed(3) : x < 100 ? x.toFixed(2) : x.toFixed(0)) + ' ms';
const shape = s => (s && s.length) ? s.join('×') : '—';

function dot(color) { return el('span', { class: 'dot', style: 'background:' + color }); }

function modelCell(m) {
  const cell = el('span', { class: 'model-cell' }, dot(m.color), m.model);
  if (m.status && m.status !== 'ok') {
    const bad = m.status === 'failed';
    cell.append(el('span', { class: 'badge ' + (bad ? 'bad' : 'warn'), title: m.error || '' }, m.status));
  }
  return cell;
}

// modelSelect is a <select> of the models that pass `ok` (others disabled).
function modelSelect(id, value, ok, onchange) {
  const s = el('select', { id, onchange: e => onchange(e.target.value) });
  for (const m of MODELS) {
    const o = el('option', { value: m.model }, m.model);
    if (ok && !ok(m)) o.textContent += ' (none)';
    if (m.model === value) o.selected = true;
    s.append(o);
  }
  return s;
}

// segmented builds a row of toggle buttons; options are [value, label].
function segmented(id, options, value, onchange) {
  const box = el('div', { class: 'seg', id, role: 'group' });
  for (const [v, label] of options) {
    box.append(el('button', { type: 'button', class: v === value ? 'on' : '', 'data-value': v, onclick: () => onchange(v) }, label));
  }
  return box;
}

const tooltip = document.getElementById('tooltip');
function showTip(ev, lines) {
  tooltip.replaceChildren(...lines.map((l, i) => i === 0 ? el('b', {}, l) : el('div', {}, l)));
  tooltip.hidden = false;
  const pad = 14, w = tooltip.offsetWidth, h = tooltip.offsetHeight;
  let x = ev.clientX + pad, y = ev.clientY + pad;
  if (x + w > window.innerWidth - 4) x = ev.clientX - w - pad;
  if (y + h > window.innerHeight - 4) y = ev.clientY - h - pad;
  tooltip.style.left = x + 'px';
  tooltip.style.top = y + 'px';
}
function hideTip() { tooltip.hidden = true; }
function tipOn(node, lines) {
  node.addEventListener('mousemove', ev => showTip(ev, lines));
  node.addEventListener('mouseleave', hideTip);
  return node;
}

// ---------- overview ----------

function renderOverview() {
  const tested = MODELS.filter(m => m.test);
  const cards = [];
  const best = (label, get, fmt, higher) => {
    let win = null, wv = null;
    for (const m of MODELS) {
      const v = get(m);
      if (v === null || v === undefined || isNaN(v) || v === 0 && !higher) continue;
      if (win === null || (higher ? v > wv : v < wv)) { win = m; wv = v; }
    }
    if (win) {
      cards.push(el('div', { class: 'card' },
        el('div', { class: 'metric' }, label + (higher ? ' ↑' : ' ↓')),
        el('div', { class: 'value' }, fmt(wv)),
        el('div', { class: 'who' }, dot(win.color), win.model)));
    }
  };
  best('Accuracy', m => m.test && m.test.accuracy, pct, true);
  best('Macro F1', m => m.test && m.test.macro.f1, v => fixed(v, 4), true);
  best('Top-' + (tested.length ? tested[0].test.top_k : 5) + ' accuracy', m => m.test && m.test.top_k_accuracy, pct, true);
  best('Inference, batch 1', m => m.efficiency.inference_batch1.ms_per_image, ms, false);
  best('Training time', m => m.efficiency.train_seconds, duration, false);
  best('FLOPs per image', m => m.efficiency.flops, si, false);
  best('Parameters', m => m.efficiency.params, si, false);
  best('Size', m => m.efficiency.size_mb, v => fixed(v, 2) + ' MB', false);
  replace('best-cards', cards.length ? cards : el('p', { class: 'note' }, 'No model has finished yet.'));

  const d = MODELS.length ? MODELS[0].data : null;
  if (d) {
    const classes = d.classes || [];
    const shown = classes.length > 24 ? classes.slice(0, 24).join(', ') + ', … (' + classes.length + ')' : classes.join(', ');
    replace('dataset-panel', el('h3', {}, 'Dataset'), el('dl', { class: 'facts' },
      el('dt', {}, 'Data'), el('dd', { class: 'mono' }, d.name),
      el('dt', {}, 'Images'), el('dd', {}, `${d.train_images} training · ${d.val_images} validation · ${d.test_images} test`),
      el('dt', {}, 'Classes'), el('dd', {}, `${classes.length}: ${shown}`),
      el('dt', {}, 'Model input'), el('dd', {}, shape(d.input)),
      el('dt', {}, 'Evaluation'), el('dd', { class: 'mono' }, d.eval_transform || '—')));
  } else {
    replace('dataset-panel', el('h3', {}, 'Dataset'), el('p', { class: 'note' }, 'The run has no model results.'));
  }

  const r = DATA.run;
  const took = r.finished && r.started ? (new Date(r.finished) - new Date(r.started)) / 1000 : null;
  replace('run-panel', el('h3', {}, 'Run'), el('dl', { class: 'facts' },
    el('dt', {}, 'Models'), el('dd', {}, MODELS.map(m => m.model).join(', ') || '—'),
    el('dt', {}, 'Started'), el('dd', {}, r.started ? new Date(r.started).toLocaleString() : '—'),
    el('dt', {}, 'Wall time'), el('dd', {}, took && took > 0 ? duration(took) : '—'),
    el('dt', {}, 'Machine'), el('dd', {}, `${r.os}/${r.arch}, ${r.num_cpu} CPUs, kernels ${r.cpu_path}, ${r.threads} threads`),
    el('dt', {}, 'Build'), el('dd', { class: 'mono' }, `${r.go_version} · ${(r.git_commit || '').slice(0, 12)}${r.git_modified ? ' (modified)' : ''}`),
    el('dt', {}, 'Command'), el('dd', { class: 'mono' }, 'train ' + (r.args || []).join(' '))));
  document.getElementById('footer').textContent =
    `Generated ${new Date(DATA.generated).toLocaleString()} by gocnn's report package from results.json and the files of the run directory.`;
}

// ---------- sortable tables ----------

// sortableTable renders rows (models) under columns into the element id.
// A column: {key, label, better: 'up'|'down'|undefined, get: m => value,
// fmt: v => text, text: true for left-aligned text}. The best value of a
// column with a direction is starred; clicking a header sorts by it (best
// first, then reversed); clicking a row selects the model.
function sortableTable(id, columns, rows) {
  const sort = state.sorts[id] || { key: null, desc: true };
  state.sorts[id] = sort;
  let ordered = rows.slice();
  const col = columns.find(c => c.key === sort.key);
  if (col) {
    ordered.sort((a, b) => {
      const va = col.get(a), vb = col.get(b);
      const na = va === null || va === undefined || (typeof va === 'number' && isNaN(va));
      const nb = vb === null || vb === undefined || (typeof vb === 'number' && isNaN(vb));
      if (na || nb) return na - nb; // missing values last
      const c = typeof va === 'string' ? va.localeCompare(vb) : va - vb;
      return sort.desc ? -c : c;
    });
  }
  const bestOf = {};
  for (const c of columns) {
    if (!c.better) continue;
    const vals = rows.map(c.get).filter(v => typeof v === 'number' && !isNaN(v) && (c.better === 'up' || v > 0));
    if (vals.length > 1 && Math.min(...vals) !== Math.max(...vals)) bestOf[c.key] = c.better === 'up' ? Math.max(...vals) : Math.min(...vals);
  }
  const groups = [];
  for (const c of columns) {
    const g = c.group || '';
    if (groups.length && groups[groups.length - 1].name === g) groups[groups.length - 1].span++;
    else groups.push({ name: g, span: 1 });
  }
  const groupRow = groups.some(g => g.name) ? el('tr', { class: 'groups' }, groups.map(g => el('th', { colspan: g.span, class: g.name ? 'group' : '' }, g.name))) : null;
  const head = el('tr', {}, columns.map(c => {
    const th = el('th', {
      'data-key': c.key, class: (c.text ? 'text ' : '') + (c.key === sort.key ? 'sorted' : ''),
      title: c.title || (c.better === 'up' ? 'higher is better' : c.better === 'down' ? 'lower is better' : ''),
      onclick: () => {
        if (sort.key === c.key) sort.desc = !sort.desc;
        else { sort.key = c.key; sort.desc = c.better !== 'down' && !c.text; }
        sortableTable(id, columns, rows);
      },
    }, c.label);
    if (c.better) th.append(el('span', { class: 'dir' }, c.better === 'up' ? '↑' : '↓'));
    if (c.key === sort.key) th.append(el('span', { class: 'arrow' }, sort.desc ? '▼' : '▲'));
    return th;
  }));
  const body = el('tbody', {}, ordered.map(m => el('tr', {
    'data-model': m.model, class: m.model === state.selected ? 'selected' : '',
    onclick: () => selectModel(m.model),
  }, columns.map(c => {
    const v = c.get(m);
    const isBest = c.key in bestOf && v === bestOf[c.key];
    return el('td', { class: (c.text ? 'text ' : '') + (isBest ? 'best' : ''), 'data-key': c.key },
      c.render ? c.render(m) : c.fmt ? c.fmt(v) : (v === null || v === undefined ? '—' : v));
  }))));
  replace(id, el('table', { class: 'sortable rows-clickable' }, el('thead', {}, groupRow, head), body));
}

const testGet = f => m => m.test ? f(m.test) : null;

function qualityColumns() {
  const k = (MODELS.find(m => m.test) || { test: { top_k: 5 } }).test.top_k;
  return [
    { key: 'model', label: 'Model', text: true, get: m => m.model, render: modelCell },
    { key: 'accuracy', label: 'Accuracy', better: 'up', get: testGet(t => t.accuracy), fmt: pct },
    { key: 'topk', label: 'Top-' + k, better: 'up', get: testGet(t => t.top_k_accuracy), fmt: pct },
    { key: 'macro_p', label: 'P', group: 'Macro average', better: 'up', get: testGet(t => t.macro.precision), fmt: v => fixed(v, 4), title: 'precision, unweighted mean over classes' },
    { key: 'macro_r', label: 'R', group: 'Macro average', better: 'up', get: testGet(t => t.macro.recall), fmt: v => fixed(v, 4), title: 'recall, unweighted mean over classes' },
    { key: 'macro_f1', label: 'F1', group: 'Macro average', better: 'up', get: testGet(t => t.macro.f1), fmt: v => fixed(v, 4), title: 'F1, unweighted mean over classes' },
    { key: 'w_p', label: 'P', group: 'Weighted average', better: 'up', get: testGet(t => t.weighted.precision), fmt: v => fixed(v, 4), title: 'precision, mean weighted by support' },
    { key: 'w_r', label: 'R', group: 'Weighted average', better: 'up', get: testGet(t => t.weighted.recall), fmt: v => fixed(v, 4), title: 'recall, mean weighted by support' },
    { key: 'w_f1', label: 'F1', group: 'Weighted average', better: 'up', get: testGet(t => t.weighted.f1), fmt: v => fixed(v, 4), title: 'F1, mean weighted by support' },
    { key: 'loss', label: 'Loss', better: 'down', get: testGet(t => t.loss), fmt: v => fixed(v, 4) },
    { key: 'epochs', label: 'Epochs', get: m => m.epochs_run, fmt: v => v, title: 'epochs run (best epoch in brackets)', render: m => m.epochs_run + (m.best_epoch ? ` (${m.best_epoch})` : '') },
  ];
}

function efficiencyColumns() {
  return [
    { key: 'model', label: 'Model', text: true, get: m => m.model, render: modelCell },
    { key: 'train_s', label: 'Time', group: 'Training', better: 'down', get: m => m.efficiency.train_seconds, fmt: duration },
    { key: 'train_ips', label: 'Images/s', group: 'Training', better: 'up', get: m => m.efficiency.train_images_per_second, fmt: v => v ? fixed(v, 1) : '—' },
    { key: 'inf1', label: 'Batch 1', group: 'Inference per image', better: 'down', get: m => m.efficiency.inference_batch1.ms_per_image, fmt: ms, title: 'milliseconds per image at batch size 1 (median); lower is better' },
    { key: 'infb', label: 'Eval batch', group: 'Inference per image', better: 'down', get: m => m.efficiency.inference_eval_batch.ms_per_image, fmt: ms, title: 'milliseconds per image at the evaluation batch size (median); lower is better' },
    { key: 'flops', label: 'FLOPs', better: 'down', get: m => m.efficiency.flops, fmt: si, title: 'floating-point operations of one forward pass of one image (2 × MACs); lower is better' },
    { key: 'params', label: 'Total', group: 'Parameters', better: 'down', get: m => m.efficiency.params, fmt: si },
    { key: 'trainable', label: 'Trained', group: 'Parameters', get: m => m.efficiency.trainable_params, fmt: si, title: 'parameters trained in the last epoch' },
    { key: 'size', label: 'Size', better: 'down', get: m => m.efficiency.size_mb, fmt: v => fixed(v, 2) + ' MB', title: 'float32 parameters and buffers' },
    { key: 'heap', label: 'Peak heap', better: 'down', get: m => m.efficiency.peak_heap_mb, fmt: v => v ? fixed(v, 0) + ' MB' : '—', title: 'largest live heap seen after a training forward pass' },
  ];
}

function renderTables() {
  sortableTable('quality-table', qualityColumns(), MODELS);
  sortableTable('efficiency-table', efficiencyColumns(), MODELS);
}

function selectModel(name) {
  state.selected = name;
  for (const tr of document.querySelectorAll('tr[data-model]')) {
    tr.classList.toggle('selected', tr.dataset.model === name);
  }
  renderDetail();
}

// ---------- confusion matrix and per-class report ----------

// bluesRGB maps t in [0, 1] to a white → dark blue ramp, as [r, g, b];
// blues writes the colour for CSS.
function bluesRGB(t) {
  const a = [247, 251, 255], b = [8, 48, 107];
  return a.map((v, i) => Math.round(v + (b[i] - v) * Math.pow(t, 0.8)));
}

function blues(t) {
  const c = bluesRGB(t);
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

function renderDetail() {
  const m = byName(state.selected);
  const title = document.getElementById('detail-title');
  title.replaceChildren('Confusion matrix · ', el('span', { id: 'detail-model' }, m ? m.model : '—'));
  replace('cm-toolbar',
    el('label', {}, 'Model', modelSelect('cm-model', state.selected, x => x.test, v => selectModel(v))),
    segmented('cm-mode', [['norm', 'Normalised by true class'], ['raw', 'Counts']], state.cmNormalised ? 'norm' : 'raw', v => {
      state.cmNormalised = v === 'norm';
      renderDetail();
    }));
  if (!m || !m.test) {
    replace('cm', el('p', { class: 'note' }, m ? `${m.model} has no test results (status ${m.status}${m.error ? ': ' + m.error : ''}).` : 'No models.'));
    replace('per-class');
    return;
  }
  replace('cm', m.test.confusion.length > CM_SVG_MAX ? confusionPicture(m) : confusionSVG(m));
  renderPerClass(m);
}

// Beyond CM_SVG_MAX classes the cells are too small to draw, label and
// hover one SVG element each (a thousand classes make a million of them,
// and the page would take half a minute to open): the matrix becomes a
// picture of one pixel per cell, and the tooltip finds the cell under the
// pointer.
const CM_SVG_MAX = 100;

// confusionCounts gathers what both drawings of m's confusion matrix need:
// the counts, the class names, each true class's total and the largest count.
function confusionCounts(m) {
  const cm = m.test.confusion, rowSums = cm.map(r => r.reduce((a, b) => a + b, 0));
  let maxCount = 1;
  cm.forEach(r => r.forEach(v => { maxCount = Math.max(maxCount, v); }));
  return { cm, names: m.test.per_class.map(c => c.class), n: cm.length, rowSums, maxCount };
}

// cellTip is the tooltip of cell (t, p): the two classes, the count, and its
// share of the true class.
function cellTip({ cm, names, rowSums }, t, p) {
  const count = cm[t][p], share = rowSums[t] ? count / rowSums[t] : 0;
  return [`true ${names[t]} → predicted ${names[p]}`, `${count} image${count === 1 ? '' : 's'}`,
    `${pct(share, 1)} of the ${rowSums[t]} ${names[t]} images`];
}

function confusionSVG(m) {
  const counts = confusionCounts(m), { cm, names, n, rowSums, maxCount } = counts;
  const cell = Math.max(12, Math.min(46, Math.floor(520 / n)));
  const labelW = Math.min(150, 12 + 7 * Math.max(...names.map(s => s.length))), top = labelW * 0.72 + 22;
  const left = labelW + 24, size = cell * n;
  const width = left + size + 10, height = top + size + 30;
  const svg = sv('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': 'confusion matrix of ' + m.model });
  const showText = cell >= 24;
  for (let t = 0; t < n; t++) {
    for (let p = 0; p < n; p++) {
      const count = cm[t][p], share = rowSums[t] ? count / rowSums[t] : 0;
      const v = state.cmNormalised ? share : count / maxCount;
      const x = left + p * cell, y = top + t * cell;
      const r = sv('rect', { class: 'cell', x, y, width: cell, height: cell, fill: blues(v), 'data-true': t, 'data-pred': p });
      tipOn(r, cellTip(counts, t, p));
      svg.append(r);
      if (showText && (count > 0 || cell >= 34)) {
        const txt = state.cmNormalised ? (share >= 0.995 ? '100' : (100 * share).toFixed(share < 0.1 ? 1 : 0)) : String(count);
        svg.append(sv('text', {
          x: x + cell / 2, y: y + cell / 2 + 4, 'text-anchor': 'middle', 'font-size': Math.min(12, cell / 2.6),
          fill: v > 0.5 ? '#fff' : '#26323f', 'pointer-events': 'none', 'data-cell': t + ',' + p,
        }, txt));
      }
    }
  }
  const fs = Math.min(12, Math.max(9, cell * 0.55));
  names.forEach((name, i) => {
    svg.append(sv('text', { x: left - 6, y: top + i * cell + cell / 2 + 4, 'text-anchor': 'end', 'font-size': fs, fill: '#3b4754' }, name));
    const cx = left + i * cell + cell / 2;
    svg.append(sv('text', { x: cx, y: top - 6, transform: `rotate(-45 ${cx} ${top - 6})`, 'font-size': fs, fill: '#3b4754' }, name));
  });
  svg.append(sv('text', { x: left + size / 2, y: height - 8, 'text-anchor': 'middle', 'font-size': 12, fill: '#66727f' },
    'predicted class (columns) · true class (rows)' + (state.cmNormalised ? ' · % of the true class' : ' · images')));
  svg.append(sv('rect', { x: left, y: top, width: size, height: size, fill: 'none', stroke: '#c9d2dd' }));
  return svg;
}

function confusionPicture(m) {
  const counts = confusionCounts(m), { cm, n, rowSums, maxCount } = counts;
  const canvas = el('canvas', { id: 'cm-picture', width: n, height: n, 'data-classes': n, role: 'img', 'aria-label': 'confusion matrix of ' + m.model });
  // Smaller matrices are enlarged with sharp cells, larger ones shrunk smoothly.
  canvas.style.cssText = 'display:block;width:min(100%, 640px);aspect-ratio:1;cursor:crosshair;border:1px solid #c9d2dd;' +
    (n < 640 ? 'image-rendering:pixelated;' : '');
  const ctx = canvas.getContext('2d');
  const img = ctx.createImageData(n, n);
  for (let t = 0; t < n; t++) {
    for (let p = 0; p < n; p++) {
      const count = cm[t][p];
      const o = 4 * (t * n + p);
      img.data.set(bluesRGB(state.cmNormalised ? (rowSums[t] ? count / rowSums[t] : 0) : count / maxCount), o);
      img.data[o + 3] = 255;
    }
  }
  ctx.putImageData(img, 0, 0);
  canvas.addEventListener('mousemove', ev => {
    // The picture's position, inside its border.
    const r = canvas.getBoundingClientRect();
    const x = ev.clientX - r.left - canvas.clientLeft, y = ev.clientY - r.top - canvas.clientTop;
    const t = Math.floor(y / canvas.clientHeight * n), p = Math.floor(x / canvas.clientWidth * n);
    if (t < 0 || p < 0 || t >= n || p >= n) { hideTip(); return; }
    showTip(ev, cellTip(counts, t, p));
  });
  canvas.addEventListener('mouseleave', hideTip);
  return el('div', {}, canvas, el('p', { class: 'caption' },
    `${n} classes, one pixel each, in label order: predicted class (columns) · true class (rows)` +
    (state.cmNormalised ? ' · % of the true class' : ' · images') + '; hover for the classes and the count.'));
}

function renderPerClass(m) {
  const t = m.test;
  const rows = t.per_class.map((c, i) => ({ model: m.model, idx: i, ...c }));
  const maxSupport = Math.max(1, ...rows.map(r => r.support));
  const cols = [
    { key: 'class', label: 'Class', text: true, get: r => r.class },
    { key: 'precision', label: 'Precision', better: 'up', get: r => r.precision, fmt: v => fixed(v, 4) },
    { key: 'recall', label: 'Recall', better: 'up', get: r => r.recall, fmt: v => fixed(v, 4) },
    { key: 'f1', label: 'F1', better: 'up', get: r => r.f1, render: r => [el('span', { class: 'bar', style: `width:${Math.round(40 * r.f1)}px` }), fixed(r.f1, 4)] },
    { key: 'support', label: 'Support', get: r => r.support, render: r => [el('span', { class: 'bar', style: `width:${Math.round(30 * r.support / maxSupport)}px;background:#9aa8b6` }), r.support] },
  ];
  const sort = state.sorts['per-class'] || { key: null, desc: true };
  state.sorts['per-class'] = sort;
  const ordered = rows.slice();
  const col = cols.find(c => c.key === sort.key);
  if (col) {
    ordered.sort((a, b) => {
      const va = col.get(a), vb = col.get(b);
      const c = typeof va === 'string' ? va.localeCompare(vb) : va - vb;
      return sort.desc ? -c : c;
    });
  }
  const head = el('tr', {}, cols.map(c => el('th', {
    class: (c.text ? 'text ' : '') + (c.key === sort.key ? 'sorted' : ''), 'data-key': c.key,
    onclick: () => {
      if (sort.key === c.key) sort.desc = !sort.desc;
      else { sort.key = c.key; sort.desc = !c.text; }
      renderPerClass(m);
    },
  }, c.label, c.key === sort.key ? el('span', { class: 'arrow' }, sort.desc ? '▼' : '▲') : null)));
  const body = el('tbody', {}, ordered.map(r => el('tr', {}, cols.map(c =>
    el('td', { class: c.text ? 'text' : '' }, c.render ? c.render(r) : c.fmt ? c.fmt(c.get(r)) : c.get(r))))));
  const avg = (label, a, support) => el('tr', { class: 'avg' }, el('td', { class: 'text' }, label),
    el('td', {}, fixed(a.precision, 4)), el('td', {}, fixed(a.recall, 4)), el('td', {}, fixed(a.f1, 4)), el('td', {}, support));
  const foot = el('tbody', {},
    avg('macro average', t.macro, t.samples), avg('weighted average', t.weighted, t.samples),
    el('tr', { class: 'avg' }, el('td', { class: 'text' }, 'accuracy'), el('td'), el('td'), el('td', {}, fixed(t.accuracy, 4)), el('td', {}, t.samples)));
  replace('per-class', el('table', { class: 'sortable', id: 'per-class-table' }, el('thead', {}, head), body, foot));
}

// ---------- line and scatter charts ----------

// ticks returns about n round values covering [lo, hi].
function ticks(lo, hi, n) {
  if (!(hi > lo)) { hi = lo + 1; }
  const raw = (hi - lo) / n, mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map(s => s * mag).find(s => s >= raw);
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(+v.toFixed(12));
  return out;
}

// decimals returns the digits after the point that show multiples of step.
function decimals(step) {
  let d = 0;
  while (d < 6 && Math.abs(Math.round(step * Math.pow(10, d)) - step * Math.pow(10, d)) > 1e-6) d++;
  return d;
}

function tickFormat(step, top) {
  if (Math.abs(top) < 1e-2 || Math.abs(top) >= 1e5) return v => v === 0 ? '0' : v.toExponential(1);
  const d = decimals(step);
  return v => v.toFixed(d);
}

// lineChart draws series [{color, dashed, points: [[x, y]], name}] with
// epochs on the x axis.
function lineChart(series, opts) {
  const W = 380, H = 250, L = 52, R = 12, T = 10, B = 36;
  const pts = series.flatMap(s => s.points);
  const svg = sv('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': opts.title });
  if (!pts.length) {
    svg.append(sv('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', fill: '#66727f', 'font-size': 12 }, 'no data'));
    return svg;
  }
  let x0 = Math.min(...pts.map(p => p[0])), x1 = Math.max(...pts.map(p => p[0]));
  let y0 = Math.min(...pts.map(p => p[1])), y1 = Math.max(...pts.map(p => p[1]));
  if (opts.zero) y0 = Math.min(0, y0);
  if (x1 === x0) { x0 -= 1; x1 += 1; }
  if (y1 === y0) { y0 -= Math.abs(y0) * 0.1 || 1; y1 += Math.abs(y1) * 0.1 || 1; }
  const padY = (y1 - y0) * 0.06;
  y1 += padY; if (!opts.zero) y0 -= padY;
  const X = v => L + (v - x0) / (x1 - x0) * (W - L - R);
  const Y = v => T + (1 - (v - y0) / (y1 - y0)) * (H - T - B);
  const yt = ticks(y0, y1, 5), yf = opts.yFormat || tickFormat(yt.length > 1 ? yt[1] - yt[0] : 1, Math.max(Math.abs(y0), Math.abs(y1)));
  const axis = sv('g', { class: 'axis' });
  for (const v of yt) {
    if (v < y0 || v > y1) continue;
    axis.append(sv('line', { class: 'gridline', x1: L, x2: W - R, y1: Y(v), y2: Y(v) }));
    axis.append(sv('text', { x: L - 6, y: Y(v) + 4, 'text-anchor': 'end' }, yf(v)));
  }
  const xt = ticks(x0, x1, Math.min(8, Math.max(1, x1 - x0))).filter(v => Number.isInteger(v) && v >= x0 && v <= x1);
  for (const v of xt) axis.append(sv('text', { x: X(v), y: H - B + 16, 'text-anchor': 'middle' }, v));
  axis.append(sv('line', { x1: L, x2: W - R, y1: H - B, y2: H - B }));
  axis.append(sv('text', { x: (L + W - R) / 2, y: H - 4, 'text-anchor': 'middle' }, 'epoch'));
  svg.append(axis);
  for (const s of series) {
    if (!s.points.length) continue;
    const d = s.points.map((p, i) => (i ? 'L' : 'M') + X(p[0]).toFixed(1) + ' ' + Y(p[1]).toFixed(1)).join(' ');
    svg.append(sv('path', { d, fill: 'none', stroke: s.color, 'stroke-width': 2, 'stroke-dasharray': s.dashed ? '5 4' : null, 'stroke-linejoin': 'round' }));
    for (const p of s.points) {
      const c = sv('circle', { cx: X(p[0]), cy: Y(p[1]), r: 3.2, fill: s.dashed ? '#fff' : s.color, stroke: s.color, 'stroke-width': 1.5 });
      tipOn(c, [s.name, `epoch ${p[0]}: ${opts.valueFormat(p[1])}`]);
      svg.append(c);
    }
  }
  return svg;
}

function renderCurves() {
  const options = [['all', 'All models'], ...MODELS.map(m => [m.model, m.model])];
  replace('curves-toolbar', el('label', {}, 'Show', segmented('curves-models', options, state.curves, v => { state.curves = v; renderCurves(); })));
  const shown = MODELS.filter(m => state.curves === 'all' || m.model === state.curves);
  replace('curves-legend', shown.map(m => el('span', {}, el('span', { class: 'swatch', style: 'border-color:' + m.color }), m.model)),
    el('span', {}, el('span', { class: 'swatch', style: 'border-color:#66727f' }), 'training'),
    el('span', {}, el('span', { class: 'swatch dashed', style: 'border-color:#66727f' }), 'validation'));
  // A value that was not finite is null in results.json: left out.
  const finite = p => typeof p[1] === 'number' && isFinite(p[1]);
  const series = (f, fv) => shown.flatMap(m => {
    const h = m.history || [];
    const out = [{ name: m.model + ' training', color: m.color, points: h.map(r => [r.epoch, f(r)]).filter(finite) }];
    if (fv) out.push({ name: m.model + ' validation', color: m.color, dashed: true, points: h.filter(r => r.val).map(r => [r.epoch, fv(r.val)]).filter(finite) });
    return out;
  });
  const chart = (title, s, opts) => el('div', { class: 'chart' }, el('h3', {}, title), lineChart(s, { title, ...opts }));
  replace('curves-charts',
    chart('Loss', series(r => r.train_loss, v => v.loss), { valueFormat: v => v.toFixed(4) }),
    chart('Accuracy', series(r => r.train_accuracy, v => v.accuracy), { valueFormat: v => pct(v), yFormat: v => +(100 * v).toFixed(1) + '%' }),
    chart('Learning rate (head)', series(r => r.lr, null), { valueFormat: v => v.toExponential(2), zero: true }));
}

const scatterAxes = {
  flops: { label: 'FLOPs per image', get: m => m.efficiency.flops, fmt: si, log: true },
  inference: { label: 'inference, ms per image (batch 1)', get: m => m.efficiency.inference_batch1.ms_per_image, fmt: ms, log: true },
  params: { label: 'parameters', get: m => m.efficiency.params, fmt: si, log: true },
  train: { label: 'training time', get: m => m.efficiency.train_seconds, fmt: duration, log: true },
};

function renderScatter() {
  replace('scatter-toolbar', el('label', {}, 'Horizontal axis', segmented('scatter-x',
    [['flops', 'FLOPs'], ['inference', 'Inference time'], ['params', 'Parameters'], ['train', 'Training time']], state.scatterX,
    v => { state.scatterX = v; renderScatter(); })));
  const ax = scatterAxes[state.scatterX];
  const pts = MODELS.filter(m => m.test && ax.get(m) > 0).map(m => ({ m, x: ax.get(m), y: m.test.accuracy }));
  const W = 820, H = 340, L = 60, R = 140, T = 16, B = 44;
  const svg = sv('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'accuracy against ' + ax.label });
  if (!pts.length) {
    replace('scatter', el('p', { class: 'note' }, 'No model has both test results and this figure.'));
    return;
  }
  let lx0 = Math.log10(Math.min(...pts.map(p => p.x))), lx1 = Math.log10(Math.max(...pts.map(p => p.x)));
  const spread = Math.max(lx1 - lx0, 0.3);
  const mid = (lx0 + lx1) / 2;
  lx0 = mid - spread * 0.6; lx1 = mid + spread * 0.6;
  let y0 = Math.min(...pts.map(p => p.y)), y1 = Math.max(...pts.map(p => p.y));
  const padY = Math.max((y1 - y0) * 0.15, 0.005);
  y0 = Math.max(0, y0 - padY); y1 = Math.min(1, y1 + padY);
  if (y1 <= y0) { y0 = Math.max(0, y1 - 0.01); }
  const X = v => L + (Math.log10(v) - lx0) / (lx1 - lx0) * (W - L - R);
  const Y = v => T + (1 - (v - y0) / (y1 - y0)) * (H - T - B);
  const axis = sv('g', { class: 'axis' });
  const yt = ticks(y0, y1, 5), yd = decimals(100 * (yt.length > 1 ? yt[1] - yt[0] : 0.01));
  for (const v of yt) {
    axis.append(sv('line', { class: 'gridline', x1: L, x2: W - R, y1: Y(v), y2: Y(v) }));
    axis.append(sv('text', { x: L - 6, y: Y(v) + 4, 'text-anchor': 'end' }, (100 * v).toFixed(yd) + '%'));
  }
  for (let e = Math.floor(lx0); e <= Math.ceil(lx1); e++) {
    for (const f of [1, 2, 5]) {
      const v = f * Math.pow(10, e), lv = Math.log10(v);
      if (lv < lx0 || lv > lx1) continue;
      axis.append(sv('line', { class: 'gridline', x1: X(v), x2: X(v), y1: T, y2: H - B }));
      axis.append(sv('text', { x: X(v), y: H - B + 16, 'text-anchor': 'middle' }, ax.fmt(v)));
    }
  }
  axis.append(sv('line', { x1: L, x2: W - R, y1: H - B, y2: H - B }));
  axis.append(sv('text', { x: (L + W - R) / 2, y: H - 6, 'text-anchor': 'middle' }, ax.label + ' (log scale) — up and to the left is better'));
  axis.append(sv('text', { x: 14, y: (T + H - B) / 2, transform: `rotate(-90 14 ${(T + H - B) / 2})`, 'text-anchor': 'middle' }, 'test accuracy'));
  svg.append(axis);
  for (const p of pts) {
    const c = sv('circle', { cx: X(p.x), cy: Y(p.y), r: 7, fill: p.m.color, 'fill-opacity': 0.85, stroke: '#fff', 'stroke-width': 2, 'data-model': p.m.model });
    tipOn(c, [p.m.model, `accuracy ${pct(p.y)}`, `${ax.label}: ${ax.fmt(p.x)}`]);
    svg.append(c, sv('text', { x: X(p.x) + 11, y: Y(p.y) + 4, 'font-size': 12.5, fill: '#1d2733', 'font-weight': 600 }, p.m.model));
  }
  replace('scatter', svg);
}

// ---------- feature maps, Grad-CAM, mistakes ----------

function visualsNote(m) {
  return el('p', { class: 'note warn' }, `No feature maps for ${m.model}: ${m.visuals_note || 'none were stored.'}`);
}

function sampleLabel(s) {
  const ok = s.label === s.predicted;
  return el('div', { class: 'lbl' }, 'true ', el('b', {}, s.label), ' · predicted ',
    el('b', { class: ok ? 'right' : 'wrong' }, s.predicted), ` (${pct(s.confidence, 1)})`);
}

function renderFeatureMaps() {
  const m = byName(state.fm.model);
  const tb = [el('label', {}, 'Model', modelSelect('fm-model', state.fm.model, x => x.visuals, v => {
    state.fm = { model: v, layer: 0, sample: state.fm.sample };
    renderFeatureMaps();
  }))];
  if (!m || !m.visuals) {
    replace('fm-toolbar', tb);
    replace('fm-body', m ? visualsNote(m) : el('p', { class: 'note' }, 'No models.'));
    return;
  }
  const v = m.visuals;
  state.fm.layer = Math.min(state.fm.layer, v.layers.length - 1);
  state.fm.sample = Math.min(state.fm.sample, v.samples.length - 1);
  const layerSel = el('select', { id: 'fm-layer', onchange: e => { state.fm.layer = +e.target.value; renderFeatureMaps(); } },
    v.layers.map((l, i) => el('option', { value: i, selected: i === state.fm.layer ? 'selected' : null },
      `${l.name} — ${l.stage}, ${l.position}, ${shape(l.shape)}`)));
  tb.push(el('label', {}, 'Layer', layerSel));
  replace('fm-toolbar', tb);
  if (!v.layers.length || !v.samples.length) {
    replace('fm-body', el('p', { class: 'note' }, 'The visuals file has no layers or no samples.'));
    return;
  }
  const samples = el('div', { class: 'samples', id: 'fm-samples' }, v.samples.map((s, i) =>
    el('button', { type: 'button', class: i === state.fm.sample ? 'on' : '', title: `${s.name}: ${s.label}`, onclick: () => { state.fm.sample = i; renderFeatureMaps(); } },
      el('img', { class: 'pix', src: png(s.image), alt: s.label }))));
  const s = v.samples[state.fm.sample], l = v.layers[state.fm.layer];
  const tileSide = Math.max(l.shape[1], l.shape[2]);
  const scale = Math.max(1, Math.min(8, Math.floor(112 / Math.min(tileSide, 56))));
  const grid = el('img', { class: 'pix', id: 'fm-grid', src: png(l.grids[state.fm.sample]), alt: `feature maps of ${l.name}`, 'data-layer': l.name });
  grid.addEventListener('load', () => { grid.style.width = Math.min(grid.naturalWidth * scale, 960) + 'px'; });
  replace('fm-body', samples, el('div', { class: 'fm-layout' },
    el('div', { class: 'fm-input' }, el('img', { class: 'pix', src: png(s.image), alt: 'input' }), sampleLabel(s),
      el('div', { class: 'caption' }, `test image #${s.index}: ${s.name}`)),
    el('div', { class: 'fm-grid' }, grid, el('div', { class: 'caption', id: 'fm-caption' },
      `${l.name} (${l.stage}, ${l.position}): output ${shape(l.shape)}; showing ${l.channels.length} of ${l.shape[0]} channels, ` +
      `those with the largest mean absolute activation on these images, each stretched to its own range (dark low, yellow high).`))));
}

function renderGradCAM() {
  const m = byName(state.cam);
  replace('cam-toolbar', el('label', {}, 'Model', modelSelect('cam-model', state.cam, x => x.visuals && x.visuals.grad_cam, v => { state.cam = v; renderGradCAM(); })));
  if (!m || !m.visuals) { replace('cam-body', m ? visualsNote(m) : ''); return; }
  const g = m.visuals.grad_cam;
  if (!g) { replace('cam-body', el('p', { class: 'note' }, `No Grad-CAM heatmaps were stored for ${m.model}.`)); return; }
  replace('cam-body',
    el('p', { class: 'caption' }, `Gradient of the predicted class's logit with respect to ${g.layer} (${shape(g.shape)}), averaged over each channel, weights the channels; ` +
      'the positive part of the weighted sum, upsampled to the input, is drawn over the image (red: strongest evidence).'),
    el('div', { class: 'gallery cam' }, m.visuals.samples.map((s, i) => el('div', { class: 'tile' },
      el('div', { class: 'pair' }, el('img', { class: 'pix', src: png(s.image), alt: 'input' }), el('img', { class: 'pix', src: png(g.overlays[i]), alt: 'Grad-CAM' })),
      sampleLabel(s)))));
}

function renderMistakes() {
  const m = byName(state.mis);
  replace('mis-toolbar', el('label', {}, 'Model', modelSelect('mis-model', state.mis, x => x.misclassified.length, v => { state.mis = v; renderMistakes(); })));
  if (!m) { replace('mis-body'); return; }
  if (!m.misclassified.length) {
    replace('mis-body', el('p', { class: 'note' }, m.test ? `${m.model} made no mistakes that were kept (see -misclassified in cmd/train).` : `${m.model} has no test results.`));
    return;
  }
  replace('mis-body', el('div', { class: 'gallery' }, m.misclassified.map(x => el('div', { class: 'tile', title: x.name },
    x.image ? el('img', { class: 'pix', src: png(x.image), alt: x.label }) : el('p', { class: 'note' }, x.image_note || 'no image'),
    el('div', { class: 'lbl' }, 'true ', el('b', {}, x.label), ' → ', el('b', { class: 'wrong' }, x.predicted)),
    el('div', { class: 'caption' }, `confidence ${pct(x.confidence, 1)}`),
    el('div', { class: 'conf' }, el('div', { style: `width:${(100 * x.confidence).toFixed(1)}%` }))))));
}

// ---------- architecture ----------

function renderArchitecture() {
  const m = byName(state.arch);
  replace('arch-toolbar', el('label', {}, 'Model', modelSelect('arch-model', state.arch, x => x.summary, v => { state.arch = v; renderArchitecture(); })));
  if (!m || !m.summary) { replace('arch-body', el('p', { class: 'note' }, m ? `No summary was stored for ${m.model}.` : '')); return; }
  const s = m.summary, layers = s.layers, blocks = s.blocks || [];
  const maxMacs = Math.max(1, ...layers.map(l => l.macs));
  // outermost blocks: those not inside another block
  const outer = blocks.filter(b => !blocks.some(o => o !== b && o.first <= b.first && o.last >= b.last && (o.first < b.first || o.last > b.last)));
  const startAt = new Map(outer.map(b => [b.first, b]));
  const row = (name, type, detail, out, params, macs) => el('div', { class: 'row-box' },
    el('span', { class: 'name', title: name }, name), el('span', { class: 'type' }, type, detail ? el('small', {}, detail) : null),
    el('span', { class: 'num mono' }, shape(out)), el('span', { class: 'num', title: params + ' parameters' }, params ? si(params) : '–'),
    el('span', { class: 'macs', title: macs + ' multiply-accumulates' },
      el('span', { class: 'bar', style: `width:${Math.max(macs ? 2 : 0, Math.round(60 * macs / maxMacs))}px` }), macs ? si(macs) : '–'));
  const layerRow = l => row(l.name, l.type, l.detail, l.output, l.params, l.macs);
  const blockNode = b => {
    const ls = layers.slice(b.first, b.last + 1);
    const params = ls.reduce((a, l) => a + l.params, 0), macs = ls.reduce((a, l) => a + l.macs, 0);
    const node = el('div', { class: 'block', 'data-block': b.name });
    const head = row(b.name, b.type, b.skip ? (b.skip.projection ? 'projected shortcut' : 'identity shortcut') : '', layers[b.last].output, params, macs);
    head.addEventListener('click', () => node.classList.toggle('open'));
    node.append(head, el('div', { class: 'inner' }, ls.map(layerRow)));
    if (b.skip) {
      const kind = b.skip.projection ? 'proj' : 'identity';
      const from = b.skip.from < 0 ? 'the input' : layers[b.skip.from].name;
      node.append(el('div', { class: 'skip ' + kind, title: `skip connection from ${from} to ${layers[b.skip.join].name}` +
        (b.skip.projection ? ` through ${layers[b.skip.projection[0]].name} … ${layers[b.skip.projection[1]].name}` : '') }));
    }
    return node;
  };
  const stages = [];
  let current = null;
  for (let i = 0; i < layers.length;) {
    const l = layers[i];
    const stageName = l.stage || 'head';
    if (!current || current.name !== stageName) {
      current = { name: stageName, items: [] };
      stages.push(current);
    }
    const b = startAt.get(i);
    if (b) { current.items.push(blockNode(b)); i = b.last + 1; } else { current.items.push(layerRow(l)); i++; }
  }
  const stageInfo = new Map((s.stages || []).map(st => [st.name, st]));
  replace('arch-body',
    el('div', { class: 'arch-totals' }, `${m.model} at ${shape(s.input)}: ${si(s.params)} parameters, ${si(s.macs)} MACs (${si(s.flops)} FLOPs), ` +
      `${(s.activation_bytes / 1e6).toFixed(2)} MB of activations per image, ${layers.length} layers, ${blocks.length} blocks.`),
    el('div', { class: 'arch-legend' },
      el('span', {}, el('i', { class: 'key-block' }), 'block: click to see its layers'),
      el('span', {}, el('i', { class: 'key-skip identity' }), 'identity skip connection'),
      el('span', {}, el('i', { class: 'key-skip proj' }), 'projected skip connection (1×1 convolution)')),
    el('div', { class: 'arch', id: 'arch-diagram' },
      el('div', { class: 'row-box header' }, el('span', {}, 'module'), el('span', {}, 'type'), el('span', { class: 'num' }, 'output C×H×W'),
        el('span', { class: 'num' }, 'parameters'), el('span', { class: 'num' }, 'MACs')),
      el('div', { class: 'arch-input' }, `input ${shape(s.input)}`),
      stages.map(st => {
        const info = stageInfo.get(st.name);
        return el('div', { class: 'stage', 'data-stage': st.name },
          el('div', { class: 'stage-head' }, el('span', {}, st.name),
            el('span', {}, info ? `${si(info.params)} parameters${info.frozen ? ' · frozen' : ''}` : '')), st.items);
      }),
      el('div', { class: 'arch-output' }, `output ${shape(layers[layers.length - 1].output)} logits`)));
}

// ---------- configuration ----------

// flatten turns nested objects into [dotted key, value] pairs.
function flatten(obj, prefix, out) {
  for (const [k, v] of Object.entries(obj || {})) {
    const key = prefix ? prefix + '.' + k : k;
    if (v && typeof v === 'object' && !Array.isArray(v)) flatten(v, key, out);
    else out.set(key, v);
  }
  return out;
}

function renderConfig() {
  const groups = [
    ['Training', m => flatten(m.config, '', new Map())],
    ['Model options', m => flatten(m.options, '', new Map())],
    ['Data pipeline', m => new Map([
      ['data', m.data.name], ['training images', m.data.train_images], ['validation images', m.data.val_images],
      ['test images', m.data.test_images], ['input', shape(m.data.input)],
      ['training transform', m.data.train_transform || '—'], ['evaluation transform', m.data.eval_transform],
      ['stages', (m.stages || []).join(', ')]])],
  ];
  const fmtv = v => v === undefined || v === '' || v === null ? '—' : Array.isArray(v) ? (v.length ? v.join(', ') : '[]') : typeof v === 'boolean' ? (v ? 'yes' : 'no') : String(v);
  const head = el('tr', {}, el('th', { class: 'text' }, 'Setting'), MODELS.map(m => el('th', { class: 'text' }, modelCell(m))));
  const rows = [];
  for (const [title, f] of groups) {
    const maps = MODELS.map(f);
    const keys = [];
    for (const mp of maps) for (const k of mp.keys()) if (!keys.includes(k)) keys.push(k);
    rows.push(el('tr', { class: 'group' }, el('td', { colspan: MODELS.length + 1 }, title)));
    for (const k of keys) {
      const vals = maps.map(mp => fmtv(mp.get(k)));
      const differ = new Set(vals).size > 1;
      rows.push(el('tr', {}, el('td', { class: 'text mono' }, k),
        vals.map(v => el('td', { class: 'text mono' + (differ ? ' diff' : '') }, v))));
    }
  }
  replace('config-table', el('table', { class: 'config' }, el('thead', {}, head), el('tbody', {}, rows)));
}

// ---------- start ----------

function render() {
  renderOverview();
  renderTables();
  renderDetail();
  renderCurves();
  renderScatter();
  renderFeatureMaps();
  renderGradCAM();
  renderMistakes();
  renderArchitecture();
  renderConfig();
}

render();
