"""The scheduler and its jobs: the SLA watch, the daily digests, dispatch and the figures."""
