"""Tests of pywhitebit, the client package, without Home Assistant."""
