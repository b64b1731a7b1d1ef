/* fastpath.h: the data-plane tuning policy as a C library (dpdktune).
 *
 * fp_decide() maps a feature vector (float32, FINGERPRINT_FEATURES order or the subset the
 * tree was built for; see fp_feature_name) to a config index. It walks the tree, then returns
 * fp_safe_default() when the input is invalid (wrong n, NaN, inf), outside the training
 * bounds, too far from the training data (outside the box spanned by the training rows that
 * reached the same leaf, widened by a margin of the training std), or lands in a leaf whose
 * confidence is below the tree's threshold (such leaves are compiled to the safe default).
 *
 * Trees are immutable. fp_load() builds one from a file written by dpdktune.codegen.pack;
 * fp_swap() publishes it atomically and frees the tree it replaces only after every reader
 * has left it (an RCU-like grace period). fp_decide() is safe to call from any thread,
 * concurrently with fp_swap(); a thread's first call registers it (once, takes a lock).
 */
#ifndef DPDKTUNE_FASTPATH_H
#define DPDKTUNE_FASTPATH_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FP_API __attribute__((visibility("default")))
#define FP_ABI_VERSION 1

/* One point of the knob grid; fp_configs[index] is what index means. */
struct fp_config {
	int32_t rx_desc;
	int32_t tx_desc;
	int32_t cores;
	int32_t burst;
};

struct fp_tree; /* opaque, immutable once built */

FP_API extern const struct fp_config fp_configs[]; /* fp_n_configs() entries */
FP_API int fp_n_configs(void);
FP_API int fp_n_features(void);
FP_API const char *fp_feature_name(int i); /* NULL when out of range */
FP_API int fp_safe_default(void);          /* of the tree now published */
FP_API int fp_abi_version(void);

/* The decision: a config index in [0, fp_n_configs()). Never fails. */
FP_API int fp_decide(const float *features, int n);

/* Build a tree from a .fpt file. NULL on error; fp_last_error() says why. Only a regular file
 * is read (a FIFO or device is refused, never waited on).
 * File format versions (the 8-byte magic):
 *   FPTREE01  node table, leaf index, leaf actions, configs;
 *   FPTREE02  adds each leaf's novelty box;
 *   FPTREE03  a CRC-32 of the whole file in the header (was reserved): any damaged byte,
 *             truncation or extension is refused before a field is trusted.
 * fp_load reads the current version only; rebuild older files with dpdktune.codegen.pack. */
FP_API struct fp_tree *fp_load(const char *path);
/* The same decision on a tree that need not be published (tests, shadow evaluation). */
FP_API int fp_tree_decide(const struct fp_tree *tree, const float *features, int n);
/* Publish `tree` (NULL: the compiled-in tree). Blocks for one grace period, then frees the
 * tree it replaced (unless compiled in). Ownership of `tree` passes to the library.
 * Returns 0, or -1 with fp_last_error() set. Never call it from inside fp_decide's caller's
 * own read path (it waits for readers). */
FP_API int fp_swap(struct fp_tree *tree);
/* Free a tree that was loaded but never published. */
FP_API void fp_tree_free(struct fp_tree *tree);
FP_API const char *fp_last_error(void);
FP_API uint64_t fp_swap_count(void);
/* 1 when readers use a full fence per decision (no usable membarrier(2) here). */
FP_API int fp_rcu_fence_mode(void);
/* Bytes of the compiled-in tree's tables (nodes, leaf index, leaf actions, leaf boxes, configs). */
FP_API long fp_tree_bytes(void);

#ifdef __cplusplus
}
#endif
#endif
