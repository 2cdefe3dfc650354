/* fuzz_common.h: what every harness in lib/fuzz shares: the error-contract
 * check and exact-size heap copies (so AddressSanitizer sees any read past
 * the end). Header-only, so lib/fuzz/families.txt lists no extra source. */
#ifndef DC_FUZZ_COMMON_H
#define DC_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/dc_common.h"

/* Abort unless rc is a dc_status and a failure carries a terminated message.
 * harness names the binary, what the call (NULL: none). */
static inline void fuzz_check(const char *harness, const char *what, int rc, const dc_error *err)
{
    const char *sep = what ? ": " : "";
    if (what == NULL) what = "";
    if (rc < DC_OK || rc > DC_ERR_ENGINE) {
        fprintf(stderr, "%s: %s%sstatus %d outside dc_status\n", harness, what, sep, rc);
        abort();
    }
    if (rc != DC_OK && (err->msg[0] == '\0' || memchr(err->msg, '\0', sizeof err->msg) == NULL)) {
        fprintf(stderr, "%s: %s%sstatus %d without an error message\n", harness, what, sep, rc);
        abort();
    }
}

/* An exact-size heap copy of n bytes of src (one byte when n is 0). */
static inline uint8_t *fuzz_copy(const uint8_t *src, size_t n)
{
    uint8_t *copy = (uint8_t *)malloc(n ? n : 1u);
    if (copy == NULL) abort();
    if (n) memcpy(copy, src, n);
    return copy;
}

#endif
