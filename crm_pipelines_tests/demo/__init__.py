"""Tests of the deterministic demo world."""
