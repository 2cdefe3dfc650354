/* dc_guard.c: Debian builds OpenJPEG and OpenJPH with assert() on, and both
 * assert on values deep inside HT-coded data that no header check can see;
 * a failed assert() calls abort(). The guarded decode below turns an abort()
 * raised by the engine, on the calling thread, during that one call, into an
 * error for that call. The engine's objects for the call (codec, stream,
 * image; OpenJPH's codestream) are held in slots and released after the
 * jump, so an abort costs a few bytes the engine had in flight, not the
 * call's memory. OpenJPEG's worker threads are never given a codestream
 * with HT code-blocks (dc_openjpeg.c), the only data on which its asserts
 * were seen to fail, so no abort is raised where no guard could catch it. */
#define _GNU_SOURCE
#include "dc_guard.h"

#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>

#include "dc_ojph.h"
#include "dc_openjpeg.h"

static _Thread_local sigjmp_buf *guard_jump;
static struct sigaction previous;
static pthread_mutex_t install_lock = PTHREAD_MUTEX_INITIALIZER;

typedef struct held {
    void (*release)(void *);
    void *p;
} held;
static _Thread_local held holding[DC_GUARD_SLOTS];

void dc_guard_hold(int slot, void (*release)(void *), void *p)
{
    if (slot >= 0 && slot < DC_GUARD_SLOTS) {
        holding[slot].release = release;
        holding[slot].p = p;
    }
}

void dc_guard_let_go(int slot)
{
    if (slot >= 0 && slot < DC_GUARD_SLOTS)
        holding[slot].p = NULL;
}

static void let_go_all(void)
{
    for (int k = 0; k < DC_GUARD_SLOTS; k++)
        holding[k].p = NULL;
}

static void on_abort(int sig, siginfo_t *info, void *ctx)
{
    sigjmp_buf *jump = guard_jump;
    if (jump != NULL) {
        guard_jump = NULL;
        siglongjmp(*jump, 1);
    }
    /* Not raised inside a guarded call: do what was there before us. */
    if (previous.sa_flags & SA_SIGINFO) {
        if (previous.sa_sigaction != NULL) previous.sa_sigaction(sig, info, ctx);
        return;
    }
    if (previous.sa_handler == SIG_IGN) return;
    if (previous.sa_handler == SIG_DFL || previous.sa_handler == NULL) {
        signal(SIGABRT, SIG_DFL);
        raise(SIGABRT);
        return;
    }
    previous.sa_handler(sig);
}

/* (Re)installs our handler when someone (Python's faulthandler, say) has
 * replaced it since, chaining to whatever it replaced. */
static void ensure_handler(void)
{
    struct sigaction now;
    pthread_mutex_lock(&install_lock);
    if (sigaction(SIGABRT, NULL, &now) == 0 &&
        !((now.sa_flags & SA_SIGINFO) && now.sa_sigaction == on_abort)) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = on_abort;
        sa.sa_flags = SA_SIGINFO | SA_NODEFER;
        sigemptyset(&sa.sa_mask);
        if (sigaction(SIGABRT, &sa, &now) == 0) previous = now;
    }
    pthread_mutex_unlock(&install_lock);
}

int dc_j2k_decode_guarded(int engine, const uint8_t *src, size_t srclen, uint8_t *dst,
                          size_t dstlen, const dc_frame *f, const dc_j2k_decode_opts *opts,
                          dc_j2k_info *info_out, dc_error *err)
{
    sigjmp_buf jump;
    const char *name = engine == DC_ENGINE_OPENJPH ? "OpenJPH" : "OpenJPEG";
    ensure_handler();
    let_go_all();
    if (sigsetjmp(jump, 1) != 0) {
        for (int k = DC_GUARD_SLOTS - 1; k >= 0; k--) {
            held h = holding[k];
            holding[k].p = NULL;
            if (h.p != NULL && h.release != NULL)
                h.release(h.p);
        }
        return dc_fail(err, DC_ERR_CORRUPT,
                       "%s aborted on this codestream (a failed assertion in the library)",
                       name);
    }
    guard_jump = &jump;
    dc_j2k_decode_fn *decode = engine == DC_ENGINE_OPENJPH ? dc_ojph_decode : dc_openjpeg_decode;
    int rc = decode(src, srclen, dst, dstlen, f, opts, info_out, err);
    guard_jump = NULL;
    let_go_all();
    return rc;
}
