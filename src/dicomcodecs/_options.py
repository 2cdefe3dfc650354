"""The encoder options of every syntax, documented once: the README's table
and the docstrings of encode_frame/encode_frames/compress are made from
OPTIONS (tests/test_docs.py checks both against the codecs' encode_options)."""

from __future__ import annotations

import textwrap
from typing import NamedTuple


class Option(NamedTuple):
    syntaxes: str   # aliases, as `dicomcodecs info` lists them
    name: str
    type: str
    default: str
    range: str
    meaning: str


_JPEG_DCT = "jpeg-baseline, jpeg-extended"
_JPEG_LOSSLESS = "jpeg-lossless, jpeg-lossless-sv1"
_JLS = "jpeg-ls-lossless, jpeg-ls-near-lossless"
_J2K = "j2k-lossless, j2k"
_HTJ2K = "htj2k-lossless, htj2k-lossless-rpcl, htj2k"
_J2K_ALL = f"{_J2K}, {_HTJ2K}"
_JXL = "jpeg-xl-lossless, jpeg-xl-recompression, jpeg-xl"

OPTIONS = [
    Option("rle", "rle_segment_order", "str", '">"', '">" only',
           "byte order of the segments; only the standard's big-endian order is written"),
    Option(_JPEG_DCT, "quality", "int", "90", "1-100",
           "libjpeg quality scale (90 is DCMTK's default)"),
    Option(_JPEG_DCT, "subsampling", "int or str", "422 for colour",
           "444, 422, 420 (also \"4:2:0\"); 420 baseline only; 12-bit: 444",
           "chroma subsampling of colour images (grey images ignore it)"),
    Option(_JPEG_DCT, "photometric", "str", "from subsampling",
           "YBR_FULL_422, YBR_FULL, RGB",
           "colour space written: YBR_FULL_422 (422/420), YBR_FULL (444) or RGB "
           "(no colour transform, 444)"),
    Option(_JPEG_DCT, "optimize_huffman", "bool", "True", "True, False",
           "Huffman tables fitted to the image (smaller) instead of the standard's"),
    Option(f"{_JPEG_DCT}, {_JPEG_LOSSLESS}", "restart_interval", "int", "0",
           "0-65535; lossless: whole rows (a multiple of Columns)",
           "MCUs (lossless: samples) between restart markers; 0 writes none"),
    Option(_JPEG_LOSSLESS, "predictor", "int", "1", "1-7; jpeg-lossless-sv1: 1",
           "lossless predictor (selection value)"),
    Option(_JPEG_LOSSLESS, "point_transform", "int", "0", "0 to Bits Stored - 1",
           "low bits dropped before coding; above 0 the result is lossy"),
    Option(_JLS, "jls_error", "int", "0", "jpeg-ls-lossless: 0; near-lossless: 0 or more",
           "NEAR: the largest difference allowed per sample (0 codes losslessly)"),
    Option(_JLS, "interleave", "str or int", '"sample"',
           '"none" (0), "line" (1), "sample" (2)', "how colour components are interleaved"),
    Option(_JLS, "preset", "dict", "None", "keys MAXVAL, T1, T2, T3, RESET; values 0-65535",
           "JPEG-LS preset coding parameters; None: the standard's defaults"),
    Option(_J2K_ALL, "reversible", "bool", "True for the lossless syntaxes, False for j2k, "
           "htj2k", "lossless syntaxes: True only",
           "5/3 reversible wavelet (lossless) or 9/7 irreversible"),
    Option(_J2K, "j2k_cr", "list of float", "None (no rate limit)",
           "j2k only; each > 0, decreasing, one per quality layer",
           "compression ratios of the quality layers; not with j2k_psnr"),
    Option(_J2K, "j2k_psnr", "list of float", "None", "j2k only; dB, increasing, one per layer",
           "PSNR targets of the quality layers; not with j2k_cr"),
    Option(_HTJ2K, "qstep", "float", "OpenJPH's", "(0, 2]; htj2k only (irreversible)",
           "quantisation step of the 9/7 wavelet: larger is smaller and coarser"),
    Option(_J2K_ALL, "levels", "int", "5 (fewer for sides under 32)", "0-32",
           "wavelet decomposition levels (htj2k-lossless-rpcl raises it until the lowest "
           "resolution is at most 64 x 64)"),
    Option(_J2K_ALL, "tile_size", "int or (rows, columns)", "None (one tile)", "1 or more",
           "tile size"),
    Option(_J2K_ALL, "progression", "str", '"LRCP" (HTJ2K: "RPCL")',
           "LRCP, RLCP, RPCL, PCRL, CPRL; htj2k-lossless-rpcl: RPCL",
           "progression order of the codestream"),
    Option(_J2K_ALL, "block_size", "int or (rows, columns)", "64",
           "powers of two 4-1024, at most 4096 samples", "code-block size"),
    Option(_J2K_ALL, "use_mct", "bool", "True", "True, False",
           "RGB is coded with the colour transform (written as YBR_RCT when reversible, "
           "YBR_ICT otherwise); False keeps RGB"),
    Option(_JXL, "effort", "int", "7", "1-9",
           "libjxl effort: higher is smaller and slower"),
    Option(_JXL, "distance", "float", "1.0", "jpeg-xl only; 0-25",
           "butteraugli distance (1.0 visually lossless, 0 lossless); not with quality"),
    Option(_JXL, "quality", "float", "None", "jpeg-xl only; 0-100",
           "cjxl's quality scale (90 is distance 1, 100 lossless); not with distance"),
    Option(_JXL, "lossless", "bool", "False", "jpeg-xl only",
           "code jpeg-xl losslessly (jpeg-xl-lossless always is)"),
    Option("deflated-image-frame", "level", "int", "6", "0-12",
           "libdeflate compression level (0 stores, 12 is smallest)"),
]


def markdown_table() -> str:
    """OPTIONS as the README's Markdown table."""
    lines = ["| Syntaxes | Option | Type | Default | Range | Meaning |",
             "|---|---|---|---|---|---|"]
    for o in OPTIONS:
        lines.append(f"| {o.syntaxes} | `{o.name}` | {o.type} | {o.default} | {o.range} | "
                     f"{o.meaning} |")
    return "\n".join(lines)


def text_table() -> str:
    """OPTIONS as plain text for docstrings, grouped by syntaxes."""
    out: list[str] = []
    last = None
    for o in OPTIONS:
        if o.syntaxes != last:
            out.append(f"    {o.syntaxes}:")
            last = o.syntaxes
        out.append(textwrap.fill(f"{o.name} ({o.type}, default {o.default}; {o.range}): "
                                 f"{o.meaning}", 88, initial_indent=" " * 8,
                                 subsequent_indent=" " * 12))
    return "\n".join(out)
