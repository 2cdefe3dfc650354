"""The documentation a user acts on: the encoder options table (README and
docstrings, made from one list) names exactly the options each codec takes,
every public function's docstring has parameters, returns, raises and an
example, and the README links nothing outside the repository."""

import inspect
import re
from pathlib import Path

import pytest

import dicomcodecs as dc
import dicomcodecs.pydicom as dcp
from dicomcodecs import _options, registry
from dicomcodecs._uids import SYNTAXES

README = Path(__file__).resolve().parent.parent / "README.md"


def _documented(alias):
    return {o.name for o in _options.OPTIONS
            if alias in [a.strip() for a in o.syntaxes.split(",")]}


@pytest.mark.parametrize("syntax", list(SYNTAXES.values()), ids=lambda s: s.alias)
def test_options_table_matches_each_codec(syntax):
    codec = registry.get_encoder(syntax.uid)
    assert _documented(syntax.alias) == set(codec.encode_options)


def test_readme_and_docstrings_carry_the_table():
    text = README.read_text()
    assert _options.markdown_table() in text
    for fn in (dc.encode_frame, dc.compress):
        assert _options.text_table() in fn.__doc__
    assert "encode_frame" in dc.encode_frames.__doc__  # points at the table


PUBLIC = [dc.decode_frame, dc.decode_frames, dc.pixel_array, dc.iter_frames, dc.encode_frame,
          dc.encode_frames, dc.compress, dc.decompress, dc.codecs, dc.register_codec,
          dc.unregister_codec, dc.FrameInfo, dc.FrameInfo.from_dataset, dcp.register,
          dcp.unregister, dcp.register_in_worker]


@pytest.mark.parametrize("fn", PUBLIC, ids=lambda f: f.__qualname__)
def test_public_docstrings_are_complete(fn):
    doc = inspect.getdoc(fn)
    assert "Example" in doc and (">>>" in doc)
    params = [p for p in inspect.signature(fn).parameters if p not in ("self", "cls")]
    if params:
        assert "Parameters" in doc
        for name in params:
            assert re.search(rf"\b{name.lstrip('*')}\b", doc), name
    assert "Raises" in doc
    if fn is not dc.FrameInfo:
        assert "Returns" in doc or "Yields" in doc


def test_readme_stands_alone():
    text = README.read_text()
    links = re.findall(r"\]\(([^)]+)\)", text)
    for link in links:
        assert not link.startswith(("../", "/")), link
        if not re.match(r"\w+://", link):
            assert (README.parent / link.split("#")[0]).exists(), link
    for extra in ("`pydicom`", "`png`", "`test`", "`bench`"):
        assert extra in text
    assert "register_in_worker" in text
