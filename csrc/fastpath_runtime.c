/* fastpath_runtime.c: load, publish and retire decision trees (dpdktune).
 *
 * Publication is one atomic pointer store. Retirement waits for a grace period: every
 * reader that might still hold the old pointer must leave fp_decide before the tree is
 * poisoned and freed. Readers announce themselves in per-thread slots (fastpath_internal.h);
 * the store-load fence they would need is issued on their behalf by membarrier(2)
 * (MEMBARRIER_CMD_PRIVATE_EXPEDITED), or by the readers themselves where it is unavailable.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/membarrier.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "fastpath_internal.h"

#define FP_FILE_MAGIC "FPTREE03"

_Atomic(const struct fp_tree *) fp__current = &fp__builtin_tree;
_Atomic uint64_t fp__gp_ctr = 1;
int fp__rcu_fence = 1; /* until the constructor proves membarrier works */
__thread struct fp_reader *fp__self;

static pthread_mutex_t fp_writer_lock = PTHREAD_MUTEX_INITIALIZER; /* swaps + reader list */
static struct fp_reader *fp_readers;
static pthread_key_t fp_reader_key;
static pthread_once_t fp_key_once = PTHREAD_ONCE_INIT;
static _Atomic uint64_t fp_swaps;
static __thread char fp_error[512];

static void fp_set_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(fp_error, sizeof fp_error, fmt, ap);
	va_end(ap);
}

const char *fp_last_error(void) { return fp_error; }
uint64_t fp_swap_count(void) { return atomic_load(&fp_swaps); }
int fp_rcu_fence_mode(void) { return fp__rcu_fence; }
int fp_abi_version(void) { return FP_ABI_VERSION; }

static int fp_membarrier(int cmd)
{
	return (int)syscall(__NR_membarrier, cmd, 0, 0);
}

__attribute__((constructor)) static void fp_rcu_init(void)
{
	const char *force = getenv("FP_RCU_FENCE");
	if (force && force[0] == '1')
		return;
	int cmds = fp_membarrier(MEMBARRIER_CMD_QUERY);
	if (cmds > 0 && (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED) &&
	    fp_membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0)
		fp__rcu_fence = 0; /* set before any reader can exist: constructors run first */
}

static void fp_reader_exit(void *arg)
{
	struct fp_reader *r = arg;
	atomic_store_explicit(&r->ctr, 0, memory_order_release);
	atomic_store_explicit(&r->in_use, 0, memory_order_release);
}

static void fp_make_key(void) { pthread_key_create(&fp_reader_key, fp_reader_exit); }

struct fp_reader *fp__reader_register(void)
{
	pthread_once(&fp_key_once, fp_make_key);
	pthread_mutex_lock(&fp_writer_lock);
	struct fp_reader *r = fp_readers;
	while (r && atomic_load_explicit(&r->in_use, memory_order_acquire))
		r = r->next;
	if (!r) {
		r = aligned_alloc(64, sizeof *r);
		if (!r)
			abort(); /* a reader that cannot register cannot be protected */
		atomic_init(&r->ctr, 0);
		r->next = fp_readers;
		fp_readers = r;
	}
	atomic_store_explicit(&r->in_use, 1, memory_order_relaxed);
	pthread_mutex_unlock(&fp_writer_lock);
	pthread_setspecific(fp_reader_key, r);
	fp__self = r;
	return r;
}

/* Wait until no reader can still hold a pointer published before this call. Writer lock held. */
static void fp_synchronize(void)
{
	uint64_t g = atomic_fetch_add_explicit(&fp__gp_ctr, 1, memory_order_seq_cst) + 1;
	/* Fence mode: the seq_cst pointer exchange and slot loads pair with the readers' seq_cst
	 * slot stores. membarrier mode: a full barrier on every running reader thread instead. */
	if (!fp__rcu_fence && fp_membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) != 0)
		abort(); /* registered at start-up, so this cannot fail; never free unprotected */
	for (struct fp_reader *r = fp_readers; r; r = r->next) {
		for (unsigned spins = 0;; spins++) {
			uint64_t c = atomic_load_explicit(&r->ctr, memory_order_seq_cst);
			if (c == 0 || c >= g)
				break;
			if (spins < 64) {
				sched_yield();
			} else {
				struct timespec ts = {0, 20000};
				nanosleep(&ts, NULL);
			}
		}
	}
}

static void fp_tree_destroy(struct fp_tree *t)
{
	/* Poison first: a reader that (wrongly) still walked this tree would return
	 * FP_POISON_ACTION, which the swap stress test counts as a freed-tree read. */
	int32_t *action = (int32_t *)t->leaf_action;
	for (uint32_t i = 0; i < t->n_leaves; i++)
		action[i] = FP_POISON_ACTION;
	t->safe_default = FP_POISON_ACTION;
	t->magic = FP_TREE_DEAD;
	free(t);
}

void fp_tree_free(struct fp_tree *t)
{
	if (t && t != &fp__builtin_tree && t != atomic_load(&fp__current))
		fp_tree_destroy(t);
}

int fp_swap(struct fp_tree *tree)
{
	const struct fp_tree *next = tree ? tree : &fp__builtin_tree;
	if (next->magic != FP_TREE_MAGIC) {
		fp_set_error("fp_swap: not a live tree (magic 0x%08x)", next->magic);
		return -1;
	}
	pthread_mutex_lock(&fp_writer_lock);
	const struct fp_tree *old = atomic_exchange_explicit(&fp__current, next, memory_order_seq_cst);
	if (old != next)
		fp_synchronize();
	atomic_fetch_add(&fp_swaps, 1);
	pthread_mutex_unlock(&fp_writer_lock);
	if (old != next && old != &fp__builtin_tree)
		fp_tree_destroy((struct fp_tree *)old);
	return 0;
}

int fp_safe_default(void)
{
	struct fp_reader *r = fp_read_lock();
	int s = fp_deref()->safe_default;
	fp_read_unlock(r);
	return s;
}

int fp_tree_decide(const struct fp_tree *tree, const float *x, int n)
{
	return fp_eval_any(tree ? tree : &fp__builtin_tree, x, n);
}

/* ---- fp_load: the .fpt file written by dpdktune.codegen.pack (little-endian) ---- */

struct fpt_header {
	char magic[8];
	uint32_t n_features, n_configs, n_leaves, n_nodes, depth;
	int32_t safe_default;
	uint32_t crc32; /* CRC-32 (zlib's) of the whole file with this field zeroed */
	uint32_t reserved;
	uint64_t feature_hash;
};

#define FP_MAX_FILE_BYTES (1L << 30) /* far above any tree a node table of 2^24 slots can hold */

/* CRC-32 (IEEE 802.3, reflected, as zlib.crc32): it detects every burst error up to 32 bits and
 * all but 2^-32 of the rest; the loader must refuse a damaged file, not publish it. */
static uint32_t fp_crc_table[256];

static void fp_crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
		fp_crc_table[i] = c;
	}
}

static uint32_t fp_crc32(uint32_t crc, const unsigned char *p, size_t n)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, fp_crc_init);
	crc = ~crc;
	while (n--)
		crc = fp_crc_table[(crc ^ *p++) & 0xffu] ^ (crc >> 8);
	return ~crc;
}

/* The whole file, if it is a regular file: opened non-blocking so a FIFO or device named by
 * mistake is refused at once instead of blocking the caller forever. */
static unsigned char *fp_read_file(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		fp_set_error("fp_load %s: %s", path, strerror(errno));
		return NULL;
	}
	struct stat st;
	unsigned char *buf = NULL;
	if (fstat(fd, &st) != 0) {
		fp_set_error("fp_load %s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		fp_set_error("fp_load %s: not a regular file", path);
		goto out;
	}
	if (st.st_size > FP_MAX_FILE_BYTES) {
		fp_set_error("fp_load %s: %lld bytes is too large for a tree file", path, (long long)st.st_size);
		goto out;
	}
	size_t want = (size_t)st.st_size, got = 0;
	buf = malloc(want + 1);
	if (!buf) {
		fp_set_error("fp_load %s: out of memory", path);
		goto out;
	}
	for (;;) { /* read one byte past the size seen, so a file that grew is noticed */
		ssize_t r = read(fd, buf + got, want + 1 - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			fp_set_error("fp_load %s: %s", path, strerror(errno));
			free(buf);
			buf = NULL;
			goto out;
		}
		if (r == 0 || (got += (size_t)r) == want + 1)
			break;
	}
	if (got != want) {
		fp_set_error("fp_load %s: the file changed size while it was read", path);
		free(buf);
		buf = NULL;
		goto out;
	}
	*len = got;
out:
	close(fd);
	return buf;
}

/* Sequential reads out of the file's bytes. */
struct fp_cursor {
	const unsigned char *p;
	size_t left;
	const char *path;
};

static int fp_take(struct fp_cursor *c, void *dst, size_t len, const char *what)
{
	if (len > c->left) {
		fp_set_error("fp_load %s: file ends inside %s", c->path, what);
		return -1;
	}
	memcpy(dst, c->p, len);
	c->p += len;
	c->left -= len;
	return 0;
}

static int fp_check(const struct fp_tree *t, const struct fpt_header *h, const int32_t *configs,
		    const char *path)
{
	const struct fp_tree *b = &fp__builtin_tree;
	if (h->n_features != b->n_features || h->feature_hash != b->feature_hash) {
		fp_set_error("fp_load %s: features differ from the compiled-in tree (%u features, hash %016llx; want %u, %016llx)",
			     path, h->n_features, (unsigned long long)h->feature_hash, b->n_features,
			     (unsigned long long)b->feature_hash);
		return -1;
	}
	if (h->n_configs != (uint32_t)fp_n_configs() ||
	    memcmp(configs, fp_configs, sizeof(struct fp_config) * h->n_configs) != 0) {
		fp_set_error("fp_load %s: config table differs from the compiled-in one (%u configs)", path,
			     h->n_configs);
		return -1;
	}
	if (h->safe_default < 0 || (uint32_t)h->safe_default >= h->n_configs) {
		fp_set_error("fp_load %s: safe_default %d out of range", path, h->safe_default);
		return -1;
	}
	for (size_t i = 0; i < (size_t)2 * h->n_features * h->n_leaves; i++)
		if (isnan(t->box[i])) {
			fp_set_error("fp_load %s: NaN in the box of leaf %zu", path, i / (2 * h->n_features));
			return -1;
		}
	for (uint32_t l = 0; l < h->n_leaves; l++)
		if (t->leaf_action[l] < 0 || (uint32_t)t->leaf_action[l] >= h->n_configs) {
			fp_set_error("fp_load %s: leaf %u action %d out of range", path, l, t->leaf_action[l]);
			return -1;
		}
	/* Breadth-first layout: children come after their parent, so one forward pass gives every
	 * node's depth; a walk of `depth` steps must end on a leaf (a node that links to itself). */
	uint8_t *level = calloc(h->n_nodes, 1);
	if (!level) {
		fp_set_error("fp_load %s: out of memory", path);
		return -1;
	}
	int rc = 0;
	for (uint32_t i = 0; i < h->n_nodes && !rc; i++) {
		uint32_t child = t->nodes[i].link >> 8, feature = t->nodes[i].link & 0xffu;
		int leaf = child == i && isinf(t->nodes[i].thr) && t->nodes[i].thr > 0;
		if (!leaf && (child <= i || child + 1 >= h->n_nodes)) {
			fp_set_error("fp_load %s: node %u links outside the table (child %u)", path, i, child);
			rc = -1;
		} else if (feature >= h->n_features || isnan(t->nodes[i].thr)) {
			fp_set_error("fp_load %s: node %u has feature %u / threshold NaN", path, i, feature);
			rc = -1;
		} else if (t->leaf_of[i] >= h->n_leaves) {
			fp_set_error("fp_load %s: node %u leaf index %u out of range", path, i, t->leaf_of[i]);
			rc = -1;
		} else if (!leaf && level[i] >= h->depth) {
			fp_set_error("fp_load %s: node %u lies deeper than the walk (depth %u)", path, i, h->depth);
			rc = -1;
		} else if (!leaf) {
			level[child] = level[child + 1] = (uint8_t)(level[i] + 1);
		}
	}
	free(level);
	return rc;
}

struct fp_tree *fp_load(const char *path)
{
	size_t len = 0;
	unsigned char *file = fp_read_file(path, &len);
	if (!file)
		return NULL;
	struct fp_cursor cur = {file, len, path};
	struct fpt_header h;
	struct fp_tree *t = NULL;
	int32_t *configs = NULL;
	if (fp_take(&cur, &h, sizeof h, "the header"))
		goto fail;
	if (memcmp(h.magic, FP_FILE_MAGIC, 8) != 0) {
		fp_set_error("fp_load %s: bad magic (not a dpdktune .fpt file, or another version: want %s)", path,
			     FP_FILE_MAGIC);
		goto fail;
	}
	if (h.n_features == 0 || h.n_features > 255 || h.n_nodes == 0 || h.n_nodes >= (1u << 24) ||
	    h.n_leaves == 0 || h.n_leaves > h.n_nodes || h.depth > FP_MAX_DEPTH || h.n_configs == 0 ||
	    h.n_configs > 1u << 20) {
		fp_set_error("fp_load %s: sizes out of range (features %u, leaves %u, nodes %u, depth %u, configs %u)",
			     path, h.n_features, h.n_leaves, h.n_nodes, h.depth, h.n_configs);
		goto fail;
	}
	size_t nf = h.n_features, nl = h.n_leaves, m = h.n_nodes;
	size_t bytes = sizeof *t + m * sizeof(struct fp_node) + m * sizeof(uint32_t) + nl * sizeof(int32_t) +
		       2 * nf * nl * sizeof(float);
	size_t need = sizeof h + bytes - sizeof *t + h.n_configs * sizeof(struct fp_config);
	if (need > len) { /* before allocating what a damaged header asks for */
		fp_set_error("fp_load %s: file ends inside the tables (%zu bytes, the header needs %zu)", path, len,
			     need);
		goto fail;
	}
	t = calloc(1, bytes);
	configs = malloc(h.n_configs * sizeof(struct fp_config));
	if (!t || !configs) {
		fp_set_error("fp_load %s: out of memory", path);
		goto fail;
	}
	struct fp_node *nodes = (struct fp_node *)(t + 1);
	uint32_t *leaf_of = (uint32_t *)(nodes + m);
	int32_t *leaf_action = (int32_t *)(leaf_of + m);
	float *box = (float *)(leaf_action + nl);
	if (fp_take(&cur, nodes, m * sizeof *nodes, "the node table") ||
	    fp_take(&cur, leaf_of, m * sizeof *leaf_of, "the leaf index") ||
	    fp_take(&cur, leaf_action, nl * sizeof *leaf_action, "the leaf actions") ||
	    fp_take(&cur, box, 2 * nf * nl * sizeof *box, "the leaf boxes") ||
	    fp_take(&cur, configs, h.n_configs * sizeof(struct fp_config), "the config table"))
		goto fail;
	if (cur.left) {
		fp_set_error("fp_load %s: trailing bytes after the config table", path);
		goto fail;
	}
	/* Before any value is used: a damaged file is refused whatever it damaged. (Sizes were only
	 * bounds-checked to read it, so a truncation or extension is named as such above.) */
	static const uint32_t zero;
	size_t at = offsetof(struct fpt_header, crc32);
	uint32_t crc = fp_crc32(0, file, at);
	crc = fp_crc32(crc, (const unsigned char *)&zero, sizeof zero);
	crc = fp_crc32(crc, file + at + sizeof zero, len - at - sizeof zero);
	if (crc != h.crc32) {
		fp_set_error("fp_load %s: checksum mismatch (file says %08x, content is %08x): damaged file", path,
			     h.crc32, crc);
		goto fail;
	}
	t->n_features = h.n_features;
	t->n_leaves = h.n_leaves;
	t->n_nodes = h.n_nodes;
	t->depth = h.depth;
	t->safe_default = h.safe_default;
	t->feature_hash = h.feature_hash;
	t->nodes = nodes;
	t->leaf_of = leaf_of;
	t->leaf_action = leaf_action;
	t->box = box;
	if (fp_check(t, &h, configs, path))
		goto fail;
	t->magic = FP_TREE_MAGIC;
	free(file);
	free(configs);
	return t;
fail:
	free(file);
	free(configs);
	free(t);
	return NULL;
}
