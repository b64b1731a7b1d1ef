/* The benchmark tree through emlearn's inline float C (eml_tree.h, generated): votes + argmax. */
#include <stdint.h>

#include "bench_models.h"
#include "eml_tree.h"

int eml_decide(const float *x)
{
	int32_t c = eml_tree_predict(x, BM_NF);
	return c >= 0 && c < BM_NCLASSES ? bm_classes[c] : -1;
}
