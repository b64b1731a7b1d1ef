/* fastpath_tree.c: the dpdktune fast-path decision tree (generated)
 * generator: dpdktune.codegen.render (dpdktune 0.1.0)
 * template:  csrc/templates/fastpath_tree.c.j2
 * tree:      dpdktune 0.1.0 distill/golden
 * tree sha256 (canonical JSON): 34951abc5d7a1efd8a7e30bbb7120b33d28d0240f672ce7e75bba75d6c460029
 * input config_hash: 0000000000000000
 * input dataset: tests/codegen/test_render.py
 * features (3): offered_mpps, drop_rate, mean_frame_bytes
 * nodes 7, depth 2, centroids 2, configs 4, safe_default 2, walk table
 * Do not edit: rerun `snakemake fastpath.so`.
 */
#include <math.h>

#include "fastpath_internal.h"

#define FP_NF 3u
#define FP_NC 2u
#define FP_DEPTH 2u
#define FP_SAFE 2
#define FP_LINK(child, feature) (((uint32_t)(child) << 8) | (uint32_t)(feature))

const struct fp_config fp_configs[4] = {
	{ 256, 512, 1, 32 }, /* 0 */
	{ 256, 512, 4, 32 }, /* 1 */
	{ 1024, 512, 1, 32 }, /* 2 */
	{ 1024, 512, 4, 32 }, /* 3 */
};

static const char *const fp_feature_names[FP_NF] = {
	"offered_mpps",
	"drop_rate",
	"mean_frame_bytes",
};

/* Training bounds (float32, rounded outward): outside them the input is novel. */
static const float fp_lo[FP_NF] = { 0.0f, 0.0f, 64.0f };
static const float fp_hi[FP_NF] = { 150.0f, 0.5f, 1518.0f };
/* Novelty distance: z = (x - mean) * inv_scale, squared distance to the nearest centroid. */
static const float fp_mean[FP_NF] = { 20.0f, 0.00999999978f, 500.0f };
static const float fp_inv_scale[FP_NF] = { 0.0333333351f, 20.0f, 0.00249999994f };
static const float fp_centroids[6] = { 0.0f, 1.0f, 0.0f, -0.5f, 0.0f, 2.0f };

/* {thr, FP_LINK(first child, feature)}: x[feature] <= thr goes to the first child. */
static const struct fp_node fp_nodes[7] = {
	{ 12.5f, FP_LINK(1, 0) }, /* 0: offered_mpps <= 12.5 ? 1 : 2 */
	{ 0.099999994f, FP_LINK(3, 1) }, /* 1: drop_rate <= 0.09999999403953552 ? 3 : 4 */
	{ 0.000999999931f, FP_LINK(5, 2) }, /* 2: mean_frame_bytes <= 0.0009999999310821295 ? 5 : 6 */
	{ INFINITY, FP_LINK(3, 0) }, /* 3: leaf -> config 0 */
	{ INFINITY, FP_LINK(4, 0) }, /* 4: leaf -> config 2 */
	{ INFINITY, FP_LINK(5, 0) }, /* 5: leaf -> config 2 */
	{ INFINITY, FP_LINK(6, 0) }, /* 6: leaf -> config 3 */
};

static const int32_t fp_action[7] = {
	2, 2, 2, 0, 2, 2, 3,
};

const struct fp_tree fp__builtin_tree = {
	.magic = FP_TREE_MAGIC,
	.n_features = FP_NF,
	.n_centroids = FP_NC,
	.n_nodes = 7u,
	.depth = FP_DEPTH,
	.safe_default = FP_SAFE,
	.max_d2 = 9.0f,
	.feature_hash = 17924517441744891977ull,
	.lo = fp_lo,
	.hi = fp_hi,
	.mean = fp_mean,
	.inv_scale = fp_inv_scale,
	.centroids = fp_centroids,
	.nodes = fp_nodes,
	.action = fp_action,
};

/* The compiled-in tree walked as a table (branch-free; exactly FP_DEPTH steps). */
#define fp_builtin_leaf(x) fp_walk(&fp__builtin_tree, (x), FP_DEPTH)

int fp_n_configs(void) { return 4; }
int fp_n_features(void) { return (int)FP_NF; }
const char *fp_feature_name(int i) { return i >= 0 && i < (int)FP_NF ? fp_feature_names[i] : 0; }
long fp_tree_bytes(void)
{
	return (long)(sizeof fp_nodes + sizeof fp_action + sizeof fp_lo + sizeof fp_hi + sizeof fp_mean +
		      sizeof fp_inv_scale + (FP_NC ? sizeof fp_centroids : 0) + sizeof fp_configs);
}

int fp_decide(const float *x, int n)
{
	struct fp_reader *r = fp_read_lock();
	const struct fp_tree *t = fp_deref();
	int a;
	if (__builtin_expect(t == &fp__builtin_tree, 1))
		a = (n == (int)FP_NF && x && fp_input_ok(&fp__builtin_tree, x, FP_NF, FP_NC))
			    ? fp_action[fp_builtin_leaf(x)] : FP_SAFE;
	else
		a = fp_eval_any(t, x, n);
	fp_read_unlock(r);
	return a;
}
