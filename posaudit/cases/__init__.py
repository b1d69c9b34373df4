"""Cases: reported errors and detected exceptions worked through a lifecycle, with an
append-only, hash-chained trail of every action (W/cases.sqlite)."""
