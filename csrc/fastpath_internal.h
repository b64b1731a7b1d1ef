/* fastpath_internal.h: the tree layout, the read side of the grace period and the evaluator,
 * shared by the generated tree (results/codegen/fastpath_tree.c) and fastpath_runtime.c. */
#ifndef DPDKTUNE_FASTPATH_INTERNAL_H
#define DPDKTUNE_FASTPATH_INTERNAL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "fastpath.h"

#define FP_HIDDEN __attribute__((visibility("hidden")))
#define FP_TREE_MAGIC 0x46505452u /* "FPTR" */
#define FP_TREE_DEAD 0xdeadbeefu
#define FP_MAX_CENTROIDS 64
#define FP_MAX_DEPTH 64
#define FP_POISON_ACTION (-2)

/* Both children of a node sit side by side: next = (link >> 8) + (x[link & 0xff] > thr).
 * A leaf links to itself with thr = +inf, so a walk of exactly `depth` steps ends on it. */
struct fp_node {
	float thr;
	uint32_t link;
};

struct fp_tree {
	uint32_t magic;
	uint32_t n_features;
	uint32_t n_centroids;
	uint32_t n_nodes;
	uint32_t depth;
	int32_t safe_default;
	float max_d2;
	uint64_t feature_hash;
	const float *lo, *hi;          /* training bounds, float32 rounded outward */
	const float *mean, *inv_scale; /* normalization for the novelty distance */
	const float *centroids;        /* feature-major: centroids[f * n_centroids + k] */
	const struct fp_node *nodes;
	const int32_t *action; /* per node; safe_default at low-confidence leaves */
};

/* Grace period, read side: a reader publishes the grace-period counter it saw while it is
 * inside fp_decide, and 0 when it has left. The writer waits for every reader showing a
 * counter older than its own. With membarrier(2) the writer supplies the store-load fence
 * for all readers, so a reader pays two plain stores. */
struct fp_reader {
	_Atomic uint64_t ctr;
	_Atomic int in_use;
	struct fp_reader *next;
} __attribute__((aligned(64)));

FP_HIDDEN extern const struct fp_tree fp__builtin_tree;
FP_HIDDEN extern _Atomic(const struct fp_tree *) fp__current;
FP_HIDDEN extern _Atomic uint64_t fp__gp_ctr;
FP_HIDDEN extern int fp__rcu_fence;
/* No initial-exec TLS: a dlopen()ed library (ctypes, next to torch) may find the static TLS
 * block full. build.py compiles with -mtls-dialect=gnu2 (TLS descriptors) on x86-64, so the
 * access stays a cheap call; in an executable the linker relaxes it to a plain %fs access. */
FP_HIDDEN extern __thread struct fp_reader *fp__self;
FP_HIDDEN struct fp_reader *fp__reader_register(void);

static inline __attribute__((always_inline)) struct fp_reader *fp_read_lock(void)
{
	struct fp_reader *r = fp__self;
	if (__builtin_expect(r == NULL, 0))
		r = fp__reader_register();
	/* acquire: a reader that sees the writer's new counter also sees its new tree */
	uint64_t g = atomic_load_explicit(&fp__gp_ctr, memory_order_acquire);
	if (fp__rcu_fence) {
		atomic_store_explicit(&r->ctr, g, memory_order_seq_cst); /* store-load order, Dekker style */
	} else {
		atomic_store_explicit(&r->ctr, g, memory_order_relaxed);
		atomic_signal_fence(memory_order_seq_cst); /* membarrier(2) orders it for us */
	}
	return r;
}

/* seq_cst: pairs with the reader's seq_cst slot store in fence mode (a plain load on x86). */
static inline __attribute__((always_inline)) const struct fp_tree *fp_deref(void)
{
	return atomic_load_explicit(&fp__current, memory_order_seq_cst);
}

static inline __attribute__((always_inline)) void fp_read_unlock(struct fp_reader *r)
{
	atomic_store_explicit(&r->ctr, 0, memory_order_release);
}

/* Validity and novelty: 1 when x is finite, inside the training bounds and near the training
 * data. nf and nc are passed separately so that the compiled-in tree's call gets them as
 * constants (unrolled, no loads). Float operations run in the same order as
 * dpdktune.codegen.layout.decide, so the two agree bit for bit. */
/* One feature's squared normalized distances to every centroid, added into lane d. */
static inline __attribute__((always_inline)) void
fp_lane(const struct fp_tree *t, const float *x, uint32_t f, uint32_t nc, float *d)
{
	float z = (x[f] - t->mean[f]) * t->inv_scale[f];
	for (uint32_t k = 0; k < nc; k++) {
		float u = z - t->centroids[f * nc + k];
		d[k] = d[k] + u * u;
	}
}

static inline __attribute__((always_inline)) int
fp_input_ok(const struct fp_tree *t, const float *x, uint32_t nf, uint32_t nc)
{
	int ok = 1;
	for (uint32_t f = 0; f < nf; f++)
		ok &= (x[f] >= t->lo[f]) & (x[f] <= t->hi[f]); /* NaN and inf fail here */
	if (nc) {
		/* Four partial sums (feature f adds into lane f % 4): four short dependency chains
		 * instead of one long one. Written out lane by lane so that they stay in registers. */
		float d0[FP_MAX_CENTROIDS], d1[FP_MAX_CENTROIDS], d2[FP_MAX_CENTROIDS], d3[FP_MAX_CENTROIDS];
		for (uint32_t k = 0; k < nc; k++)
			d0[k] = d1[k] = d2[k] = d3[k] = 0.0f;
		uint32_t f = 0;
		for (; f + 4 <= nf; f += 4) {
			fp_lane(t, x, f, nc, d0);
			fp_lane(t, x, f + 1, nc, d1);
			fp_lane(t, x, f + 2, nc, d2);
			fp_lane(t, x, f + 3, nc, d3);
		}
		if (f < nf)
			fp_lane(t, x, f++, nc, d0);
		if (f < nf)
			fp_lane(t, x, f++, nc, d1);
		if (f < nf)
			fp_lane(t, x, f++, nc, d2);
		float sum[FP_MAX_CENTROIDS];
		sum[0] = 0.0f; /* nc >= 1 here; tells the compiler so */
		for (uint32_t k = 0; k < nc; k++)
			sum[k] = (d0[k] + d1[k]) + (d2[k] + d3[k]);
		float best = sum[0];
		for (uint32_t k = 1; k < nc; k++)
			best = sum[k] < best ? sum[k] : best;
		ok &= best <= t->max_d2;
	}
	return ok;
}

/* The table walk: exactly `depth` branch-free steps; returns the leaf's slot. */
static inline __attribute__((always_inline)) uint32_t fp_walk(const struct fp_tree *t, const float *x, uint32_t depth)
{
	uint32_t i = 0;
	for (uint32_t s = 0; s < depth; s++) {
		struct fp_node nd = t->nodes[i];
		i = (nd.link >> 8) + (x[nd.link & 0xffu] > nd.thr);
	}
	return i;
}

/* The whole decision on one tree. */
static inline __attribute__((always_inline)) int
fp_eval(const struct fp_tree *t, const float *x, uint32_t nf, uint32_t nc, uint32_t depth)
{
	int ok = fp_input_ok(t, x, nf, nc);
	uint32_t leaf = fp_walk(t, x, depth);
	return ok ? t->action[leaf] : t->safe_default;
}

static inline __attribute__((always_inline)) int fp_eval_any(const struct fp_tree *t, const float *x, int n)
{
	if ((uint32_t)n != t->n_features || x == 0)
		return t->safe_default;
	return fp_eval(t, x, t->n_features, t->n_centroids, t->depth);
}

#endif
