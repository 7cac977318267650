/* SPDX-License-Identifier: MIT */
/* Replays fuzz inputs without libFuzzer: the corpus files given on the
 * command line, then N random inputs from a seed.
 *   fuzz_replay [--random N] [--seed S] [FILE...] */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
    unsigned long random_runs = 0;
    uint64_t seed = 1;
    unsigned files = 0;
    static uint8_t buf[4096];
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--random") && i + 1 < argc) {
            random_runs = strtoul(argv[++i], NULL, 0);
        } else if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
            seed = strtoull(argv[++i], NULL, 0);
        } else {
            FILE *fp = fopen(argv[i], "rb");
            if (!fp) {
                fprintf(stderr, "fuzz_replay: cannot open %s\n", argv[i]);
                return 2;
            }
            size_t n = fread(buf, 1, sizeof buf, fp);
            fclose(fp);
            LLVMFuzzerTestOneInput(buf, n);
            files++;
        }
    }
    uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
    for (unsigned long r = 0; r < random_runs; r++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        size_t n = 34 + (size_t)(s % 512);
        for (size_t i = 0; i < n; i++) {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            buf[i] = (uint8_t)(s >> 24);
        }
        /* Bias some inputs toward real instruction prefixes and groups. */
        if (r % 3 == 0)
            for (size_t i = 33; i < n; i += 7)
                buf[i] = (uint8_t)(0x0F + (r % 5) * 0x30);
        LLVMFuzzerTestOneInput(buf, n);
    }
    printf("fuzz_replay: %u corpus files and %lu random inputs ran to completion\n", files,
           random_runs);
    return 0;
}
