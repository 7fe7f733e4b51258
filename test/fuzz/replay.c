/* replay.c - runs fuzz inputs through LLVMFuzzerTestOneInput without
 * libFuzzer, so `make test` replays the seed corpus under any compiler.
 *
 *   replay [FILE|DIR]...     default: test/fuzz/corpus (run from the repo root)
 *
 * Files run in name order, each reported "ok" when done; one that breaks
 * the model abort()s inside the target, which names the operation, so the
 * culprit is the file after the last "ok". Ends with the usual "N passed,
 * M failed" line (M counts files that could not be read).
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int passed, failed;

static void replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t n = 0, cap = 0, got;

    if (!f) {
        fprintf(stderr, "replay: cannot open %s\n", path);
        failed++;
        return;
    }
    do {
        if (n == cap) {
            uint8_t *p = (uint8_t *)realloc(buf, cap = cap ? cap * 2 : 4096);
            if (!p) {
                fprintf(stderr, "replay: out of memory reading %s\n", path);
                failed++;
                free(buf);
                fclose(f);
                return;
            }
            buf = p;
        }
        got = fread(buf + n, 1, cap - n, f);
        n += got;
    } while (got > 0);
    fclose(f);
    LLVMFuzzerTestOneInput(buf, n);
    free(buf);
    printf("ok   %s\n", path);
    fflush(stdout);
    passed++;
}

/* A directory's regular files, in name order so that runs compare. */
static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void replay_path(const char *path)
{
    DIR *dir = opendir(path);
    struct dirent *e;
    char **names = NULL;
    size_t n = 0, i;

    if (!dir) {
        replay_file(path);
        return;
    }
    while ((e = readdir(dir)) != NULL) {
        char **p;
        if (e->d_name[0] == '.')
            continue;
        p = (char **)realloc(names, (n + 1) * sizeof *names);
        if (!p)
            break;
        names = p;
        names[n] = (char *)malloc(strlen(path) + strlen(e->d_name) + 2);
        if (!names[n])
            break;
        sprintf(names[n], "%s/%s", path, e->d_name);
        n++;
    }
    closedir(dir);
    qsort(names, n, sizeof *names, by_name);
    for (i = 0; i < n; i++) {
        replay_file(names[i]);
        free(names[i]);
    }
    free(names);
}

int main(int argc, char **argv)
{
    int i;

    if (argc < 2)
        replay_path("test/fuzz/corpus");
    for (i = 1; i < argc; i++)
        replay_path(argv[i]);
    if (passed + failed == 0) {
        fprintf(stderr, "replay: no inputs\n");
        failed++;
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
