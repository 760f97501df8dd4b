/**
 * The analytics page: one self-contained HTML document (inline CSS, server-side SVG bars, no
 * script, nothing loaded from elsewhere). Every text from the CRM is escaped.
 */
import type { AnalyticsReport, Group, Outcomes, UpcomingRow } from '../domain/analytics';

const esc = (s: string | number): string =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const pct = (r: number | null): string => (r === null ? '—' : `${(r * 100).toFixed(1)}%`);
const money = (n: number): string => n.toLocaleString('en-US', { maximumFractionDigits: 2 });

const SEGMENTS = [
  ['won', 'Won', '#2e9e5b'],
  ['lost', 'Lost', '#d9534f'],
  ['inProgress', 'In progress', '#a0aab4'],
] as const;

/** A horizontal stacked bar, `values` scaled to `max`. */
function bar(values: { label: string; value: number; color: string }[], max: number): string {
  const width = 240;
  let x = 0;
  const rects = values.map(({ label, value, color }) => {
    const w = max > 0 ? (value / max) * width : 0;
    const rect = `<rect x="${x.toFixed(1)}" y="0" width="${w.toFixed(1)}" height="14" fill="${color}"><title>${esc(label)}: ${value}</title></rect>`;
    x += w;
    return rect;
  });
  return `<svg width="${width}" height="14" viewBox="0 0 ${width} 14" role="img" aria-label="${esc(values.map((v) => `${v.label} ${v.value}`).join(', '))}">${rects.join('')}</svg>`;
}

const outcomeBar = (g: Outcomes, max: number) => bar(SEGMENTS.map(([k, label, color]) => ({ label, value: g[k], color })), max);

function groupSection(title: string, first: string, rows: Group[]): string {
  const max = Math.max(0, ...rows.map((r) => r.reactivated));
  const body = rows
    .map((r) => `<tr><td>${esc(r.label)}</td><td>${outcomeBar(r, max)}</td><td>${r.reactivated}</td><td>${r.won}</td><td>${r.lost}</td><td>${r.inProgress}</td><td>${pct(r.conversion.ofClosed)}</td><td>${pct(r.conversion.ofAll)}</td><td>${money(r.wonAmount)}</td></tr>`)
    .join('');
  return `<section><h2>${esc(title)}</h2>${
    rows.length
      ? `<table><thead><tr><th>${esc(first)}</th><th></th><th>Reactivated</th><th>Won</th><th>Lost</th><th>In progress</th><th>Won ÷ closed</th><th>Won ÷ all</th><th>Won amount</th></tr></thead><tbody>${body}</tbody></table>`
      : '<p class="muted">No reactivations in this period.</p>'
  }</section>`;
}

function upcomingSection(rows: UpcomingRow[]): string {
  const max = Math.max(0, ...rows.map((r) => r.next30Days));
  const body = rows
    .map((r) => {
      const chart = bar([{ label: 'Next 7 days', value: r.next7Days, color: '#2f6fb0' }, { label: 'Days 8–30', value: r.next30Days - r.next7Days, color: '#9cc3e6' }], max);
      const scenarios = Object.entries(r.scenarios).map(([s, n]) => `${esc(s)} ${n}`).join(', ');
      return `<tr><td>${esc(r.label)}</td><td>${chart}</td><td>${r.next7Days}</td><td>${r.next30Days}</td><td>${scenarios}</td></tr>`;
    })
    .join('');
  return `<section><h2>Upcoming reactivations per manager</h2>${
    rows.length
      ? `<table><thead><tr><th>Manager</th><th></th><th>Next 7 days</th><th>Next 30 days</th><th>Scenarios</th></tr></thead><tbody>${body}</tbody></table>`
      : '<p class="muted">Nothing wakes up in the next 30 days.</p>'
  }</section>`;
}

export function renderAnalyticsPage(report: AnalyticsReport, readAt: string): string {
  const t = report.totals;
  const cards: [string, string][] = [
    ['Reactivated', String(t.reactivated)],
    ['Won', String(t.won)],
    ['Lost', String(t.lost)],
    ['In progress', String(t.inProgress)],
    ['Won ÷ closed', pct(t.conversion.ofClosed)],
    ['Won ÷ all', pct(t.conversion.ofAll)],
    ['Won amount', money(t.wonAmount)],
    ['Due in 7 / 30 days', `${report.upcoming.next7Days} / ${report.upcoming.next30Days}`],
  ];
  const legend = SEGMENTS.map(([, label, color]) => `<span><i style="background:${color}"></i>${label}</span>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Reactivation analytics</title>
<style>
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#1f2933;background:#f7f9fb}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}.muted{color:#6b7785}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}.card{background:#fff;border:1px solid #dde3ea;border-radius:6px;padding:10px 14px;min-width:120px}
.card b{display:block;font-size:22px}table{border-collapse:collapse;background:#fff;border:1px solid #dde3ea}
th,td{padding:5px 10px;border-bottom:1px solid #eef1f4;text-align:right;white-space:nowrap}th:first-child,td:first-child{text-align:left}
svg{display:block}form{margin:12px 0}.legend span{margin-right:14px}.legend i{display:inline-block;width:10px;height:10px;margin-right:4px}
</style></head><body>
<h1>Reactivation analytics</h1>
<p class="muted">Deals created by the service, ${report.period.from || report.period.to ? `created ${esc(report.period.from ?? '…')} – ${esc(report.period.to ?? '…')}` : 'all time'} (${esc(report.timeZone)}). Read from Bitrix24 and Temporal at ${esc(readAt)}.</p>
<form method="get"><label>From <input type="date" name="from" value="${esc(report.period.from ?? '')}"></label>
<label>To <input type="date" name="to" value="${esc(report.period.to ?? '')}"></label>
<label><input type="checkbox" name="fresh" value="1"> read now (bypass the cache)</label> <button>Show</button></form>
<div class="cards">${cards.map(([k, v]) => `<div class="card">${esc(k)}<b>${esc(v)}</b></div>`).join('')}</div>
<p class="legend">${legend}</p>
${groupSection('By loss reason', 'Reason', report.byReason)}
${groupSection('By manager', 'Manager', report.byManager)}
${groupSection('By pipeline', 'Pipeline', report.byPipeline)}
${groupSection('By month', 'Month', report.byMonth)}
${groupSection('By attempt', 'Attempt', report.byAttempt)}
${groupSection('By scenario', 'Scenario', report.byKind)}
${upcomingSection(report.upcoming.byManager)}
</body></html>
`;
}
