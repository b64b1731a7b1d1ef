/*
 * dpdktune-pktgen: transmit a workload on port 0 at an offered rate, CBR or on/off.
 *
 * Usage: dpdktune-pktgen <EAL args> -- --rate-mpps=R --sizes=60,572 --weights=7,4
 *        --flows=N --on-us=U --off-us=V --burst=B --duration-s=D --seed=S
 *
 * R = 0 sends as fast as the core can. With on/off, ON periods run at R*(U+V)/U so that
 * the mean stays R. Frames the port does not accept are dropped and counted (tx_full):
 * for a memif or NIC that is the DUT not keeping up.
 *
 * stdin commands (the backend drives them): "mark" restarts the counters, "report" prints
 * one JSON line with the counters since the mark, "quit" (or EOF) stops.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#define TABLE 4096
#define MAX_SIZES 16
#define MAX_BURST 256

static double rate_mpps, on_us, off_us, duration_s = 60;
static unsigned burst = 32, flows = 1, seed = 1, nsizes;
static unsigned sizes[MAX_SIZES];
static double weights[MAX_SIZES];
static uint16_t size_table[TABLE];
static uint32_t flow_table[TABLE];

static volatile int stop;
/* written by the tx lcore, read by main: 64-bit aligned loads are atomic on x86-64 */
static volatile uint64_t sent, tx_full;

static int parse_list(const char *s, double *out, unsigned max)
{
	unsigned n = 0;
	char *end;
	while (*s && n < max) {
		out[n++] = strtod(s, &end);
		if (end == s)
			return -1;
		s = *end == ',' ? end + 1 : end;
	}
	return (int)n;
}

static int parse_args(int argc, char **argv)
{
	static const struct option opts[] = {
		{"rate-mpps", 1, 0, 'r'}, {"sizes", 1, 0, 's'}, {"weights", 1, 0, 'w'},
		{"flows", 1, 0, 'f'}, {"on-us", 1, 0, 'n'}, {"off-us", 1, 0, 'o'},
		{"burst", 1, 0, 'b'}, {"duration-s", 1, 0, 'd'}, {"seed", 1, 0, 'e'}, {0, 0, 0, 0}};
	double tmp[MAX_SIZES];
	int c, n, nw = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r': rate_mpps = atof(optarg); break;
		case 's':
			n = parse_list(optarg, tmp, MAX_SIZES);
			if (n <= 0)
				return -1;
			nsizes = (unsigned)n;
			for (unsigned i = 0; i < nsizes; i++)
				sizes[i] = (unsigned)tmp[i];
			break;
		case 'w': nw = parse_list(optarg, weights, MAX_SIZES); break;
		case 'f': flows = (unsigned)atoi(optarg); break;
		case 'n': on_us = atof(optarg); break;
		case 'o': off_us = atof(optarg); break;
		case 'b': burst = (unsigned)atoi(optarg); break;
		case 'd': duration_s = atof(optarg); break;
		case 'e': seed = (unsigned)atoi(optarg); break;
		default: return -1;
		}
	}
	if (nsizes == 0) {
		sizes[0] = 60;
		nsizes = 1;
	}
	if (nw != (int)nsizes)
		for (unsigned i = 0; i < nsizes; i++)
			weights[i] = 1;
	if (burst == 0 || burst > MAX_BURST || flows == 0 || rate_mpps < 0 || on_us < 0 || off_us < 0)
		return -1;
	for (unsigned i = 0; i < nsizes; i++)
		if (sizes[i] < 56 || sizes[i] > 9014)
			return -1;
	return 0;
}

/* Precomputed draws: sizes by weight, flows uniform (the pcap path models Zipf skew). */
static void fill_tables(void)
{
	double total = 0;
	srand(seed);
	for (unsigned i = 0; i < nsizes; i++)
		total += weights[i];
	for (unsigned k = 0; k < TABLE; k++) {
		double u = (double)rand() / RAND_MAX * total, acc = 0;
		unsigned i = 0;
		for (; i + 1 < nsizes; i++) {
			acc += weights[i];
			if (u <= acc)
				break;
		}
		size_table[k] = (uint16_t)sizes[i];
		flow_table[k] = (uint32_t)(rand() % flows);
	}
}

static void build(struct rte_mbuf *m, unsigned k)
{
	uint16_t len = size_table[k % TABLE];
	uint32_t flow = flow_table[k % TABLE];
	char *p = rte_pktmbuf_append(m, len);
	if (p == NULL || len < 64 - RTE_ETHER_CRC_LEN)
		return;
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)p;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	memset(p, 0, sizeof(*eth) + sizeof(*ip) + sizeof(*udp));
	eth->dst_addr.addr_bytes[0] = 0x02;
	eth->src_addr.addr_bytes[0] = 0x02;
	eth->src_addr.addr_bytes[5] = 0x01;
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->total_length = rte_cpu_to_be_16(len - sizeof(*eth));
	ip->src_addr = rte_cpu_to_be_32(0x0a000000u | (flow & 0xffffff));
	ip->dst_addr = rte_cpu_to_be_32(0xc0a80001u);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->src_port = rte_cpu_to_be_16((uint16_t)(1024 + flow % 60000));
	udp->dst_port = rte_cpu_to_be_16(5000);
	udp->dgram_len = rte_cpu_to_be_16(len - sizeof(*eth) - sizeof(*ip));
}

struct tx_ctx {
	struct rte_mempool *pool;
	uint16_t queue;
};

static int tx_loop(void *arg)
{
	struct tx_ctx *ctx = arg;
	struct rte_mbuf *pkts[MAX_BURST];
	const uint64_t hz = rte_get_tsc_hz();
	const uint64_t start = rte_rdtsc();
	const uint64_t end = start + (uint64_t)(duration_s * hz);
	const double period_us = on_us + off_us;
	const double peak = (on_us > 0 && off_us > 0) ? rate_mpps * period_us / on_us : rate_mpps;
	double due = 0; /* packets owed by the pacing clock, accumulated during ON time only */
	uint64_t last = start, k = 0;

	while (!stop) {
		uint64_t now = rte_rdtsc();
		if (now >= end)
			break;
		if (rate_mpps > 0) {
			double t_us = (double)(now - start) * 1e6 / hz;
			int on = period_us <= 0 || off_us <= 0 || fmod(t_us, period_us) < on_us;
			if (on)
				due += (double)(now - last) * 1e6 / hz * peak;
			else
				due = 0; /* silence: an OFF period sends nothing and owes nothing */
			last = now;
			if (due < burst)
				continue;
			due -= burst;
		}
		if (rte_pktmbuf_alloc_bulk(ctx->pool, pkts, burst) != 0)
			continue;
		for (unsigned i = 0; i < burst; i++)
			build(pkts[i], (unsigned)(k++));
		uint16_t ok = rte_eth_tx_burst(0, ctx->queue, pkts, (uint16_t)burst);
		if (ok < burst) {
			rte_pktmbuf_free_bulk(&pkts[ok], burst - ok);
			tx_full += burst - ok;
		}
		sent += ok;
	}
	stop = 1;
	return 0;
}

int main(int argc, char **argv)
{
	int n = rte_eal_init(argc, argv);
	if (n < 0) {
		fprintf(stderr, "dpdktune-pktgen: EAL init failed\n");
		return 1;
	}
	if (parse_args(argc - n, argv + n) != 0) {
		fprintf(stderr, "dpdktune-pktgen: bad arguments (see the header of pktgen.c)\n");
		return 2;
	}
	if (rte_eth_dev_count_avail() < 1 || rte_lcore_count() < 2) {
		fprintf(stderr, "dpdktune-pktgen: needs one port and two lcores\n");
		return 2;
	}
	fill_tables();
	struct rte_mempool *pool = rte_pktmbuf_pool_create("pktgen", 8191, 256, 0,
		RTE_MBUF_DEFAULT_BUF_SIZE > 9216 + 128 ? RTE_MBUF_DEFAULT_BUF_SIZE : 9216 + 128,
		(int)rte_socket_id());
	struct rte_eth_conf conf;
	memset(&conf, 0, sizeof(conf));
	if (!pool || rte_eth_dev_configure(0, 1, 1, &conf) < 0 ||
	    rte_eth_rx_queue_setup(0, 0, 512, rte_eth_dev_socket_id(0), NULL, pool) < 0 ||
	    rte_eth_tx_queue_setup(0, 0, 512, rte_eth_dev_socket_id(0), NULL) < 0 ||
	    rte_eth_dev_start(0) < 0) {
		fprintf(stderr, "dpdktune-pktgen: port 0 setup failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	struct tx_ctx ctx = {pool, 0};
	unsigned lcore = rte_get_next_lcore(-1, 1, 0);
	printf("dpdktune-pktgen: sending rate_mpps=%g sizes=%u flows=%u on_us=%g off_us=%g\n",
	       rate_mpps, nsizes, flows, on_us, off_us);
	fflush(stdout);
	rte_eal_remote_launch(tx_loop, &ctx, lcore);

	char line[64];
	uint64_t mark_tsc = rte_rdtsc(), mark_sent = 0, mark_full = 0;
	while (!stop && fgets(line, sizeof(line), stdin)) {
		if (strncmp(line, "mark", 4) == 0) {
			mark_tsc = rte_rdtsc();
			mark_sent = sent;
			mark_full = tx_full;
		} else if (strncmp(line, "report", 6) == 0) {
			double el = (double)(rte_rdtsc() - mark_tsc) / rte_get_tsc_hz();
			printf("{\"elapsed_s\": %.6f, \"sent\": %" PRIu64 ", \"tx_full\": %" PRIu64
			       ", \"rate_mpps\": %g, \"on_us\": %g, \"off_us\": %g}\n",
			       el, sent - mark_sent, tx_full - mark_full, rate_mpps, on_us, off_us);
			fflush(stdout);
		} else if (strncmp(line, "quit", 4) == 0) {
			break;
		}
	}
	stop = 1;
	rte_eal_mp_wait_lcore();
	rte_eth_dev_stop(0);
	rte_eth_dev_close(0);
	rte_eal_cleanup();
	return 0;
}
