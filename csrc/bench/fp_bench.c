/* fp_bench: the latency of one decision, per variant, side by side.
 *
 * usage: fp_bench inputs.f32 calls tree.fpt [decisions.i32]
 * Times each call on its own (rdtsc fenced, minus the empty-region overhead) over varied inputs
 * (the rows of inputs.f32 in file order, cycled) and prints one JSON object: per variant the
 * median, p99 and p999 in ns, and the mean of a back-to-back loop. With decisions.i32, writes
 * every variant's decision on every input row (variant-major) for the agreement check.
 *
 * Variants (all compiled -O2 into this binary, called through ordinary external calls):
 *   fastpath        fp_decide: tree walk, then validity + novelty on the leaf's box (compiled-in tree)
 *   fastpath_loaded fp_tree_decide on the same tree loaded with fp_load (generic, not specialized)
 *   m2cgen, emlearn the same scikit-learn tree through their C generators (+ argmax / votes)
 *   lookup, linear  the C baselines (nearest-fingerprint table, linear model)
 *   walk_only, checks_only  ablation: the tree walk and the validity/novelty checks alone
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>

#include "fastpath_internal.h"

int m2c_decide(const float *x);
int eml_decide(const float *x);
int lut_decide(const float *x);
int lin_decide(const float *x);

static const struct fp_tree *loaded;
static int fastpath(const float *x) { return fp_decide(x, fp_n_features()); }
static int fastpath_loaded(const float *x) { return fp_tree_decide(loaded, x, fp_n_features()); }

/* Ablation: the two halves of fastpath, on the compiled-in tree's tables (generic loops):
 * the walk alone, and the validity + novelty box check alone (against leaf 0's box). */
static int walk_only(const float *x)
{
	const struct fp_tree *t = &fp__builtin_tree;
	return t->leaf_action[t->leaf_of[fp_walk(t, x, t->depth)]];
}
static int checks_only(const float *x)
{
	const struct fp_tree *t = &fp__builtin_tree;
	return fp_in_box(t->box, x, t->n_features);
}

struct variant {
	const char *name;
	int (*fn)(const float *);
};
static const struct variant variants[] = {
	{"fastpath", fastpath}, {"fastpath_loaded", fastpath_loaded}, {"m2cgen", m2c_decide},
	{"emlearn", eml_decide}, {"lookup", lut_decide},                {"linear", lin_decide},
	{"walk_only", walk_only}, {"checks_only", checks_only},
};
#define N_VARIANTS (sizeof variants / sizeof variants[0])

static inline uint64_t t_begin(void)
{
	_mm_lfence();
	uint64_t t = __rdtsc();
	_mm_lfence();
	return t;
}

static inline uint64_t t_end(void)
{
	unsigned aux;
	uint64_t t = __rdtscp(&aux);
	_mm_lfence();
	return t;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static uint64_t pct(const uint64_t *sorted, long n, double q)
{
	long i = (long)(q * (n - 1) + 0.5);
	return sorted[i < n ? i : n - 1];
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: %s inputs.f32 calls tree.fpt [decisions.i32]\n", argv[0]);
		return 2;
	}
	int nf = fp_n_features();
	FILE *fh = fopen(argv[1], "rb");
	if (!fh) {
		perror(argv[1]);
		return 2;
	}
	fseek(fh, 0, SEEK_END);
	long bytes = ftell(fh);
	rewind(fh);
	float *in = malloc(bytes);
	if (!in || bytes % (4 * nf) || fread(in, 1, bytes, fh) != (size_t)bytes) {
		fprintf(stderr, "%s: not whole rows of %d floats\n", argv[1], nf);
		return 2;
	}
	fclose(fh);
	long rows = bytes / (4 * nf), calls = atol(argv[2]);
	if (!(loaded = fp_load(argv[3]))) {
		fprintf(stderr, "%s\n", fp_last_error());
		return 2;
	}

	/* TSC rate against the monotonic clock. */
	double w0 = now_s();
	uint64_t c0 = __rdtsc();
	while (now_s() - w0 < 0.2)
		;
	double hz = (double)(__rdtsc() - c0) / (now_s() - w0);

	uint64_t *t = malloc(sizeof(uint64_t) * calls);
	for (long i = 0; i < calls; i++) { /* the timer's own cost */
		uint64_t a = t_begin();
		t[i] = t_end() - a;
	}
	qsort(t, calls, sizeof *t, cmp_u64);
	uint64_t overhead = pct(t, calls, 0.5);

	if (argc > 4) {
		FILE *out = fopen(argv[4], "wb");
		for (size_t v = 0; v < N_VARIANTS; v++)
			for (long r = 0; r < rows; r++) {
				int32_t d = variants[v].fn(in + r * nf);
				fwrite(&d, sizeof d, 1, out);
			}
		fclose(out);
	}

	printf("{\"tsc_hz\": %.0f, \"timer_overhead_cycles\": %llu, \"rows\": %ld, \"calls\": %ld, "
	       "\"tree_bytes\": %ld, \"rcu_fence_mode\": %d, \"variants\": {",
	       hz, (unsigned long long)overhead, rows, calls, fp_tree_bytes(), fp_rcu_fence_mode());
	volatile int sink = 0;
	for (size_t v = 0; v < N_VARIANTS; v++) {
		int (*fn)(const float *) = variants[v].fn;
		for (long i = 0; i < rows && i < 20000; i++) /* warm caches and predictors */
			sink += fn(in + (i % rows) * nf);
		for (long i = 0; i < calls; i++) {
			const float *x = in + (i % rows) * nf;
			uint64_t a = t_begin();
			sink += fn(x);
			uint64_t b = t_end();
			uint64_t c = b - a;
			t[i] = c > overhead ? c - overhead : 0;
		}
		qsort(t, calls, sizeof *t, cmp_u64);
		double med = pct(t, calls, 0.5), p99 = pct(t, calls, 0.99), p999 = pct(t, calls, 0.999);
		/* Batches of 16 calls on consecutive inputs: below the timer's granularity per call. */
		long batches = calls / 16;
		for (long j = 0; j < batches; j++) {
			uint64_t a = t_begin();
			for (int k = 0; k < 16; k++)
				sink += fn(in + ((j * 16 + k) % rows) * nf);
			uint64_t c = t_end() - a;
			t[j] = c > overhead ? c - overhead : 0;
		}
		qsort(t, batches, sizeof *t, cmp_u64);
		uint64_t a = t_begin();
		for (long i = 0; i < calls; i++)
			sink += fn(in + (i % rows) * nf);
		double loop_ns = (double)(t_end() - a) / calls / hz * 1e9;
		double ns = 1e9 / hz;
		printf("%s\"%s\": {\"median_ns\": %.2f, \"p99_ns\": %.2f, \"p999_ns\": %.2f, \"loop_mean_ns\": %.2f, "
		       "\"batch16_median_ns\": %.2f, \"batch16_p99_ns\": %.2f}",
		       v ? ", " : "", variants[v].name, med * ns, p99 * ns, p999 * ns, loop_ns,
		       pct(t, batches, 0.5) * ns / 16, pct(t, batches, 0.99) * ns / 16);
	}
	printf("}}\n");
	free(t);
	free(in);
	return sink == 42 ? 0 : 0;
}
