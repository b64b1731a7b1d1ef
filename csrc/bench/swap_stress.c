/* swap_stress: reader threads call fp_decide while the main thread swaps trees A and B.
 *
 * usage: swap_stress A.fpt B.fpt inputs.f32 seconds readers
 * inputs.f32 holds rows of fp_n_features() float32s. The compiled-in tree must decide like A.
 * Every decision must be A's or B's answer for that input: anything else is a torn read, and
 * FP_POISON_ACTION (-2) is a read of a retired, poisoned tree. Prints one JSON line and exits
 * 1 if any such read happened. Build it with -fsanitize=thread (or address) in CI.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "fastpath.h"

static const float *inputs;
static int *expect_a, *expect_b;
static long n_rows;
static int nf;
static atomic_int stop;
static atomic_long reads, torn, freed, saw_b;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void *reader(void *arg)
{
	long i = (long)(size_t)arg, n = 0, bad = 0, dead = 0, b = 0;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		i = (i + 1) % n_rows;
		int a = fp_decide(inputs + i * nf, nf);
		n++;
		if (a == -2)
			dead++;
		else if (a != expect_a[i] && a != expect_b[i])
			bad++;
		else if (a != expect_a[i])
			b++;
	}
	atomic_fetch_add(&reads, n);
	atomic_fetch_add(&torn, bad);
	atomic_fetch_add(&freed, dead);
	atomic_fetch_add(&saw_b, b);
	return NULL;
}

static float *read_inputs(const char *path, long *rows)
{
	FILE *fh = fopen(path, "rb");
	if (!fh) {
		perror(path);
		exit(2);
	}
	fseek(fh, 0, SEEK_END);
	long bytes = ftell(fh);
	rewind(fh);
	float *buf = malloc(bytes);
	if (!buf || fread(buf, 1, bytes, fh) != (size_t)bytes || bytes % (nf * 4) || bytes == 0) {
		fprintf(stderr, "%s: not a whole number of %d-float rows\n", path, nf);
		exit(2);
	}
	fclose(fh);
	*rows = bytes / (nf * 4);
	return buf;
}

int main(int argc, char **argv)
{
	if (argc != 6) {
		fprintf(stderr, "usage: %s A.fpt B.fpt inputs.f32 seconds readers\n", argv[0]);
		return 2;
	}
	const char *paths[2] = {argv[1], argv[2]};
	double seconds = atof(argv[4]);
	int n_readers = atoi(argv[5]);
	nf = fp_n_features();
	inputs = read_inputs(argv[3], &n_rows);
	struct fp_tree *a = fp_load(paths[0]), *b = fp_load(paths[1]);
	if (!a || !b) {
		fprintf(stderr, "%s\n", fp_last_error());
		return 2;
	}
	expect_a = malloc(n_rows * sizeof(int));
	expect_b = malloc(n_rows * sizeof(int));
	long differ = 0;
	for (long i = 0; i < n_rows; i++) {
		expect_a[i] = fp_tree_decide(a, inputs + i * nf, nf);
		expect_b[i] = fp_tree_decide(b, inputs + i * nf, nf);
		differ += expect_a[i] != expect_b[i];
		if (fp_tree_decide(NULL, inputs + i * nf, nf) != expect_a[i]) {
			fprintf(stderr, "row %ld: the compiled-in tree does not decide like %s\n", i, paths[0]);
			return 2;
		}
	}
	fp_tree_free(a);
	fp_tree_free(b);

	pthread_t threads[64];
	if (n_readers < 1 || n_readers > 64)
		return 2;
	for (long r = 0; r < n_readers; r++)
		pthread_create(&threads[r], NULL, reader, (void *)(size_t)(r * 7919));
	long swaps = 0, load_errors = 0;
	double end = now() + seconds;
	while (now() < end) {
		struct fp_tree *t = fp_load(paths[swaps & 1]);
		if (!t || fp_swap(t) != 0) {
			load_errors++;
			continue;
		}
		swaps++;
	}
	fp_swap(NULL);
	atomic_store(&stop, 1);
	for (int r = 0; r < n_readers; r++)
		pthread_join(threads[r], NULL);
	printf("{\"swaps\": %ld, \"reads\": %ld, \"torn\": %ld, \"freed\": %ld, \"read_b\": %ld, "
	       "\"rows_differ\": %ld, \"load_errors\": %ld, \"fence_mode\": %d}\n",
	       swaps, atomic_load(&reads), atomic_load(&torn), atomic_load(&freed), atomic_load(&saw_b), differ,
	       load_errors, fp_rcu_fence_mode());
	free((void *)inputs);
	free(expect_a);
	free(expect_b);
	return (atomic_load(&torn) || atomic_load(&freed) || load_errors) ? 1 : 0;
}
