/// The dashboard's stylesheet (see `DashboardPage`).
enum DashboardStyle {
    static let css = #"""
:root { --bg:#0f1419; --card:#171d24; --line:#2a323c; --text:#d8dee6; --muted:#8a96a3; --accent:#4fb3ff; --final:#4fb3ff; --open:#f0a45d; --warn:#f07b5d; --ok:#6fcf7f; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; background:var(--bg); color:var(--text); }
header { display:flex; align-items:center; gap:16px; padding:10px 18px; border-bottom:1px solid var(--line); }
h1 { font-size:20px; margin:0; color:var(--accent); }
h2 { font-size:16px; margin:0 0 8px; }
h3 { font-size:13px; margin:12px 0 6px; color:var(--muted); font-weight:600; text-transform:uppercase; letter-spacing:.04em; }
main { display:grid; grid-template-columns:200px 1fr; gap:16px; padding:16px 18px; }
nav ul { list-style:none; margin:0; padding:0; }
nav li { padding:6px 8px; border-radius:6px; cursor:pointer; }
nav li.selected, nav li:hover { background:var(--card); color:var(--accent); }
.card { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:12px 14px; margin-bottom:16px; }
#cluster { margin:0 18px 16px; }
.grid { display:grid; grid-template-columns:1fr 1fr; gap:16px; }
.title-row { display:flex; justify-content:space-between; align-items:center; }
.facts { display:flex; flex-wrap:wrap; gap:8px; margin:8px 0 12px; }
.fact { background:var(--card); border:1px solid var(--line); border-radius:6px; padding:4px 10px; }
.fact b { color:var(--muted); font-weight:500; margin-right:6px; }
table { border-collapse:collapse; width:100%; font-variant-numeric:tabular-nums; }
th, td { text-align:left; padding:4px 8px; border-bottom:1px solid var(--line); white-space:nowrap; }
th { color:var(--muted); font-weight:500; }
td.num { text-align:right; }
.muted { color:var(--muted); font-size:12px; }
.badge { margin-left:auto; padding:2px 8px; border-radius:10px; background:var(--warn); color:#111; font-size:12px; }
.badge.live { background:var(--ok); }
#why li { margin-bottom:8px; }
#why li.warning::marker { content:"⚠ "; color:var(--warn); }
#why li.info::marker { content:"ℹ "; color:var(--accent); }
#why li.ok::marker { content:"✓ "; color:var(--ok); }
.legend { font-size:12px; color:var(--muted); }
.sw { display:inline-block; width:10px; height:10px; margin:0 4px 0 10px; border-radius:2px; }
.sw.final, rect.final { background:var(--final); fill:var(--final); }
.sw.open, rect.open { background:var(--open); fill:var(--open); }
svg text { fill:var(--muted); font-size:10px; }
select { background:var(--card); color:var(--text); border:1px solid var(--line); border-radius:4px; }
a { color:var(--accent); }
.unhealthy { color:var(--warn); }
footer { padding:0 18px 16px; }
"""#
}
