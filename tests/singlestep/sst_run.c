/* SPDX-License-Identifier: MIT */
/* Runs the SingleStepTests hardware-captured vectors (80286 real mode, and
 * the 80386EX sample) against Kairo's CPU and prints a per-opcode table.
 *
 *   sst_run --set 286|386 [--data DIR] [--shard I/N] [--differences FILE]
 *           [--baseline FILE [--update-baseline]] [--list-failures]
 *   sst_run --set 286 --opcode F7.6 [--test N] [-v]
 *
 * DIR defaults to $KAIRO_DATA. Kairo is a P6, not a 286: the failing tests
 * that p6-differences.txt explains are set apart from the pass rate (still
 * counted and shown). With --baseline the run fails if an opcode passes
 * fewer tests than the committed baseline, or if the baseline names an
 * opcode the data does not have. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/singlestep/sst.h"

#define MAX_FILES 1024
#define MAX_CLASSES 8

static const char *const apart_names[APART_COUNT] = { "revoked", "lock", "p6-rule", "p6-op" };

typedef struct FailClass {
    char field[16];
    unsigned count;
    char sample[192];           /* "#59 div ah: [0EEBC] want 04 got 0C" */
} FailClass;

typedef struct OpResult {
    char key[16];
    unsigned tests, passed, failed;
    unsigned apart[APART_COUNT];
    FailClass classes[MAX_CLASSES];
    unsigned n_classes;
} OpResult;

/* Tests set apart per P6-difference rule, over the whole run. */
static struct {
    const char *name;
    unsigned count;
} rule_counts[32];

static void count_rule(const char *name)
{
    unsigned i = 0;
    while (i < 32 && rule_counts[i].name && strcmp(rule_counts[i].name, name))
        i++;
    if (i < 32) {
        rule_counts[i].name = name;
        rule_counts[i].count++;
    }
}

typedef struct Options {
    const char *data, *set, *only_op, *baseline, *diffs;
    int only_test, shard, shards;
    bool verbose, update, list_failures;
} Options;

static void usage(void)
{
    fprintf(stderr,
            "usage: sst_run --set 286|386 [--data DIR] [--shard I/N] [--differences FILE]\n"
            "               [--baseline FILE [--update-baseline]] [--list-failures]\n"
            "       sst_run --set 286|386 --opcode OP [--test N] [-v]\n"
            "DIR defaults to $KAIRO_DATA; OP is a file stem such as 00 or F7.6.\n");
}

static bool parse_options(int argc, char **argv, Options *o)
{
    *o = (Options){ .data = getenv("KAIRO_DATA"), .set = "286", .only_test = -1, .shards = 1 };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-v"))
            o->verbose = true;
        else if (!strcmp(a, "--update-baseline"))
            o->update = true;
        else if (!strcmp(a, "--list-failures"))
            o->list_failures = true;
        else if (!next)
            return false;
        else if (!strcmp(a, "--data"))
            o->data = argv[++i];
        else if (!strcmp(a, "--set"))
            o->set = argv[++i];
        else if (!strcmp(a, "--opcode"))
            o->only_op = argv[++i];
        else if (!strcmp(a, "--test"))
            o->only_test = atoi(argv[++i]);
        else if (!strcmp(a, "--baseline"))
            o->baseline = argv[++i];
        else if (!strcmp(a, "--differences"))
            o->diffs = argv[++i];
        else if (!strcmp(a, "--shard")) {
            if (sscanf(argv[++i], "%d/%d", &o->shard, &o->shards) != 2 || o->shards < 1 ||
                o->shard < 0 || o->shard >= o->shards)
                return false;
        } else
            return false;
    }
    if (strcmp(o->set, "286") && strcmp(o->set, "386"))
        return false;
    return true;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The opcode files of the set, sorted by name; returns their count. */
static int list_files(const char *dir, char **files)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < MAX_FILES) {
        const char *dot = strstr(e->d_name, ".MOO");
        if (dot && (!strcmp(dot, ".MOO") || !strcmp(dot, ".MOO.gz")))
            files[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(files, (size_t)n, sizeof files[0], cmp_str);
    return n;
}

static void file_key(const char *file, char key[16])
{
    snprintf(key, 16, "%.*s", (int)(strstr(file, ".MOO") - file), file);
}

static void record_failure(OpResult *res, const MooTest *t, const Verdict *v)
{
    FailClass *c = NULL;
    for (unsigned i = 0; i < res->n_classes; i++)
        if (!strcmp(res->classes[i].field, v->field))
            c = &res->classes[i];
    if (!c && res->n_classes < MAX_CLASSES) {
        c = &res->classes[res->n_classes++];
        snprintf(c->field, sizeof c->field, "%s", v->field);
        snprintf(c->sample, sizeof c->sample, "#%u %s: %s", t->index, t->name, v->detail);
    }
    if (c)
        c->count++;
}

static int run_file(SstMachine *m, const char *path, const char *key, const Options *o,
                    OpResult *res)
{
    char err[256];
    MooFile f;
    if (!moo_open(&f, path, err, sizeof err)) {
        fprintf(stderr, "sst_run: %s\n", err);
        return -1;
    }
    const OpMeta *meta = meta_find(key);
    bool whole_apart = meta && meta->difference;
    memset(res, 0, sizeof *res);
    snprintf(res->key, sizeof res->key, "%s", key);
    MooTest t = { 0 };
    while (moo_next(&f, &t, err, sizeof err)) {
        if (o->only_test >= 0 && (int)t.index != o->only_test)
            continue;
        res->tests++;
        char hash[41];
        moo_hash_hex(&t, hash);
        if (t.has_hash && meta_is_revoked(hash)) {
            res->apart[APART_REVOKED]++;
            continue;
        }
        Verdict v;
        sst_run_test(m, &t, key, f.regs32, o->verbose, &v);
        if (v.pass) {
            res->passed++;
        } else if (v.apart >= 0 || whole_apart) {
            res->apart[whole_apart ? APART_OPCODE : v.apart]++;
            if (!whole_apart)
                count_rule(v.rule);
            if (o->list_failures)
                printf("  apart  %-6s #%-4u %-32s %s: %s [%s]\n", key, t.index, t.name, v.field,
                       v.detail, whole_apart ? "opcode" : v.rule);
        } else {
            res->failed++;
            record_failure(res, &t, &v);
            if (o->list_failures)
                printf("  FAIL   %-6s #%-4u %-32s %s: %s\n", key, t.index, t.name, v.field,
                       v.detail);
        }
    }
    moo_test_free(&t);
    moo_close(&f);
    if (err[0]) {
        fprintf(stderr, "sst_run: %s: %s\n", path, err);
        return -1;
    }
    if (o->only_test < 0 && res->tests != f.n_tests) {
        fprintf(stderr, "sst_run: %s: header says %u tests, file holds %u\n", path, f.n_tests,
                res->tests);
        return -1;
    }
    return 0;
}

static void print_table(const OpResult *res, int n, const char *set)
{
    printf("%-6s %-12s %6s %6s %6s", "opcode", "status", "tests", "pass", "fail");
    for (int a = 0; a < APART_COUNT; a++)
        printf(" %7s", apart_names[a]);
    printf("  first differing fields (count)\n");
    unsigned tot[3 + APART_COUNT] = { 0 };
    unsigned cmp_pass = 0, cmp_all = 0;
    for (int i = 0; i < n; i++) {
        const OpResult *r = &res[i];
        const OpMeta *meta = meta_find(r->key);
        printf("%-6s %-12s %6u %6u %6u", r->key, meta && meta->status[0] ? meta->status : "-",
               r->tests, r->passed, r->failed);
        for (int a = 0; a < APART_COUNT; a++)
            printf(" %7u", r->apart[a]);
        printf(" ");
        for (unsigned c = 0; c < r->n_classes; c++)
            printf(" %s(%u)", r->classes[c].field, r->classes[c].count);
        printf("\n");
        tot[0] += r->tests;
        tot[1] += r->passed;
        tot[2] += r->failed;
        for (int a = 0; a < APART_COUNT; a++)
            tot[3 + a] += r->apart[a];
        if (!(meta && meta->difference)) {
            cmp_pass += r->passed;
            cmp_all += r->passed + r->failed;
        }
    }
    printf("%-6s %-12s %6u %6u %6u", "total", "", tot[0], tot[1], tot[2]);
    for (int a = 0; a < APART_COUNT; a++)
        printf(" %7u", tot[3 + a]);
    printf("\n\n");

    bool any = false;
    for (int i = 0; i < n; i++) {
        const OpResult *r = &res[i];
        for (unsigned c = 0; c < r->n_classes; c++) {
            if (!any)
                printf("failing opcodes (first differing field x count: a sample test)\n");
            any = true;
            printf("  %-6s %-8s x%-4u %s\n", c ? "" : r->key, r->classes[c].field,
                   r->classes[c].count, r->classes[c].sample);
        }
    }
    if (any)
        printf("\n");
    printf("sst %s: %u/%u passed (%.2f%%) in %d opcode files; set apart: %u revoked, %u LOCK, "
           "%u by P6-difference rules, %u in P6-difference opcodes\n",
           set, cmp_pass, cmp_all, cmp_all ? 100.0 * cmp_pass / cmp_all : 0.0, n, tot[3],
           tot[4], tot[5], tot[6]);
    for (unsigned i = 0; i < 32 && rule_counts[i].name; i++)
        printf("%s %s %u", i ? "," : "set apart by rule:", rule_counts[i].name,
               rule_counts[i].count);
    if (rule_counts[0].name)
        printf("\n");
}

static bool key_in(const char *key, char **files, int n_files)
{
    char k[16];
    for (int i = 0; i < n_files; i++) {
        file_key(files[i], k);
        if (!strcmp(k, key))
            return true;
    }
    return false;
}

/* 0 if no opcode regressed and every baseline entry has a file. */
static int check_baseline(const char *path, const OpResult *res, int n, char **files,
                          int n_files)
{
    static BaselineEntry base[MAX_FILES];
    char err[256];
    int nb = baseline_read(path, base, MAX_FILES, err, sizeof err);
    if (nb < 0) {
        fprintf(stderr, "sst_run: %s\n", err);
        return 2;
    }
    int status = 0;
    for (int b = 0; b < nb; b++) {
        if (!key_in(base[b].key, files, n_files)) {
            printf("BASELINE ERROR: %s names opcode %s, which has no test file\n", path,
                   base[b].key);
            status = 1;
            continue;
        }
        for (int i = 0; i < n; i++) {
            if (strcmp(res[i].key, base[b].key))
                continue;
            if (res[i].passed < base[b].passed) {
                printf("REGRESSION %s: %u tests pass, the baseline says %u\n", res[i].key,
                       res[i].passed, base[b].passed);
                status = 1;
            } else if (res[i].passed > base[b].passed) {
                printf("improved %s: %u tests pass, the baseline says %u "
                       "(sst_run --update-baseline)\n",
                       res[i].key, res[i].passed, base[b].passed);
            }
            if (res[i].tests != base[b].total)
                printf("note %s: %u tests in the file, %u when the baseline was written\n",
                       res[i].key, res[i].tests, base[b].total);
        }
    }
    for (int i = 0; i < n; i++) {
        bool listed = false;
        for (int b = 0; b < nb && !listed; b++)
            listed = !strcmp(base[b].key, res[i].key);
        if (!listed)
            printf("note %s: not in the baseline (sst_run --update-baseline)\n", res[i].key);
    }
    return status;
}

static int write_baseline(const char *path, const OpResult *res, int n)
{
    FILE *fp = fopen(path, "w");
    if (!fp) {
        fprintf(stderr, "sst_run: cannot write %s\n", path);
        return 2;
    }
    fprintf(fp, "# opcode passed tests  (written by sst_run --update-baseline; a run fails if\n"
                "# an opcode passes fewer tests than this)\n");
    for (int i = 0; i < n; i++)
        fprintf(fp, "%s %u %u\n", res[i].key, res[i].passed, res[i].tests);
    fclose(fp);
    printf("wrote %s (%d opcodes)\n", path, n);
    return 0;
}

int main(int argc, char **argv)
{
    Options o;
    if (!parse_options(argc, argv, &o)) {
        usage();
        return 2;
    }
    if (!o.data) {
        fprintf(stderr, "sst_run: no data directory (--data DIR or KAIRO_DATA)\n");
        return 2;
    }
    if (o.update && (o.shards > 1 || o.only_op || o.only_test >= 0 || !o.baseline)) {
        fprintf(stderr, "sst_run: --update-baseline needs --baseline and a whole, unsharded "
                        "run\n");
        return 2;
    }
    bool is286 = !strcmp(o.set, "286");
    char dir[1024], path[1400], err[256];
    snprintf(dir, sizeof dir, "%s/%s", o.data,
             is286 ? "singlestep-286/v1_real_mode" : "singlestep-386");
    snprintf(path, sizeof path, "%s/metadata.json", dir);
    bool ok = meta_load_json(path, err, sizeof err);
    if (ok) {
        snprintf(path, sizeof path, "%s/%s/revocation_list.txt", o.data,
                 is286 ? "singlestep-286" : "singlestep-386");
        ok = meta_load_revoked(path, err, sizeof err);
    }
    if (ok && o.diffs)
        ok = meta_load_differences(o.diffs, err, sizeof err);
    if (!ok) {
        fprintf(stderr, "sst_run: %s\n", err);
        return 2;
    }

    static char *files[MAX_FILES];
    int n_files = list_files(dir, files);
    if (n_files <= 0) {
        fprintf(stderr, "sst_run: no MOO files in %s\n", dir);
        return 2;
    }
    static OpResult results[MAX_FILES];
    int n_results = 0, status = 0;
    SstMachine *m = sst_machine_new();
    for (int i = 0; i < n_files && status == 0; i++) {
        char key[16];
        file_key(files[i], key);
        if (o.only_op ? strcmp(o.only_op, key) != 0 : i % o.shards != o.shard)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        if (run_file(m, path, key, &o, &results[n_results]) != 0)
            status = 2;
        else
            n_results++;
    }
    sst_machine_free(m);
    if (status == 0 && o.only_op && !n_results) {
        fprintf(stderr, "sst_run: no file for opcode %s in %s\n", o.only_op, dir);
        status = 2;
    }
    if (status == 0) {
        print_table(results, n_results, o.set);
        if (o.update)
            status = write_baseline(o.baseline, results, n_results);
        else if (o.baseline && o.only_test < 0)
            status = check_baseline(o.baseline, results, n_results, files, n_files);
    }
    for (int i = 0; i < n_files; i++)
        free(files[i]);
    return status;
}
