"""The managers' dashboard at ``/manage``."""
