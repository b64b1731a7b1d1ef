/* The C baselines a learned tree must beat, fitted in Python (benchmarks/fastpath_bench.py -> bench_models.h):
 * a lookup table (nearest of LUT_N fingerprints, normalized) and a linear model (one log2 knob
 * level per output, rounded and clamped to the grid). */
#include <stdint.h>

#include "bench_models.h"

int lut_decide(const float *x, int n)
{
	(void)n;
	float z[BM_NF];
	for (int f = 0; f < BM_NF; f++)
		z[f] = (x[f] - bm_mean[f]) * bm_inv_scale[f];
	float best = 3.4e38f;
	int arg = 0;
	for (int k = 0; k < LUT_N; k++) {
		float d = 0.0f;
		for (int f = 0; f < BM_NF; f++) {
			float u = z[f] - lut_center[k * BM_NF + f];
			d += u * u;
		}
		if (d < best) {
			best = d;
			arg = k;
		}
	}
	return lut_action[arg];
}

static int level(float y, int first_log2, int n)
{
	int i = (int)(y + 0.5f) - first_log2;
	return i < 0 ? 0 : i >= n ? n - 1 : i;
}

int lin_decide(const float *x, int n)
{
	(void)n;
	float z[BM_NF];
	for (int f = 0; f < BM_NF; f++)
		z[f] = (x[f] - bm_mean[f]) * bm_inv_scale[f];
	int idx[4];
	for (int k = 0; k < 4; k++) {
		float y = lin_b[k];
		for (int f = 0; f < BM_NF; f++)
			y += lin_w[k * BM_NF + f] * z[f];
		idx[k] = level(y, grid_first_log2[k], grid_levels[k]);
	}
	return ((idx[0] * grid_levels[1] + idx[1]) * grid_levels[2] + idx[2]) * grid_levels[3] + idx[3];
}
