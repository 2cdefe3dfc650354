# cython: language_level=3
"""_jpeg: binds lib/jpeg: JPEG Baseline (.4.50), Extended (.4.51), Lossless
P14 (.4.57) and Lossless SV1 (.4.70). 8-bit DCT streams go through the
system libjpeg-turbo (dc_turbo.c); 12-bit DCT and lossless streams through
our own codec (ljpeg_*.c).

Decoding routes each frame by its SOF marker, not by the transfer syntax:
files in the wild carry lossless streams under lossy UIDs and the reverse.

Colour (PS3.5 8.2.1, and what DCMTK's dcmdjpeg does by default): the
Photometric Interpretation says what the three components are, whatever
JFIF/Adobe markers or component IDs suggest. RGB is never colour-converted;
YBR_FULL / YBR_FULL_422 is converted to RGB only when the caller asks for
RGB (inside libjpeg-turbo for 8-bit streams it decodes).
"""
include "_common.pxi"
from dc_jpeg cimport *

from dicomcodecs._scratch import frame_buffer
from dicomcodecs.registry import Codec

BASELINE = "1.2.840.10008.1.2.4.50"
EXTENDED = "1.2.840.10008.1.2.4.51"
LOSSLESS = "1.2.840.10008.1.2.4.57"
LOSSLESS_SV1 = "1.2.840.10008.1.2.4.70"
_NAMES = {BASELINE: "JPEG Baseline (8-bit)", EXTENDED: "JPEG Extended (12-bit)",
          LOSSLESS: "JPEG Lossless P14", LOSSLESS_SV1: "JPEG Lossless SV1"}

DEFAULT_QUALITY = 90          # DCMTK dcmcjpeg's default
DEFAULT_SUBSAMPLING = 422     # YBR_FULL_422, what DICOM viewers expect of baseline RGB
DEFAULT_OPTIMIZE_HUFFMAN = True

cdef enum:
    SOF_LOSSLESS = 0xC3
    # which engine decoded a frame (decode_into's result, for tests and benchmarks)
    _ENGINE_TURBO = 1
    _ENGINE_OURS = 2

ENGINE_TURBO = _ENGINE_TURBO
ENGINE_OURS = _ENGINE_OURS


def version():
    """libjpeg-turbo's version (compile time), e.g. '2.1.5'."""
    cdef int v = dc_turbo_version()
    return f"{v // 1000000}.{v // 1000 % 1000}.{v % 1000}"


def read_header(src, str codec="JPEG", object frame=None):
    """The frame header of a JPEG stream as our parser reads it: rows,
    columns, components, precision, process, sof_marker, predictor,
    point_transform, sampling, component_ids, restart_interval, has_jfif,
    has_adobe, adobe_transform."""
    cdef const uint8_t[::1] s = _as_bytes(src)
    cdef dc_jpeg_info h
    cdef dc_error err
    err.msg[0] = 0
    cdef size_t n = s.shape[0]
    cdef const uint8_t *sp = &s[0] if n else NULL
    cdef int rc
    with nogil:
        rc = dc_jpeg_read_header(sp, n, &h, &err)
    if rc != DC_OK:
        _raise(rc, &err, codec, frame, True)
    nc = min(h.components, 4)
    return {"rows": h.rows, "columns": h.columns, "components": h.components,
            "precision": h.precision, "process": h.process, "sof_marker": h.sof_marker,
            "predictor": h.predictor, "point_transform": h.point_transform,
            "sampling": [(h.hsamp[i], h.vsamp[i]) for i in range(nc)],
            "component_ids": [h.component_ids[i] for i in range(nc)],
            "restart_interval": h.restart_interval, "has_jfif": bool(h.has_jfif),
            "has_adobe": bool(h.has_adobe), "adobe_transform": h.adobe_transform}


cdef int _decode_c(const uint8_t *sp, size_t n, uint8_t *dst, size_t dstlen,
                   const dc_frame *f, unsigned jflags, unsigned tflags, bint ybr_to_rgb,
                   int *engine, dc_error *err) noexcept nogil:
    """Read the header, pick the engine by SOF marker and precision, decode,
    then fix unused bits (and convert YBR -> RGB where libjpeg-turbo did not)."""
    cdef dc_jpeg_info h
    cdef dc_error err2
    cdef int rc = dc_jpeg_read_header(sp, n, &h, err)
    cdef bint turbo
    if rc != DC_OK:
        # libjpeg-turbo may still read an 8-bit stream our parser refuses
        # (e.g. junk before a marker); keep our message if it cannot either.
        if f.bits_allocated != 8 or rc == DC_ERR_TRUNCATED:
            return rc
        err2.msg[0] = 0
        if ybr_to_rgb:
            tflags |= DC_TURBO_FLAG_TO_RGB
        if dc_turbo_decode(sp, n, dst, dstlen, f, tflags, &err2) != DC_OK:
            return rc
        engine[0] = _ENGINE_TURBO
        _postprocess(dst, f, False)
        return DC_OK
    turbo = (h.sof_marker != SOF_LOSSLESS and h.precision == 8 and f.bits_allocated == 8
             and (h.components == 1 or h.components == 3))
    if turbo:
        engine[0] = _ENGINE_TURBO
        if ybr_to_rgb:
            tflags |= DC_TURBO_FLAG_TO_RGB
        rc = dc_turbo_decode(sp, n, dst, dstlen, f, tflags, err)
        if rc == DC_OK:
            _postprocess(dst, f, False)
        return rc
    engine[0] = _ENGINE_OURS
    rc = dc_jpeg_decode(sp, n, dst, dstlen, f, jflags, err)
    if rc == DC_OK:
        _postprocess(dst, f, ybr_to_rgb)
    return rc


def decode_into(src, out, info, *, int planar=0, str codec="JPEG", object frame=None,
                bint ybr_to_rgb=False, bint allow_truncated=False, object cornell=None,
                bint pred6_wrap=False, bint fast_idct=False):
    """Decode one frame into `out` (C-contiguous, sized for `info`), samples
    laid out as `planar` says; returns ENGINE_TURBO or ENGINE_OURS.

    allow_truncated: decode what there is of truncated or corrupt entropy
        data (DCMTK +wi) instead of raising.
    cornell: None retries a failing 16-bit lossless stream with the Cornell
        workaround (default); True always applies it (DCMTK +wc); False never.
    pred6_wrap: lossless predictor-6 int16 overflow emulation (DCMTK +w6).
    fast_idct: libjpeg-turbo's JDCT_IFAST instead of JDCT_ISLOW.
    """
    cdef const uint8_t[::1] s = _as_bytes(src)
    cdef dc_frame f
    cdef dc_error err
    err.msg[0] = 0
    _fill_frame(&f, info, planar)
    cdef uint8_t[::1] dst = _bytes_of(out)
    cdef size_t n = s.shape[0]
    cdef const uint8_t *sp = &s[0] if n else NULL
    cdef unsigned jflags = 0
    cdef unsigned tflags = 0
    if allow_truncated:
        jflags |= DC_JPEG_FLAG_ALLOW_TRUNCATED
        tflags |= DC_TURBO_FLAG_ALLOW_TRUNCATED
    if cornell is True:
        jflags |= DC_JPEG_FLAG_CORNELL
    elif cornell is False:
        jflags |= DC_JPEG_FLAG_NO_CORNELL_AUTO
    if pred6_wrap:
        jflags |= DC_JPEG_FLAG_PRED6_WRAP
    if fast_idct:
        tflags |= DC_TURBO_FLAG_FAST_IDCT
    pi = info.photometric_interpretation
    if info.samples_per_pixel == 3:
        if pi == "RGB":
            tflags |= DC_TURBO_FLAG_STORED_RGB
        elif pi in ("YBR_FULL", "YBR_FULL_422"):
            tflags |= DC_TURBO_FLAG_STORED_YBR
    cdef int engine = 0
    cdef int rc
    if dst.shape[0] == 0:
        raise OutputTooSmallError(codec, frame, "empty output")
    with nogil:
        rc = _decode_c(sp, n, &dst[0], dst.shape[0], &f, jflags, tflags, ybr_to_rgb,
                       &engine, &err)
    if rc != DC_OK:
        _raise(rc, &err, codec, frame, True)
    return engine


def encode_turbo(arr, info, *, int quality=DEFAULT_QUALITY, int subsampling=DEFAULT_SUBSAMPLING,
                 bint optimize_huffman=True, int restart_interval=0, bint color_transform=True,
                 bint input_ybr=False, bint progressive=False, int planar_configuration=0,
                 str codec="JPEG", object frame=None):
    """Encode one 8-bit frame with libjpeg-turbo; returns the codestream."""
    cdef dc_frame f
    cdef dc_error err
    cdef dc_turbo_params p
    _fill_frame(&f, info, planar_configuration)
    p.quality = quality
    p.subsampling = subsampling
    p.optimize_huffman = optimize_huffman
    p.restart_interval = restart_interval
    p.color_transform = color_transform
    p.input_ybr = input_ybr
    p.progressive = progressive
    cdef const uint8_t[::1] src = arr.reshape(-1).view(np.uint8)
    cdef size_t srclen = src.shape[0]
    if srclen == 0:
        raise EncodeError(codec, frame, "empty frame")
    cdef size_t bound = dc_turbo_encode_bound(&f)
    if bound == 0:
        raise EncodeError(codec, frame, f"cannot encode {info.columns}x{info.rows} with "
                          f"{info.samples_per_pixel} samples of {info.bits_allocated} bits: "
                          "libjpeg-turbo codes 1 or 3 8-bit samples, at most 65500 a side")
    cdef size_t n = 0
    cdef int rc = DC_ERR_OUTPUT_TOO_SMALL
    cdef uint8_t[::1] dst
    for _ in range(3):
        out = np.empty(bound, np.uint8)  # not zero-filled: the bound is ~2x the frame
        dst = out
        err.msg[0] = 0
        with nogil:
            rc = dc_turbo_encode(&src[0], srclen, &f, &p, &dst[0], bound, &n, &err)
        if rc != DC_ERR_OUTPUT_TOO_SMALL:
            break
        bound *= 2
    if rc != DC_OK:
        _raise(rc, &err, codec, frame, False)
    return out[:n].tobytes()


def encode_ours(arr, info, *, int process, int predictor=1, int point_transform=0,
                int quality=DEFAULT_QUALITY, bint optimize_huffman=True, int restart_interval=0,
                int subsampling=444, bint chroma_tables=False, int planar_configuration=0,
                str codec="JPEG", object frame=None):
    """Encode one frame with our codec (process 14 lossless, 1/2/4 DCT)."""
    cdef dc_frame f
    cdef dc_error err
    cdef dc_jpeg_params p
    err.msg[0] = 0
    _fill_frame(&f, info, planar_configuration)
    p.process = process
    p.predictor = predictor
    p.point_transform = point_transform
    p.quality = quality
    p.optimize_huffman = optimize_huffman
    p.restart_interval = restart_interval
    p.subsampling = subsampling
    p.chroma_tables = chroma_tables
    cdef const uint8_t[::1] src = arr.reshape(-1).view(np.uint8)
    cdef size_t srclen = src.shape[0]
    if srclen == 0:
        raise EncodeError(codec, frame, "empty frame")
    cdef size_t bound = dc_jpeg_encode_bound(&f, &p)
    if bound == 0:
        raise EncodeError(codec, frame, f"cannot encode {info.samples_per_pixel} samples of "
                          f"{info.bits_stored} bits stored in {info.bits_allocated} with "
                          f"process {process} (predictor {predictor}, point transform "
                          f"{point_transform})")
    out = np.empty(bound, np.uint8)
    cdef uint8_t[::1] dst = out
    cdef size_t n = 0
    cdef int rc
    with nogil:
        rc = dc_jpeg_encode(&src[0], srclen, &f, &p, &dst[0], bound, &n, &err)
    if rc != DC_OK:
        _raise(rc, &err, codec, frame, False)
    return out[:n].tobytes()


def _rgb_to_ybr_u8(arr):
    """RGB -> YBR_FULL on a copy of an 8-bit interleaved frame."""
    out = np.array(arr, dtype=np.uint8, order="C", copy=True)
    cdef uint8_t[::1] px = out.reshape(-1)
    cdef size_t npix = px.shape[0] // 3
    with nogil:
        dc_rgb_to_ybr_full_u8(&px[0], npix)
    return out


# ------------------------------------------------------------- option parsing

_SUBSAMPLING = {444: 444, 422: 422, 420: 420, "444": 444, "422": 422, "420": 420,
                "4:4:4": 444, "4:2:2": 422, "4:2:0": 420}
_YBR = ("YBR_FULL", "YBR_FULL_422")


def _int_option(options, name, default, lo, hi, codec, frame):
    v = options.get(name)
    if v is None:
        return default
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not lo <= v <= hi:
        raise EncodeError(codec, frame, f"{name}={v!r} is not an integer in {lo}..{hi}")
    return int(v)


def _bool_option(options, name, default, codec, frame):
    v = options.get(name)
    if v is None:
        return default
    if not isinstance(v, (bool, int, np.integer, np.bool_)) or int(v) not in (0, 1):
        raise EncodeError(codec, frame, f"{name}={v!r} is not a bool")
    return bool(v)


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
        self.name = _NAMES[uid]
        self.transfer_syntaxes = (uid,)
        self.encode_syntaxes = (uid,)
        if uid in (BASELINE, EXTENDED):
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
        from dicomcodecs._version import __version__
        if self.uid in (BASELINE, EXTENDED):
            return f"{version()} / {__version__}"
        return __version__

    def output_spec(self, info, *, as_rgb=True, reduce=0):
        if reduce:
            return super().output_spec(info, reduce=reduce)
        pi = info.photometric_interpretation
        if _wants_rgb(info, as_rgb) and info.bits_allocated == 8:
            pi = "RGB"
        return info.shape, info.dtype, pi

    def decode_into(self, src, info, out, *, as_rgb=True, reduce=0, frame=None, planar=0,
                    allow_truncated=None, cornell="default", pred6_wrap=None,
                    fast_idct=False):
        """Decode one frame into `out`. allow_truncated / cornell /
        pred6_wrap override the codec's attributes for this call."""
        if reduce:
            self.output_spec(info, reduce=reduce)
        return decode_into(
            src, out, info, planar=planar, codec=self.name, frame=frame,
            ybr_to_rgb=_wants_rgb(info, as_rgb) and info.bits_allocated == 8,
            allow_truncated=self.allow_truncated if allow_truncated is None else allow_truncated,
            cornell=self.cornell if cornell == "default" else cornell,
            pred6_wrap=self.pred6_wrap if pred6_wrap is None else pred6_wrap,
            fast_idct=fast_idct)

    def pydicom_decode(self, src, runner, info):
        """pydicom plugin hook: the stored colour space, interleaved; runner
        options jpeg_allow_truncated / jpeg_cornell / jpeg_pred6_wrap set the
        workarounds."""
        shape, dtype, _ = self.output_spec(info, as_rgb=False)
        buf = frame_buffer(int(np.prod(shape)) * np.dtype(dtype).itemsize)
        out = np.frombuffer(buf, dtype).reshape(shape)
        self.decode_into(src, info, out, as_rgb=False, frame=getattr(runner, "index", None),
                         allow_truncated=runner.get_option("jpeg_allow_truncated",
                                                           self.allow_truncated),
                         cornell=runner.get_option("jpeg_cornell", self.cornell),
                         pred6_wrap=runner.get_option("jpeg_pred6_wrap", self.pred6_wrap))
        if info.samples_per_pixel > 1:
            runner.set_option("planar_configuration", 0)
        return buf

    # ---------------------------------------------------------------- encode

    def _plan(self, info, options, frame):
        """Resolve the options into engine parameters and the attributes the
        dataset must carry."""
        name = self.name
        spp = info.samples_per_pixel
        pi_in = info.photometric_interpretation
        bs = info.bits_stored
        plan = {"restart_interval": _int_option(options, "restart_interval", 0, 0, 65535,
                                                name, frame)}
        if spp not in (1, 3) and self.uid in (BASELINE, EXTENDED):
            raise EncodeError(name, frame, f"{spp} samples per pixel: JPEG DCT codes 1 or 3")
        if spp not in (1, 3, 4):
            raise EncodeError(name, frame, f"{spp} samples per pixel: JPEG codes 1, 3 or 4")
        if self.uid in (LOSSLESS, LOSSLESS_SV1):
            if not 2 <= bs <= 16:
                raise EncodeError(name, frame, f"Bits Stored {bs}: lossless JPEG codes 2 to "
                                  "16-bit samples")
            pred = _int_option(options, "predictor", 1, 1, 7, name, frame)
            if self.uid == LOSSLESS_SV1 and pred != 1:
                raise EncodeError(name, frame, f"predictor={pred}: JPEG Lossless SV1 "
                                  "(.4.70) is selection value 1; use JPEG Lossless P14 "
                                  "(.4.57) for predictors 2-7")
            pt = _int_option(options, "point_transform", 0, 0, bs - 1, name, frame)
            # the samples are coded at full resolution: YBR_FULL_422 input
            # (decoded from a subsampled stream) is YBR_FULL once coded
            plan.update(process=14, predictor=pred, point_transform=pt,
                        photometric="YBR_FULL" if pi_in == "YBR_FULL_422" else pi_in,
                        lossy=pt > 0)
            return plan
        quality = _int_option(options, "quality", DEFAULT_QUALITY, 1, 100, name, frame)
        opt = _bool_option(options, "optimize_huffman", DEFAULT_OPTIMIZE_HUFFMAN, name, frame)
        if info.pixel_representation and self.uid == BASELINE:
            raise EncodeError(name, frame, "JPEG Baseline codes unsigned samples only")
        limit = 8 if self.uid == BASELINE else 12
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
                if self.uid == EXTENDED and sub == 420:
                    raise EncodeError(name, frame, "subsampling 420 is only available for "
                                      "JPEG Baseline (.4.50)")
                plan.update(subsampling=sub, transform=not input_ybr, input_ybr=input_ybr,
                            photometric="YBR_FULL" if sub == 444 else "YBR_FULL_422")
        self._set_process(plan, bs)
        return plan

    def _set_process(self, plan, bs):
        if self.uid == BASELINE:
            plan["process"] = 1
        else:
            plan["process"] = 2 if bs <= 8 else 4

    def _narrow(self, arr, info, bits, frame):
        """Samples in a wider container than the engine takes -> `bits`-bit
        containers, refusing values outside Bits Stored's range."""
        bs = info.bits_stored
        lo, hi = (-(1 << (bs - 1)), (1 << (bs - 1)) - 1) if info.pixel_representation else \
                 (0, (1 << bs) - 1)
        if arr.size and (arr.min() < lo or arr.max() > hi):
            raise EncodeError(self.name, frame, f"sample values {arr.min()}..{arr.max()} are "
                              f"outside {lo}..{hi}, the range of {bs}-bit samples")
        dtype = np.dtype(f"{'i' if info.pixel_representation else 'u'}{bits // 8}")
        return np.ascontiguousarray(arr.astype(dtype)), info.replace(bits_allocated=bits)

    def encode(self, arr, info, *, frame=None, **options):
        plan = self._plan(info, options, frame)
        process = plan["process"]
        if process in (1, 2):
            bits = 8
        elif process == 4:
            bits = 16
        else:
            bits = 8 if info.bits_allocated == 8 else 16
        if info.bits_allocated != bits:
            arr, info = self._narrow(arr, info, bits, frame)
        if plan["process"] == 1:
            return encode_turbo(arr, info, quality=plan["quality"],
                                subsampling=plan["subsampling"],
                                optimize_huffman=plan["optimize_huffman"],
                                restart_interval=plan["restart_interval"],
                                color_transform=plan["transform"],
                                input_ybr=plan["input_ybr"], codec=self.name, frame=frame)
        if plan["process"] == 14:
            return encode_ours(arr, info, process=14, predictor=plan["predictor"],
                               point_transform=plan["point_transform"],
                               restart_interval=plan["restart_interval"],
                               codec=self.name, frame=frame)
        chroma = False
        if info.samples_per_pixel == 3:
            if plan["transform"]:
                arr = _rgb_to_ybr_u8(arr)
                chroma = True
            else:
                chroma = plan["input_ybr"]
        return encode_ours(arr, info, process=plan["process"], quality=plan["quality"],
                           optimize_huffman=plan["optimize_huffman"],
                           restart_interval=plan["restart_interval"],
                           subsampling=plan["subsampling"], chroma_tables=chroma,
                           codec=self.name, frame=frame)

    def encoded_attributes(self, info, **options):
        plan = self._plan(info, options, None)
        return {"photometric_interpretation": plan["photometric"],
                "planar_configuration": 0, "lossy": plan["lossy"]}


def codecs():
    """The Codec objects this extension provides, for _builtin to register."""
    return [JPEGCodec(BASELINE), JPEGCodec(EXTENDED), JPEGCodec(LOSSLESS),
            JPEGCodec(LOSSLESS_SV1)]
