"""JPEG Baseline (.4.50), Extended (.4.51), Lossless P14 (.4.57) and
Lossless SV1 (.4.70): the Codec over dicomcodecs._jpeg (libjpeg-turbo for
8-bit DCT, our ljpeg for 12-bit DCT and lossless), with option parsing and
the choice of encoding engine."""

from __future__ import annotations

from .. import _jpeg
from .._errors import EncodeError
from .._uids import (JPEG_BASELINE, JPEG_EXTENDED, JPEG_LOSSLESS, JPEG_LOSSLESS_SV1,
                     SYNTAXES, family)
from ..registry import Codec
from ._common import bool_option, int_option, narrow, package_version, wants_rgb

_DCT = (JPEG_BASELINE, JPEG_EXTENDED)
_LOSSLESS = (JPEG_LOSSLESS, JPEG_LOSSLESS_SV1)

DEFAULT_QUALITY = 90          # DCMTK dcmcjpeg's default
DEFAULT_SUBSAMPLING = 422     # YBR_FULL_422, what DICOM viewers expect of baseline RGB
DEFAULT_OPTIMIZE_HUFFMAN = True

_SUBSAMPLING = {444: 444, 422: 422, 420: 420, "444": 444, "422": 422, "420": 420,
                "4:4:4": 444, "4:2:2": 422, "4:2:0": 420}
_YBR = ("YBR_FULL", "YBR_FULL_422")


class JPEGCodec(Codec):
    """One JPEG transfer syntax. Decoding routes by SOF marker (8-bit DCT ->
    libjpeg-turbo, 12-bit DCT and lossless -> ours). Instance attributes set
    the DICOM workarounds for every decode through the API and the pydicom
    plugin (per-call keywords of decode_into override them):

    allow_truncated (False): decode truncated/corrupt entropy data (DCMTK +wi).
    cornell (None): 16-bit lossless Cornell Huffman bug: None = retry with the
        workaround when a stream fails (default), True = always (DCMTK +wc),
        False = never.
    pred6_wrap (False): predictor-6 int16 overflow emulation (DCMTK +w6).
    """

    def __init__(self, uid):
        self.uid = uid
        self.name = SYNTAXES[uid].name
        self.transfer_syntaxes = (uid,)
        self.encode_syntaxes = (uid,)
        if uid in _DCT:
            self.engine = "libjpeg-turbo / dicomcodecs"
            self.encode_options = frozenset({"quality", "subsampling", "optimize_huffman",
                                             "restart_interval", "photometric"})
        else:
            self.engine = "dicomcodecs"
            self.encode_options = frozenset({"predictor", "point_transform",
                                             "restart_interval"})
        self.allow_truncated = False
        self.cornell = None
        self.pred6_wrap = False

    def engine_version(self):
        if self.uid in _DCT:
            return f"{_jpeg.version()} / {package_version()}"
        return package_version()

    def output_spec(self, info, *, as_rgb=True, reduce=0):
        if reduce:
            return super().output_spec(info, reduce=reduce)
        pi = info.photometric_interpretation
        if wants_rgb(info, as_rgb) and info.bits_allocated == 8:
            pi = "RGB"
        return info.shape, info.dtype, pi

    def decode_into(self, src, info, out, *, as_rgb=True, reduce=0, frame=None,
                    planar_configuration=0, allow_truncated=None, cornell="default",
                    pred6_wrap=None, fast_idct=False, engine_threads=0):
        """Decode one frame into `out`. allow_truncated / cornell /
        pred6_wrap override the codec's attributes for this call."""
        if reduce:
            self.output_spec(info, reduce=reduce)
        return _jpeg.decode_into(
            src, info, out, planar_configuration=planar_configuration, label=self.name,
            frame=frame, ybr_to_rgb=wants_rgb(info, as_rgb) and info.bits_allocated == 8,
            allow_truncated=self.allow_truncated if allow_truncated is None else allow_truncated,
            cornell=self.cornell if cornell == "default" else cornell,
            pred6_wrap=self.pred6_wrap if pred6_wrap is None else pred6_wrap,
            fast_idct=fast_idct)

    # ---------------------------------------------------------------- encode

    def _plan(self, info, options, frame):
        """Resolve the options into engine parameters and the attributes the
        dataset must carry."""
        name = self.name
        spp = info.samples_per_pixel
        pi_in = info.photometric_interpretation
        bs = info.bits_stored
        plan = {"restart_interval": int_option(options, "restart_interval", 0, 0, 65535,
                                                name, frame)}
        if spp not in (1, 3) and self.uid in _DCT:
            raise EncodeError(name, frame, f"{spp} samples per pixel: JPEG DCT codes 1 or 3")
        if spp not in (1, 3, 4):
            raise EncodeError(name, frame, f"{spp} samples per pixel: JPEG codes 1, 3 or 4")
        if self.uid in _LOSSLESS:
            if not 2 <= bs <= 16:
                raise EncodeError(name, frame, f"Bits Stored {bs}: lossless JPEG codes 2 to "
                                  "16-bit samples")
            pred = int_option(options, "predictor", 1, 1, 7, name, frame)
            if self.uid == JPEG_LOSSLESS_SV1 and pred != 1:
                raise EncodeError(name, frame, f"predictor={pred}: JPEG Lossless SV1 "
                                  "(.4.70) is selection value 1; use JPEG Lossless P14 "
                                  "(.4.57) for predictors 2-7")
            pt = int_option(options, "point_transform", 0, 0, bs - 1, name, frame)
            # the samples are coded at full resolution: YBR_FULL_422 input
            # (decoded from a subsampled stream) is YBR_FULL once coded
            plan.update(process=14, predictor=pred, point_transform=pt,
                        photometric="YBR_FULL" if pi_in == "YBR_FULL_422" else pi_in,
                        lossy=pt > 0)
            return plan
        quality = int_option(options, "quality", DEFAULT_QUALITY, 1, 100, name, frame)
        opt = bool_option(options, "optimize_huffman", DEFAULT_OPTIMIZE_HUFFMAN, name, frame)
        if info.pixel_representation and self.uid == JPEG_BASELINE:
            raise EncodeError(name, frame, "JPEG Baseline codes unsigned samples only")
        limit = 8 if self.uid == JPEG_BASELINE else 12
        if not 1 <= bs <= limit:
            raise EncodeError(name, frame, f"Bits Stored {bs}: {name} codes at most "
                              f"{limit}-bit samples" + ("; use JPEG Extended (.4.51) for "
                                                        "12-bit" if limit == 8 else ""))
        sub = options.get("subsampling")
        if sub is not None:
            key = sub.replace(" ", "") if isinstance(sub, str) else sub
            if isinstance(key, bool) or key not in _SUBSAMPLING:
                raise EncodeError(name, frame, f"subsampling={sub!r}: use 444, 422 or 420")
            sub = _SUBSAMPLING[key]
        want = options.get("photometric")
        if want is not None and want not in ("RGB", "YBR_FULL", "YBR_FULL_422") + (pi_in,):
            raise EncodeError(name, frame, f"photometric={want!r}: use 'YBR_FULL_422', "
                              "'YBR_FULL' or 'RGB'")
        plan.update(quality=quality, optimize_huffman=opt, lossy=True)
        if spp == 1:
            if want not in (None, pi_in):
                raise EncodeError(name, frame, f"photometric={want!r} for {pi_in} data")
            plan.update(subsampling=444, transform=False, input_ybr=False, photometric=pi_in)
        else:
            input_ybr = pi_in in _YBR
            if not input_ybr and pi_in != "RGB":
                raise EncodeError(name, frame, f"cannot code {pi_in} with JPEG DCT: give "
                                  "RGB or YBR_FULL data")
            if bs > 8:
                # our 12-bit coder has no colour transform: RGB stays RGB
                if want not in (None, pi_in) or (sub not in (None, 444)):
                    raise EncodeError(name, frame, "12-bit colour is coded as given (no "
                                      "colour transform, no subsampling)")
                plan.update(subsampling=444, transform=False, input_ybr=input_ybr,
                            photometric=pi_in if not input_ybr else "YBR_FULL")
                self._set_process(plan, bs)
                return plan
            if want == "RGB":
                if input_ybr:
                    raise EncodeError(name, frame, "photometric='RGB' needs RGB input")
                if sub not in (None, 444):
                    raise EncodeError(name, frame, "photometric='RGB' codes RGB without "
                                      "colour transform, so without subsampling (444)")
                plan.update(subsampling=444, transform=False, input_ybr=False,
                            photometric="RGB")
            else:
                if sub is None:
                    sub = 444 if want == "YBR_FULL" else DEFAULT_SUBSAMPLING
                if want == "YBR_FULL" and sub != 444:
                    raise EncodeError(name, frame, f"photometric='YBR_FULL' means no chroma "
                                      f"subsampling, not {sub}")
                if want == "YBR_FULL_422" and sub == 444:
                    raise EncodeError(name, frame, "photometric='YBR_FULL_422' needs "
                                      "subsampling 422 or 420")
                if self.uid == JPEG_EXTENDED and sub == 420:
                    raise EncodeError(name, frame, "subsampling 420 is only available for "
                                      "JPEG Baseline (.4.50)")
                plan.update(subsampling=sub, transform=not input_ybr, input_ybr=input_ybr,
                            photometric="YBR_FULL" if sub == 444 else "YBR_FULL_422")
        self._set_process(plan, bs)
        return plan

    def _set_process(self, plan, bs):
        if self.uid == JPEG_BASELINE:
            plan["process"] = 1
        else:
            plan["process"] = 2 if bs <= 8 else 4

    def encode(self, arr, info, *, frame=None, engine_threads=0, **options):
        plan = self._plan(info, options, frame)
        process = plan["process"]
        if process in (1, 2):
            bits = 8
        elif process == 4:
            bits = 16
        else:
            bits = 8 if info.bits_allocated == 8 else 16
        if info.bits_allocated != bits:
            arr, info = narrow(arr, info, bits, self.name, frame)
        if plan["process"] == 1:
            return _jpeg.encode_turbo(arr, info, quality=plan["quality"],
                                subsampling=plan["subsampling"],
                                optimize_huffman=plan["optimize_huffman"],
                                restart_interval=plan["restart_interval"],
                                color_transform=plan["transform"],
                                input_ybr=plan["input_ybr"], label=self.name, frame=frame)
        if plan["process"] == 14:
            return _jpeg.encode_ljpeg(arr, info, process=14, predictor=plan["predictor"],
                               point_transform=plan["point_transform"],
                               restart_interval=plan["restart_interval"],
                               label=self.name, frame=frame)
        chroma = False
        if info.samples_per_pixel == 3:
            if plan["transform"]:
                arr = _jpeg.rgb_to_ybr_u8(arr)
                chroma = True
            else:
                chroma = plan["input_ybr"]
        return _jpeg.encode_ljpeg(arr, info, process=plan["process"], quality=plan["quality"],
                           optimize_huffman=plan["optimize_huffman"],
                           restart_interval=plan["restart_interval"],
                           subsampling=plan["subsampling"], chroma_tables=chroma,
                           label=self.name, frame=frame)

    def encoded_attributes(self, info, **options):
        plan = self._plan(info, options, None)
        return {"photometric_interpretation": plan["photometric"],
                "planar_configuration": 0, "lossy": plan["lossy"]}


def codecs():
    """The Codec objects of this family, for _builtin to register."""
    return [JPEGCodec(uid) for uid in family("jpeg")]
