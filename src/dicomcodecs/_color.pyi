"""Type stub for _color.pyx: the C colour conversions for whole arrays."""

import numpy as np
import numpy.typing as npt

def ybr_full_to_rgb(arr: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]: ...
def rgb_to_ybr_full(arr: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]: ...

