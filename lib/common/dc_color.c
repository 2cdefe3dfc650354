/* dc_color.c: the YBR_FULL <-> RGB conversions every codec family shares. */
#include "dc_common.h"

/* 16.16 fixed point; products of a coefficient and a centred 8-bit value fit
 * comfortably in int32. */
#define FIX(x) ((int32_t)((x) * 65536.0 + 0.5))
#define HALF (1 << 15)

static uint8_t clamp255(int32_t v)
{
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

void dc_ybr_full_to_rgb_u8(uint8_t *px, size_t npixels)
{
    const int32_t cr_r = FIX(1.402), cb_g = FIX(0.114 * 1.772 / 0.587),
                  cr_g = FIX(0.299 * 1.402 / 0.587), cb_b = FIX(1.772);
    for (size_t i = 0; i < npixels; i++, px += 3) {
        int32_t y = (int32_t)px[0] << 16, cb = (int32_t)px[1] - 128, cr = (int32_t)px[2] - 128;
        /* floor(x + 0.5) with an arithmetic shift, as pydicom rounds */
        px[0] = clamp255((y + cr_r * cr + HALF) >> 16);
        px[1] = clamp255((y - cb_g * cb - cr_g * cr + HALF) >> 16);
        px[2] = clamp255((y + cb_b * cb + HALF) >> 16);
    }
}

void dc_rgb_to_ybr_full_u8(uint8_t *px, size_t npixels)
{
    const int32_t yr = FIX(0.299), yg = FIX(0.587), yb = FIX(0.114);
    const int32_t cbr = FIX(0.299 / 1.772), cbg = FIX(0.587 / 1.772), cbb = FIX(0.5);
    const int32_t crr = FIX(0.5), crg = FIX(0.587 / 1.402), crb = FIX(0.114 / 1.402);
    for (size_t i = 0; i < npixels; i++, px += 3) {
        int32_t r = px[0], g = px[1], b = px[2];
        px[0] = clamp255((yr * r + yg * g + yb * b + HALF) >> 16);
        px[1] = clamp255((-cbr * r - cbg * g + cbb * b + (128 << 16) + HALF) >> 16);
        px[2] = clamp255((crr * r - crg * g - crb * b + (128 << 16) + HALF) >> 16);
    }
}
