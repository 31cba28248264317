/**
 * The report page's styles, inline in the HTML file. The diagram's colours follow one rule: red is
 * only for what the verdict names (the violation's line, its records and operations), so the eye
 * finds it first; faults are shaded, messages are thin and coloured by API.
 */
export const PAGE_STYLE = String.raw`
* { box-sizing: border-box; }
body { margin: 0; font: 13px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d2330; background: #f4f5f7; }
#ksim-report { display: grid; grid-template-columns: minmax(0, 1fr) 360px; grid-template-areas: "header header" "main aside"; gap: 12px; padding: 12px; }
header { grid-area: header; background: #fff; padding: 10px 14px; border-radius: 6px; box-shadow: 0 1px 2px rgba(0,0,0,.08); }
main { grid-area: main; min-width: 0; display: flex; flex-direction: column; gap: 12px; }
aside { grid-area: aside; background: #fff; border-radius: 6px; padding: 10px 12px; box-shadow: 0 1px 2px rgba(0,0,0,.08); position: sticky; top: 12px; max-height: calc(100vh - 24px); display: flex; flex-direction: column; }
h1 { font-size: 18px; margin: 0 0 4px; display: flex; gap: 10px; align-items: center; }
h2 { font-size: 15px; margin: 0 0 8px; }
h3 { font-size: 13px; margin: 10px 0 4px; }
h4 { font-size: 12px; margin: 8px 0 2px; }
p { margin: 4px 0; }
code { font: 12px ui-monospace, Menlo, Consolas, monospace; background: #eef0f4; padding: 1px 4px; border-radius: 3px; }
.facts, .legend { color: #5a6272; }
.verdict { font-size: 12px; padding: 2px 8px; border-radius: 10px; color: #fff; text-transform: uppercase; letter-spacing: .04em; }
.verdict-violation { background: #c62828; } .verdict-liveness { background: #ef6c00; } .verdict-pass { background: #2e7d32; }
.panel { background: #fff; border-radius: 6px; padding: 10px 14px; box-shadow: 0 1px 2px rgba(0,0,0,.08); }
.violation { border-left: 4px solid #c62828; background: #fdecea; padding: 6px 10px; margin: 6px 0; border-radius: 0 4px 4px 0; cursor: pointer; }
.violation.selected { outline: 2px solid #c62828; }
.violation-head { display: flex; gap: 10px; align-items: center; }
.violation .kind { color: #8a1c1c; font-size: 11px; text-transform: uppercase; }
button { font: inherit; font-size: 12px; padding: 2px 8px; border: 1px solid #c4c8d0; background: #fff; border-radius: 4px; cursor: pointer; }
button:hover { background: #eef0f4; }
.moment { border-color: #c62828; color: #c62828; }
table { border-collapse: collapse; margin: 4px 0; }
th, td { text-align: left; padding: 2px 8px 2px 0; vertical-align: top; }
th { color: #5a6272; font-weight: 600; }
.details th { font-weight: 500; }
.contract-row .label { font-weight: 600; }
.allowed summary, .contract summary { cursor: pointer; }
.toolbar { display: flex; gap: 6px; align-items: center; flex-wrap: wrap; margin-bottom: 4px; }
.window-label { color: #5a6272; margin-left: 8px; }
.diagram { width: 100%; overflow: hidden; border: 1px solid #e1e4ea; border-radius: 4px; background: #fcfcfd; cursor: grab; user-select: none; }
.lane { stroke: #d6d9e0; } .lane-client { stroke-dasharray: 3 3; }
.lane-label { font: 12px ui-monospace, Menlo, monospace; fill: #1d2330; }
.tick { stroke: #eceef2; } .tick-label { font-size: 10px; fill: #8a91a0; }
.message { stroke-width: 1; opacity: .55; } .message.dropped { stroke: #555; stroke-dasharray: 2 2; opacity: .8; }
.fault { fill: #f9a825; opacity: .1; } .fault-crash { fill: #6d4c41; opacity: .35; } .fault-partition, .fault-isolate { fill: #1565c0; opacity: .16; } .fault-pause { fill: #8e24aa; opacity: .25; }
.op { opacity: .55; } .op-ok { fill: #43a047; } .op-info { fill: #fb8c00; } .op-fail { fill: #9e9e9e; } .op.hit { fill: #d50000; opacity: 1; }
.violation-line { stroke: #d50000; stroke-width: 2; }
.cursor { stroke: #1565c0; stroke-width: 1.5; stroke-dasharray: 4 2; }
.slider-row { display: flex; align-items: center; gap: 8px; margin-top: 6px; }
.slider-row input { flex: 1; }
.time { font: 12px ui-monospace, Menlo, monospace; min-width: 80px; }
.partition { border-top: 1px solid #eceef2; padding-top: 4px; }
.partition-facts { color: #3b4252; }
.replicas tr.down td { color: #9e9e9e; }
.replicas th.offset { font: 10px ui-monospace, Menlo, monospace; text-align: center; }
.replicas th.offset.hit { color: #d50000; }
.record { font: 11px ui-monospace, Menlo, monospace; padding: 1px 4px; text-align: center; border: 1px solid rgba(0,0,0,.12); white-space: nowrap; }
.record.empty { background: #fafafa; border-style: dashed; }
.record.missing { border: 2px dashed #d50000; color: #d50000; font-weight: 700; }
.record.uncommitted { background-image: repeating-linear-gradient(45deg, transparent 0 4px, rgba(0,0,0,.08) 4px 6px); }
.record.hit { border: 2px solid #d50000; color: #b71c1c; font-weight: 700; }
.epoch-0 { background-color: #e3f2fd; } .epoch-1 { background-color: #fff3e0; } .epoch-2 { background-color: #e8f5e9; }
.epoch-3 { background-color: #f3e5f5; } .epoch-4 { background-color: #fffde7; } .epoch-5 { background-color: #e0f7fa; }
.metadata { font: 11px ui-monospace, Menlo, monospace; color: #3b4252; padding-left: 36px; margin: 2px 0; }
.narration { list-style: none; padding: 0; margin: 6px 0 0; overflow-y: auto; flex: 1; position: relative; }
.narration li { padding: 2px 4px; border-radius: 3px; cursor: pointer; display: grid; grid-template-columns: 64px 1fr; gap: 4px; }
.narration li:hover { background: #eef0f4; }
.narration li.more { display: block; text-align: center; }
.narration li.current { background: #e3f2fd; outline: 1px solid #90caf9; }
.stamp { font: 11px ui-monospace, Menlo, monospace; color: #8a91a0; }
.tone-fault { color: #b71c1c; } .tone-election { color: #8d6e00; } .tone-leader { color: #6a1b9a; font-weight: 600; }
.tone-progress { color: #2e7d32; } .tone-recovery { color: #00838f; } .tone-phase { font-weight: 700; }
.lesson { max-height: 40%; overflow-y: auto; flex-shrink: 0; }
.swatch { display: inline-block; width: 10px; height: 10px; margin: 0 3px 0 6px; border-radius: 2px; vertical-align: middle; }
@media (max-width: 1000px) { #ksim-report { grid-template-columns: 1fr; grid-template-areas: "header" "main" "aside"; } aside { position: static; max-height: 480px; } }
`;
