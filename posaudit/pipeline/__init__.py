"""The refresh pipeline: landing zone → raw tables → dbt build → checks → published snapshot.

``refresh`` runs one refresh end to end; ``build_window`` decides which business dates a build
touches; ``dbt_runner`` runs dbt against the build database; ``warehouse`` owns the folder
layout, snapshots and rollback; ``lock`` keeps one writer; ``run_record`` and ``progress``
report what happened; ``unchanged`` recognises a refresh with nothing new; ``recovery`` finishes
or undoes an interrupted one.
"""
