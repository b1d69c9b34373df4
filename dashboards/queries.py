"""Every SQL statement the dashboards run, in one place."""

from __future__ import annotations

FILES_BY_STATUS = """
    select status, count(*) as files, coalesce(sum(rows_loaded), 0) as rows_loaded
    from main.file_manifest group by status order by status
"""

FILES_BY_LAYOUT = """
    select coalesce(layout, '(unrecognised)') as layout, status, count(*) as files,
           coalesce(sum(rows_loaded), 0) as rows_loaded
    from main.file_manifest group by all order by layout, status
"""

QUARANTINED_FILES = """
    select file_name, layout, error_line, error_field, error, first_seen_at
    from main.file_manifest where status = 'QUARANTINED' order by file_name
"""

MANIFEST = """
    select file_name, folder, layout, encoding, status, rows_read, rows_loaded, size_bytes,
           sha256, duplicate_of, superseded_by, first_seen_at, loaded_at
    from main.file_manifest order by file_name
"""

LAST_RUN = """
    select run_id, started_at, finished_at, outcome, exit_code, timings
    from audit.refresh_runs order by started_at desc limit 1
"""
