"""The managers\x27 dashboard at ``/manage``."""
