/* The benchmark tree through m2cgen's C (m2c_tree.c, generated): class scores, then argmax
 * (m2cgen has no class-returning form for classifiers). */
#include <stdint.h>

#include "bench_models.h"
#include "m2c_tree.c"

int m2c_decide(const float *x, int n)
{
	(void)n;
	double in[BM_NF], out[BM_NCLASSES];
	for (int f = 0; f < BM_NF; f++)
		in[f] = x[f];
	m2c_score(in, out);
	int best = 0;
	for (int c = 1; c < BM_NCLASSES; c++)
		if (out[c] > out[best])
			best = c;
	return bm_classes[best];
}
