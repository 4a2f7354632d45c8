"""The managers' figures: counts, stored day and month counts, percentiles and exports."""
