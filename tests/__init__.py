"""Tests for the WhiteBIT integration."""
