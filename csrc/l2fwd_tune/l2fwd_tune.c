/* l2fwd_tune: an l2fwd-like DPDK app that tunes itself with the dpdktune fast path.
 *
 * Two ports; worker w forwards queue w of port 0 to port 1 and back. Every N bursts the first
 * worker computes, over the last window, exactly dpdktune's data-plane feature set
 * (dpdktune.fingerprint.DATAPLANE_FEATURES): rx and tx rates, the mean frame size, the imissed
 * and tx-drop shares, the rx_burst fill, the empty-poll share, busy cycles per packet and the
 * rx ring occupancy. It calls fp_decide() and applies what can change at run time: the burst
 * size and the number of active workers. Ring sizes (rx_desc/tx_desc) need a port restart, so
 * they go to the control path on the main lcore, which applies them only with --apply-rings
 * (pausing the workers around the restart) and counts them otherwise.
 *
 * Run-time control (the adaptive runtime's local backend drives it): with --interval-ms the main
 * lcore, not worker 0, decides once per interval and prints one JSON line per interval (the
 * counters of the window, the features, the config that ran and the decision); with --control
 * FILE, SIGHUP makes it read FILE ("seq N" and "tree PATH" or "tree default" lines), fp_load
 * the tree and publish it with fp_swap while the workers keep forwarding, then print a
 * {"type": "swap"} line naming the seq, so the caller knows which request was served. A "status"
 * line instead of a tree line asks only for a {"type": "status"} line: the decisions and swaps so
 * far, so a caller can wait until the data plane has decided with the tree it published.
 *
 * usage: l2fwd_tune <EAL args> -- [--duration S] [--decide-every N] [--no-apply]
 *                                 [--apply-rings] [--tree file.fpt] [--burst B]
 *                                 [--interval-ms MS] [--control FILE]
 * Prints one JSON line of statistics at exit (the last line).
 */
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_pause.h>

#include "fastpath.h"

#define MAX_WORKERS 16
#define MAX_BURST 256
#define N_PORTS 2
#define MAX_CONFIGS 4096

enum metric {
	M_RX_MPPS, M_THROUGHPUT_MPPS, M_MEAN_FRAME_BYTES, M_IMISSED_RATE, M_TX_DROP_RATE, M_RX_BURST_FILL,
	M_EMPTY_POLL_SHARE, M_CYCLES_PER_PACKET, M_RX_RING_OCCUPANCY, M_NONE
};
static const char *const metric_names[] = {
	"rx_mpps", "throughput_mpps", "mean_frame_bytes", "imissed_rate", "tx_drop_rate", "rx_burst_fill",
	"empty_poll_share", "cycles_per_packet", "rx_ring_occupancy",
};

struct worker_stats { /* written by its worker only; others read them relaxed */
	_Atomic uint64_t rx, tx, dropped, bytes, polls, busy_polls, bursts, busy_cycles;
} __rte_cache_aligned;

static struct {
	double duration_s;
	unsigned decide_every;
	int no_apply, apply_rings;
	const char *tree;
	unsigned burst;
	unsigned interval_ms;
	const char *control;
} opt = {2.0, 64, 0, 0, NULL, 32, 0, NULL};

static struct worker_stats stats[MAX_WORKERS];
static unsigned n_workers;
static unsigned worker_lcores[MAX_WORKERS];
static _Atomic unsigned cur_burst, active_workers;
static atomic_int quit, pause_req, paused_workers;
static volatile sig_atomic_t reload; /* SIGHUP: read the control file */
static _Atomic uint64_t ring_request; /* rx_desc << 32 | tx_desc, 0 = none pending */
static uint16_t rx_desc = 1024, tx_desc = 1024; /* main lcore only */
static struct rte_mempool *pool;

/* Decision bookkeeping (worker 0 only). */
static enum metric feature_map[256];
static int n_features;
/* decisions is read by the control path; its seq_cst increment also orders a decision's count
 * before the next decision's read of the published tree. */
static _Atomic uint64_t decisions;
static uint64_t decide_cycles, decision_counts[MAX_CONFIGS];
static uint64_t invalid_decisions; /* outside [0, fp_n_configs()): a freed tree read, never expected */
static int last_decision = -1;
static double last_features[M_NONE + 1];
static int ring_count_supported = -1; /* rte_eth_rx_queue_count: -1 unknown, 0 no, 1 yes */
/* The last window decide() closed: its length and counter deltas (rx, tx, dropped, bytes, polls,
 * busy polls, busy cycles, imissed), for the per-interval report. */
static double win_dt;
static uint64_t win_delta[8];

static void on_signal(int sig)
{
	(void)sig;
	atomic_store(&quit, 1);
}

static void on_hup(int sig)
{
	(void)sig;
	reload = 1;
}

static int port_setup(uint16_t port, uint16_t nq)
{
	struct rte_eth_conf conf;
	memset(&conf, 0, sizeof conf);
	int rc = rte_eth_dev_configure(port, nq, nq, &conf);
	if (rc < 0)
		return rc;
	for (uint16_t q = 0; q < nq; q++) {
		rc = rte_eth_rx_queue_setup(port, q, rx_desc, rte_eth_dev_socket_id(port), NULL, pool);
		if (rc < 0)
			return rc;
		rc = rte_eth_tx_queue_setup(port, q, tx_desc, rte_eth_dev_socket_id(port), NULL);
		if (rc < 0)
			return rc;
	}
	return rte_eth_dev_start(port);
}

static uint64_t imissed_total(void)
{
	uint64_t sum = 0;
	struct rte_eth_stats st;
	for (uint16_t port = 0; port < N_PORTS; port++)
		if (rte_eth_stats_get(port, &st) == 0)
			sum += st.imissed;
	return sum;
}

/* Mean share of the rx ring in use over the active queues (rte_eth_rx_queue_count). A PMD
 * without it (net_null): the lower bound rx per poll / rx_desc, since a poll that returns
 * n < burst packets found exactly n descriptors ready. */
static double ring_occupancy(unsigned active, double rx, double polls)
{
	if (ring_count_supported != 0) {
		double used = 0;
		unsigned n = 0;
		for (uint16_t port = 0; port < N_PORTS; port++)
			for (unsigned q = 0; q < active; q++) {
				int c = rte_eth_rx_queue_count(port, (uint16_t)q);
				if (c < 0) {
					ring_count_supported = 0;
					return ring_occupancy(active, rx, polls);
				}
				used += c;
				n++;
			}
		ring_count_supported = 1;
		return n ? used / n / rx_desc : 0.0;
	}
	return polls > 0 ? fmin(1.0, rx / polls / rx_desc) : 0.0;
}

/* The data-plane features over all workers since the last decision; returns the decision
 * (-1: the first call only opens the window; -2: fp_decide returned an index outside the
 * config table, which only a freed tree could give: counted, and the safe default applies). */
static int decide(uint64_t now)
{
	static uint64_t last_tsc, last[8];
	uint64_t cur[8] = {0};
	for (unsigned w = 0; w < n_workers; w++) {
		cur[0] += atomic_load_explicit(&stats[w].rx, memory_order_relaxed);
		cur[1] += atomic_load_explicit(&stats[w].tx, memory_order_relaxed);
		cur[2] += atomic_load_explicit(&stats[w].dropped, memory_order_relaxed);
		cur[3] += atomic_load_explicit(&stats[w].bytes, memory_order_relaxed);
		cur[4] += atomic_load_explicit(&stats[w].polls, memory_order_relaxed);
		cur[5] += atomic_load_explicit(&stats[w].busy_polls, memory_order_relaxed);
		cur[6] += atomic_load_explicit(&stats[w].busy_cycles, memory_order_relaxed);
	}
	cur[7] = imissed_total();
	if (last_tsc == 0) {
		memcpy(last, cur, sizeof last);
		last_tsc = now;
		return -1;
	}
	double dt = (double)(now - last_tsc) / (double)rte_get_tsc_hz();
	win_dt = dt;
	for (int i = 0; i < 8; i++)
		win_delta[i] = cur[i] - last[i];
	double rx = (double)(cur[0] - last[0]), tx = (double)(cur[1] - last[1]);
	double drop = (double)(cur[2] - last[2]), bytes = (double)(cur[3] - last[3]);
	double polls = (double)(cur[4] - last[4]), busy = (double)(cur[5] - last[5]);
	double busy_cycles = (double)(cur[6] - last[6]), missed = (double)(cur[7] - last[7]);
	double offered = rx + missed;
	unsigned active = atomic_load_explicit(&active_workers, memory_order_relaxed);
	double *m = last_features;
	m[M_RX_MPPS] = rx / dt / 1e6;
	m[M_THROUGHPUT_MPPS] = tx / dt / 1e6;
	m[M_MEAN_FRAME_BYTES] = rx > 0 ? bytes / rx : NAN;
	m[M_IMISSED_RATE] = offered > 0 ? missed / offered : 0.0;
	m[M_TX_DROP_RATE] = offered > 0 ? drop / offered : 0.0;
	m[M_RX_BURST_FILL] = busy > 0 ? rx / (busy * atomic_load_explicit(&cur_burst, memory_order_relaxed)) : 0.0;
	m[M_EMPTY_POLL_SHARE] = polls > 0 ? (polls - busy) / polls : 1.0;
	m[M_CYCLES_PER_PACKET] = rx > 0 ? busy_cycles / rx : NAN;
	m[M_RX_RING_OCCUPANCY] = ring_occupancy(active, rx, polls);
	m[M_NONE] = NAN; /* a feature this app does not measure: fp_decide falls back to the safe default */
	memcpy(last, cur, sizeof last);
	last_tsc = now;
	float x[256];
	for (int i = 0; i < n_features; i++)
		x[i] = (float)m[feature_map[i]];
	int idx = fp_decide(x, n_features);
	if (idx < 0 || idx >= fp_n_configs()) {
		invalid_decisions++;
		return -2;
	}
	return idx;
}

static void apply(int idx)
{
	const struct fp_config *c = &fp_configs[idx];
	unsigned b = c->burst < 1 ? 1 : c->burst > MAX_BURST ? MAX_BURST : (unsigned)c->burst;
	unsigned cores = c->cores < 1 ? 1 : (unsigned)c->cores > n_workers ? n_workers : (unsigned)c->cores;
	atomic_store_explicit(&cur_burst, b, memory_order_relaxed);
	atomic_store_explicit(&active_workers, cores, memory_order_relaxed);
	static uint64_t requested = (uint64_t)1024 << 32 | 1024; /* the rings the ports start with */
	uint64_t rings = (uint64_t)c->rx_desc << 32 | (uint32_t)c->tx_desc;
	if (rings != requested) { /* needs a port restart: hand it to the control path */
		requested = rings;
		atomic_store_explicit(&ring_request, rings, memory_order_release);
	}
}

static int worker_main(void *arg)
{
	unsigned w = (unsigned)(uintptr_t)arg;
	struct worker_stats *s = &stats[w];
	struct rte_mbuf *pkts[MAX_BURST];
	unsigned since = 0;
	while (!atomic_load_explicit(&quit, memory_order_relaxed)) {
		if (atomic_load_explicit(&pause_req, memory_order_acquire)) {
			atomic_fetch_add(&paused_workers, 1);
			while (atomic_load_explicit(&pause_req, memory_order_acquire))
				rte_pause();
			atomic_fetch_sub(&paused_workers, 1);
		}
		if (w >= atomic_load_explicit(&active_workers, memory_order_relaxed)) {
			rte_pause(); /* parked: its queues are idle */
			continue;
		}
		unsigned burst = atomic_load_explicit(&cur_burst, memory_order_relaxed);
		for (uint16_t port = 0; port < N_PORTS; port++) {
			uint64_t t0 = rte_rdtsc();
			uint16_t n = rte_eth_rx_burst(port, w, pkts, burst);
			s->polls++;
			if (n == 0)
				continue;
			uint64_t bytes = 0;
			for (uint16_t i = 0; i < n; i++)
				bytes += pkts[i]->pkt_len;
			uint16_t sent = rte_eth_tx_burst(port ^ 1, w, pkts, n);
			if (sent < n)
				rte_pktmbuf_free_bulk(pkts + sent, n - sent);
			/* single writer: plain increments, published relaxed */
			atomic_store_explicit(&s->rx, atomic_load_explicit(&s->rx, memory_order_relaxed) + n,
					      memory_order_relaxed);
			atomic_store_explicit(&s->tx, atomic_load_explicit(&s->tx, memory_order_relaxed) + sent,
					      memory_order_relaxed);
			atomic_store_explicit(&s->dropped,
					      atomic_load_explicit(&s->dropped, memory_order_relaxed) + (n - sent),
					      memory_order_relaxed);
			atomic_store_explicit(&s->bytes, atomic_load_explicit(&s->bytes, memory_order_relaxed) + bytes,
					      memory_order_relaxed);
			atomic_store_explicit(&s->busy_polls,
					      atomic_load_explicit(&s->busy_polls, memory_order_relaxed) + 1,
					      memory_order_relaxed);
			/* busy cycles: a poll that returned packets, through its tx (what cycles/packet counts) */
			atomic_store_explicit(&s->busy_cycles,
					      atomic_load_explicit(&s->busy_cycles, memory_order_relaxed) + rte_rdtsc() - t0,
					      memory_order_relaxed);
		}
		atomic_store_explicit(&s->bursts, atomic_load_explicit(&s->bursts, memory_order_relaxed) + 1,
				      memory_order_relaxed);
		if (w == 0 && opt.decide_every && ++since >= opt.decide_every) {
			since = 0;
			uint64_t t0 = rte_rdtsc();
			int idx = decide(t0);
			if (idx == -2)
				idx = fp_safe_default();
			if (idx >= 0) {
				decide_cycles += rte_rdtsc() - t0;
				atomic_fetch_add(&decisions, 1);
				if (idx < MAX_CONFIGS)
					decision_counts[idx]++;
				last_decision = idx;
				if (!opt.no_apply)
					apply(idx);
			}
		}
	}
	return 0;
}

/* Control path: ring resizes need the ports stopped, so workers pause around them. */
static int resize_rings(uint64_t req)
{
	uint16_t want_rx = (uint16_t)(req >> 32), want_tx = (uint16_t)req;
	atomic_store_explicit(&pause_req, 1, memory_order_release);
	while ((unsigned)atomic_load(&paused_workers) < n_workers && !atomic_load(&quit))
		rte_pause();
	int rc = 0;
	rx_desc = want_rx;
	tx_desc = want_tx;
	for (uint16_t port = 0; port < N_PORTS && rc == 0; port++) {
		rc = rte_eth_dev_stop(port);
		if (rc == 0)
			rc = port_setup(port, n_workers);
	}
	atomic_store_explicit(&pause_req, 0, memory_order_release);
	return rc;
}

static int parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"duration", required_argument, 0, 'd'}, {"decide-every", required_argument, 0, 'n'},
		{"no-apply", no_argument, 0, 'x'},        {"apply-rings", no_argument, 0, 'r'},
		{"tree", required_argument, 0, 't'},      {"burst", required_argument, 0, 'b'},
		{"interval-ms", required_argument, 0, 'i'}, {"control", required_argument, 0, 'c'},
		{0, 0, 0, 0},
	};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': opt.duration_s = atof(optarg); break;
		case 'n': opt.decide_every = (unsigned)atoi(optarg); break;
		case 'x': opt.no_apply = 1; break;
		case 'r': opt.apply_rings = 1; break;
		case 't': opt.tree = optarg; break;
		case 'b': opt.burst = (unsigned)atoi(optarg); break;
		case 'i': opt.interval_ms = (unsigned)atoi(optarg); break;
		case 'c': opt.control = optarg; break;
		default: return -1;
		}
	}
	if (opt.duration_s <= 0 || opt.burst < 1 || opt.burst > MAX_BURST) {
		fprintf(stderr, "l2fwd_tune: --duration must be > 0 and --burst in 1..%d\n", MAX_BURST);
		return -1;
	}
	if (opt.interval_ms)
		opt.decide_every = 0; /* the main lcore decides, once per interval */
	return 0;
}

/* A string as a JSON literal (the error texts name paths). */
static void print_json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

/* SIGHUP: read the control file, load its tree and publish it (workers keep forwarding; fp_swap
 * waits for their fp_decide calls to leave the old tree). One {"type": "swap"} line answers. */
static void serve_control(void)
{
	long seq = -1;
	int status = 0;
	char path[4200] = "", line[4200];
	FILE *f = fopen(opt.control, "r");
	const char *error = NULL;
	if (!f) {
		error = "cannot open the control file";
	} else {
		while (fgets(line, sizeof line, f)) {
			line[strcspn(line, "\r\n")] = 0;
			if (strncmp(line, "seq ", 4) == 0)
				seq = atol(line + 4);
			else if (strncmp(line, "tree ", 5) == 0)
				snprintf(path, sizeof path, "%s", line + 5);
			else if (strcmp(line, "status") == 0)
				status = 1;
		}
		fclose(f);
		if (status && !path[0]) {
			printf("{\"type\": \"status\", \"seq\": %ld, \"decisions\": %llu, \"swaps\": %llu}\n", seq,
			       (unsigned long long)atomic_load(&decisions), (unsigned long long)fp_swap_count());
			fflush(stdout);
			return;
		}
		if (!path[0])
			error = "no `tree` line in the control file";
	}
	if (!error) {
		struct fp_tree *t = NULL;
		if (strcmp(path, "default") != 0 && !(t = fp_load(path)))
			error = fp_last_error();
		else if (fp_swap(t) != 0)
			error = fp_last_error();
	}
	printf("{\"type\": \"swap\", \"seq\": %ld, \"ok\": %s, \"tree\": ", seq, error ? "false" : "true");
	print_json_string(path);
	printf(", \"swaps\": %llu, \"decisions\": %llu, \"safe_default\": %d, \"error\": ",
	       (unsigned long long)fp_swap_count(), (unsigned long long)atomic_load(&decisions), fp_safe_default());
	print_json_string(error ? error : "");
	printf("}\n");
	fflush(stdout);
}

/* One interval on the main lcore: close the window, decide, report what ran and the decision,
 * then apply it (rings through the control path, as for worker 0's decisions). */
static void interval_tick(uint64_t k, double t_s, int ran, uint64_t ring_resizes, uint64_t ring_errors)
{
	uint64_t t0 = rte_rdtsc();
	int idx = decide(t0);
	if (idx == -1)
		return;
	if (idx == -2)
		idx = fp_safe_default();
	decide_cycles += rte_rdtsc() - t0;
	atomic_fetch_add(&decisions, 1);
	if (idx < MAX_CONFIGS)
		decision_counts[idx]++;
	last_decision = idx;
	printf("{\"type\": \"interval\", \"k\": %llu, \"t_s\": %.6f, \"dt_s\": %.6f, \"ran\": %d, "
	       "\"decision\": %d, \"safe_default\": %d, \"burst\": %u, \"active_workers\": %u, "
	       "\"rx_desc\": %u, \"tx_desc\": %u, \"rx\": %llu, \"tx\": %llu, \"dropped\": %llu, "
	       "\"bytes\": %llu, \"polls\": %llu, \"imissed\": %llu, \"swaps\": %llu, \"ring_resizes\": %llu, "
	       "\"ring_errors\": %llu, \"features\": {",
	       (unsigned long long)k, t_s, win_dt, ran, idx, fp_safe_default(), atomic_load(&cur_burst),
	       atomic_load(&active_workers), rx_desc, tx_desc, (unsigned long long)win_delta[0],
	       (unsigned long long)win_delta[1], (unsigned long long)win_delta[2], (unsigned long long)win_delta[3],
	       (unsigned long long)win_delta[4], (unsigned long long)win_delta[7],
	       (unsigned long long)fp_swap_count(), (unsigned long long)ring_resizes, (unsigned long long)ring_errors);
	for (int m = 0; m < M_NONE; m++) {
		printf("%s\"%s\": ", m ? ", " : "", metric_names[m]);
		if (isfinite(last_features[m]))
			printf("%.9g", last_features[m]);
		else
			printf("null");
	}
	printf("}}\n");
	fflush(stdout);
	if (!opt.no_apply)
		apply(idx);
}

int main(int argc, char **argv)
{
	int ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "l2fwd_tune: EAL init failed\n");
		return 2;
	}
	if (parse_args(argc - ret, argv + ret) < 0)
		return 2;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (opt.control)
		signal(SIGHUP, on_hup);
	else
		signal(SIGHUP, on_signal);
	if (rte_eth_dev_count_avail() < N_PORTS) {
		fprintf(stderr, "l2fwd_tune: need %d ports (e.g. --vdev=net_null0 --vdev=net_null1)\n", N_PORTS);
		return 2;
	}
	unsigned lcore;
	RTE_LCORE_FOREACH_WORKER(lcore) {
		if (n_workers < MAX_WORKERS)
			worker_lcores[n_workers++] = lcore;
	}
	if (n_workers == 0) {
		fprintf(stderr, "l2fwd_tune: need at least one worker lcore (e.g. -l 0-1)\n");
		return 2;
	}
	if (fp_n_configs() > MAX_CONFIGS) {
		fprintf(stderr, "l2fwd_tune: %d configs exceed %d\n", fp_n_configs(), MAX_CONFIGS);
		return 2;
	}
	if (opt.tree) {
		struct fp_tree *t = fp_load(opt.tree);
		if (!t || fp_swap(t) != 0) {
			fprintf(stderr, "l2fwd_tune: %s\n", fp_last_error());
			return 2;
		}
	}
	n_features = fp_n_features();
	fprintf(stderr, "l2fwd_tune: %d features;", n_features);
	for (int i = 0; i < n_features; i++) {
		feature_map[i] = M_NONE;
		for (int m = 0; m < M_NONE; m++)
			if (strcmp(fp_feature_name(i), metric_names[m]) == 0)
				feature_map[i] = (enum metric)m;
		if (feature_map[i] == M_NONE)
			fprintf(stderr, " %s (not measured here: NaN)", fp_feature_name(i));
	}
	fprintf(stderr, "\n");
	pool = rte_pktmbuf_pool_create("l2fwd_tune", 8191, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	if (!pool) {
		fprintf(stderr, "l2fwd_tune: mbuf pool: %s\n", rte_strerror(rte_errno));
		return 2;
	}
	for (uint16_t port = 0; port < N_PORTS; port++)
		if (port_setup(port, (uint16_t)n_workers) < 0) {
			fprintf(stderr, "l2fwd_tune: port %u setup failed\n", port);
			return 2;
		}
	atomic_store(&cur_burst, opt.burst);
	atomic_store(&active_workers, n_workers);
	int ran = -1; /* interval mode: the config the last window ran (-1: the start-up settings) */
	if (opt.interval_ms && !opt.no_apply) {
		ran = fp_safe_default(); /* start on the safe default, as fp_decide would with no data */
		apply(ran);
	}
	for (unsigned w = 0; w < n_workers; w++)
		rte_eal_remote_launch(worker_main, (void *)(uintptr_t)w, worker_lcores[w]);

	uint64_t ring_requests = 0, ring_resizes = 0, ring_errors = 0, last_req = 0;
	uint64_t start = rte_get_tsc_cycles(), hz = rte_get_tsc_hz();
	uint64_t end = start + (uint64_t)(opt.duration_s * hz);
	uint64_t every = (uint64_t)opt.interval_ms * hz / 1000, next_tick = start + every, ticks = 0;
	if (opt.interval_ms)
		decide(start); /* opens the first window */
	while (!atomic_load(&quit) && rte_get_tsc_cycles() < end) {
		usleep(1000);
		if (reload) {
			reload = 0;
			serve_control();
		}
		uint64_t now = rte_get_tsc_cycles();
		if (opt.interval_ms && now >= next_tick) {
			next_tick += every;
			if (next_tick <= now) /* a stall: skip the lost ticks, not a burst of short windows */
				next_tick = now + every;
			interval_tick(++ticks, (double)(now - start) / hz, ran, ring_resizes, ring_errors);
			if (!opt.no_apply)
				ran = last_decision;
		}
		uint64_t req = atomic_exchange_explicit(&ring_request, 0, memory_order_acquire);
		if (req && req != last_req) {
			ring_requests++;
			last_req = req;
			if (opt.apply_rings)
				resize_rings(req) == 0 ? ring_resizes++ : ring_errors++;
		}
	}
	double elapsed = (double)(rte_get_tsc_cycles() - start) / hz;
	atomic_store(&quit, 1);
	rte_eal_mp_wait_lcore();

	uint64_t rx = 0, tx = 0, dropped = 0, bursts = 0, n_decisions = atomic_load(&decisions);
	for (unsigned w = 0; w < n_workers; w++) {
		rx += stats[w].rx;
		tx += stats[w].tx;
		dropped += stats[w].dropped;
		bursts += stats[w].bursts;
	}
	printf("{\"elapsed_s\": %.4f, \"workers\": %u, \"decide_every\": %u, \"applied\": %s, "
	       "\"rx\": %llu, \"tx\": %llu, \"dropped\": %llu, \"bursts\": %llu, \"tx_mpps\": %.4f, "
	       "\"decisions\": %llu, \"decide_ns_mean\": %.1f, \"last_decision\": %d, \"safe_default\": %d, "
	       "\"final_burst\": %u, \"final_active_workers\": %u, \"ring_requests\": %llu, "
	       "\"ring_resizes\": %llu, \"ring_errors\": %llu, \"rx_desc\": %u, \"tx_desc\": %u, \"swaps\": %llu, "
	       "\"invalid_decisions\": %llu, \"decision_counts\": {",
	       elapsed, n_workers, opt.decide_every, opt.no_apply ? "false" : "true", (unsigned long long)rx,
	       (unsigned long long)tx, (unsigned long long)dropped, (unsigned long long)bursts, tx / elapsed / 1e6,
	       (unsigned long long)n_decisions, n_decisions ? decide_cycles * 1e9 / hz / n_decisions : 0.0, last_decision,
	       fp_safe_default(), atomic_load(&cur_burst), atomic_load(&active_workers),
	       (unsigned long long)ring_requests, (unsigned long long)ring_resizes, (unsigned long long)ring_errors,
	       rx_desc, tx_desc, (unsigned long long)fp_swap_count(), (unsigned long long)invalid_decisions);
	const char *sep = "";
	for (int i = 0; i < fp_n_configs(); i++)
		if (decision_counts[i]) {
			printf("%s\"%d\": %llu", sep, i, (unsigned long long)decision_counts[i]);
			sep = ", ";
		}
	printf("}, \"ring_occupancy_source\": \"%s\", \"features\": {",
	       ring_count_supported == 1 ? "rte_eth_rx_queue_count" : "rx per poll (lower bound)");
	for (int m = 0; m < M_NONE; m++)
		printf("%s\"%s\": %.6g", m ? ", " : "", metric_names[m],
		       isfinite(last_features[m]) ? last_features[m] : -1.0);
	printf("}}\n");
	fflush(stdout);
	for (uint16_t port = 0; port < N_PORTS; port++) {
		rte_eth_dev_stop(port);
		rte_eth_dev_close(port);
	}
	rte_eal_cleanup();
	return 0;
}
