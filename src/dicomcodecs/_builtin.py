"""Registers the codecs that ship with dicomcodecs: each codec-family
extension (_<family>.pyx) exposes codec() returning its Codec."""

from __future__ import annotations

import importlib

from .registry import register_codec

# One entry per codec family; order matters only where two serve one syntax
# (the later wins).
FAMILIES = ("_rle", "_jpeg", "_jpegls", "_j2k", "_deflate", "_jxl")


def register_builtin() -> None:
    for name in FAMILIES:
        try:
            module = importlib.import_module(f"dicomcodecs.{name}")
        except ModuleNotFoundError as exc:
            # A family not built yet; tests/test_registry.py lists the ones
            # that must be present, so a build that drops one fails there.
            if exc.name != f"dicomcodecs.{name}":
                raise
            continue
        for codec in module.codecs():
            register_codec(codec)
