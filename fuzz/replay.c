/*
 * The regression replay: a main() for one fuzz target built without
 * libFuzzer (any compiler).  It feeds every file of
 * $top_srcdir/fuzz/corpus/<target>/ and $top_srcdir/fuzz/regress/<target>/
 * (or of the files and directories given as arguments) to the target's
 * LLVMFuzzerTestOneInput; a failed check aborts, so `make check` reports
 * the target's test as failed with the file's name on stderr.
 * SPDX-License-Identifier: MIT
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static size_t replayed;

static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "%s: cannot open\n", path);
        return 1;
    }
    size_t cap = 4096, len = 0;
    uint8_t *buf = malloc(cap);
    size_t got;
    while (buf != NULL && (got = fread(buf + len, 1, cap - len, f)) > 0) {
        len += got;
        if (len == cap) {
            uint8_t *bigger = realloc(buf, cap *= 2);
            if (bigger == NULL)
                free(buf);
            buf = bigger;
        }
    }
    fclose(f);
    if (buf == NULL) {
        fprintf(stderr, "%s: out of memory\n", path);
        return 1;
    }
    /* a copy of exactly the input's size, so that ASan sees any overread */
    uint8_t *exact = malloc(len ? len : 1);
    if (exact == NULL) {
        free(buf);
        return 1;
    }
    memcpy(exact, buf, len);
    free(buf);
    fprintf(stderr, "replay %s (%zu bytes)\n", path, len);
    LLVMFuzzerTestOneInput(exact, len);
    free(exact);
    replayed++;
    return 0;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Every regular file of a directory, in name order; a missing directory
 * is fine when `optional`. */
static int replay_path(const char *path, int optional)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        if (optional)
            return 0;
        fprintf(stderr, "%s: not found\n", path);
        return 1;
    }
    if (!S_ISDIR(st.st_mode))
        return replay_file(path);
    DIR *dir = opendir(path);
    if (dir == NULL)
        return 1;
    char **names = NULL;
    size_t n = 0, cap = 0;
    int status = 0;
    struct dirent *ent;
    while ((ent = readdir(dir)) != NULL) {
        if (ent->d_name[0] == '.')
            continue;
        if (n == cap) {
            char **bigger = realloc(names, (cap = cap ? 2 * cap : 64) * sizeof *names);
            if (bigger == NULL) {
                status = 1;
                break;
            }
            names = bigger;
        }
        size_t len = strlen(path) + strlen(ent->d_name) + 2;
        if ((names[n] = malloc(len)) == NULL) {
            status = 1;
            break;
        }
        snprintf(names[n++], len, "%s/%s", path, ent->d_name);
    }
    closedir(dir);
    if (n > 1)
        qsort(names, n, sizeof *names, compare_names);
    for (size_t i = 0; i < n; i++) {
        if (status == 0 && stat(names[i], &st) == 0 && S_ISREG(st.st_mode))
            status = replay_file(names[i]);
        free(names[i]);
    }
    free(names);
    return status;
}

int main(int argc, char **argv)
{
    int status = 0;
    if (argc > 1) {
        for (int i = 1; i < argc && status == 0; i++)
            status = replay_path(argv[i], 0);
    } else {
        const char *top = getenv("top_srcdir");
        if (top == NULL)
            top = ".";
        static const char *const kinds[2] = {"corpus", "regress"};
        for (int k = 0; k < 2 && status == 0; k++) {
            size_t len = strlen(top) + strlen(kinds[k]) + strlen(kpi_fuzz_name) + 8;
            char *dir = malloc(len);
            if (dir == NULL)
                return 1;
            snprintf(dir, len, "%s/fuzz/%s/%s", top, kinds[k], kpi_fuzz_name);
            status = replay_path(dir, k == 1);
            free(dir);
        }
        if (status == 0 && replayed == 0) {
            fprintf(stderr, "%s: no corpus found under %s/fuzz\n", kpi_fuzz_name, top);
            status = 1;
        }
    }
    printf("%s: %zu inputs replayed%s\n", kpi_fuzz_name, replayed, status ? ", FAILED" : "");
    return status;
}
