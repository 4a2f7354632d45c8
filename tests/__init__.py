"""The hub's tests, one folder per area of the code."""
