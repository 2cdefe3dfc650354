/* replay.c: runs a libFuzzer harness without libFuzzer. Link it with one
 * lib/fuzz/fuzz_<family>.c (and that family's C) and give it files or
 * directories: every file is read into a buffer of exactly its size and
 * passed to LLVMFuzzerTestOneInput once, so a sanitizer build replays a
 * corpus or a crash file in CI with plain gcc. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional in a harness, as in libFuzzer. */
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv);

static int replay_file(const char *path, size_t *count)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) {
        fprintf(stderr, "replay: cannot open %s\n", path);
        return 1;
    }
    if (fseek(fp, 0, SEEK_END) != 0) {
        fclose(fp);
        fprintf(stderr, "replay: cannot seek %s\n", path);
        return 1;
    }
    long len = ftell(fp);
    rewind(fp);
    if (len < 0) {
        fclose(fp);
        return 1;
    }
    /* An exact-size heap copy (at least 1 byte for malloc) lets AddressSanitizer
     * flag a read one byte past the input. */
    uint8_t *buf = malloc(len > 0 ? (size_t)len : 1u);
    if (buf == NULL) {
        fclose(fp);
        return 1;
    }
    size_t got = fread(buf, 1, (size_t)len, fp);
    fclose(fp);
    if (got != (size_t)len) {
        free(buf);
        fprintf(stderr, "replay: short read of %s\n", path);
        return 1;
    }
    fprintf(stderr, "replay: %s (%ld bytes)\n", path, len);
    LLVMFuzzerTestOneInput(buf, (size_t)len);
    free(buf);
    (*count)++;
    return 0;
}

static int replay_path(const char *path, size_t *count)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "replay: %s does not exist\n", path);
        return 1;
    }
    if (!S_ISDIR(st.st_mode)) return replay_file(path, count);
    DIR *dir = opendir(path);
    if (dir == NULL) {
        fprintf(stderr, "replay: cannot list %s\n", path);
        return 1;
    }
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        if (e->d_name[0] == '.') continue; /* ., .. and hidden files such as .gitkeep */
        size_t n = strlen(path) + strlen(e->d_name) + 2;
        char *child = malloc(n);
        if (child == NULL) {
            rc = 1;
            break;
        }
        snprintf(child, n, "%s/%s", path, e->d_name);
        struct stat cst;
        if (stat(child, &cst) == 0 && S_ISREG(cst.st_mode)) rc |= replay_file(child, count);
        free(child);
    }
    closedir(dir);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE_OR_DIR...\n", argv[0]);
        return 2;
    }
    if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
    size_t count = 0;
    int rc = 0;
    for (int i = 1; i < argc; i++) rc |= replay_path(argv[i], &count);
    fprintf(stderr, "replay: %zu inputs ran\n", count);
    if (count == 0) return 1; /* an empty corpus is a mistake, not a pass */
    return rc;
}
