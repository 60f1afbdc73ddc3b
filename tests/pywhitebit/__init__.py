"""Tests of the client package alone: no Home Assistant is started for them."""
