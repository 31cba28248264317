/**
 * The report page's own script, as plain browser JavaScript embedded inline by document.ts. It
 * reads the RecordedRun (recordedRun.ts) from the page's JSON block and draws everything from it:
 * the space-time diagram with the client history on the same axis, the verdict with each anomaly's
 * moment and contract row, the partitions' and the quorum's state under the time slider, and the
 * narration beside them.
 *
 * Every string from the run reaches the page through textContent or setAttribute, never as markup,
 * so a record value such as `<img src=x onerror=...>` is shown as text; the page's Content Security
 * Policy admits only this script (by its hash) besides. It uses no timers and no network.
 *
 * Hooks for the browser tests: `data-testid` attributes, and `document.body.dataset.ready` once the
 * first drawing is done (with `window.ksimReadyMs`, the milliseconds since navigation began).
 */
export const PAGE_SCRIPT = String.raw`
(function () {
  'use strict';
  var SVG_NS = 'http://www.w3.org/2000/svg';
  var LANE_HEIGHT = 24;
  var LABEL_WIDTH = 64;
  var AXIS_HEIGHT = 22;
  var ARROWS_MAX = 4000;
  var OPS_MAX = 4000;
  var TAIL_OFFSETS = 10;

  // The browser's clock, read by the page in the reader's browser to time its own rendering (the
  // browser test reads these figures); it never reaches a simulation, so determinism is untouched.
  var timings = { start: Math.round(performance.now()) };
  var run = JSON.parse(document.getElementById('ksim-data').textContent);
  timings.parsed = Math.round(performance.now());
  if (run.format !== 'ksim-report/1') throw new Error('unknown report format ' + run.format);

  // ---- Small DOM helpers: text only ever goes through textContent ----
  function el(tag, attributes, text) {
    var node = document.createElement(tag);
    setAttributes(node, attributes);
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function svgEl(tag, attributes, title) {
    var node = document.createElementNS(SVG_NS, tag);
    setAttributes(node, attributes);
    if (title !== undefined) {
      var t = document.createElementNS(SVG_NS, 'title');
      t.textContent = String(title);
      node.appendChild(t);
    }
    return node;
  }
  function setAttributes(node, attributes) {
    if (!attributes) return;
    Object.keys(attributes).forEach(function (key) {
      var value = attributes[key];
      if (value !== undefined && value !== null) node.setAttribute(key, String(value));
    });
  }
  function seconds(ms) { return (ms / 1000).toFixed(3) + ' s'; }
  function append(parent, children) { children.forEach(function (child) { parent.appendChild(child); }); return parent; }

  // ---- Decoding ----
  var messages = (function () {
    var m = run.messages, count = m.sentDeltaMs.length;
    var sent = new Array(count), arrived = new Array(count), maxLatency = 0, at = 0;
    for (var i = 0; i < count; i++) {
      at += m.sentDeltaMs[i];
      sent[i] = at;
      arrived[i] = m.latencyMs[i] < 0 ? -1 : at + m.latencyMs[i];
      if (m.latencyMs[i] > maxLatency) maxLatency = m.latencyMs[i];
    }
    return { count: count, sent: sent, arrived: arrived, from: m.from, to: m.to, api: m.api, apis: m.apis, maxLatency: maxLatency, omitted: m.omitted };
  })();

  /** Values, and partition@offset pairs, that the verdict names: what the page highlights. */
  var highlight = (function () {
    var values = new Set(), offsets = new Set();
    var pattern = /"([^"\\]+)" at ([A-Za-z0-9._-]+)@(\d+)/g;
    function scan(text) {
      var match;
      pattern.lastIndex = 0;
      while ((match = pattern.exec(text)) !== null) { values.add(match[1]); offsets.add(match[2] + '@' + match[3]); }
    }
    run.outcome.violations.forEach(function (v) {
      scan(v.message);
      scan(JSON.stringify(v.details || {}));
      var d = v.details || {};
      if (typeof d.partition === 'string' && typeof d.offset === 'number') offsets.add(d.partition + '@' + d.offset);
    });
    return { values: values, offsets: offsets };
  })();

  function lowerBound(array, value) {
    var lo = 0, hi = array.length;
    while (lo < hi) { var mid = (lo + hi) >> 1; if (array[mid] < value) lo = mid + 1; else hi = mid; }
    return lo;
  }

  var apiColours = ['#1f77b4', '#2ca02c', '#9467bd', '#8c564b', '#17becf', '#bcbd22', '#7f7f7f', '#e377c2', '#ff7f0e', '#393b79'];
  /** A request and its response share a colour: one per API. */
  var apiFamilies = [];
  messages.apis.forEach(function (api) {
    var family = api.replace(/Response$/, '');
    if (apiFamilies.indexOf(family) < 0) apiFamilies.push(family);
  });
  function apiColour(index) {
    var family = messages.apis[index].replace(/Response$/, '');
    return apiColours[apiFamilies.indexOf(family) % apiColours.length];
  }

  // ---- State: the moment under the slider and the diagram's window ----
  var violationAt = run.focus.violationAtMs;
  var state = {
    t: violationAt !== null ? violationAt : run.endMs,
    from: run.focus.fromMs,
    to: Math.max(run.focus.toMs, run.focus.fromMs + 1),
    selected: null,
  };

  // ---- Layout ----
  var root = document.getElementById('ksim-report');
  var main = el('main');
  var aside = el('aside', { 'data-testid': 'narration' });
  append(root, [header(), main, aside]);

  function header() {
    var h = el('header');
    var title = el('h1');
    append(title, [el('span', null, run.scenario.name), el('span', { 'class': 'verdict verdict-' + run.verdict, 'data-testid': 'verdict-badge' }, run.verdict)]);
    append(h, [
      title,
      el('p', { 'class': 'description' }, run.scenario.description),
      el('p', { 'class': 'facts' }, 'system ' + run.scenario.system + ' · seed ' + run.seed + ' · expected ' + run.scenario.expect +
        ' · ran ' + seconds(run.endMs) + ' of ' + seconds(run.scenario.durationMs + run.scenario.livenessMs) + ' · trace hash ' + run.traceHash),
      append(el('p', { 'class': 'replay' }), [el('span', null, 'replay: '), el('code', null, run.replayCommand)]),
    ]);
    return h;
  }

  // ---- The verdict ----
  var verdictSection = el('section', { 'data-testid': 'verdict', 'class': 'panel' });
  main.appendChild(verdictSection);
  (function drawVerdict() {
    verdictSection.appendChild(el('h2', null, 'Verdict: ' + run.verdict));
    var contract = run.outcome.contract;
    run.outcome.violations.forEach(function (v, index) {
      var box = el('div', { 'class': 'violation', 'data-testid': 'violation', 'data-index': index });
      var head = el('div', { 'class': 'violation-head' });
      var goTo = el('button', { 'type': 'button', 'class': 'moment' }, 'at ' + seconds(v.atMs));
      goTo.addEventListener('click', function () { focusOn(v.atMs); selectViolation(index); });
      append(head, [el('strong', null, v.invariant), el('span', { 'class': 'kind' }, v.kind), goTo]);
      append(box, [head, el('p', null, v.message)]);
      var details = v.details || {};
      var keys = Object.keys(details).filter(function (k) { return k !== 'stack'; });
      if (keys.length > 0) {
        var table = el('table', { 'class': 'details' });
        keys.forEach(function (key) {
          var value = details[key];
          append(table, [append(el('tr'), [el('th', null, key), el('td', null, typeof value === 'string' ? value : JSON.stringify(value))])]);
        });
        box.appendChild(table);
      }
      box.appendChild(contractLine(v.invariant, contract));
      verdictSection.appendChild(box);
      box.addEventListener('click', function () { selectViolation(index); });
    });
    if (run.outcome.violations.length === 0) verdictSection.appendChild(el('p', null, 'No violation: every promise of the contract held.'));
    if (run.outcome.anomalies.length > 0) {
      var allowed = el('div', { 'class': 'allowed', 'data-testid': 'allowed' });
      allowed.appendChild(el('h3', null, 'Anomalies the contract allows'));
      run.outcome.anomalies.forEach(function (a) {
        var item = el('details');
        item.appendChild(el('summary', null, a.anomaly + ' × ' + a.count + ' — ' + a.reason));
        var list = el('ul');
        (a.excuses || []).slice(0, 50).forEach(function (excuse) {
          var faults = excuse.faults.map(function (f) { return f.kind + ' of ' + f.node + ' at ' + seconds(f.atMs); }).join(', ');
          list.appendChild(el('li', null, excuse.subject + ' — ' + excuse.rule + (faults ? ' (' + faults + ')' : '')));
        });
        if ((a.excuses || []).length > 50) list.appendChild(el('li', null, '… ' + (a.excuses.length - 50) + ' more'));
        item.appendChild(list);
        allowed.appendChild(item);
      });
      verdictSection.appendChild(allowed);
    }
    if (contract) {
      var whole = el('details', { 'class': 'contract' });
      whole.appendChild(el('summary', null, 'The contract of this configuration (sim/systems/kafka/contract.ts)'));
      var table = el('table');
      append(table, [append(el('tr'), [el('th', null, 'anomaly'), el('th', null, 'allowed'), el('th', null, 'why')])]);
      contract.forEach(function (row) {
        append(table, [append(el('tr', { 'data-anomaly': row.anomaly }), [el('td', null, row.anomaly), el('td', null, row.allowed ? 'allowed' : 'never'), el('td', null, row.reason)])]);
      });
      whole.appendChild(table);
      verdictSection.appendChild(whole);
    }
  })();

  function contractLine(invariant, contract) {
    var anomaly = invariant.indexOf('/') >= 0 ? invariant.slice(invariant.indexOf('/') + 1) : invariant;
    var row = contract ? contract.filter(function (r) { return r.anomaly === anomaly; })[0] : undefined;
    var p = el('p', { 'class': 'contract-row', 'data-testid': 'contract-row' });
    if (row) {
      append(p, [el('span', { 'class': 'label' }, 'contract: '), el('code', null, row.anomaly), el('span', null, row.allowed
        ? ' is allowed by this configuration only where a loss rule excuses it (' + row.reason + '); none did here.'
        : ' is never allowed: ' + row.reason)]);
    } else {
      append(p, [el('span', { 'class': 'label' }, 'contract: '), el('span', null, invariant + ' is an invariant every run is held to, whatever its configuration.')]);
    }
    return p;
  }

  function selectViolation(index) {
    state.selected = index;
    Array.prototype.forEach.call(document.querySelectorAll('.violation'), function (box) {
      box.classList.toggle('selected', Number(box.getAttribute('data-index')) === index);
    });
  }

  // ---- The timeline: toolbar, diagram, slider ----
  var timeline = el('section', { 'class': 'panel', 'data-testid': 'timeline' });
  main.appendChild(timeline);
  timeline.appendChild(el('h2', null, 'Space-time diagram'));
  var toolbar = el('div', { 'class': 'toolbar' });
  function tool(label, action, testid) {
    var b = el('button', { 'type': 'button', 'data-testid': testid }, label);
    b.addEventListener('click', action);
    toolbar.appendChild(b);
  }
  tool('zoom in', function () { zoom(0.5, (state.from + state.to) / 2); }, 'zoom-in');
  tool('zoom out', function () { zoom(2, (state.from + state.to) / 2); }, 'zoom-out');
  if (violationAt !== null) tool('around the violation', function () { setView(run.focus.fromMs, run.focus.toMs); }, 'zoom-violation');
  tool('whole run', function () { setView(0, run.endMs); }, 'zoom-all');
  var windowLabel = el('span', { 'class': 'window-label' });
  toolbar.appendChild(windowLabel);
  timeline.appendChild(toolbar);
  var legend = el('p', { 'class': 'legend' },
    'Lanes are nodes; a line is a message from send to arrival (a short dashed stub: never arrived); shaded bands are faults; ' +
    'bars on client lanes are operations (green ok, orange unknown, grey failed, red named by the verdict). Scroll to zoom, drag to pan, click to move the slider.');
  timeline.appendChild(legend);
  var apiLegend = el('p', { 'class': 'legend apis' });
  apiFamilies.forEach(function (family, index) {
    var swatch = el('span', { 'class': 'swatch', 'style': 'background:' + apiColours[index % apiColours.length] });
    append(apiLegend, [swatch, el('span', null, family + ' ')]);
  });
  timeline.appendChild(apiLegend);
  var diagramBox = el('div', { 'class': 'diagram' });
  timeline.appendChild(diagramBox);
  var diagram = svgEl('svg', { 'data-testid': 'diagram' });
  diagramBox.appendChild(diagram);

  var sliderRow = el('div', { 'class': 'slider-row' });
  var slider = el('input', { 'type': 'range', 'min': 0, 'max': run.endMs, 'step': 1, 'value': state.t, 'data-testid': 'slider', 'aria-label': 'time' });
  var timeLabel = el('span', { 'class': 'time', 'data-testid': 'time' });
  append(sliderRow, [el('span', null, 'time'), slider, timeLabel]);
  timeline.appendChild(sliderRow);
  slider.addEventListener('input', function () { setTime(Number(slider.value)); });

  function width() { return Math.max(400, diagramBox.clientWidth || 900); }
  function x(t, w) { return LABEL_WIDTH + (t - state.from) / (state.to - state.from) * (w - LABEL_WIDTH - 8); }
  function timeAt(px, w) { return state.from + (px - LABEL_WIDTH) / (w - LABEL_WIDTH - 8) * (state.to - state.from); }
  function laneY(index) { return AXIS_HEIGHT + index * LANE_HEIGHT + LANE_HEIGHT / 2; }

  function drawDiagram() {
    var w = width();
    var h = AXIS_HEIGHT + run.nodes.length * LANE_HEIGHT + 6;
    while (diagram.firstChild) diagram.removeChild(diagram.firstChild);
    setAttributes(diagram, { width: w, height: h, viewBox: '0 0 ' + w + ' ' + h });
    windowLabel.textContent = 'showing ' + seconds(state.from) + ' – ' + seconds(state.to);
    drawAxis(w);
    drawFaults(w);
    run.nodes.forEach(function (node, i) {
      var y = laneY(i);
      diagram.appendChild(svgEl('line', { x1: LABEL_WIDTH, x2: w - 8, y1: y, y2: y, 'class': 'lane lane-' + run.roles[i] }));
      diagram.appendChild(svgEl('text', { x: 4, y: y + 4, 'class': 'lane-label' }, undefined)).textContent = node;
    });
    drawMessages(w);
    drawOperations(w);
    if (violationAt !== null && violationAt >= state.from && violationAt <= state.to) {
      var vx = x(violationAt, w);
      diagram.appendChild(svgEl('line', { x1: vx, x2: vx, y1: 0, y2: h, 'class': 'violation-line', 'data-testid': 'violation-line' }, 'the first violation, at ' + seconds(violationAt)));
    }
    cursor = svgEl('line', { y1: 0, y2: h, 'class': 'cursor' });
    diagram.appendChild(cursor);
    placeCursor();
  }
  var cursor = null;
  function placeCursor() {
    if (cursor === null) return;
    var cx = x(state.t, width());
    setAttributes(cursor, { x1: cx, x2: cx, visibility: state.t >= state.from && state.t <= state.to ? 'visible' : 'hidden' });
  }

  function drawAxis(w) {
    var span = state.to - state.from;
    var step = Math.pow(10, Math.floor(Math.log10(span / 6)));
    if (span / step > 12) step *= 5; else if (span / step > 6) step *= 2;
    for (var t = Math.ceil(state.from / step) * step; t <= state.to; t += step) {
      var tx = x(t, w);
      diagram.appendChild(svgEl('line', { x1: tx, x2: tx, y1: AXIS_HEIGHT - 4, y2: AXIS_HEIGHT + run.nodes.length * LANE_HEIGHT, 'class': 'tick' }));
      var label = svgEl('text', { x: tx + 2, y: 12, 'class': 'tick-label' });
      label.textContent = step >= 1000 ? (t / 1000) + ' s' : seconds(t);
      diagram.appendChild(label);
    }
  }

  function drawFaults(w) {
    run.faults.forEach(function (fault) {
      if (fault.endMs < state.from || fault.atMs > state.to) return;
      var x1 = x(Math.max(fault.atMs, state.from), w), x2 = x(Math.min(Math.max(fault.endMs, fault.atMs + 1), state.to), w);
      fault.nodes.forEach(function (lane) {
        diagram.appendChild(svgEl('rect', {
          x: x1, y: laneY(lane) - LANE_HEIGHT / 2 + 1, width: Math.max(2, x2 - x1), height: LANE_HEIGHT - 2,
          'class': 'fault fault-' + fault.type, 'data-testid': 'fault',
        }, fault.text + ' (' + seconds(fault.atMs) + ' – ' + seconds(fault.endMs) + ')'));
      });
    });
  }

  function drawMessages(w) {
    var first = lowerBound(messages.sent, state.from - messages.maxLatency);
    var last = lowerBound(messages.sent, state.to + 1);
    // Too many to draw: every stride-th message, so the whole window stays represented.
    var stride = Math.max(1, Math.ceil((last - first) / ARROWS_MAX));
    var drawn = 0, skipped = 0;
    var group = svgEl('g', { 'class': 'messages' });
    for (var i = first; i < last; i++) {
      var sent = messages.sent[i], arrived = messages.arrived[i];
      if (arrived >= 0 && arrived < state.from) continue;
      if ((i - first) % stride !== 0) { skipped++; continue; }
      drawn++;
      var y1 = laneY(messages.from[i]), y2 = laneY(messages.to[i]);
      var api = messages.apis[messages.api[i]];
      var x1 = x(sent, w);
      if (arrived < 0) {
        group.appendChild(svgEl('line', { x1: x1, y1: y1, x2: x1 + 6, y2: y1 + (y2 - y1) / 4, 'class': 'message dropped' }, api + ' ' + run.nodes[messages.from[i]] + ' → ' + run.nodes[messages.to[i]] + ' sent at ' + seconds(sent) + ', never arrived'));
      } else {
        group.appendChild(svgEl('line', { x1: x1, y1: y1, x2: x(arrived, w), y2: y2, stroke: apiColour(messages.api[i]), 'class': 'message' },
          api + ' ' + run.nodes[messages.from[i]] + ' → ' + run.nodes[messages.to[i]] + ', ' + seconds(sent) + ' → ' + seconds(arrived)));
      }
    }
    diagram.appendChild(group);
    var note = drawn === 0 ? 'no messages in this window' : drawn + ' messages in this window';
    if (skipped > 0) note += ' (one in ' + stride + ' drawn: zoom in for all)';
    if (messages.omitted > 0) note += '; ' + messages.omitted + ' messages far from ' + (violationAt !== null ? 'the violation' : 'the run\'s first seconds') + ' were left out of this report';
    windowLabel.textContent += ' · ' + note;
  }

  function drawOperations(w) {
    var drawn = 0;
    var visible = run.history.rows.filter(function (row) { return (row[2] < 0 ? run.endMs : row[2]) >= state.from && row[1] <= state.to; });
    var stride = Math.max(1, Math.ceil(visible.length / OPS_MAX));
    var hit = function (row) { return row[5] !== null && highlight.values.has(row[5]); };
    // Operations the verdict names are always drawn, and drawn last, on top.
    var rows = visible.filter(function (row, index) { return !hit(row) && index % stride === 0; }).concat(visible.filter(hit));
    rows.forEach(function (row) {
      var invoked = row[1], completed = row[2] < 0 ? run.endMs : row[2];
      drawn++;
      var y = laneY(row[0]);
      var named = row[5] !== null && highlight.values.has(row[5]);
      var x1 = x(Math.max(invoked, state.from), w), x2 = x(Math.min(completed, state.to), w);
      var text = row[4] + ' ' + (row[5] === null ? '' : row[5]) + ' → ' + row[3] + (row[7] !== null ? ' at ' + run.history.partitionName(row[6]) + '@' + row[7] : '') +
        ', ' + seconds(invoked) + ' – ' + (row[2] < 0 ? 'never answered' : seconds(row[2]));
      diagram.appendChild(svgEl('rect', { x: x1, y: y - 4 + (drawn % 3) * 2 - 2, width: Math.max(1.5, x2 - x1), height: 4, 'class': 'op op-' + row[3] + (named ? ' hit' : ''), 'data-testid': named ? 'op-hit' : undefined }, text));
    });
  }
  run.history.partitionName = function (partition) {
    var names = run.partitions.map(function (p) { return p.name; });
    var suffix = '-' + partition;
    return names.filter(function (n) { return n.slice(-suffix.length) === suffix; })[0] || ('partition ' + partition);
  };

  function setView(from, to) {
    var span = Math.max(20, to - from);
    from = Math.max(0, Math.min(from, run.endMs - span));
    state.from = from;
    state.to = Math.min(run.endMs, from + span);
    if (state.to <= state.from) state.to = state.from + 1;
    drawDiagram();
  }
  function zoom(factor, around) {
    var from = around - (around - state.from) * factor, to = around + (state.to - around) * factor;
    setView(from, to);
  }
  function focusOn(t) {
    var span = state.to - state.from;
    if (t < state.from || t > state.to) setView(t - span * 0.8, t + span * 0.2);
    setTime(t);
  }

  diagram.addEventListener('wheel', function (event) {
    event.preventDefault();
    var rect = diagram.getBoundingClientRect();
    zoom(event.deltaY > 0 ? 1.25 : 0.8, timeAt(event.clientX - rect.left, width()));
  }, { passive: false });
  var drag = null;
  diagram.addEventListener('mousedown', function (event) { drag = { x: event.clientX, from: state.from, to: state.to, moved: false }; });
  window.addEventListener('mousemove', function (event) {
    if (drag === null) return;
    var dx = event.clientX - drag.x;
    if (Math.abs(dx) > 3) drag.moved = true;
    if (!drag.moved) return;
    var perPixel = (drag.to - drag.from) / (width() - LABEL_WIDTH - 8);
    setView(drag.from - dx * perPixel, drag.to - dx * perPixel);
  });
  window.addEventListener('mouseup', function (event) {
    if (drag !== null && !drag.moved) {
      var rect = diagram.getBoundingClientRect();
      setTime(Math.round(Math.max(0, Math.min(run.endMs, timeAt(event.clientX - rect.left, width())))));
    }
    drag = null;
  });

  // ---- State under the slider: partitions and the quorum ----
  var statePanel = el('section', { 'class': 'panel', 'data-testid': 'state' });
  main.appendChild(statePanel);
  statePanel.appendChild(el('h2', null, 'Replicas at the slider\'s moment'));
  var partitionsBox = el('div');
  statePanel.appendChild(partitionsBox);
  var quorumBox = el('div');
  statePanel.appendChild(quorumBox);

  function replicaStateAt(partition, t) {
    var replicas = {}, lastIsr = null, partitionEpoch = null, proposal = null;
    function replica(node) {
      if (!replicas[node]) replicas[node] = { role: '—', epoch: null, leader: null, leo: 0, hw: 0, segments: [], down: false, isr: null };
      return replicas[node];
    }
    function cut(r, offset) {
      while (r.segments.length > 0) {
        var last = r.segments[r.segments.length - 1];
        if (last.base >= offset) r.segments.pop();
        else { if (last.last >= offset) { last.last = offset - 1; if (last.values) last.values = last.values.slice(0, offset - last.base); } break; }
      }
      r.leo = Math.min(r.leo, offset);
    }
    var events = partition.events;
    for (var i = 0; i < events.length && events[i][0] <= t; i++) {
      var e = events[i], r = replica(e[1]);
      switch (e[2]) {
        case 'a': r.down = false; r.segments.push({ base: e[3], last: e[4], epoch: e[5], values: e[6] === 0 ? null : e[6].slice() }); r.leo = e[4] + 1; break;
        case 'h': r.hw = e[3]; break;
        case 'L': r.down = false; r.role = 'leader'; r.epoch = e[3]; r.leader = e[1]; r.isr = e[4]; lastIsr = e[4]; proposal = null; break;
        case 'F': r.down = false; r.role = 'follower'; r.epoch = e[4]; r.leader = e[3]; break;
        case 'I': r.isr = e[3]; lastIsr = e[3]; partitionEpoch = e[4]; proposal = null; break;
        case 'P': proposal = { isr: e[3], reason: e[4], by: e[1] }; break;
        case 'T': cut(r, e[3]); if (r.hw > e[3]) r.hw = e[3]; break;
        case 'R': r.down = false; r.role = '—'; cut(r, e[4]); r.leo = e[4]; r.hw = Math.min(r.hw, e[4]); break;
        case 'D': r.down = true; r.role = 'halted'; break;
      }
    }
    run.faults.forEach(function (fault) {
      if (fault.type !== 'crash' || fault.atMs > t || fault.endMs < t) return;
      fault.nodes.forEach(function (lane) { var r = replicas[lane]; if (r) { r.down = true; r.role = 'down'; } });
    });
    // The partition's leader is the live leader of the highest epoch; the ISR is its view.
    var leader;
    Object.keys(replicas).forEach(function (key) {
      var r = replicas[key];
      if (r.role === 'leader' && !r.down && (leader === undefined || r.epoch > replicas[leader].epoch)) leader = Number(key);
    });
    Object.keys(replicas).forEach(function (key) {
      var r = replicas[key];
      if (r.role === 'leader' && Number(key) !== leader) r.role = r.down ? r.role : 'deposed leader';
    });
    var isr = leader !== undefined && replicas[leader].isr !== null ? replicas[leader].isr : lastIsr;
    return { replicas: replicas, leader: leader, isr: isr, partitionEpoch: partitionEpoch, proposal: proposal };
  }

  function recordAt(r, offset) {
    for (var s = r.segments.length - 1; s >= 0; s--) {
      var seg = r.segments[s];
      if (offset > seg.last) return null;
      if (offset >= seg.base) return { epoch: seg.epoch, value: seg.values ? seg.values[offset - seg.base] : null };
    }
    return null;
  }

  /** The offsets the log view shows: the tail of the longest log, or around an offset the verdict names. */
  function offsetWindow(partition, s) {
    var maxLeo = 0;
    Object.keys(s.replicas).forEach(function (k) { maxLeo = Math.max(maxLeo, s.replicas[k].leo); });
    var named = [];
    highlight.offsets.forEach(function (key) {
      var at = key.lastIndexOf('@');
      if (key.slice(0, at) === partition.name) named.push(Number(key.slice(at + 1)));
    });
    var end = maxLeo;
    if (named.length > 0) {
      var lowest = Math.min.apply(null, named);
      if (lowest < maxLeo - TAIL_OFFSETS + 2 || lowest >= maxLeo) end = lowest + Math.ceil(TAIL_OFFSETS / 2);
    }
    var start = Math.max(0, end - TAIL_OFFSETS);
    return { start: start, end: Math.max(start, end) };
  }

  function drawPartitions() {
    while (partitionsBox.firstChild) partitionsBox.removeChild(partitionsBox.firstChild);
    run.partitions.forEach(function (partition) {
      var s = replicaStateAt(partition, state.t);
      var nodes = Object.keys(s.replicas).map(Number).sort(function (a, b) { return a - b; });
      var leader = s.leader;
      var box = el('div', { 'class': 'partition', 'data-testid': 'partition', 'data-partition': partition.name });
      var isrText = s.isr === null ? 'unknown' : '[' + s.isr.join(', ') + ']';
      box.appendChild(el('h3', null, partition.name));
      box.appendChild(el('p', { 'class': 'partition-facts', 'data-testid': 'isr' },
        'leader ' + (leader === undefined ? 'none' : run.nodes[leader] + ' in leader epoch ' + s.replicas[leader].epoch) +
        ' · ISR ' + isrText + (s.partitionEpoch !== null ? ' (partition epoch ' + s.partitionEpoch + ')' : '') +
        (s.proposal !== null ? ' · proposed by ' + run.nodes[s.proposal.by] + ': [' + s.proposal.isr.join(', ') + '] (' + s.proposal.reason + ')' : '')));
      var window = offsetWindow(partition, s);
      var table = el('table', { 'class': 'replicas' });
      var head = append(el('tr'), ['replica', 'role', 'epoch', 'LEO', 'HW', 'in ISR'].map(function (h) { return el('th', null, h); }));
      for (var o = window.start; o < window.end; o++) head.appendChild(el('th', { 'class': 'offset' + (highlight.offsets.has(partition.name + '@' + o) ? ' hit' : '') }, o));
      table.appendChild(head);
      nodes.forEach(function (n) {
        var r = s.replicas[n], name = run.nodes[n];
        var inIsr = s.isr !== null && s.isr.indexOf(name) >= 0;
        var row = el('tr', { 'class': r.down ? 'down' : '', 'data-replica': name });
        append(row, [
          el('td', null, name), el('td', null, r.role), el('td', null, r.epoch === null ? '—' : r.epoch),
          el('td', { 'data-testid': 'leo' }, r.leo), el('td', { 'data-testid': 'hw' }, r.hw), el('td', null, inIsr ? 'yes' : 'no'),
        ]);
        for (var offset = window.start; offset < window.end; offset++) {
          var record = offset < r.leo ? recordAt(r, offset) : null;
          var named = highlight.offsets.has(partition.name + '@' + offset);
          if (record === null) {
            row.appendChild(el('td', { 'class': 'record empty' + (named ? ' missing' : ''), 'title': name + ' has no record at offset ' + offset }, named ? 'missing' : ''));
            continue;
          }
          named = named || (record.value !== null && highlight.values.has(record.value));
          row.appendChild(el('td', {
            'class': 'record epoch-' + (record.epoch % 6) + (offset >= r.hw ? ' uncommitted' : '') + (named ? ' hit' : ''),
            'title': name + ': offset ' + offset + ', leader epoch ' + record.epoch + (record.value !== null ? ', value ' + record.value : '') + (offset >= r.hw ? ', above its high watermark' : ''),
          }, record.value !== null ? record.value : 'e' + record.epoch));
        }
        table.appendChild(row);
      });
      box.appendChild(table);
      partitionsBox.appendChild(box);
    });
    if (run.partitions.length === 0) partitionsBox.appendChild(el('p', null, 'This system has no Kafka partitions.'));
    else partitionsBox.appendChild(el('p', { 'class': 'legend' }, 'A cell is a record: its value, coloured by leader epoch; hatched above that replica\'s high watermark; red where the verdict names it ("missing": a replica lacks it).'));
  }

  function drawQuorum() {
    while (quorumBox.firstChild) quorumBox.removeChild(quorumBox.firstChild);
    if (run.quorum.events.length === 0) return;
    var voters = {};
    run.quorum.events.forEach(function (e) {
      if (e[0] > state.t) return;
      var v = voters[e[1]] || (voters[e[1]] = { epoch: null, role: '—', leader: null, end: 0, hw: 0 });
      if (e[2] === 'S') { v.epoch = e[3]; v.role = e[4]; v.leader = e[5]; }
      if (e[2] === 'E') v.end = e[3];
      if (e[2] === 'H') v.hw = e[3];
    });
    quorumBox.appendChild(el('h3', null, 'KRaft metadata quorum'));
    var table = el('table', { 'class': 'replicas', 'data-testid': 'quorum' });
    append(table, [append(el('tr'), ['node', 'role', 'epoch', 'leader', 'log end', 'HW'].map(function (h) { return el('th', null, h); }))]);
    Object.keys(voters).map(Number).sort(function (a, b) { return a - b; }).forEach(function (n) {
      var v = voters[n];
      append(table, [append(el('tr', { 'class': 'role-' + v.role }), [el('td', null, run.nodes[n]), el('td', null, v.role), el('td', null, v.epoch), el('td', null, v.leader === null ? '—' : v.leader), el('td', null, v.end), el('td', null, v.hw)])]);
    });
    quorumBox.appendChild(table);
    var records = run.quorum.records.filter(function (r) { return r[0] <= state.t; }).slice(-8);
    if (records.length > 0) {
      quorumBox.appendChild(el('h4', null, 'The newest metadata records'));
      var list = el('ol', { 'class': 'metadata' });
      records.forEach(function (r) { list.appendChild(el('li', { 'value': r[1] }, seconds(r[0]) + ' · ' + r[2])); });
      quorumBox.appendChild(list);
    }
  }

  // ---- The narration beside the timeline: a window of lines around the slider's moment ----
  var NARRATION_SHOWN_MAX = 300;
  var narrationList = el('ol', { 'class': 'narration' });
  var narrationShown = { from: 0, to: 0 };
  var currentLine = null;
  var narrationTimes = run.narration.map(function (line) { return line[0]; });
  (function drawNarration() {
    aside.appendChild(el('h2', null, 'What happened'));
    if (run.scenario.lesson) {
      var lesson = el('details', { 'class': 'lesson', 'open': '' });
      lesson.appendChild(el('summary', null, 'The lesson'));
      run.scenario.lesson.split(/\n\s*\n/).forEach(function (paragraph) { lesson.appendChild(el('p', null, paragraph)); });
      aside.appendChild(lesson);
    }
    aside.appendChild(narrationList);
  })();
  function narrationLine(index) {
    var line = run.narration[index];
    var item = el('li', { 'class': 'tone-' + line[1], 'data-index': index });
    append(item, [el('span', { 'class': 'stamp' }, seconds(line[0])), el('span', null, line[2])]);
    item.addEventListener('click', function () { focusOn(line[0]); });
    return item;
  }
  function showNarration(from, to) {
    while (narrationList.firstChild) narrationList.removeChild(narrationList.firstChild);
    currentLine = null;
    narrationShown = { from: from, to: to };
    if (from > 0) narrationList.appendChild(moreButton('… ' + from + ' earlier lines', Math.max(0, from - NARRATION_SHOWN_MAX), from + NARRATION_SHOWN_MAX / 2));
    for (var i = from; i < to; i++) narrationList.appendChild(narrationLine(i));
    if (to < run.narration.length) narrationList.appendChild(moreButton('… ' + (run.narration.length - to) + ' later lines', to - NARRATION_SHOWN_MAX / 2, Math.min(run.narration.length, to + NARRATION_SHOWN_MAX)));
  }
  function moreButton(label, from, to) {
    var item = el('li', { 'class': 'more' });
    var button = el('button', { 'type': 'button' }, label);
    button.addEventListener('click', function () { showNarration(Math.max(0, from), Math.min(run.narration.length, to)); });
    item.appendChild(button);
    return item;
  }
  function markNarration() {
    var index = lowerBound(narrationTimes, state.t + 1) - 1;
    if (index >= 0 && (index < narrationShown.from || index >= narrationShown.to || narrationShown.to === 0)) {
      var from = Math.max(0, index - NARRATION_SHOWN_MAX / 2);
      showNarration(from, Math.min(run.narration.length, from + NARRATION_SHOWN_MAX));
    } else if (narrationShown.to === 0) {
      showNarration(0, Math.min(run.narration.length, NARRATION_SHOWN_MAX));
    }
    var next = index >= 0 ? narrationList.querySelector('li[data-index="' + index + '"]') : null;
    if (next === currentLine) return;
    if (currentLine !== null) currentLine.classList.remove('current');
    currentLine = next;
    if (next !== null) {
      next.classList.add('current');
      if (next.offsetTop < narrationList.scrollTop || next.offsetTop > narrationList.scrollTop + narrationList.clientHeight - 30) narrationList.scrollTop = next.offsetTop - narrationList.clientHeight / 2;
    }
  }

  function setTime(t) {
    state.t = Math.max(0, Math.min(run.endMs, t));
    slider.value = String(state.t);
    timeLabel.textContent = seconds(state.t);
    placeCursor();
    drawPartitions();
    drawQuorum();
    markNarration();
  }

  timings.built = Math.round(performance.now());
  drawDiagram();
  timings.diagram = Math.round(performance.now());
  setTime(state.t);
  timings.state = Math.round(performance.now());
  window.ksimTimings = timings;
  if (run.outcome.violations.length > 0) selectViolation(0);
  window.addEventListener('resize', drawDiagram);
  window.ksimReadyMs = Math.round(performance.now());
  document.body.dataset.ready = '1';
})();
`;
