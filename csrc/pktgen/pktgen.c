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
 * With --pcap=FILE it replays a classic pcap instead (Ethernet, us or ns timestamps, either byte
 * order): each packet leaves at its recorded time after the first, and the trace loops. When the
 * core falls behind, packets leave late in bursts; the report's max_lag_us says by how much.
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

/* a loaded trace: packet bytes, and per packet its offset, length and send time (TSC after start) */
#define MAX_TRACE (1u << 20)
#define MAX_FRAME 9014
static const char *pcap_path;
static unsigned char *trace_data;
static uint64_t *trace_off, *trace_at, trace_period;
static uint16_t *trace_len;
static unsigned ntrace;
static volatile uint64_t max_lag;

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
		{"burst", 1, 0, 'b'}, {"duration-s", 1, 0, 'd'}, {"seed", 1, 0, 'e'}, {"pcap", 1, 0, 'p'},
		{0, 0, 0, 0}};
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
		case 'p': pcap_path = optarg; break;
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

static uint32_t swap32(uint32_t v, int swap)
{
	return swap ? __builtin_bswap32(v) : v;
}

/* Load up to MAX_TRACE packets of a classic pcap; times become TSC offsets from the first packet. */
static int load_trace(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint32_t hdr[6], rec[4];
	if (f == NULL || fread(hdr, 4, 6, f) != 6) {
		fprintf(stderr, "dpdktune-pktgen: cannot read pcap %s\n", path);
		return -1;
	}
	int swap = hdr[0] == 0xd4c3b2a1u || hdr[0] == 0x4d3cb2a1u;
	uint32_t magic = swap32(hdr[0], swap);
	if (magic != 0xa1b2c3d4u && magic != 0xa1b23c4du) {
		fprintf(stderr, "dpdktune-pktgen: %s is not a classic pcap\n", path);
		return -1;
	}
	double tick = magic == 0xa1b23c4du ? 1e-9 : 1e-6, first = -1, t = 0;
	size_t cap = 1 << 20, used = 0;
	trace_data = malloc(cap);
	trace_off = calloc(MAX_TRACE, sizeof(*trace_off));
	trace_at = calloc(MAX_TRACE, sizeof(*trace_at));
	trace_len = calloc(MAX_TRACE, sizeof(*trace_len));
	if (!trace_data || !trace_off || !trace_at || !trace_len)
		return -1;
	const double hz = (double)rte_get_tsc_hz();
	while (ntrace < MAX_TRACE && fread(rec, 4, 4, f) == 4) {
		uint32_t caplen = swap32(rec[2], swap), wirelen = swap32(rec[3], swap);
		uint32_t len = wirelen < 60 ? 60 : wirelen > MAX_FRAME ? MAX_FRAME : wirelen;
		if (caplen > 262144)
			break;
		if (used + len > cap) {
			cap *= 2;
			if ((trace_data = realloc(trace_data, cap)) == NULL)
				return -1;
		}
		/* bytes beyond the captured length (a snap length) are zeros; so is padding to 60 */
		memset(trace_data + used, 0, len);
		uint32_t keep = caplen < len ? caplen : len;
		if (fread(trace_data + used, 1, keep, f) != keep || fseek(f, (long)(caplen - keep), SEEK_CUR) != 0)
			break;
		double now = swap32(rec[0], swap) + swap32(rec[1], swap) * tick;
		if (first < 0)
			first = t = now;
		t = now > t ? now : t; /* a record stamped before its predecessor leaves right after it */
		trace_off[ntrace] = used;
		trace_len[ntrace] = (uint16_t)len;
		trace_at[ntrace] = (uint64_t)((t - first) * hz);
		used += len;
		ntrace++;
	}
	fclose(f);
	if (ntrace < 2) {
		fprintf(stderr, "dpdktune-pktgen: %s holds fewer than 2 packets\n", path);
		return -1;
	}
	/* the loop restarts one mean gap after the last packet */
	trace_period = trace_at[ntrace - 1] + trace_at[ntrace - 1] / (ntrace - 1);
	return 0;
}

struct tx_ctx {
	struct rte_mempool *pool;
	uint16_t queue;
};

static int tx_trace(struct tx_ctx *ctx)
{
	struct rte_mbuf *pkts[MAX_BURST];
	unsigned todo[MAX_BURST];
	const uint64_t start = rte_rdtsc();
	const uint64_t end = start + (uint64_t)(duration_s * rte_get_tsc_hz());
	uint64_t base = start;
	unsigned i = 0;

	while (!stop) {
		uint64_t now = rte_rdtsc();
		if (now >= end)
			break;
		unsigned n = 0;
		if (base + trace_at[i] <= now && now - (base + trace_at[i]) > max_lag)
			max_lag = now - (base + trace_at[i]);
		while (n < burst && base + trace_at[i] <= now) {
			todo[n++] = i;
			if (++i == ntrace) {
				i = 0;
				base += trace_period;
			}
		}
		if (n == 0)
			continue;
		if (rte_pktmbuf_alloc_bulk(ctx->pool, pkts, n) != 0) {
			tx_full += n;
			continue;
		}
		for (unsigned j = 0; j < n; j++) {
			char *p = rte_pktmbuf_append(pkts[j], trace_len[todo[j]]);
			if (p != NULL)
				memcpy(p, trace_data + trace_off[todo[j]], trace_len[todo[j]]);
		}
		uint16_t ok = rte_eth_tx_burst(0, ctx->queue, pkts, (uint16_t)n);
		if (ok < n) {
			rte_pktmbuf_free_bulk(&pkts[ok], n - ok);
			tx_full += n - ok;
		}
		sent += ok;
	}
	stop = 1;
	return 0;
}

static int tx_loop(void *arg)
{
	if (ntrace > 0)
		return tx_trace(arg);
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
	if (pcap_path != NULL && load_trace(pcap_path) != 0)
		return 2;
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
	if (ntrace > 0)
		printf("dpdktune-pktgen: sending trace=%s packets=%u period_s=%.6f\n", pcap_path, ntrace,
		       (double)trace_period / rte_get_tsc_hz());
	else
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
			       ", \"rate_mpps\": %g, \"on_us\": %g, \"off_us\": %g, \"trace_packets\": %u"
			       ", \"max_lag_us\": %.3f}\n",
			       el, sent - mark_sent, tx_full - mark_full, rate_mpps, on_us, off_us, ntrace,
			       (double)max_lag * 1e6 / rte_get_tsc_hz());
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
