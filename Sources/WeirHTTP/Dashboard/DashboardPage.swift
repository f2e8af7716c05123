/// The dashboard's HTML shell. Everything it needs is embedded here and in `DashboardScript`
/// and `DashboardStyle` (no CDN, no build step): the coordinator serves it at `/`.
enum DashboardPage {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Weir</title>
<link rel="stylesheet" href="/dashboard.css">
</head>
<body>
<header>
  <h1>Weir</h1>
  <span id="summary" class="muted">connecting…</span>
  <span id="conn" class="badge">offline</span>
</header>
<main>
  <nav>
    <h2>Jobs</h2>
    <ul id="jobs"></ul>
  </nav>
  <section id="job">
    <div class="title-row">
      <h2 id="job-name">No job selected</h2>
      <label>chart <select id="column"></select></label>
    </div>
    <div id="facts" class="facts"></div>
    <div class="card">
      <h3>Recent windows <span class="muted" id="chart-caption"></span></h3>
      <div id="chart"></div>
      <div class="legend"><span class="sw final"></span>final <span class="sw open"></span>open (still changing)</div>
    </div>
    <div class="grid">
      <div class="card">
        <h3>Top 10 of the latest final window <span class="muted" id="topn-caption"></span></h3>
        <table id="topn"><thead></thead><tbody></tbody></table>
      </div>
      <div class="card">
        <h3>Why is there no output?</h3>
        <ul id="why"></ul>
      </div>
    </div>
  </section>
</main>
<section id="cluster" class="card">
  <h2>Cluster</h2>
  <div id="cluster-facts" class="facts"></div>
  <h3>Workers</h3>
  <table id="cluster-workers"><thead><tr><th>worker</th><th>health</th><th>partitions held</th></tr></thead><tbody></tbody></table>
  <h3>Partitions</h3>
  <table id="cluster-partitions"><thead><tr><th>partition</th><th>holder</th><th>epoch</th><th>standby</th><th>log end</th><th>lag</th><th>checkpoint</th><th>checkpoint age</th><th>idle</th></tr></thead><tbody></tbody></table>
</section>
<footer class="muted">API: <a href="/v1/cluster">/v1/cluster</a> · <a href="/v1/jobs">/v1/jobs</a> · <a href="/openapi.yaml">/openapi.yaml</a> · <a href="/metrics">/metrics</a></footer>
<script src="/dashboard.js"></script>
</body>
</html>
"""#
}
