"""Exports of the figures and of pseudonymised referral rows, audited."""
