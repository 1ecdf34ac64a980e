/* sy_http_gate_fuzz.c - libFuzzer target: the raw header block judge (common/sy_http_gate.c).
 *
 * A connection's bytes arrive in pieces and the judge sees every longer prefix in turn. The
 * first input byte picks the size limit; the rest is the stream. Judged at every prefix, the
 * verdict may only go from MORE to a final one, and never change after that (the same status
 * and reason); a refusal is a 400, 413 or 431 with a reason. */
#include "sy_http_gate.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 4096)
		return 0;
	size_t max = 16 + (size_t)data[0] * 8;
	const unsigned char *s = data + 1;
	size_t n = size - 1;
	enum sy_http_gate_verdict final = SY_HTTP_GATE_MORE;
	unsigned final_status = 0;
	const char *final_why = NULL;
	for (size_t i = 0; i <= n; i++) {
		unsigned status = 0;
		const char *why = NULL;
		enum sy_http_gate_verdict v = sy_http_gate_judge(s, i, max, &status, &why);
		if (v == SY_HTTP_GATE_REFUSE &&
		    (!why || (status != 400 && status != 413 && status != 431)))
			abort();
		if (v != SY_HTTP_GATE_REFUSE && (status || why))
			abort();
		if (final != SY_HTTP_GATE_MORE &&
		    (v != final || status != final_status || why != final_why))
			abort();
		if (v == SY_HTTP_GATE_MORE && i >= max)
			abort(); /* past the limit a verdict is due */
		final = v, final_status = status, final_why = why;
	}
	return 0;
}
