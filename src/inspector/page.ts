import { SVG_STYLE } from '../statecharts/index.js';
import { PAGE_SCRIPT } from './page-script.js';

export interface PageData {
  /** One SVG per machine (from `toSvg`). */
  charts: Array<{ name: string; svg: string }>;
  /** What the script renders before the event stream connects: `{ intervalMs, state, recent }`. */
  boot: unknown;
  /** The CSP nonce of the inline script and style. */
  nonce: string;
}

/** JSON inside `<script type="application/json">`: `<` escaped so no string can close the tag. */
const scriptJson = (data: unknown): string => JSON.stringify(data).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');

/**
 * The inspector page: one HTML document with its CSS and script inline (no CDN, no font, no image
 * fetched), so it works offline and under `default-src 'none'`.
 */
export function renderPage({ charts, boot, nonce }: PageData): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Switchboard inspector</title>
<style nonce="${nonce}">${CSS}${SVG_STYLE}</style>
</head>
<body>
<header>
  <h1>Switchboard <span>inspector</span></h1>
  <div class="conn"><span id="conn-dot" class="dot"></span><span id="conn" data-testid="connection">connecting…</span></div>
</header>
<main>
  <section id="providers" class="providers" aria-label="providers"></section>
  <section class="panel">
    <h2>Recent transitions <small id="recent-note"></small></h2>
    <div class="scroll"><table class="transitions"><thead><tr><th>time</th><th>provider</th><th>actor</th><th>transition</th><th>detail</th></tr></thead><tbody id="recent"></tbody></table></div>
  </section>
  <section class="panel">
    <h2>Statecharts <small>drawn from the machine definitions; highlighted: where the live actors are</small></h2>
    <div class="charts">
${charts.map((c) => `<figure class="chart-box" data-chart="${c.name}"><figcaption>${c.name}</figcaption>${c.svg}</figure>`).join('\n')}
    </div>
  </section>
</main>
<script type="application/json" id="sb-boot">${scriptJson(boot)}</script>
<script nonce="${nonce}">${PAGE_SCRIPT}</script>
</body>
</html>
`;
}

const CSS = `
:root{--bg:#f5f6f8;--card:#fff;--ink:#1c2030;--mute:#6b7080;--line:#dde0e6;--ok:#1f8a4c;--bad:#c0392b;--warn:#c48a00;--info:#2d6cdf}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
header{display:flex;justify-content:space-between;align-items:center;padding:10px 20px;background:#1c2030;color:#fff}
header h1{margin:0;font-size:18px;font-weight:600}header h1 span{font-weight:300;opacity:.8}
.conn{font-size:12px;display:flex;gap:6px;align-items:center}
.dot{width:9px;height:9px;border-radius:50%;background:#888;display:inline-block}.dot.live{background:#3ecf6e}.dot.down{background:#e74c3c}
main{padding:16px 20px;display:flex;flex-direction:column;gap:16px}
.providers{display:grid;grid-template-columns:repeat(auto-fill,minmax(520px,1fr));gap:16px}
.card,.panel{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:12px 14px}
.card h2,.panel h2{margin:0 0 8px;font-size:15px;display:flex;align-items:center;gap:8px}
.panel small,.card small{color:var(--mute);font-weight:400}
.pill{display:inline-block;padding:1px 8px;border-radius:10px;font:600 12px ui-monospace,Menlo,Consolas,monospace;background:#eee}
.s-closed,.s-ready,.s-idle,.s-succeeded,.s-running{background:#dff3e6;color:var(--ok)}
.s-open,.s-forcedOpen,.s-disabled,.s-failed,.s-removed,.s-stopped{background:#fbe0dd;color:var(--bad)}
.s-halfOpen,.s-cooling,.s-collecting,.s-backingOff{background:#fdf0cf;color:var(--warn)}
.s-exhausted{background:#f1dcf5;color:#8e3aa3}.s-flushing,.s-attempting{background:#dde8fb;color:var(--info)}
.stats{display:flex;flex-wrap:wrap;gap:6px 16px;margin:4px 0 8px;font-size:13px}
.stats b{font-variant-numeric:tabular-nums}
table{border-collapse:collapse;width:100%;font-size:12.5px}
th,td{text-align:left;padding:3px 6px;border-bottom:1px solid var(--line);white-space:nowrap}
th{color:var(--mute);font-weight:500}td.num{text-align:right;font-variant-numeric:tabular-nums}
/* Names and details wrap rather than push the last columns out of a card at 1280 px. */
td.name,td.detail{white-space:normal;overflow-wrap:anywhere}td.detail{min-width:16ch}
.sub{margin:10px 0 4px;font-size:12px;color:var(--mute);text-transform:uppercase;letter-spacing:.04em}
.scroll{max-height:320px;overflow:auto}.wide{overflow-x:auto}
.transitions td{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
.charts{display:flex;flex-wrap:wrap;gap:16px}
.chart-box{margin:0;border:1px solid var(--line);border-radius:6px;padding:6px;overflow:auto;max-width:100%}
.chart-box figcaption{font-weight:600;margin-bottom:4px}
.chart-box svg{display:block;height:auto;max-width:100%}
.bar{height:6px;background:#eceef2;border-radius:3px;overflow:hidden;min-width:60px}.bar i{display:block;height:100%;background:var(--info)}
.empty{color:var(--mute);font-style:italic}
`;
