"""The transfer syntaxes dicomcodecs knows: UID, pydicom keyword, CLI alias."""

from __future__ import annotations

from dataclasses import dataclass

from ._errors import UnknownSyntaxError


@dataclass(frozen=True)
class Syntax:
    uid: str
    keyword: str
    alias: str
    name: str
    lossy: bool          # may the codestream be lossy?
    method: str          # Lossy Image Compression Method (0028,2114)
    family: str          # codec family: dicomcodecs.families.<family>, _<family>.pyx


# One name per UID, for code that means one syntax.
RLE_LOSSLESS = "1.2.840.10008.1.2.5"
JPEG_BASELINE = "1.2.840.10008.1.2.4.50"
JPEG_EXTENDED = "1.2.840.10008.1.2.4.51"
JPEG_LOSSLESS = "1.2.840.10008.1.2.4.57"
JPEG_LOSSLESS_SV1 = "1.2.840.10008.1.2.4.70"
JPEGLS_LOSSLESS = "1.2.840.10008.1.2.4.80"
JPEGLS_NEAR_LOSSLESS = "1.2.840.10008.1.2.4.81"
J2K_LOSSLESS = "1.2.840.10008.1.2.4.90"
J2K = "1.2.840.10008.1.2.4.91"
HTJ2K_LOSSLESS = "1.2.840.10008.1.2.4.201"
HTJ2K_LOSSLESS_RPCL = "1.2.840.10008.1.2.4.202"
HTJ2K = "1.2.840.10008.1.2.4.203"
JXL_LOSSLESS = "1.2.840.10008.1.2.4.110"
JXL_JPEG = "1.2.840.10008.1.2.4.111"
JXL = "1.2.840.10008.1.2.4.112"
DEFLATED_FRAME = "1.2.840.10008.1.2.8.1"

_SYNTAXES = [
    Syntax(RLE_LOSSLESS, "RLELossless", "rle", "RLE Lossless", False, "", "rle"),
    Syntax(JPEG_BASELINE, "JPEGBaseline8Bit", "jpeg-baseline", "JPEG Baseline (8-bit)", True, "ISO_10918_1", "jpeg"),
    Syntax(JPEG_EXTENDED, "JPEGExtended12Bit", "jpeg-extended", "JPEG Extended (12-bit)", True, "ISO_10918_1", "jpeg"),
    Syntax(JPEG_LOSSLESS, "JPEGLossless", "jpeg-lossless", "JPEG Lossless P14", False, "", "jpeg"),
    Syntax(JPEG_LOSSLESS_SV1, "JPEGLosslessSV1", "jpeg-lossless-sv1", "JPEG Lossless SV1", False, "", "jpeg"),
    Syntax(JPEGLS_LOSSLESS, "JPEGLSLossless", "jpeg-ls-lossless", "JPEG-LS Lossless", False, "", "jpegls"),
    Syntax(JPEGLS_NEAR_LOSSLESS, "JPEGLSNearLossless", "jpeg-ls-near-lossless", "JPEG-LS Near-Lossless", True, "ISO_14495_1", "jpegls"),
    Syntax(J2K_LOSSLESS, "JPEG2000Lossless", "j2k-lossless", "JPEG 2000 Lossless", False, "", "j2k"),
    Syntax(J2K, "JPEG2000", "j2k", "JPEG 2000", True, "ISO_15444_1", "j2k"),
    Syntax(HTJ2K_LOSSLESS, "HTJ2KLossless", "htj2k-lossless", "HTJ2K Lossless", False, "", "j2k"),
    Syntax(HTJ2K_LOSSLESS_RPCL, "HTJ2KLosslessRPCL", "htj2k-lossless-rpcl", "HTJ2K Lossless RPCL", False, "", "j2k"),
    Syntax(HTJ2K, "HTJ2K", "htj2k", "HTJ2K", True, "ISO_15444_15", "j2k"),
    Syntax(JXL_LOSSLESS, "JPEGXLLossless", "jpeg-xl-lossless", "JPEG XL Lossless", False, "", "jxl"),
    Syntax(JXL_JPEG, "JPEGXLJPEGRecompression", "jpeg-xl-recompression",
           "JPEG XL JPEG Recompression", True, "ISO_10918_1", "jxl"),
    Syntax(JXL, "JPEGXL", "jpeg-xl", "JPEG XL", True, "ISO_18181_1", "jxl"),
    Syntax(DEFLATED_FRAME, "DeflatedImageFrameCompression", "deflated-image-frame",
           "Deflated Image Frame Compression", False, "", "deflate"),
]

SYNTAXES: dict[str, Syntax] = {s.uid: s for s in _SYNTAXES}


def family(name: str) -> tuple[str, ...]:
    """The UIDs of one codec family, in table order."""
    return tuple(s.uid for s in _SYNTAXES if s.family == name)

IMPLICIT_LE = "1.2.840.10008.1.2"
EXPLICIT_LE = "1.2.840.10008.1.2.1"
DEFLATED_LE = "1.2.840.10008.1.2.1.99"
BIG_ENDIAN = "1.2.840.10008.1.2.2"
NATIVE = {
    IMPLICIT_LE: "ImplicitVRLittleEndian",
    EXPLICIT_LE: "ExplicitVRLittleEndian",
    DEFLATED_LE: "DeflatedExplicitVRLittleEndian",
    BIG_ENDIAN: "ExplicitVRBigEndian",
}
# The JPEG-family branch (.4.x: JPEG, JPEG-LS, JPEG 2000, HTJ2K, JPEG XL...).
JPEG_FAMILY_PREFIX = "1.2.840.10008.1.2.4."


def resolve(name: str, *, native: bool = False, registered: bool = False) -> str:
    """A UID, pydicom keyword or alias -> the UID. With `native`, the native
    syntaxes count as known; with `registered`, so does any UID a registered
    third-party codec serves. UnknownSyntaxError (a ValueError and a
    NotImplementedError) for anything else."""
    if not isinstance(name, str):
        raise TypeError(f"a transfer syntax is a str (UID, pydicom keyword or alias), "
                        f"not {type(name).__name__}")
    name = name.strip().rstrip("\x00")
    if name in SYNTAXES or (native and name in NATIVE):
        return name
    low = name.lower()
    for s in _SYNTAXES:
        if low in (s.keyword.lower(), s.alias):
            return s.uid
    if native:
        for uid, keyword in NATIVE.items():
            if low == keyword.lower():
                return uid
    if registered:
        from . import registry

        if name in registry._decoders or name in registry._encoders:
            return name
    known = ", ".join(s.alias for s in _SYNTAXES)
    raise UnknownSyntaxError(f"unknown transfer syntax {name!r}; use a UID, a pydicom keyword "
                             f"or one of: {known}")


def describe(uid: str) -> str:
    s = SYNTAXES.get(uid)
    return f"{s.name} ({uid})" if s else str(uid)
