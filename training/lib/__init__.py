"""Shared helpers for building Inspector's demo model packs (run with /usr/bin/python3)."""
