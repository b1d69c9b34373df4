"""Early-warning alerts after a refresh.

``config`` reads alerts.yml, ``model`` is the alert record, ``rules`` decides which alerts a run
raises, ``store`` keeps them in ``audit.alerts``, ``notify`` delivers them by webhook or e-mail,
and ``runner`` is what the refresh calls.
"""
