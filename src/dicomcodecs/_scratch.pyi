"""Type stub for _scratch.pyx: the cache of frame-sized blocks lent to pydicom."""

import numpy as np
import numpy.typing as npt

MIN_POOLED: int

def frame_buffer(nbytes: int) -> npt.NDArray[np.uint8]: ...
def cached_bytes() -> int: ...
def clear() -> None: ...
