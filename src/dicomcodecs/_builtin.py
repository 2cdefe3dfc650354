"""Registers the codecs that ship with dicomcodecs: each codec-family
extension (_<family>.pyx) exposes codec() returning its Codec."""

from __future__ import annotations

import importlib

from .registry import register_codec

# One entry per codec family; order matters only where two serve one syntax
# (the later wins).
FAMILIES = ("_rle",)


def register_builtin() -> None:
    for name in FAMILIES:
        module = importlib.import_module(f"dicomcodecs.{name}")
        register_codec(module.codec())
