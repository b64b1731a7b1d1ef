/* fastpath_tree.c: the dpdktune fast-path decision tree (generated)
 * generator: dpdktune.codegen.render (dpdktune 0.1.0)
 * template:  csrc/templates/fastpath_tree.c.j2
 * tree:      dpdktune 0.1.0 distill/golden
 * tree sha256 (canonical JSON): faed12bb478b63768edbafdcad14a418202ed0d37441a5298ed848f98e2995f7
 * input config_hash: 0000000000000000
 * input dataset: tests/codegen/test_render.py
 * features (3): offered_mpps, drop_rate, mean_frame_bytes
 * nodes 7, leaves 4, depth 2, leaf margin 0.25 x std, configs 4, safe_default 2, walk table
 * Do not edit: rerun `snakemake fastpath.so`.
 */
#include <math.h>

#include "fastpath_internal.h"

#define FP_NF 3u
#define FP_NC 4u
#define FP_NL 4u
#define FP_DEPTH 2u
#define FP_SAFE 2
#define FP_LINK(child, feature) (((uint32_t)(child) << 8) | (uint32_t)(feature))

const struct fp_config fp_configs[FP_NC] = {
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

/* {thr, FP_LINK(first child, feature)}: x[feature] <= thr goes to the first child, else to the one after it. */
static const struct fp_node fp_nodes[7] = {
	{ 12.5f, FP_LINK(1, 0) }, /* 0: offered_mpps <= thr ? 1 : 2 */
	{ 0.099999994f, FP_LINK(3, 1) }, /* 1: drop_rate <= thr ? 3 : 4 */
	{ 0.000999999931f, FP_LINK(5, 2) }, /* 2: mean_frame_bytes <= thr ? 5 : 6 */
	{ INFINITY, FP_LINK(3, 0) }, /* 3: leaf 0 -> config 0 */
	{ INFINITY, FP_LINK(4, 0) }, /* 4: leaf 1 -> config 2 */
	{ INFINITY, FP_LINK(5, 0) }, /* 5: leaf 2 -> config 2 */
	{ INFINITY, FP_LINK(6, 0) }, /* 6: leaf 3 -> config 3 */
};

/* Per node slot: its leaf index (read at leaves only). */
static const uint32_t fp_leaf_of[7] = {
	0u, 0u, 0u, 0u, 1u, 2u, 3u,
};

/* Per leaf: its config (the safe default where the leaf's confidence is below the threshold). */
static const int32_t fp_leaf_action[FP_NL] = {
	0, 2, 2, 3,
};

/* Per leaf: the box its training rows span, widened and clipped to the training bounds
 * (float32, rounded outward): lo[FP_NF], then hi[FP_NF]. Outside it the input is novel. */
static const float fp_box[FP_NL * 2 * FP_NF] = {
	/* leaf 0 (slot 3) */
	0.0f, 0.0f, 64.0f,
	20.0f, 0.0625f, 1000.0f,
	/* leaf 1 (slot 4) */
	0.0f, 0.1875f, 64.0f,
	17.5f, 0.5f, 1518.0f,
	/* leaf 2 (slot 5) */
	INFINITY, INFINITY, INFINITY,
	-INFINITY, -INFINITY, -INFINITY,
	/* leaf 3 (slot 6) */
	0.0f, 0.0f, 64.0f,
	150.0f, 0.5f, 1518.0f,
};

const struct fp_tree fp__builtin_tree = {
	.magic = FP_TREE_MAGIC,
	.n_features = FP_NF,
	.n_leaves = FP_NL,
	.n_nodes = 7u,
	.depth = FP_DEPTH,
	.safe_default = FP_SAFE,
	.feature_hash = 17924517441744891977ull,
	.nodes = fp_nodes,
	.leaf_of = fp_leaf_of,
	.leaf_action = fp_leaf_action,
	.box = fp_box,
};

/* The compiled-in tree walked as a table (branch-free; exactly FP_DEPTH steps). */
#define fp_builtin_leaf(x) fp_leaf_of[fp_walk(&fp__builtin_tree, (x), FP_DEPTH)]
#define fp_builtin_decide(x) fp_leaf_decide(&fp__builtin_tree, (x), FP_NF, fp_builtin_leaf(x))

int fp_n_configs(void) { return (int)FP_NC; }
int fp_n_features(void) { return (int)FP_NF; }
const char *fp_feature_name(int i) { return i >= 0 && i < (int)FP_NF ? fp_feature_names[i] : 0; }
long fp_tree_bytes(void)
{
	return (long)(sizeof fp_nodes + sizeof fp_leaf_of + sizeof fp_leaf_action + sizeof fp_box + sizeof fp_configs);
}

/* A tree published by fp_swap: the generic table walk, out of line so that fp_decide's own
 * code stays small (fewer registers to save, less to fetch). */
FP_COLD static int fp_decide_loaded(const struct fp_tree *t, const float *x, int n)
{
	return fp_eval_any(t, x, n);
}

/* Walk first, then validity + novelty against the reached leaf's box alone. */
int fp_decide(const float *x, int n)
{
	struct fp_reader *r = fp_read_lock();
	const struct fp_tree *t = fp_deref();
	int a;
	if (FP_LIKELY(t == &fp__builtin_tree))
		a = n == (int)FP_NF && x ? fp_builtin_decide(x) : FP_SAFE;
	else
		a = fp_decide_loaded(t, x, n);
	fp_read_unlock(r);
	return a;
}
