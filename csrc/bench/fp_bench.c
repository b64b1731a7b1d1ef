/* fp_bench: the latency of one decision, per variant, side by side, in one run.
 *
 * usage: fp_bench tree.fpt calls decisions.i32 all.f32 [name=rows.f32 ...]
 * Writes every variant's decision on every row of all.f32 (variant-major) to decisions.i32 for
 * the agreement check, then times every variant on each input set (all.f32 as "all", then each
 * name=rows.f32) and prints one JSON object.
 *
 * Every variant has the signature of fp_decide, int f(const float *x, int n), and is one
 * ordinary external call from the timing loop. "null" is an empty function of that signature:
 * its cost (call + timer) is what every variant's figure has subtracted, the same way for all.
 *
 * Three methods per (set, variant), a fresh random row of the set for every call (fixed seed),
 * copied untimed into an L1-resident buffer first (as a fingerprint just computed would be):
 *   single   one call between two fenced TSC reads (lfence; rdtsc; lfence / rdtscp; lfence),
 *            minus null's median. The TSC of some VMs advances in steps (26 cycles = 10 ns on
 *            the 2-core AMD dev VM), so single-call figures are multiples of that step; they
 *            show the tail (p99), not a resolution below the step.
 *   fenced   BATCH calls on BATCH consecutive rows, each call followed by lfence (so calls do
 *            not overlap: each is a latency, as when the caller needs the answer at once),
 *            timed as one region; per call = (region - null's median region) / BATCH. The
 *            step is divided by BATCH. median/p99 are over batches (p99 of a mean of BATCH).
 *   thru     the same batches without the fences: back-to-back calls may overlap (throughput).
 * Rounds interleave the variants (ROUNDS x calls/ROUNDS each) so a noisy neighbour on a shared
 * machine hits all of them alike.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>

#include "fastpath_internal.h"

#define BATCH 32
#define ROUNDS 4
#define MAX_SETS 8

int m2c_decide(const float *x, int n);
int eml_tree_decide(const float *x, int n);
int eml_predict_decide(const float *x, int n);
int lut_decide(const float *x, int n);
int lin_decide(const float *x, int n);

static const struct fp_tree *loaded;

__attribute__((noinline)) static int null_fn(const float *x, int n)
{
	__asm__ volatile("" ::"r"(x), "r"(n));
	return 0;
}
__attribute__((noinline)) static int fastpath_loaded(const float *x, int n) { return fp_tree_decide(loaded, x, n); }

/* Ablation: the two halves of fastpath on the compiled-in tree's tables (generic loops):
 * the table walk alone, and the validity + novelty box check alone (leaf 0's box). */
__attribute__((noinline)) static int walk_only(const float *x, int n)
{
	(void)n;
	const struct fp_tree *t = &fp__builtin_tree;
	return t->leaf_action[t->leaf_of[fp_walk(t, x, t->depth)]];
}
__attribute__((noinline)) static int checks_only(const float *x, int n)
{
	(void)n;
	const struct fp_tree *t = &fp__builtin_tree;
	return fp_in_box(t->box, x, t->n_features);
}

typedef int (*decide_fn)(const float *, int);
struct variant {
	const char *name;
	decide_fn fn;
};
/* null first: the others subtract its figures. Order = decisions.i32 order. */
static const struct variant variants[] = {
	{"null", null_fn},
	{"fastpath", fp_decide},
	{"fastpath_loaded", fastpath_loaded},
	{"emlearn_tree", eml_tree_decide},
	{"emlearn_predict", eml_predict_decide},
	{"m2cgen", m2c_decide},
	{"lookup", lut_decide},
	{"linear", lin_decide},
	{"walk_only", walk_only},
	{"checks_only", checks_only},
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

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static uint64_t pct(const uint64_t *sorted, long n, double q)
{
	long i = (long)(q * (n - 1) + 0.5);
	return sorted[i < n ? i : n - 1];
}

static double pctd(const double *sorted, long n, double q)
{
	long i = (long)(q * (n - 1) + 0.5);
	return sorted[i < n ? i : n - 1];
}

struct set {
	const char *name;
	float *rows;
	long n;
	const float **order; /* the row of each call: uniform random, fixed seed */
};

/* Rows in random order, fresh for every call: cycling a few thousand rows in file order lets
 * the branch predictor learn the sequence (a depth-8 nested walk then measured ~5 ns instead
 * of ~20), which no data plane that sees new fingerprints enjoys. */
static const float **random_order(const float *rows, long n, int nf, long calls, uint64_t seed)
{
	const float **o = malloc(sizeof *o * calls);
	for (long i = 0; i < calls; i++) {
		seed ^= seed << 13; /* xorshift64 */
		seed ^= seed >> 7;
		seed ^= seed << 17;
		o[i] = rows + (long)(seed % (uint64_t)n) * nf;
	}
	return o;
}

static float *read_rows(const char *path, int nf, long *n)
{
	FILE *fh = fopen(path, "rb");
	if (!fh) {
		perror(path);
		exit(2);
	}
	fseek(fh, 0, SEEK_END);
	long bytes = ftell(fh);
	rewind(fh);
	float *in = malloc(bytes ? bytes : 1);
	if (!in || bytes == 0 || bytes % (4 * nf) || fread(in, 1, bytes, fh) != (size_t)bytes) {
		fprintf(stderr, "%s: not whole rows of %d floats (or empty)\n", path, nf);
		exit(2);
	}
	fclose(fh);
	*n = bytes / (4 * nf);
	return in;
}

/* Raw samples of one (set, variant): cycles per single call, per fenced batch, per plain batch. */
struct samples {
	uint64_t *single, *fenced, *thru;
	long n_single, n_batch;
};

static volatile int sink;

static void run_round(decide_fn fn, const struct set *s, int nf, long calls, struct samples *out)
{
	int acc = 0;
	for (long i = 0; i < calls && i < 2000; i++) /* warm caches and predictors */
		acc += fn(s->order[i], nf);
	/* Rows are copied, untimed, into a small buffer first: a data plane decides on a fingerprint
	 * it has just computed (in L1), whereas 5000 random rows would add cache misses on the
	 * input alone (they made every variant's p99 ~150-230 ns on the shared dev VM). */
	static float buf[BATCH][64] __attribute__((aligned(64)));
	for (long i = 0; i < calls; i++) {
		memcpy(buf[0], s->order[i], sizeof(float) * nf);
		const float *x = buf[0];
		uint64_t a = t_begin();
		acc += fn(x, nf);
		out->single[out->n_single++] = t_end() - a;
	}
	long batches = calls / BATCH;
	for (long j = 0; j < batches; j++) {
		for (int k = 0; k < BATCH; k++)
			memcpy(buf[k], s->order[j * BATCH + k], sizeof(float) * nf);
		uint64_t a = t_begin();
		for (int k = 0; k < BATCH; k++) {
			acc += fn(buf[k], nf);
			_mm_lfence();
		}
		out->fenced[out->n_batch] = t_end() - a;
		a = t_begin();
		for (int k = 0; k < BATCH; k++)
			acc += fn(buf[k], nf);
		out->thru[out->n_batch++] = t_end() - a;
	}
	sink += acc;
}

/* Per-call ns of sorted batch samples, less null's median batch. */
static void per_call(const uint64_t *sorted, long n, uint64_t base, double ns, double *med, double *p99)
{
	double *v = malloc(sizeof(double) * n);
	for (long i = 0; i < n; i++)
		v[i] = ((double)sorted[i] - (double)base) / BATCH * ns;
	qsort(v, n, sizeof *v, cmp_dbl);
	*med = pctd(v, n, 0.5);
	*p99 = pctd(v, n, 0.99);
	free(v);
}

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: %s tree.fpt calls decisions.i32 all.f32 [name=rows.f32 ...]\n", argv[0]);
		return 2;
	}
	int nf = fp_n_features();
	if (nf > 64) {
		fprintf(stderr, "fp_bench: %d features; the input buffer holds 64\n", nf);
		return 2;
	}
	if (!(loaded = fp_load(argv[1]))) {
		fprintf(stderr, "%s\n", fp_last_error());
		return 2;
	}
	long calls = atol(argv[2]);
	calls = calls < ROUNDS * BATCH ? ROUNDS * BATCH : calls;
	struct set sets[MAX_SETS];
	int n_sets = 0;
	sets[n_sets].name = "all";
	sets[n_sets].rows = read_rows(argv[4], nf, &sets[n_sets].n);
	n_sets++;
	for (int a = 5; a < argc && n_sets < MAX_SETS; a++) {
		char *eq = strchr(argv[a], '=');
		if (!eq) {
			fprintf(stderr, "%s: want name=rows.f32\n", argv[a]);
			return 2;
		}
		*eq = 0;
		sets[n_sets].name = argv[a];
		sets[n_sets].rows = read_rows(eq + 1, nf, &sets[n_sets].n);
		n_sets++;
	}

	FILE *out = fopen(argv[3], "wb");
	if (!out) {
		perror(argv[3]);
		return 2;
	}
	for (size_t v = 0; v < N_VARIANTS; v++)
		for (long r = 0; r < sets[0].n; r++) {
			int32_t d = variants[v].fn(sets[0].rows + r * nf, nf);
			fwrite(&d, sizeof d, 1, out);
		}
	fclose(out);

	/* TSC rate against the monotonic clock; the TSC's step (smallest non-zero difference). */
	double w0 = now_s();
	uint64_t c0 = __rdtsc();
	while (now_s() - w0 < 0.2)
		;
	double hz = (double)(__rdtsc() - c0) / (now_s() - w0), ns = 1e9 / hz;
	enum { N_STEPS = 10001 };
	static uint64_t steps[N_STEPS];
	uint64_t prev = __rdtsc();
	for (int i = 0; i < N_STEPS;) { /* median change between reads that differ: the step */
		uint64_t t = __rdtsc();
		if (t != prev)
			steps[i++] = t - prev;
		prev = t;
	}
	qsort(steps, N_STEPS, sizeof *steps, cmp_u64);
	uint64_t step = steps[N_STEPS / 2];

	printf("{\"tsc_hz\": %.0f, \"tsc_step_cycles\": %llu, \"batch\": %d, \"rounds\": %d, \"calls\": %ld, "
	       "\"tree_bytes\": %ld, \"rcu_fence_mode\": %d, \"sets\": {",
	       hz, (unsigned long long)step, BATCH, ROUNDS, calls, fp_tree_bytes(), fp_rcu_fence_mode());
	long per_round = calls / ROUNDS;
	for (int si = 0; si < n_sets; si++)
		sets[si].order = random_order(sets[si].rows, sets[si].n, nf, per_round, 0x9e3779b97f4a7c15ull + si);
	for (int si = 0; si < n_sets; si++) {
		struct samples smp[N_VARIANTS];
		for (size_t v = 0; v < N_VARIANTS; v++) {
			smp[v].single = malloc(sizeof(uint64_t) * calls);
			smp[v].fenced = malloc(sizeof(uint64_t) * calls / BATCH);
			smp[v].thru = malloc(sizeof(uint64_t) * calls / BATCH);
			smp[v].n_single = smp[v].n_batch = 0;
		}
		for (int r = 0; r < ROUNDS; r++)
			for (size_t v = 0; v < N_VARIANTS; v++)
				run_round(variants[v].fn, &sets[si], nf, per_round, &smp[v]);
		for (size_t v = 0; v < N_VARIANTS; v++) {
			qsort(smp[v].single, smp[v].n_single, sizeof(uint64_t), cmp_u64);
			qsort(smp[v].fenced, smp[v].n_batch, sizeof(uint64_t), cmp_u64);
			qsort(smp[v].thru, smp[v].n_batch, sizeof(uint64_t), cmp_u64);
		}
		const struct samples *z = &smp[0];
		uint64_t z_single = pct(z->single, z->n_single, 0.5), z_fenced = pct(z->fenced, z->n_batch, 0.5),
			 z_thru = pct(z->thru, z->n_batch, 0.5);
		printf("%s\"%s\": {\"rows\": %ld, \"null_cycles\": {\"single\": %llu, \"fenced\": %llu, \"thru\": %llu}, "
		       "\"variants\": {",
		       si ? ", " : "", sets[si].name, sets[si].n, (unsigned long long)z_single,
		       (unsigned long long)z_fenced, (unsigned long long)z_thru);
		for (size_t v = 0; v < N_VARIANTS; v++) {
			const struct samples *s = &smp[v];
			double q[3] = {0.5, 0.99, 0.999}, single[3];
			for (int k = 0; k < 3; k++) {
				uint64_t c = pct(s->single, s->n_single, q[k]);
				single[k] = (c > z_single ? c - z_single : 0) * ns;
			}
			double f_med, f_p99, t_med, t_p99;
			per_call(s->fenced, s->n_batch, z_fenced, ns, &f_med, &f_p99);
			per_call(s->thru, s->n_batch, z_thru, ns, &t_med, &t_p99);
			printf("%s\"%s\": {\"single_median_ns\": %.2f, \"single_p99_ns\": %.2f, \"single_p999_ns\": %.2f, "
			       "\"fenced_median_ns\": %.2f, \"fenced_p99_ns\": %.2f, \"thru_median_ns\": %.2f, "
			       "\"thru_p99_ns\": %.2f}",
			       v ? ", " : "", variants[v].name, single[0], single[1], single[2], f_med, f_p99, t_med, t_p99);
			free(s->single);
			free(s->fenced);
			free(s->thru);
		}
		printf("}}");
	}
	printf("}}\n");
	return 0;
}
