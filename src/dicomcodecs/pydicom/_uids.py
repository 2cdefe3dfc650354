"""Teaching the installed pydicom the transfer syntaxes newer than it: JPEG
XL (.4.110/.111/.112) and Deflated Image Frame Compression (.8.1).

pydicom 3.0.2 has no entry for them in its UID dictionary, so a UID is not a
transfer syntax to it: `get_decoder` raises NotImplementedError and
`save_as` refuses the dataset. An entry of type "Transfer Syntax" is all a
public (non-private) UID needs there to be explicit VR little endian and
encapsulated. pydicom's own `register_transfer_syntax` is for private
syntaxes (it records an encoding for UIDs outside the DICOM root), so it is
not used for these. Where pydicom already knows a UID (its main branch
does), its definition is kept untouched."""

from __future__ import annotations

import threading

from .._uids import DEFLATED_FRAME, JXL, JXL_JPEG, JXL_LOSSLESS, SYNTAXES

# uid -> (name, keyword), as PS3.6 Table A-1 gives them.
NEW_SYNTAXES = {uid: (SYNTAXES[uid].name, SYNTAXES[uid].keyword)
                for uid in (JXL_LOSSLESS, JXL_JPEG, JXL, DEFLATED_FRAME)}

# pydicom encoding profiles (Photometric Interpretation after encoding,
# samples, pixel representations, bits allocated, bits stored): PS3.5 Table
# 8.2.15-1 for JPEG XL (.111 takes JPEG bitstreams, never pixels: none) and
# any native layout for deflate.
_MONO = ("MONOCHROME1", "MONOCHROME2")
ENCODING_PROFILES = {
    JXL_LOSSLESS: [
        *((pi, 1, (0, 1), (8, 16), range(1, 17)) for pi in _MONO),
        ("PALETTE COLOR", 1, (0,), (8, 16), range(1, 17)),
        ("RGB", 3, (0,), (8, 16), range(1, 17)),
    ],
    JXL: [
        *((pi, 1, (0, 1), (8, 16), range(1, 17)) for pi in _MONO),
        ("RGB", 3, (0,), (8, 16), range(1, 17)),
    ],
    DEFLATED_FRAME: [
        *((pi, 1, (0,), (1,), (1,)) for pi in _MONO),
        *((pi, 1, (0, 1), (8, 16, 32, 64), range(1, 65)) for pi in _MONO),
        ("PALETTE COLOR", 1, (0,), (8, 16), range(1, 17)),
        *((pi, 3, (0,), (8, 16), range(1, 17)) for pi in ("RGB", "YBR_FULL")),
    ],
}

_lock = threading.Lock()
# What teach() added to pydicom, so untaught() takes back exactly that.
_added: dict[str, list[str]] = {}


def teach(uid: str) -> bool:
    """Make pydicom know `uid` if it is one of NEW_SYNTAXES and pydicom does
    not know it yet. Returns True when this call added it."""
    uid = str(uid)
    if uid not in NEW_SYNTAXES:
        return False
    try:
        import pydicom.uid as puid
        from pydicom._uid_dict import UID_dictionary
    except ImportError:  # pydicom is an optional extra
        return False
    name, keyword = NEW_SYNTAXES[uid]
    with _lock:
        if uid in _added or uid in UID_dictionary:
            return False
        done = []
        UID_dictionary[uid] = (name, "Transfer Syntax", "", "", keyword)
        done.append("dictionary")
        everything = getattr(puid, "AllTransferSyntaxes", None)
        if isinstance(everything, list) and uid not in everything:
            everything.append(puid.UID(uid))
            done.append("all")
        if not hasattr(puid, keyword):
            setattr(puid, keyword, puid.UID(uid))
            done.append("keyword")
        _added[uid] = done
        return True


def untaught(uid: str) -> None:
    """Take back what teach(uid) added (nothing if it added nothing)."""
    import pydicom.uid as puid
    from pydicom._uid_dict import UID_dictionary

    with _lock:
        done = _added.pop(str(uid), [])
        name, keyword = NEW_SYNTAXES.get(str(uid), ("", ""))
        if "dictionary" in done:
            UID_dictionary.pop(uid, None)
        if "all" in done and uid in puid.AllTransferSyntaxes:
            puid.AllTransferSyntaxes.remove(uid)
        if "keyword" in done and hasattr(puid, keyword):
            delattr(puid, keyword)


def taught() -> list[str]:
    """The UIDs teach() has added to pydicom and not taken back."""
    with _lock:
        return list(_added)
