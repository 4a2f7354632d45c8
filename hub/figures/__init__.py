"""The managers' figures: what they count, the stored counts that keep them quick, and exports.

Where to start: ``report`` answers the dashboard, the exports' figures and the API
(``figures``, ``turnaround``, ``overdue_now``); ``filters`` reads the period and the other
filters; ``stored`` keeps the day and month counts (``refresh``, the scheduler's job);
``export_rows`` and ``exports`` give evaluators pseudonymised rows and files.

The imports go one way: ``filters`` <- ``counts`` <- ``stored``, ``period_counts`` <-
``percentiles`` <- ``report``; and ``filters``, ``counts`` <- ``export_rows`` <- ``exports``.
"""
