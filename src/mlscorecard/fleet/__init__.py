"""Fleet audits: many repositories audited on a schedule, their history kept in a database, and a
dashboard of scores, trends, gaps and regressions built from that history.

Modules by role: `manifest` (what to audit), `sources` (getting each repository's git objects),
`child` and `isolation` (one audit in a killable child process), `runner` (the pool or Dask
cluster, resuming, unchanged detection), `store` and `migrations` (the history database),
`dashboard`, `charts` and `templates/` (the report), `cli` (the `fleet` command group).
"""
