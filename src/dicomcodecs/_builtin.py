"""Registers the codecs that ship with dicomcodecs: each family module in
dicomcodecs/families/ exposes codecs() returning its Codec objects, over the
family's extension dicomcodecs._<family>."""

from __future__ import annotations

import importlib

from .registry import register_codec

# One entry per codec family; order matters only where two serve one syntax
# (the later wins).
FAMILIES = ("rle", "jpeg", "jpegls", "j2k", "deflate", "jxl")


def register_builtin() -> None:
    for name in FAMILIES:
        try:
            module = importlib.import_module(f"dicomcodecs.families.{name}")
        except ModuleNotFoundError as exc:
            # A family whose extension is not built yet; tests/test_registry.py
            # lists the ones that must be present, so a build that drops one
            # fails there.
            if exc.name != f"dicomcodecs._{name}":
                raise
            continue
        for codec in module.codecs():
            register_codec(codec)
