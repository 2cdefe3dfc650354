"""The built-in codecs: one module per family (rle, jpeg, jpegls, j2k, jxl,
deflate), each holding its Codec classes, option parsing, engine choice and
thresholds over the thin C binding ``dicomcodecs._<family>``."""
