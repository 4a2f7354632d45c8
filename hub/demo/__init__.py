"""The demo hub and its synthetic history (development only)."""
